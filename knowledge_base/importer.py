"""Turning a JSON Lines FAQ into a knowledge-base directory (`passerelle kb import`).

Imported entries are published so they can be searched and evaluated at once, but marked
`vetted: false`: the strict `kb validate` flags them until an editor reviews them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge_base.schema import Entry, Status


@dataclass
class ImportReport:
    """How many lines became entries, and why the others did not."""

    written: int
    rejected: list[str]


def entry_from_record(record: dict[str, object]) -> Entry:
    """Map one import record onto an entry (answer used for both SMS and long forms)."""
    answer = record.get("answer")
    data = {
        "id": record.get("id"),
        "topic": record.get("topic") or record.get("id"),
        "kind": record.get("kind") or "service",
        "language": record.get("language"),
        "title": record.get("title"),
        "questions": record.get("questions") or [],
        "answer_sms": answer,
        "answer_long": answer,
        "sources": record.get("sources") or [],
        "status": Status.published,
        "vetted": False,
    }
    if data["kind"] == "myth":
        data["verdict"] = record.get("verdict") or "false"
        data["claims"] = record.get("claims") or []
    return Entry.model_validate(data)


def import_jsonl(source: Path, out_dir: Path) -> ImportReport:
    """Write one YAML file per valid line of `source` into `out_dir/<language>/<id>.yaml`."""
    written, rejected, seen = 0, [], set()
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a line must be a JSON object")
            entry = entry_from_record(record)
        except json.JSONDecodeError as exc:
            rejected.append(f"line {number}: not JSON ({exc.msg})")
            continue
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            rejected.append(f"line {number}: {fields}")
            continue
        except ValueError as exc:
            rejected.append(f"line {number}: {exc}")
            continue
        if entry.id in seen:
            rejected.append(f"line {number}: duplicate id {entry.id!r}")
            continue
        seen.add(entry.id)
        target = out_dir / entry.language / f"{entry.id}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(entry.model_dump(mode="json", exclude_defaults=True),
                                         allow_unicode=True, sort_keys=False), encoding="utf-8")
        written += 1
    return ImportReport(written, rejected)
