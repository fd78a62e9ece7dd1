"""The `passerelle` command: knowledge base, triage, evaluation and administration.

Output contracts (JSON shapes, exit codes) are documented in the README and relied upon by
operators and by the evaluation harness; keep them stable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from channels.console.cli import users_app
from evaluation.cli import eval_app
from passerelle.settings import get_settings
from passerelle.triage.cli import triage_command

# Tracebacks never show local variables: they may hold a citizen's message.
app = typer.Typer(help="Passerelle Santé command line.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
kb_app = typer.Typer(help="Knowledge base: search, build, validate, import, export.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.command("triage")(triage_command)
app.add_typer(eval_app, name="eval")
app.add_typer(users_app, name="users")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _batch_texts(path: Path) -> Iterator[str]:
    """The `text` field of each JSON line of `path`; a bad line is an error that names it."""
    if not path.exists():
        _fail(f"{path}: file not found")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            _fail(f"{path}:{number}: not JSON ({exc.msg})")
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            _fail(f"{path}:{number}: each line needs a string field 'text'")
        yield record["text"]


def _inputs(text: str | None, batch: Path | None) -> tuple[list[str], bool]:
    if (text is None) == (batch is None):
        _fail("give either a TEXT or --batch FILE")
    if batch is not None:
        return list(_batch_texts(batch)), True
    return [text or ""], False


def _emit(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


@kb_app.command("search")
def kb_search(
    text: Annotated[str | None, typer.Argument(help="The message to search for.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON (the only format).")] = False,
    kb: Annotated[Path | None, typer.Option("--kb", help="Another knowledge-base directory.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Force the language.")] = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50)] = 3,
    batch: Annotated[Path | None, typer.Option("--batch", help="JSON Lines with a text field.")] = None,
) -> None:
    """Search the knowledge base; one JSON object per message."""
    from knowledge_base.build import ensure_index
    from knowledge_base.search import Searcher
    from passerelle.language import detect_language

    settings = get_settings()
    texts, _ = _inputs(text, batch)
    content_dir = kb or settings.content_dir
    if not content_dir.is_dir():
        _fail(f"{content_dir}: not a knowledge-base directory")
    report = ensure_index(content_dir, settings, progress=False)
    if report.entries == 0:
        _fail(f"{content_dir}: no published entry to search")
    searcher = Searcher(settings, index_root=report.index_root)
    out = []
    for message in texts:
        language = lang or detect_language(message, default=settings.default_language).language
        result = searcher.search(message, language=language, top_k=top_k)
        out.append({
            "text": message,
            "language": language,
            "answerable": result.answerable,
            "results": [{"id": h.id, "topic": h.topic, "score": h.score, "title": h.title}
                        for h in result.hits],
        })
    _emit(out)


@kb_app.command("build")
def kb_build(
    kb: Annotated[Path | None, typer.Option("--kb", help="Another knowledge-base directory.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if nothing changed.")] = False,
) -> None:
    """Build the search index (only when the content changed, unless --force)."""
    from knowledge_base.build import ensure_index

    settings = get_settings()
    content_dir = kb or settings.content_dir
    if not content_dir.is_dir():
        _fail(f"{content_dir}: not a knowledge-base directory")
    report = ensure_index(content_dir, settings, force=force)
    for problem in report.problems:
        typer.echo(f"skipped: {problem}", err=True)
    state = "built" if report.rebuilt else "up to date"
    typer.echo(f"index {state}: {report.entries} entries, {report.index_root}")


@kb_app.command("validate")
def kb_validate(
    kb: Annotated[Path | None, typer.Option("--kb", help="Another knowledge-base directory.")] = None,
) -> None:
    """Check every content rule; one line per problem, non-zero exit if any."""
    from knowledge_base.content_rules import check_corpus, check_entry, load_topics
    from knowledge_base.loader import entry_files, load_entries

    settings = get_settings()
    content_dir = kb or settings.content_dir
    entries, problems = load_entries(content_dir)
    topics = load_topics(settings.topics_file)
    paths = {}
    by_id = {e.id: e for e in entries}
    from knowledge_base.loader import parse_entry

    for path in entry_files(content_dir):
        entry, _ = parse_entry(path)
        if entry is not None and entry.id in by_id and entry.id not in paths:
            paths[entry.id] = str(path)
    for entry in entries:
        problems.extend(check_entry(entry, paths.get(entry.id, entry.id), settings, topics))
    problems.extend(check_corpus(entries, paths, topics))
    for problem in problems:
        typer.echo(str(problem))
    typer.echo(f"{len(entries)} entries checked, {len(problems)} problems", err=True)
    raise typer.Exit(1 if problems else 0)


@kb_app.command("import")
def kb_import(
    source: Annotated[Path, typer.Argument(help="JSON Lines: id, language, title, answer, ...")],
    out: Annotated[Path, typer.Option("--out", help="The knowledge-base directory to write.")],
) -> None:
    """Turn a JSON Lines FAQ into a knowledge-base directory (published, not vetted)."""
    from knowledge_base.importer import import_jsonl

    if not source.exists():
        _fail(f"{source}: file not found")
    report = import_jsonl(source, out)
    for reason in report.rejected:
        typer.echo(f"rejected: {reason}", err=True)
    typer.echo(f"imported {report.written} entries into {out} ({len(report.rejected)} rejected)")
    if report.written == 0:
        raise typer.Exit(1)


@kb_app.command("export")
def kb_export(
    out: Annotated[Path, typer.Option("--out", help="Folder for <language>/<topic>.yaml files.")],
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Also write every entry as one CSV file.")] = None,
) -> None:
    """Write the editors' published versions (the console's database) back to YAML files, and CSV."""
    from channels.db import Database
    from channels.editor.service import published_entries, seed_from_files
    from channels.editor.transfer import export_csv, write_files

    settings = get_settings()
    db = Database(settings.effective_database_url)
    db.upgrade()
    seed_from_files(db, settings)
    with db.session() as session:
        entries = published_entries(session)
    written = write_files(entries, out)
    if csv_file is not None:
        csv_file.write_text(export_csv(entries), encoding="utf-8")
    typer.echo(f"exported {written} published entries to {out}" + (f" and {csv_file}" if csv_file else ""))


@app.command("run")
def run_command() -> None:
    """Prepare (index, Rasa model) if needed and run everything on 127.0.0.1 until Ctrl-C."""
    from passerelle.stack import run

    raise typer.Exit(run(get_settings()))


@app.command("train")
def train_command() -> None:
    """Build the index, the triage models and the Rasa model if their inputs changed."""
    from knowledge_base.build import ensure_index
    from passerelle.stack import prepare_triage, train_if_needed

    settings = get_settings()
    ensure_index(settings.content_dir, settings)
    prepare_triage(settings, log=typer.echo)
    train_if_needed(settings, log=typer.echo)


privacy_app = typer.Typer(help="A person's data: export, erase; retention purge.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


def _privacy_service() -> Any:
    from channels.db import Database
    from channels.privacy import PrivacyService, TrackerStore

    settings = get_settings()
    db = Database(settings.effective_database_url)
    db.upgrade()
    return PrivacyService(settings, db, TrackerStore(settings.effective_tracker_url))


@privacy_app.command("export")
def privacy_export(
    phone: Annotated[str, typer.Argument(help="The person's number, e.g. +33612345678.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here instead of stdout.")] = None,
) -> None:
    """Everything stored about a person (GDPR access request), as JSON."""
    document = json.dumps(_privacy_service().export(phone), ensure_ascii=False, indent=2)
    if out is None:
        sys.stdout.write(document + "\n")
    else:
        out.write_text(document, encoding="utf-8")
        typer.echo(f"written to {out}", err=True)


@privacy_app.command("erase")
def privacy_erase(
    phone: Annotated[str, typer.Argument(help="The person's number, e.g. +33612345678.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a person's conversations, messages, notes and assistant history (GDPR erasure)."""
    if not yes:
        typer.confirm("Erase everything stored about this number? This cannot be undone", abort=True)
    report = _privacy_service().erase(phone)
    typer.echo(f"erased {report.conversations} conversations, {report.messages} messages, "
               f"{report.tracker_events} assistant events")


