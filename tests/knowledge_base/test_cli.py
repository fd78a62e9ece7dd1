"""The `passerelle kb` commands exactly as the contract describes them."""

import json
from pathlib import Path

from typer.testing import CliRunner

from passerelle import settings as settings_module
from passerelle.cli import app
from passerelle.settings import Settings

runner = CliRunner()


def run(*args: str, env_data: Path) -> tuple[int, str]:
    settings_module.get_settings.cache_clear()
    result = runner.invoke(app, list(args), env={"PASSERELLE_DATA_DIR": str(env_data)})
    settings_module.get_settings.cache_clear()
    return result.exit_code, result.stdout


def test_import_then_search_another_kb(tmp_path: Path) -> None:
    faq = tmp_path / "faq.jsonl"
    faq.write_text("\n".join([
        json.dumps({"id": "bike", "language": "en", "title": "Bicycle repair", "answer": "Patch the tube.",
                    "questions": ["my bike tyre is flat"]}),
        json.dumps({"id": "tea", "language": "en", "title": "Making tea", "answer": "Boil water."}),
        "not json",
        json.dumps({"id": "no-answer", "language": "en", "title": "x"}),
    ]) + "\n", encoding="utf-8")
    code, out = run("kb", "import", str(faq), "--out", str(tmp_path / "kb"), env_data=tmp_path / "var")
    assert code == 0 and "imported 2 entries" in out

    batch = tmp_path / "q.jsonl"
    batch.write_text('{"text": "flat tyre"}\n{"text": "how to make tea"}\n', encoding="utf-8")
    code, out = run("kb", "search", "--json", "--kb", str(tmp_path / "kb"), "--top-k", "1", "--batch", str(batch),
                    env_data=tmp_path / "var")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [obj["results"][0]["id"] for obj in lines] == ["bike", "tea"]
    assert set(lines[0]) == {"text", "language", "answerable", "results"}
    assert set(lines[0]["results"][0]) == {"id", "topic", "score", "title"}

    code, out = run("kb", "validate", "--kb", str(tmp_path / "kb"), env_data=tmp_path / "var")
    assert code == 1 and "not yet reviewed" in out


def test_search_one_text_prints_one_object(shipped_index_settings: Settings) -> None:
    code, out = run("kb", "search", "--json", "j'ai perdu ma carte vitale", env_data=shipped_index_settings.data_dir)
    assert code == 0
    obj = json.loads(out)
    assert obj["language"] == "fr" and obj["answerable"] is True
    assert obj["results"][0]["topic"] == "carte-vitale-perdue" and len(obj["results"]) == 3


def test_bad_batch_line_is_named(tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"text": "ok"}\n{"txt": "oops"}\n', encoding="utf-8")
    result = runner.invoke(app, ["kb", "search", "--json", "--batch", str(batch)],
                           env={"PASSERELLE_DATA_DIR": str(tmp_path / "var")})
    assert result.exit_code == 2 and "q.jsonl:2" in result.output


def test_shipped_content_validates(tmp_path: Path) -> None:
    code, _ = run("kb", "validate", env_data=tmp_path / "var")
    assert code == 0
