"""Index snapshots are swapped atomically and picked up without a restart."""

import threading
from pathlib import Path

from knowledge_base.build import ensure_index
from knowledge_base.importer import import_jsonl
from knowledge_base.search import Searcher
from passerelle.settings import Settings


def make_kb(folder: Path, answer: str) -> Path:
    source = folder / "faq.jsonl"
    source.write_text(
        '{"id": "bike-en", "language": "en", "title": "Bicycle repair", "answer": "' + answer + '",'
        ' "questions": ["my bike tyre is flat", "how to fix a puncture"], "sources": ["https://www.ameli.fr/"]}\n'
        '{"id": "tea-en", "language": "en", "title": "Making tea", "answer": "Boil water.",'
        ' "questions": ["how do i make tea"]}\n', encoding="utf-8")
    kb = folder / "kb"
    import_jsonl(source, kb)
    return kb


def test_unchanged_content_is_not_rebuilt(tmp_path: Path, settings: Settings) -> None:
    kb = make_kb(tmp_path, "Patch the tube.")
    assert ensure_index(kb, settings).rebuilt
    assert not ensure_index(kb, settings).rebuilt


def test_a_new_snapshot_is_used_without_restart_and_searches_never_fail(tmp_path: Path, settings: Settings) -> None:
    kb = make_kb(tmp_path, "Patch the tube.")
    report = ensure_index(kb, settings)
    searcher = Searcher(settings, index_root=report.index_root)
    assert searcher.search("flat tyre on my bike", language="en").entry.answer_sms == "Patch the tube."

    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                searcher.reload_if_changed()
                assert searcher.search("flat tyre on my bike", language="en").hits
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
                errors.append(exc)

    worker = threading.Thread(target=keep_searching)
    worker.start()
    try:
        for i in range(3):
            make_kb(tmp_path, f"Version {i}: patch the tube.")
            ensure_index(kb, settings)
    finally:
        stop.set()
        worker.join()
    assert errors == []
    searcher.reload_if_changed()
    assert searcher.search("flat tyre on my bike", language="en").entry.answer_sms == "Version 2: patch the tube."
