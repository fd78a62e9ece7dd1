"""Reading entries from a content directory without ever failing on one bad file.

A broken entry must never take the whole knowledge base down: it is skipped and reported as one
readable line (file, field, problem), and every other entry still loads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge_base.schema import Entry
from passerelle.yaml_load import safe_load


@dataclass(frozen=True)
class ContentProblem:
    """One thing wrong with one content file, printable as a single line."""

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


def entry_files(content_dir: Path) -> list[Path]:
    """All entry files below `content_dir`, in a stable order."""
    return sorted(p for p in content_dir.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def parse_entry(path: Path) -> tuple[Entry | None, list[ContentProblem]]:
    """Parse one file into an entry, or explain in one line per field why it cannot be."""
    shown = str(path)
    try:
        raw = safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [ContentProblem(shown, "-", "not UTF-8 text")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "-"
        return None, [ContentProblem(shown, where, f"invalid YAML ({getattr(exc, 'problem', exc)})")]
    if not isinstance(raw, dict):
        return None, [ContentProblem(shown, "-", "the file must hold one mapping of fields")]
    try:
        return Entry.model_validate(raw), []
    except ValidationError as exc:
        problems = [
            ContentProblem(shown, ".".join(str(p) for p in err["loc"]) or "-", err["msg"])
            for err in exc.errors()
        ]
        return None, problems


def load_entries(content_dir: Path) -> tuple[list[Entry], list[ContentProblem]]:
    """Every parsable entry of `content_dir`, and the problems of those that are not."""
    entries: list[Entry] = []
    problems: list[ContentProblem] = []
    seen: dict[str, str] = {}
    if not content_dir.is_dir():
        return [], [ContentProblem(str(content_dir), "-", "content directory not found")]
    for path in entry_files(content_dir):
        entry, errors = parse_entry(path)
        problems.extend(errors)
        if entry is None:
            continue
        if entry.id in seen:
            problems.append(ContentProblem(str(path), "id", f"duplicate id {entry.id!r} (also in {seen[entry.id]})"))
            continue
        seen[entry.id] = str(path)
        entries.append(entry)
    return entries, problems


def content_hash(entries: Iterable[Entry]) -> str:
    """A fingerprint of the live content, stored in the index so stale indexes are detected."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: e.id):
        digest.update(entry.model_dump_json().encode("utf-8"))
    return digest.hexdigest()[:16]
