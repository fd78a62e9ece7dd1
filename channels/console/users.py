"""Console accounts: creating them (from `passerelle users add`) and checking a password."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels.console.auth import hash_password, needs_rehash, verify_password
from channels.console.i18n import pick_language
from channels.console.models import User
from channels.console.permissions import Permission, parse_roles, permissions_of
from passerelle.settings import Settings

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """An account that cannot be created as asked (the message says why, for the CLI)."""


def normalise_email(email: str) -> str:
    """E-mails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def add_user(session: Session, settings: Settings, email: str, password: str, roles: list[str], *,
             name: str | None = None, ui_language: str = "fr") -> User:
    """Create an active account; raises AccountError for a bad e-mail, role, password or a duplicate."""
    address = normalise_email(email)
    if not _EMAIL.match(address) or len(address) > 254:
        raise AccountError(f"not an e-mail address: {email!r}")
    try:
        checked_roles = parse_roles(roles)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    if len(password) < settings.console_password_min_chars:
        raise AccountError(f"the password needs at least {settings.console_password_min_chars} characters")
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise AccountError(f"an account already exists for {address}")
    user = User(email=address, name=(name or address.split("@")[0]).strip()[:120], roles=checked_roles,
                password_hash=hash_password(password, settings), ui_language=pick_language(ui_language), active=True)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, settings: Settings, email: str, password: str) -> User | None:
    """The active account with this e-mail and password, else None (same cost either way).

    A hash made with weaker parameters than today's settings is upgraded on the way.
    """
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if not verify_password(user.password_hash if user is not None else None, password, settings):
        return None
    assert user is not None
    if needs_rehash(user.password_hash, settings):
        user.password_hash = hash_password(password, settings)
    return user if user.active else None


def colleagues(session: Session, permission: Permission = Permission.handle_conversations) -> list[User]:
    """Active accounts allowed to handle conversations, by name (for transfers)."""
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(func.lower(User.name)))
    return [u for u in users if permission in permissions_of(u.roles or [])]


def all_users(session: Session) -> list[User]:
    """Every account, for the administrators' page."""
    return list(session.scalars(select(User).order_by(func.lower(User.email))))


def names_of(session: Session, user_ids: set[str]) -> dict[str, str]:
    """Display names of these accounts, by id (for transcripts, notes and the queue)."""
    if not user_ids:
        return {}
    return {user_id: name for user_id, name in session.execute(select(User.id, User.name)
                                                                 .where(User.id.in_(user_ids)))}
