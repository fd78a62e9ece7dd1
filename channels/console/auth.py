"""Signing in: argon2 password hashes, server-side sessions, CSRF tokens.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a
leaked database does not let anyone in, and signing out or deactivating an account ends it at
once. Every form of a signed-in page carries the session's CSRF token; the sign-in form, which
has no session yet, carries a token signed with the console key and matched to a cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from channels.console.models import User, UserSession
from channels.console.permissions import Permission, permissions_of
from channels.models import utcnow
from passerelle.secrets import local_secret
from passerelle.settings import Settings

SESSION_COOKIE = "passerelle_session"
LOGIN_CSRF_COOKIE = "passerelle_login_csrf"
LOGIN_FORM_MAX_AGE_S = 3600

def _hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(time_cost=settings.console_password_time_cost,
                          memory_cost=settings.console_password_memory_kib)


def hash_password(password: str, settings: Settings) -> str:
    """An argon2id hash with its salt and parameters (verifying reads them from the hash)."""
    return _hasher(settings).hash(password)


@cache
def _unknown_account_hash(time_cost: int, memory_kib: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib).hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str, settings: Settings) -> bool:
    """Whether `password` matches; an unknown account costs the same time as a wrong password."""
    hasher = _hasher(settings)
    dummy = _unknown_account_hash(settings.console_password_time_cost, settings.console_password_memory_kib)
    try:
        matches = hasher.verify(password_hash or dummy, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return matches and password_hash is not None


def needs_rehash(password_hash: str, settings: Settings) -> bool:
    """Whether a stored hash was made with weaker parameters than the current settings."""
    return _hasher(settings).check_needs_rehash(password_hash)


def console_secret(settings: Settings) -> str:
    """The key that signs sign-in form tokens and hashes rate-limit keys."""
    return settings.console_secret_key or local_secret(settings, "console_secret_key")


def keyed_hash(settings: Settings, value: str) -> str:
    """HMAC of an e-mail or an address, so failed sign-ins are counted without storing either."""
    return hmac.new(console_secret(settings).encode(), value.encode(), hashlib.sha256).hexdigest()


# -- sign-in form --------------------------------------------------------------------------


def _login_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(console_secret(settings), salt="console-login-form")


def new_login_form_token(settings: Settings) -> tuple[str, str]:
    """(cookie value, form field value) for a fresh sign-in form."""
    nonce = secrets.token_urlsafe(24)
    return nonce, _login_serializer(settings).dumps(nonce)


def login_form_token_valid(settings: Settings, cookie_value: str | None, form_value: str | None) -> bool:
    """The form token is ours, recent, and belongs to this browser's cookie."""
    if not cookie_value or not form_value:
        return False
    try:
        nonce = _login_serializer(settings).loads(form_value, max_age=LOGIN_FORM_MAX_AGE_S)
    except BadSignature:
        return False
    return isinstance(nonce, str) and hmac.compare_digest(nonce, cookie_value)


# -- sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    """The person behind a request, as the routes and the service need them."""

    user_id: str
    email: str
    name: str
    roles: tuple[str, ...]
    csrf_token: str
    ui_language: str

    @property
    def permissions(self) -> frozenset[Permission]:
        """What this person's roles allow."""
        return permissions_of(self.roles)

    def can(self, permission: Permission) -> bool:
        """Whether this person may do `permission`."""
        return permission in self.permissions


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, settings: Settings) -> str:
    """Start a session for `user`; returns the cookie token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(id=_token_id(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                            created_at=now, expires_at=now + dt.timedelta(hours=settings.console_session_hours)))
    user.last_login_at = now
    return token


def signed_in(session: Session, token: str | None) -> SignedIn | None:
    """The person a cookie token stands for, if the session is live and the account active."""
    if not token:
        return None
    row = session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                          .where(UserSession.id == _token_id(token))).first()
    if row is None:
        return None
    user_session, user = row
    expires = user_session.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes
        expires = expires.replace(tzinfo=dt.UTC)
    if not user.active or expires <= utcnow():
        return None
    return SignedIn(user_id=user.id, email=user.email, name=user.name, roles=tuple(user.roles or ()),
                    csrf_token=user_session.csrf_token, ui_language=user.ui_language)


def close_session(session: Session, token: str | None) -> None:
    """End the session of this cookie token (signing out)."""
    if token:
        session.execute(delete(UserSession).where(UserSession.id == _token_id(token)))


def csrf_valid(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a form's CSRF token with the session's."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
