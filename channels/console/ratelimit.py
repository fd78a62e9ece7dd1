"""Slowing down password guessing: a few failed sign-ins per account and per address per window.

Failures are rows in the database, so the limit holds across processes and restarts; keys are
keyed hashes, so the table names neither the e-mail nor the address.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from channels.console.auth import keyed_hash
from channels.console.models import LoginFailure
from channels.models import utcnow
from passerelle.settings import Settings


def _keys(settings: Settings, email: str, address: str) -> tuple[str, str]:
    return (f"email:{keyed_hash(settings, email.strip().lower())}"[:80],
            f"ip:{keyed_hash(settings, address)}"[:80])


def _recent(session: Session, key: str, since: dt.datetime) -> int:
    return session.scalar(select(func.count()).select_from(LoginFailure)
                          .where(LoginFailure.key == key, LoginFailure.at >= since)) or 0


def is_blocked(session: Session, settings: Settings, email: str, address: str) -> bool:
    """Whether this account or this address failed too often within the window."""
    since = utcnow() - dt.timedelta(minutes=settings.console_login_window_minutes)
    email_key, address_key = _keys(settings, email, address)
    return (_recent(session, email_key, since) >= settings.console_login_max_failures
            or _recent(session, address_key, since) >= settings.console_login_max_failures_per_ip)


def record_failure(session: Session, settings: Settings, email: str, address: str) -> None:
    """Count one failed sign-in against the account and the address; forget expired ones."""
    now = utcnow()
    session.execute(delete(LoginFailure).where(
        LoginFailure.at < now - dt.timedelta(minutes=settings.console_login_window_minutes)))
    for key in _keys(settings, email, address):
        session.add(LoginFailure(key=key, at=now))


def clear_account_failures(session: Session, settings: Settings, email: str) -> None:
    """A successful sign-in forgives the account's earlier mistakes (not the address's)."""
    email_key, _ = _keys(settings, email, "")
    session.execute(delete(LoginFailure).where(LoginFailure.key == email_key))
