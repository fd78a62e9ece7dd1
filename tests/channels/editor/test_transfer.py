"""Import (CSV, YAML, zip) with a row-by-row report, and export back to the project's files."""

from __future__ import annotations

import csv
import io
import zipfile

import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from channels.db import Database
from channels.editor import service
from channels.editor.transfer import export_csv, export_zip, import_records, read_upload
from passerelle import settings as settings_module
from passerelle.cli import app
from passerelle.settings import Settings
from tests.channels.editor.conftest import ENTRY


def published(db: Database) -> list:
    with db.session() as session:
        return service.published_entries(session)


def test_export_writes_the_files_layout_and_reimporting_it_changes_nothing(db: Database, editor_settings: Settings,
                                                                            people) -> None:
    service.seed_from_files(db, editor_settings)
    archive = zipfile.ZipFile(io.BytesIO(export_zip(published(db))))
    assert sorted(archive.namelist())[0] == "en/ameli-creer-compte.yaml"
    shipped = yaml.safe_load((editor_settings.content_dir / "fr" / "carte-vitale-perdue.yaml").read_text())
    assert yaml.safe_load(archive.read("fr/carte-vitale-perdue.yaml")) == shipped

    report = import_records(db, editor_settings, people["eve"], read_upload("kb.zip", export_zip(published(db))))
    assert (len(report.unchanged), report.created, report.updated, report.rejected) == (6, [], [], [])
    report = import_records(db, editor_settings, people["eve"], read_upload("kb.csv", export_csv(published(db))
                                                                            .encode()))
    assert len(report.unchanged) == 6 and report.rejected == []


def test_csv_import_sends_good_rows_to_review_and_explains_each_rejection(db: Database, editor_settings: Settings,
                                                                          people) -> None:
    service.seed_from_files(db, editor_settings)
    rows = list(csv.DictReader(io.StringIO(export_csv(published(db)))))
    changed = next(r for r in rows if r["id"] == ENTRY)
    changed["answer_sms"] = "Perdue ou volée ? Appelez le 36 46. Commandez une nouvelle carte sur ameli."
    bad_source = dict(changed, id="", topic="carte-vitale-obtenir", language="es",
                      sources="https://www.doctissimo.fr/carte")
    no_answer = dict(changed, id="", topic="ame", language="en", answer_sms="", answer_long="")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows([changed, bad_source, no_answer])
    report = import_records(db, editor_settings, people["eve"], read_upload("edits.csv", out.getvalue().encode()))
    assert report.updated == [ENTRY] and report.created == []
    assert {(p.path, p.field) for p in report.rejected} >= {("row 3", "sources"), ("row 4", "answer_sms")}
    assert "not an https page on an allowed domain" in next(p.message for p in report.rejected if p.path == "row 3")
    with db.session() as session:
        latest = service.open_version(session, ENTRY)
        assert latest is not None and latest.status == "in_review" and latest.source == "import"


def test_unreadable_files_are_refused_whole(client: TestClient, people, as_person) -> None:
    eve, token = as_person("eve@example.org")
    refused = eve.post("/console/content/import", data={"csrf_token": token},
                       files={"upload": ("notes.txt", b"hello", "text/plain")})
    assert refused.status_code == 422 and "Le fichier ne peut pas être lu" in refused.text
    missing = eve.post("/console/content/import", data={"csrf_token": token},
                       files={"upload": ("kb.csv", b"id,title\nx,y\n", "text/csv")})
    assert missing.status_code == 422 and "missing columns: answer_sms, language" in missing.text
    yaml_list = yaml.safe_dump([{"topic": "ame", "language": "fr", "title": "AME"}, "junk"]).encode()
    report = eve.post("/console/content/import", data={"csrf_token": token},
                      files={"upload": ("two.yaml", yaml_list, "application/yaml")})
    assert report.status_code == 200
    assert "two.yaml #1" in report.text and "two.yaml #2" in report.text and "lignes refusées : 2" in report.text


def test_the_export_command_writes_the_published_versions_back_to_files(tmp_path, small_kb, people, db: Database,
                                                                        editor_settings: Settings) -> None:
    service.seed_from_files(db, editor_settings)
    service.save_draft(db, people["eve"], ENTRY, {"title": "Carte Vitale perdue ou volée"})
    service.submit(db, editor_settings, people["eve"], ENTRY)
    service.publish(db, editor_settings, people["rita"], ENTRY)
    settings_module.get_settings.cache_clear()
    command = ["kb", "export", "--out", str(tmp_path / "out"), "--csv", str(tmp_path / "kb.csv")]
    result = CliRunner().invoke(app, command, env={"PASSERELLE_DATA_DIR": str(editor_settings.data_dir),
                                                  "PASSERELLE_CONTENT_DIR": str(small_kb)})
    settings_module.get_settings.cache_clear()
    assert result.exit_code == 0 and "exported 6 published entries" in result.stdout
    written = yaml.safe_load((tmp_path / "out" / "fr" / "carte-vitale-perdue.yaml").read_text(encoding="utf-8"))
    assert (written["title"], written["version"], written["reviewed_by"]) == ("Carte Vitale perdue ou volée", 2, "Rita")
    assert len(list(csv.DictReader(io.StringIO((tmp_path / "kb.csv").read_text(encoding="utf-8"))))) == 6
