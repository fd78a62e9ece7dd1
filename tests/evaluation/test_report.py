"""report.md: every section's numbers, with their meaning, and the failures made visible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evaluation.report import fmt, render, table, wording
from evaluation.run_all import write_outputs


def test_numbers_are_formatted_for_reading() -> None:
    assert fmt(None) == "-" and fmt(0.9123, pct=True) == "91.2%" and fmt(0.9123) == "0.912"
    assert fmt(3) == "3" and fmt(12345.6) == "12346" and fmt(True) == "yes"


def test_tables_escape_pipes_and_newlines() -> None:
    assert table(["a", "b"], [["x|y", "1\n2"]]) == "| a | b |\n|---|---|\n| x\\|y | 1 2 |\n"


def test_every_section_is_rendered_with_its_explanations(figures: dict[str, Any]) -> None:
    report = render(figures, {"retrieval": ["retrieval.png"]})
    for heading in ("## Headline figures", "## Retrieval", "## Triage", "## NLU", "## Conversations",
                    "## Plain language", "## Speed"):
        assert heading in report
    assert "`0123456789ab` a commit (plus uncommitted changes)" in report
    assert "Test CPU, 2 cores" in report
    assert "retrieval 10, nlu 30 (in the background)" in report
    assert "in 99 s. Every number" in report  # no CPU time recorded
    assert "in 99 s (321 s of CPU time" in render({**figures, "meta": {**figures["meta"], "cpu_seconds": 321.0}}, {})
    assert "**Section nlu failed**: RuntimeError: x" in report
    assert "| retrieval recall@1 | >= 90.0% | issue 3 | 90.0% | pass |" in report
    assert "| urgency recall | >= 98.0% | issue 4 | 90.0% | **FAIL** |" in report
    assert "| myth recall | >= 85.0% | issue 4 | - | **FAIL (missing)** |" in report
    assert wording()["retrieval"]["recall@1"] in report
    assert "Rasa FAQ (ResponseSelector)" in report and "trained in 61.5 s (90.2 s of CPU time)" in report
    assert "ResponseSelector, 30 epochs, seed 42 (" in report
    reused = {**figures["retrieval"], "built": {"rasa_faq": {**figures["retrieval"]["built"]["rasa_faq"],
                                                             "train_seconds": None}}}
    assert "model reused (trained earlier" in render({**figures, "retrieval": reused}, {})
    assert "| opt-out-keyword | 2 | bonjour | no reply | Bonjour ! |" in report
    assert "| search alone (baseline) | 10 | 31 | 45 | 30 | - |" in report
    assert "![retrieval.png](retrieval.png)" in report
    assert "| 10000 | 140000 | ivf | 47 | 35 | 48 | 3.25 (21.5) | 0.99 | 1000 |" in report  # exact beside IVF
    assert "| 1000 | 14000 | flat | 0.3 | 30 | 40 | 1.5 | 1 | 500 |" in report
    assert "over 40 test-split messages (patterns, one embedding" in report and "p50 12.5 ms, p95 30 ms." in report


def test_outputs_are_the_report_the_json_and_the_pictures(figures: dict[str, Any], tmp_path: Path) -> None:
    report = write_outputs(figures, tmp_path / "out")
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert report.name == "report.md" and "figures.json" in names
    for picture in ("retrieval.png", "reliability.png", "urgency_recall.png", "urgency_confusion_test.png",
                    "nlu_f1.png", "conversations.png", "readability.png", "sms_segments.png", "speed.png", "scale.png"):
        assert picture in names, picture
        assert (tmp_path / "out" / picture).read_bytes()[:4] == b"\x89PNG"
        assert f"]({picture})" in report.read_text(encoding="utf-8")


def test_a_failed_machine_section_still_gives_a_report(figures: dict[str, Any]) -> None:
    from evaluation.run_all import Sections, _meta

    sections = Sections(say=lambda _m: None)
    sections.run("machine", lambda: 1 / 0)
    meta = _meta(None, sections, 0.0, date="2026-01-02", mode="quick", command="c", skipped=[])
    assert meta["errors"] == {"machine": "ZeroDivisionError: division by zero"}
    report = render({**figures, "meta": meta}, {})
    assert "**Section machine failed**: ZeroDivisionError" in report and "| commit | `unknown`" in report


def test_the_knowledge_base_is_named_relative_to_the_repository(figures: dict[str, Any]) -> None:
    from passerelle.settings import ROOT

    inside = {**figures["retrieval"], "content_dir": str(ROOT / "knowledge_base" / "content")}
    assert "knowledge base `knowledge_base/content`" in render({**figures, "retrieval": inside}, {})
    outside = {**figures["retrieval"], "content_dir": "/srv/faq"}
    assert "knowledge base `/srv/faq`" in render({**figures, "retrieval": outside}, {})
