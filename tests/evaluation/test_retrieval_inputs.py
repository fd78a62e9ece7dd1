"""Inputs of `passerelle eval retrieval`: an external FAQ in the `kb import` format and its queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.retrieval import load_queries, load_texts
from evaluation.retrieval_systems import imported_kb, load_inputs

DATA = Path(__file__).resolve().parent / "data"
FAQ, QUERIES, OUT_OF_SCOPE = (DATA / f"external_{name}.jsonl" for name in ("faq", "queries", "out_of_scope"))


def test_an_import_file_becomes_a_fresh_knowledge_base_under_the_work_folder(tmp_path: Path) -> None:
    folder, rejected = imported_kb(FAQ, tmp_path)
    assert folder.parent == tmp_path and rejected == []
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml")) == [
        "en/horaires-en.yaml", "en/rendez-vous-en.yaml", "fr/horaires.yaml", "fr/parking.yaml",
        "fr/rendez-vous.yaml", "fr/tiers-payant.yaml", "fr/vaccin-grippe.yaml"]
    (folder / "fr" / "stale.yaml").write_text("left from an earlier import")
    assert not (imported_kb(FAQ, tmp_path)[0] / "fr" / "stale.yaml").exists()


def test_bad_import_lines_are_left_out_with_their_reason(tmp_path: Path) -> None:
    faq = tmp_path / "faq.jsonl"
    faq.write_text(FAQ.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n"
                   '{"id": "x", "language": "fr"}\n', encoding="utf-8")
    folder, rejected = imported_kb(faq, tmp_path / "work")
    assert len(list(folder.rglob("*.yaml"))) == 1
    assert rejected[0].startswith("line 2: not JSON") and rejected[1].startswith("line 3:")


def test_inputs_are_the_live_entries_the_queries_with_kinds_and_the_out_of_scope_texts(tmp_path: Path) -> None:
    folder, _ = imported_kb(FAQ, tmp_path)
    entries, queries, out_of_scope = load_inputs(folder, QUERIES, OUT_OF_SCOPE)
    assert len(entries) == 7 and len(queries) == 10 and len(out_of_scope) == 6
    assert {q.kind for q in queries} == {"service"} and {q.language for q in queries} == {"fr", "en"}
    assert load_inputs(folder, QUERIES, None)[2] == []


def test_a_gold_topic_missing_from_the_knowledge_base_is_an_input_error(tmp_path: Path) -> None:
    folder, _ = imported_kb(FAQ, tmp_path)
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"text": "carte vitale", "gold": "carte-vitale-obtenir"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="gold topics not in .*: carte-vitale-obtenir"):
        load_inputs(folder, queries, None)


def test_an_empty_knowledge_base_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no published entry"):
        load_inputs(tmp_path, QUERIES, None)


@pytest.mark.parametrize(("line", "problem"), [
    ("{not json", r"q.jsonl:2: not JSON"),
    ('{"text": "x"}', r"q.jsonl:2: needs a text field 'gold'"),
    ('["text", "gold"]', r"q.jsonl:2: needs a text field 'text', 'gold'"),
])
def test_a_bad_query_line_names_its_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"text": "ok", "gold": "a"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        load_queries(queries, {})


def test_out_of_scope_lines_need_a_text(tmp_path: Path) -> None:
    path = tmp_path / "oos.jsonl"
    path.write_text('{"text": "meteo"}\n\n{"message": "foot"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="oos.jsonl:3: needs a text field 'text'"):
        load_texts(path)
