"""`passerelle users add`: accounts from the command line, the password never echoed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from channels.console.auth import verify_password
from channels.console.models import User
from channels.db import Database
from passerelle import settings as settings_module
from passerelle.cli import app
from passerelle.settings import Settings

runner = CliRunner()
SECRET = "a long enough secret phrase"


def run(data_dir: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    settings_module.get_settings.cache_clear()
    result = runner.invoke(app, ["users", "add", *args], input=stdin, env={"PASSERELLE_DATA_DIR": str(data_dir)})
    settings_module.get_settings.cache_clear()
    return result.exit_code, result.output


def accounts(data_dir: Path) -> list[User]:
    db = Database(Settings(data_dir=data_dir).effective_database_url)
    with db.session() as session:
        return list(session.scalars(select(User)))


def test_add_with_a_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    code, out = run(tmp_path, "Mona@Example.org", "--role", "mediator", "--role", "admin", "--name", "Mona",
                    "--password-file", str(secret))
    assert code == 0 and "mona@example.org" in out and SECRET not in out
    (user,) = accounts(tmp_path)
    assert (user.email, user.name, user.roles, user.active) == ("mona@example.org", "Mona", ["mediator", "admin"], True)
    assert verify_password(user.password_hash, SECRET, Settings())


def test_add_with_a_hidden_prompt_typed_twice(tmp_path: Path) -> None:
    code, out = run(tmp_path, "sam@example.org", "--role", "mediator", stdin=f"{SECRET}\n{SECRET}\n")
    assert code == 0 and SECRET not in out and "Password" in out
    assert verify_password(accounts(tmp_path)[0].password_hash, SECRET, Settings())


def test_mistakes_are_refused_with_a_reason(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text(SECRET, encoding="utf-8")
    short = tmp_path / "short"
    short.write_text("123", encoding="utf-8")
    assert run(tmp_path, "mona@example.org", "--role", "mediator", "--password-file", str(secret))[0] == 0
    cases = [
        (("MONA@example.org", "--role", "mediator", "--password-file", str(secret)), "already exists"),
        (("eve@example.org", "--role", "wizard", "--password-file", str(secret)), "unknown role"),
        (("not-an-email", "--role", "editor", "--password-file", str(secret)), "not an e-mail"),
        (("eve@example.org", "--role", "editor", "--password-file", str(short)), "at least"),
        (("eve@example.org", "--role", "editor", "--password-file", str(tmp_path / "missing")), "not found"),
    ]
    for args, reason in cases:
        code, out = run(tmp_path, *args)
        assert code != 0 and reason in out, (args, out)
    assert len(accounts(tmp_path)) == 1
