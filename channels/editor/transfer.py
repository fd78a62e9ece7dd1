"""Import and export of entries: YAML files (the repository's own format) and CSV (spreadsheets).

Export writes the published versions as `<language>/<topic>.yaml`, exactly the layout of
`knowledge_base/content/`, so a deployment's reviewed content can come back to the project as a
pull request; CSV has one row per entry, list fields one item per line inside their cell.

Import never publishes: every accepted row becomes a version in review (four eyes still apply),
and a row is rejected, with one line per problem, when it breaks the schema or the content rules
of `passerelle kb validate`. A row equal to the entry's current text is reported unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from channels.console.auth import SignedIn
from channels.console.service import Refused
from channels.db import Database
from channels.editor import service
from channels.editor.models import KbEntry
from knowledge_base.loader import ContentProblem
from knowledge_base.schema import Entry, Status
from passerelle.settings import Settings
from passerelle.yaml_load import safe_load

CSV_FIELDS = ("id", "topic", "language", "kind", "title", "questions", "answer_sms", "answer_long", "sources",
              "review_due", "claims", "verdict", "urgency_categories", "emergency_numbers", "machine_assisted",
              "status", "version", "reviewed_by", "reviewed_on")
EDITABLE = (*service.TEXT_FIELDS, *service.LIST_FIELDS, "machine_assisted")
MAX_ROWS = 5000


@dataclass
class ImportReport:
    """What an import did, row by row."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[ContentProblem] = field(default_factory=list)  # path = the row's label


# -- export --------------------------------------------------------------------------------


def entry_yaml(entry: Entry) -> str:
    """One entry as the repository's content files write it (dates as YAML dates, no empty fields)."""
    data: dict[str, Any] = {}
    for name, value in entry.model_dump(mode="json").items():
        if value is None or value == [] or (name, value) in (("vetted", True), ("machine_assisted", False)):
            continue
        data[name] = dt.date.fromisoformat(value) if name in ("reviewed_on", "review_due") else value
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def export_zip(entries: Iterable[Entry]) -> bytes:
    """A zip of `<language>/<topic>.yaml` files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            archive.writestr(f"{entry.language}/{entry.topic}.yaml", entry_yaml(entry))
    return buffer.getvalue()


def write_files(entries: Iterable[Entry], out_dir: Path) -> int:
    """Write `<language>/<topic>.yaml` files under `out_dir` (e.g. the repository's content folder)."""
    written = 0
    for entry in entries:
        target = out_dir / entry.language / f"{entry.topic}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(entry_yaml(entry), encoding="utf-8")
        written += 1
    return written


def export_csv(entries: Iterable[Entry]) -> str:
    """One row per entry; list fields one item per line in their cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for entry in entries:
        data = entry.model_dump(mode="json")
        writer.writerow({name: "\n".join(map(str, value)) if isinstance(value, list) else
                         ("" if value is None else value) for name, value in data.items()})
    return out.getvalue()


# -- import --------------------------------------------------------------------------------


def _csv_records(text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"language", "title", "answer_sms"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"missing columns: {', '.join(sorted(missing))}")
    records = []
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        record: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k in CSV_FIELDS}
        record["machine_assisted"] = record.get("machine_assisted", "").lower() in ("true", "1", "yes", "oui")
        records.append((f"row {number}", record))
    return records


def _yaml_records(text: str, label: str) -> list[tuple[str, dict[str, Any]]]:
    data = safe_load(text)
    items = data if isinstance(data, list) else [data]
    records = []
    for number, item in enumerate(items, start=1):
        shown = label if len(items) == 1 else f"{label} #{number}"
        records.append((shown, item if isinstance(item, dict) else {"_invalid": True}))
    return records


def read_upload(filename: str, content: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(label, record) for each entry of a .csv, .yaml/.yml or .zip of YAML files; ValueError if unreadable."""
    name = filename.lower()
    try:
        if name.endswith(".zip"):
            records = []
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                for member in sorted(archive.namelist()):
                    if member.endswith((".yaml", ".yml")) and not member.startswith("__MACOSX"):
                        records += _yaml_records(archive.read(member).decode("utf-8"), member)
        elif name.endswith((".yaml", ".yml")):
            records = _yaml_records(content.decode("utf-8"), filename)
        elif name.endswith(".csv"):
            records = _csv_records(content.decode("utf-8-sig"))
        else:
            raise ValueError("expected a .csv, .yaml, .yml or .zip file")
    except (UnicodeDecodeError, zipfile.BadZipFile, yaml.YAMLError, csv.Error) as exc:
        raise ValueError(f"unreadable file ({type(exc).__name__})") from exc
    if len(records) > MAX_ROWS:
        raise ValueError(f"more than {MAX_ROWS} entries")
    return records


def _candidate(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a draft entry (published fields and review dates are the workflow's to set)."""
    topic = str(record.get("topic") or "").strip()
    language = str(record.get("language") or "").strip()
    data = service.entry_from_form({k: v for k, v in record.items() if k in EDITABLE}, {})
    data.update(id=str(record.get("id") or f"{topic}-{language}").strip(), topic=topic, language=language,
                status=Status.draft.value, version=1)
    if not data.get("answer_long"):
        data["answer_long"] = data.get("answer_sms", "")
    return data


def import_records(db: Database, settings: Settings, actor: SignedIn,
                   records: list[tuple[str, dict[str, Any]]]) -> ImportReport:
    """Check every record; accepted ones become versions in review. Returns the row-by-row report."""
    report = ImportReport()
    seen: set[str] = set()
    for label, record in records:
        if record.get("_invalid"):
            report.rejected.append(ContentProblem(label, "-", "not a mapping of fields"))
            continue
        data = _candidate(record)
        try:
            entry = Entry.model_validate(data)
        except ValidationError as exc:
            report.rejected += [ContentProblem(label, ".".join(map(str, e["loc"])) or "-", e["msg"])
                                for e in exc.errors()]
            continue
        if entry.id != f"{entry.topic}-{entry.language}":
            report.rejected.append(ContentProblem(label, "id", f"should be {entry.topic}-{entry.language!s}"))
            continue
        if entry.id in seen:
            report.rejected.append(ContentProblem(label, "id", f"duplicate id {entry.id!r} in the file"))
            continue
        seen.add(entry.id)
        problems = service.rule_problems(entry, settings)
        if problems:
            report.rejected += [ContentProblem(label, p.field, p.message) for p in problems]
            continue
        form = {name: data.get(name) for name in EDITABLE if name in data}
        try:
            _store(db, settings, actor, entry, form, report)
        except (Refused, service.Invalid) as exc:
            report.rejected.append(ContentProblem(label, "-", str(getattr(exc, "problem", exc))))
    return report


def _store(db: Database, settings: Settings, actor: SignedIn, entry: Entry, form: dict[str, Any],
           report: ImportReport) -> None:
    with db.session() as session:
        current = service.open_version(session, entry.id) or service.live_version(session, entry.id)
        exists = session.get(KbEntry, entry.id) is not None
    new = entry.model_dump(mode="json")
    if current is not None and all(current.data.get(k) == new.get(k) for k in EDITABLE):
        report.unchanged.append(entry.id)
        return
    if exists:
        service.save_draft(db, actor, entry.id, form, change_note="import", source="import")
        report.updated.append(entry.id)
    else:
        service.create_entry(db, actor, entry.topic, entry.language, form, change_note="import", source="import")
        report.created.append(entry.id)
    service.submit(db, settings, actor, entry.id)
