"""Helpers shared by the SCIM tests: payload builders, a fixed clock, full dumps."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from scimpolicy import Directory

CORE_USER: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def ticking_clock(start: datetime | None = None) -> Callable[[], datetime]:
    """A clock that advances one second per reading, from 2026-11-23T09:00Z."""
    base = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: base + timedelta(seconds=next(ticks))


def counting_ids(prefix: str = "id") -> Callable[[], str]:
    """Readable, predictable ids: id-1, id-2, ..."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


def new_directory(**options: Any) -> Directory:
    """A directory with a ticking clock and readable ids."""
    options.setdefault("clock", ticking_clock())
    options.setdefault("id_factory", counting_ids())
    return Directory(**options)


def user(user_name: str, **attributes: Any) -> dict[str, Any]:
    """A User payload; ``department=...`` and friends go to the Enterprise extension."""
    enterprise_keys = {
        "department",
        "costCenter",
        "division",
        "organization",
        "employeeNumber",
        "manager",
    }
    payload: dict[str, Any] = {"schemas": [CORE_USER], "userName": user_name}
    extension = {k: v for k, v in attributes.items() if k in enterprise_keys}
    payload.update({k: v for k, v in attributes.items() if k not in enterprise_keys})
    if extension:
        payload["schemas"] = [CORE_USER, ENTERPRISE]
        payload[ENTERPRISE] = extension
    return payload


def group(display_name: str, *member_ids: str) -> dict[str, Any]:
    """A Group payload with the given members."""
    return {
        "schemas": [CORE_GROUP],
        "displayName": display_name,
        "members": [{"value": member} for member in member_ids],
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp request body."""
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def dump(directory: Directory) -> dict[str, Any]:
    """Everything a directory holds, data and indexes, for exact before/after checks."""
    state = directory._state
    return {
        "users": {uid: directory.get_user(uid) for uid in sorted(state.users)},
        "groups": {gid: directory.get_group(gid) for gid in sorted(state.groups)},
        "user_names": dict(state.user_names),
        "external_ids": dict(state.external_ids),
        "memberships": dict(state.memberships),
    }


def check_indexes(directory: Directory) -> None:
    """Assert that every index agrees with the data it is derived from."""
    state = directory._state
    assert state.user_names == {
        u.user_name.casefold(): u.id for u in state.users.values()
    }
    external: dict[tuple[str, str], set[str]] = {}
    for u in state.users.values():
        if u.external_id is not None:
            external.setdefault(("User", u.external_id), set()).add(u.id)
    for g in state.groups.values():
        if g.external_id is not None:
            external.setdefault(("Group", g.external_id), set()).add(g.id)
    assert {k: set(v) for k, v in state.external_ids.items()} == external
    memberships: dict[str, set[str]] = {}
    for g in state.groups.values():
        for member in g.members:
            assert member.value in state.users or member.value in state.groups
            memberships.setdefault(member.value, set()).add(g.id)
    assert {k: set(v) for k, v in state.memberships.items()} == memberships


def make(directory: Directory, **attributes: Any) -> str:
    """Create the user `bjensen@example.com` with *attributes*; return its id."""
    created = directory.create_user(user("bjensen@example.com", **attributes))
    return str(created["id"])


def apply(
    directory: Directory, user_id: str, *operations: dict[str, Any]
) -> dict[str, Any]:
    """PATCH a user with *operations*; return the user."""
    return directory.patch_user(user_id, patch(*operations))
