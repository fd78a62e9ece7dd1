from pathlib import Path

from knowledge_base.loader import load_entries
from passerelle.settings import ROOT

GOOD = """id: demo-fr
topic: demo
kind: service
language: fr
title: Démo
questions: [a, b, c, d, e, f]
answer_sms: Une réponse courte.
answer_long: Une réponse longue.
sources: [https://www.ameli.fr/]
status: published
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_files_are_reported_one_line_each_and_skipped(tmp_path: Path) -> None:
    write(tmp_path, "fr/demo.yaml", GOOD)
    write(tmp_path, "fr/bad-yaml.yaml", "id: [unclosed\n")
    write(tmp_path, "fr/not-a-mapping.yaml", "- just\n- a list\n")
    write(tmp_path, "fr/missing.yaml", "id: x-fr\ntopic: x\n")
    write(tmp_path, "fr/wrong-kind.yaml", GOOD.replace("kind: service", "kind: rumour").replace("demo-fr", "w-fr"))
    write(tmp_path, "fr/dup.yaml", GOOD)
    (tmp_path / "fr" / "binary.yaml").write_bytes(b"\xff\xfe\x00junk")

    entries, problems = load_entries(tmp_path)

    assert [e.id for e in entries] == ["demo-fr"]
    lines = [str(p) for p in problems]
    assert all("\n" not in line and "Traceback" not in line for line in lines)
    assert any("bad-yaml.yaml" in line and "invalid YAML" in line for line in lines)
    assert any("not-a-mapping.yaml" in line for line in lines)
    assert any("missing.yaml: answer_sms" in line for line in lines)
    assert any("wrong-kind.yaml: kind" in line for line in lines)
    assert any("duplicate id" in line for line in lines)
    assert any("binary.yaml" in line for line in lines)


def test_missing_directory_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    entries, problems = load_entries(tmp_path / "nowhere")
    assert entries == [] and "not found" in str(problems[0])


def test_shipped_content_covers_every_topic_in_french_and_english() -> None:
    import yaml

    topics = {t["id"] for t in yaml.safe_load((ROOT / "knowledge_base/topics.yaml").read_text())["topics"]}
    entries, problems = load_entries(ROOT / "knowledge_base" / "content")
    assert problems == []
    for language in ("fr", "en"):
        covered = {e.topic for e in entries if e.language == language and e.is_live}
        assert covered == topics, sorted(topics - covered)
