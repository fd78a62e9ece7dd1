"""`passerelle users add`: an administrator creates console accounts from the command line.

The password comes from a hidden prompt (typed twice) or from a file (for scripts), never from
an argument, which would land in the shell history and the process list, and is never echoed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from channels.console.permissions import Role
from channels.console.users import AccountError, add_user
from channels.db import Database
from passerelle.settings import get_settings

users_app = typer.Typer(help="Console accounts (mediators, editors, reviewers, administrators).",
                        no_args_is_help=True)


def _read_password(password_file: Path | None) -> str:
    if password_file is None:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    if not password_file.is_file():
        typer.echo(f"error: {password_file}: file not found", err=True)
        raise typer.Exit(2)
    lines = password_file.read_text(encoding="utf-8").splitlines()
    return lines[0] if lines else ""


@users_app.command("add")
def add_command(
    email: Annotated[str, typer.Argument(help="The person's e-mail address (their sign-in name).")],
    role: Annotated[list[str], typer.Option("--role", help=f"Repeatable: {', '.join(Role)}.")],
    name: Annotated[str | None, typer.Option("--name", help="Name shown to colleagues.")] = None,
    password_file: Annotated[Path | None, typer.Option(
        "--password-file", help="Read the password from the first line of this file instead of a prompt.")] = None,
    language: Annotated[str, typer.Option("--language", help="Interface language: fr or en.")] = "fr",
) -> None:
    """Create an account; the password is asked for without echo unless --password-file is given."""
    settings = get_settings()
    password = _read_password(password_file)
    db = Database(settings.effective_database_url)
    db.upgrade()
    try:
        with db.session() as session:
            user = add_user(session, settings, email, password, role, name=name, ui_language=language)
            summary = f"added {user.email} ({', '.join(user.roles)}), id {user.id}"
    except AccountError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(summary)
