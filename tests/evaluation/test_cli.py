"""`passerelle eval all` and `passerelle eval retrieval`: options and input errors (the runs are slow)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from passerelle.cli import app

RUNNER = CliRunner()


def test_both_commands_are_registered_next_to_triage() -> None:
    result = RUNNER.invoke(app, ["eval", "--help"])
    assert result.exit_code == 0
    assert all(name in result.stdout for name in ("all", "retrieval", "triage"))
    assert "--quick" in RUNNER.invoke(app, ["eval", "all", "--help"]).stdout


def test_a_missing_knowledge_base_is_an_error_not_an_empty_report(tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"text": "x", "gold": "y"}\n', encoding="utf-8")
    result = RUNNER.invoke(app, ["eval", "retrieval", "--kb", str(tmp_path / "nowhere"), "--queries", str(queries)])
    assert result.exit_code == 2
    assert "nowhere: not found" in result.output


def test_a_missing_queries_file_is_an_error(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["eval", "retrieval", "--kb", str(tmp_path), "--queries", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 2
    assert "q.jsonl: not found" in result.output
