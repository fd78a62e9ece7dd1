"""Roles and what they allow, shared by every console (mediator today, content tomorrow).

Routes ask for a permission, never for a role, so a new console or a new role only edits the
table below.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    """What a person does in the organisation; one account may hold several."""

    mediator = "mediator"
    editor = "editor"
    reviewer = "reviewer"
    admin = "admin"


class Permission(StrEnum):
    """One thing a route may require."""

    handle_conversations = "handle_conversations"
    supervise_conversations = "supervise_conversations"  # act on a conversation a colleague holds
    edit_content = "edit_content"
    review_content = "review_content"
    manage_users = "manage_users"
    read_audit = "read_audit"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.mediator: frozenset({Permission.handle_conversations}),
    Role.editor: frozenset({Permission.edit_content}),
    # A reviewer checks what editors wrote, so they may also correct it.
    Role.reviewer: frozenset({Permission.review_content, Permission.edit_content}),
    Role.admin: frozenset(Permission),
}


def permissions_of(roles: Iterable[str]) -> frozenset[Permission]:
    """Everything the given roles allow together; unknown role names allow nothing."""
    allowed: set[Permission] = set()
    for name in roles:
        if name in Role.__members__:
            allowed |= ROLE_PERMISSIONS[Role(name)]
    return frozenset(allowed)


def parse_roles(names: Iterable[str]) -> list[str]:
    """Validated, de-duplicated role names in a stable order; raises ValueError on an unknown one."""
    roles: list[str] = []
    for name in names:
        role = name.strip().lower()
        if role not in Role.__members__:
            raise ValueError(f"unknown role {name!r}; known: {', '.join(Role)}")
        if role not in roles:
            roles.append(role)
    if not roles:
        raise ValueError("at least one role is needed")
    return roles