@privacy_app.command("purge")
def privacy_purge(
    days: Annotated[int | None, typer.Option("--days", min=1, help="Default: the retention setting.")] = None,
) -> None:
    """Retention: delete conversations idle for longer than the retention period (run daily)."""
    period = days or get_settings().retention_days
    report = _privacy_service().purge_older_than(period)
    typer.echo(f"purged {report.conversations} conversations idle for more than {period} days")


db_app = typer.Typer(help="The web app's database schema (alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the latest schema revision (the web app also does it at start)."""
    from channels import schema
    from channels.db import Database

    db = Database(get_settings().effective_database_url)
    db.upgrade()
    typer.echo(f"database at revision {schema.current(db.engine)}")


@db_app.command("current")
def db_current() -> None:
    """The database's schema revision and the latest one; exit 1 if it is behind."""
    from channels import schema
    from channels.db import Database

    at, latest = schema.current(Database(get_settings().effective_database_url).engine), schema.head()
    typer.echo(f"database at revision {at or 'none (not migrated)'}; latest {latest}")
    if at != latest:
        raise typer.Exit(1)


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the change is, in a few words.")],
) -> None:
    """Write a new revision from what the models changed (developers; read it before committing)."""
    from channels import schema

    path = schema.new_revision(message)
    typer.echo(f"written {path}")


def main() -> None:
    """Console-script entry point."""
    app()
