"""What-if changes: each one turns a world into a new world, and knows its undo.

Stage: :class:`~scimpolicy.workspace.world.World` → World. A change never touches
the world it is given: SCIM changes write to a fork of the IdP's directory (O(1),
copy-on-write), everything else is a new immutable value. ``change.apply(world)``
returns the new world and the change that undoes it, computed from the world as it
was, so a scenario can be rolled back step by step.

Users are named by ``userName`` (the SAML NameID), groups by ``displayName``, rules
by name; a name that is not there is a :class:`ChangeError` naming what is.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from scimpolicy._text import stamp
from scimpolicy.errors import (
    PolicyCheckError,
    PolicySyntaxError,
    ScimPolicyError,
    Severity,
    Span,
)
from scimpolicy.policy.checker import check_policy
from scimpolicy.policy.formatter import format_policy
from scimpolicy.policy.nodes import Policy, PolicyType, Rule
from scimpolicy.policy.parser import parse_policy
from scimpolicy.policy.tenant import IdentityProvider
from scimpolicy.scim.directory import Directory
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World

__all__ = [
    "AddGroup",
    "AddRule",
    "AddToGroup",
    "AddUser",
    "AdvanceTime",
    "Change",
    "ChangeError",
    "MoveRule",
    "MoveUser",
    "PatchGroup",
    "PatchUser",
    "Reauthenticate",
    "RemoveFromGroup",
    "RemoveGroup",
    "RemoveRule",
    "RemoveUser",
    "ReplaceRule",
    "ReplaceUser",
    "RestoreGroup",
    "RestoreIdp",
    "RestoreUser",
    "SetIdp",
    "SetRuleDisabled",
    "SetSessions",
    "SetTime",
    "UsePolicy",
    "apply_changes",
    "parse_rule",
]

PATCH_OP: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class ChangeError(ScimPolicyError, ValueError):
    """A change that cannot be applied to this world (an unknown IdP, user, group or
    rule); the world is unchanged."""


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


class Change(abc.ABC):
    """One what-if change."""

    @abc.abstractmethod
    def apply(self, world: World) -> tuple[World, Change]:
        """The new world, and the change that undoes this one.

        :raises ChangeError: the change does not fit the world.
        """

    @abc.abstractmethod
    def describe(self) -> str:
        """The change in words, for reports."""


def apply_changes(
    world: World, changes: Iterable[Change]
) -> tuple[World, tuple[Change, ...]]:
    """Apply *changes* in order: the final world, and the undo changes in the order
    that rolls it back."""
    undo: list[Change] = []
    for change in changes:
        world, back = change.apply(world)
        undo.append(back)
    return world, tuple(reversed(undo))


# -- identity provider settings, sessions, time ---------------------------------------


@attrs.frozen
class RestoreIdp(Change):
    """Set every policy setting of an IdP exactly (the undo of :class:`SetIdp`)."""

    idp: str
    scim_sync: bool
    scim_attributes_for_policy: bool
    scim_attributes_enabled_at: datetime | None
    saml_attributes_for_policy: bool

    @classmethod
    def of(cls, idp: IdentityProvider) -> RestoreIdp:
        """The change restoring *idp*'s current settings."""
        return cls(
            idp.name,
            idp.scim_sync,
            idp.scim_attributes_for_policy,
            idp.scim_attributes_enabled_at,
            idp.saml_attributes_for_policy,
        )

    def apply(self, world: World) -> tuple[World, Change]:
        idp = _idp(world, self.idp)
        new = attrs.evolve(
            idp,
            scim_sync=self.scim_sync,
            scim_attributes_for_policy=self.scim_attributes_for_policy,
            scim_attributes_enabled_at=self.scim_attributes_enabled_at,
            saml_attributes_for_policy=self.saml_attributes_for_policy,
        )
        return world.with_idp(new), RestoreIdp.of(idp)

    def describe(self) -> str:
        at = self.scim_attributes_enabled_at
        return (
            f"restore IdP `{self.idp}`: SCIM Sync {_on(self.scim_sync)}, SCIM "
            f"Attributes for Policy {_on(self.scim_attributes_for_policy)}"
            + ("" if at is None else f" (enabled {stamp(at)})")
            + f", SAML Attributes for Policy {_on(self.saml_attributes_for_policy)}"
        )


def _on(value: bool) -> str:
    return "on" if value else "off"


@attrs.frozen
class SetIdp(Change):
    """Flip an IdP's settings; ``None`` leaves a setting as it is.

    Turning SCIM Attributes for Policy on records when: *at*, or the world's ``now``
    (sessions authenticated before it must re-authenticate for SCIM criteria to
    count, SPEC §5.2). Given *at* while it is already on, it is re-enabled then.
    """

    idp: str
    scim_sync: bool | None = None
    scim_attributes_for_policy: bool | None = None
    saml_attributes_for_policy: bool | None = None
    at: datetime | None = None

    def apply(self, world: World) -> tuple[World, Change]:
        idp = _idp(world, self.idp)
        enabled = (
            idp.scim_attributes_for_policy
            if self.scim_attributes_for_policy is None
            else self.scim_attributes_for_policy
        )
        enabled_at = idp.scim_attributes_enabled_at
        if self.scim_attributes_for_policy and (
            not idp.scim_attributes_for_policy or self.at is not None
        ):
            enabled_at = self.at or world.now
        new = attrs.evolve(
            idp,
            scim_sync=idp.scim_sync if self.scim_sync is None else self.scim_sync,
            scim_attributes_for_policy=enabled,
            scim_attributes_enabled_at=enabled_at,
            saml_attributes_for_policy=(
                idp.saml_attributes_for_policy
                if self.saml_attributes_for_policy is None
                else self.saml_attributes_for_policy
            ),
        )
        return world.with_idp(new), RestoreIdp.of(idp)

    def describe(self) -> str:
        parts = []
        if self.scim_sync is not None:
            parts.append(f"SCIM Sync {_on(self.scim_sync)}")
        if self.scim_attributes_for_policy is not None:
            parts.append(
                f"SCIM Attributes for Policy {_on(self.scim_attributes_for_policy)}"
            )
        if self.saml_attributes_for_policy is not None:
            parts.append(
                f"SAML Attributes for Policy {_on(self.saml_attributes_for_policy)}"
            )
        when = "" if self.at is None else f" at {stamp(self.at)}"
        return f"IdP `{self.idp}`: {', '.join(parts) or 'no setting changed'}{when}"


@attrs.frozen
class SetSessions(Change):
    """Replace the sessions seen (the undo of :class:`Reauthenticate`)."""

    sessions: tuple[Session, ...]

    def apply(self, world: World) -> tuple[World, Change]:
        if len(self.sessions) != len(world.sessions):
            raise ChangeError(
                f"{len(self.sessions)} sessions cannot replace {len(world.sessions)}: "
                "a what-if compares the same sessions before and after"
            )
        return world.evolve(sessions=self.sessions), SetSessions(world.sessions)

    def describe(self) -> str:
        return f"restore the {len(self.sessions)} sessions"


@attrs.frozen
class Reauthenticate(Change):
    """Sessions sign in again at *at* (default: the world's ``now``).

    Only sessions that authenticated before *at* change (a later sign-in already
    counts). *users* are NameIDs (ignoring case), none meaning everyone; *idp*
    limits it to one IdP's sessions.
    """

    users: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    idp: str | None = None
    at: datetime | None = None

    def apply(self, world: World) -> tuple[World, Change]:
        if self.idp is not None:
            _idp(world, self.idp)
        wanted = {user.casefold() for user in self.users}
        at = self.at or world.now
        found, sessions = set(), []
        for session in world.sessions:
            name = session.user.casefold()
            chosen = (not wanted or name in wanted) and (
                self.idp is None or session.idp == self.idp
            )
            if chosen:
                found.add(name)
            if chosen and session.authenticated_at < at:
                sessions.append(attrs.evolve(session, authenticated_at=at))
            else:
                sessions.append(session)
        missing = sorted(wanted - found)
        if missing:
            raise ChangeError(f"no session of `{missing[0]}` to re-authenticate")
        return world.evolve(sessions=tuple(sessions)), SetSessions(world.sessions)

    def describe(self) -> str:
        who = ", ".join(f"`{u}`" for u in self.users) if self.users else "everyone"
        where = "" if self.idp is None else f" of IdP `{self.idp}`"
        when = "now" if self.at is None else f"at {stamp(self.at)}"
        return f"{who}{where} re-authenticates {when}"


@attrs.frozen
class SetTime(Change):
    """Evaluate at *at* instead of the world's ``now``."""

    at: datetime

    def apply(self, world: World) -> tuple[World, Change]:
        return world.evolve(now=self.at), SetTime(world.now)

    def describe(self) -> str:
        return f"evaluate at {stamp(self.at)}"


@attrs.frozen
class AdvanceTime(Change):
    """Time moves on by *by* (sessions do not re-authenticate by themselves)."""

    by: timedelta

    def apply(self, world: World) -> tuple[World, Change]:
        return world.evolve(now=world.now + self.by), AdvanceTime(-self.by)

    def describe(self) -> str:
        return f"time moves on by {self.by}"


# -- SCIM directory -------------------------------------------------------------------


def _idp(world: World, name: str) -> IdentityProvider:
    try:
        return world.idp(name)
    except KeyError as error:
        raise ChangeError(error.args[0]) from None


def _directory(world: World, idp_name: str) -> tuple[IdentityProvider, Directory]:
    """The IdP and a fork of its directory to write to."""
    idp = _idp(world, idp_name)
    if not isinstance(idp.directory, Directory):
        raise ChangeError(
            f"IdP `{idp_name}`'s directory is not a scimpolicy Directory; SCIM "
            "changes need one"
        )
    return idp, idp.directory.fork()


def _with(world: World, idp: IdentityProvider, directory: Directory) -> World:
    return world.with_idp(attrs.evolve(idp, directory=directory))


def _user_id(directory: Directory, idp: str, user_name: str) -> str:
    user = directory.user_by_name(user_name)
    if user is None:
        raise ChangeError(f"no user `{user_name}` in IdP `{idp}`'s directory")
    return user.id


def _group_id(
    directory: Directory, idp: str, name: str, group_id: str | None = None
) -> str:
    """The id of the group called *name*; with *group_id*, that group (which must
    be there)."""
    if group_id is not None:
        if directory.group(group_id) is None:
            raise ChangeError(f"no group `{name}` in IdP `{idp}`'s directory")
        return group_id
    folded = name.casefold()
    for group in directory.groups():
        if group.display_name.casefold() == folded:
            return group.id
    raise ChangeError(f"no group `{name}` in IdP `{idp}`'s directory")


def _user_payload(directory: Directory, user_id: str) -> dict[str, Any]:
    """The user as SCIM JSON without its read-only ``groups`` (which a payload
    written back must not carry: the directory would warn that it ignores them)."""
    return directory.get_user(user_id, excluded_attributes="groups")


def _patch(operations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": [dict(op) for op in operations]}


def _operations(value: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(value)


def _payload(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


def _direct_groups(directory: Directory, member_id: str) -> tuple[str, ...]:
    """Display names of the groups that list *member_id* directly."""
    return tuple(
        group.display_name
        for group in directory.groups()
        if any(member.value == member_id for member in group.members)
    )


def _direct_group_ids(directory: Directory, member_id: str) -> tuple[str, ...]:
    """Ids of the groups that list *member_id* directly (as ``_direct_groups``)."""
    return tuple(
        group.id
        for group in directory.groups()
        if any(member.value == member_id for member in group.members)
    )


def _named(
    names: tuple[str, ...], ids: tuple[str, ...]
) -> Iterable[tuple[str, str | None]]:
    """Group names with their ids, when known (``None`` otherwise)."""
    if ids and len(ids) != len(names):
        raise ChangeError(f"{len(ids)} group ids for {len(names)} groups")
    known: tuple[str | None, ...] = ids or (None,) * len(names)
    return zip(names, known, strict=True)


@attrs.frozen
class AddUser(Change):
    """Provision a user (a SCIM User payload, as an IdP would POST it)."""

    idp: str
    payload: Mapping[str, Any] = attrs.field(converter=_payload)

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        created = directory.create_user(dict(self.payload))
        return _with(world, idp, directory), RemoveUser(self.idp, created["userName"])

    def describe(self) -> str:
        return f"IdP `{self.idp}` provisions user `{self.payload.get('userName')}`"


@attrs.frozen
class RemoveUser(Change):
    """Deprovision a user (removed from every group too)."""

    idp: str
    user: str

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        user_id = _user_id(directory, self.idp, self.user)
        payload = _user_payload(directory, user_id)
        groups = _direct_groups(directory, user_id)
        ids = _direct_group_ids(directory, user_id)
        directory.delete_user(user_id)
        back = RestoreUser(self.idp, payload, groups, group_ids=ids)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        return f"IdP `{self.idp}` deprovisions user `{self.user}`"


def _rejoin(
    directory: Directory,
    idp: str,
    member: dict[str, str],
    groups: tuple[str, ...],
    ids: tuple[str, ...],
) -> None:
    """Add *member* back to each of *groups* (by id where known: names may repeat)."""
    for name, group_id in _named(groups, ids):
        directory.patch_group(
            _group_id(directory, idp, name, group_id),
            _patch([{"op": "add", "path": "members", "value": [member]}]),
        )


@attrs.frozen
class RestoreUser(Change):
    """Put back a removed user with its id and direct group memberships.

    *group_ids*, when given, are the ids of *groups*, in order (display names may
    repeat; the undo of :class:`RemoveUser` gives them).
    """

    idp: str
    payload: Mapping[str, Any] = attrs.field(converter=_payload)
    groups: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    group_ids: tuple[str, ...] = attrs.field(
        default=(), converter=_strings, kw_only=True
    )

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        directory.import_resources(users=[dict(self.payload)])
        user_id = str(self.payload["id"])
        _rejoin(directory, self.idp, {"value": user_id}, self.groups, self.group_ids)
        user_name = str(self.payload["userName"])
        return _with(world, idp, directory), RemoveUser(self.idp, user_name)

    def describe(self) -> str:
        return f"IdP `{self.idp}` restores user `{self.payload.get('userName')}`"


@attrs.frozen
class ReplaceUser(Change):
    """Replace a user's attributes (a SCIM PUT)."""

    idp: str
    user: str
    payload: Mapping[str, Any] = attrs.field(converter=_payload)

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        user_id = _user_id(directory, self.idp, self.user)
        before = _user_payload(directory, user_id)
        after = directory.replace_user(user_id, dict(self.payload))
        back = ReplaceUser(self.idp, after["userName"], before)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        return f"IdP `{self.idp}` replaces user `{self.user}`"


@attrs.frozen
class PatchUser(Change):
    """Apply SCIM PATCH operations to a user (``{"op": ..., "path": ..., "value":
    ...}``), atomically."""

    idp: str
    user: str
    operations: tuple[Mapping[str, Any], ...] = attrs.field(converter=_operations)

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        user_id = _user_id(directory, self.idp, self.user)
        before = _user_payload(directory, user_id)
        after = directory.patch_user(user_id, _patch(self.operations))
        back = ReplaceUser(self.idp, after["userName"], before)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        ops = "; ".join(
            f"{op.get('op')} {op.get('path', '')}".strip() + _value(op)
            for op in self.operations
        )
        return f"IdP `{self.idp}` patches user `{self.user}`: {ops}"


def _value(operation: Mapping[str, Any]) -> str:
    if "value" not in operation:
        return ""
    value = operation["value"]
    return f" = {value!r}" if isinstance(value, str | bool | int) else ""


@attrs.frozen
class AddGroup(Change):
    """Provision a group (a SCIM Group payload; members by id)."""

    idp: str
    payload: Mapping[str, Any] = attrs.field(converter=_payload)

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        if "id" in self.payload:
            directory.import_resources(groups=[dict(self.payload)])
            name, group_id = str(self.payload["displayName"]), str(self.payload["id"])
        else:
            created = directory.create_group(dict(self.payload))
            name, group_id = created["displayName"], created["id"]
        back = RemoveGroup(self.idp, name, id=group_id)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        return f"IdP `{self.idp}` provisions group `{self.payload.get('displayName')}`"


@attrs.frozen
class RemoveGroup(Change):
    """Deprovision a group (and take it out of groups that nest it).

    *id*, when given, says which group of that name (display names may repeat; the
    undo of a change that adds a group gives it).
    """

    idp: str
    group: str
    id: str | None = attrs.field(default=None, kw_only=True)

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        group_id = _group_id(directory, self.idp, self.group, self.id)
        payload = directory.get_group(group_id)
        parents = _direct_groups(directory, group_id)
        ids = _direct_group_ids(directory, group_id)
        directory.delete_group(group_id)
        back = RestoreGroup(self.idp, payload, parents, parent_ids=ids)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        return f"IdP `{self.idp}` deprovisions group `{self.group}`"


@attrs.frozen
class RestoreGroup(Change):
    """Put back a removed group with its id, members and the groups nesting it.

    *parent_ids*, when given, are the ids of *parents*, in order (display names may
    repeat; the undo of :class:`RemoveGroup` gives them).
    """

    idp: str
    payload: Mapping[str, Any] = attrs.field(converter=_payload)
    parents: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    parent_ids: tuple[str, ...] = attrs.field(
        default=(), converter=_strings, kw_only=True
    )

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        directory.import_resources(groups=[dict(self.payload)])
        group_id = str(self.payload["id"])
        member = {"value": group_id, "type": "Group"}
        _rejoin(directory, self.idp, member, self.parents, self.parent_ids)
        name = str(self.payload["displayName"])
        back = RemoveGroup(self.idp, name, id=group_id)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        return f"IdP `{self.idp}` restores group `{self.payload.get('displayName')}`"


@attrs.frozen
class PatchGroup(Change):
    """Apply SCIM PATCH operations to a group, atomically."""

    idp: str
    group: str
    operations: tuple[Mapping[str, Any], ...] = attrs.field(converter=_operations)

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        group_id = _group_id(directory, self.idp, self.group)
        before = directory.get_group(group_id)
        after = directory.patch_group(group_id, _patch(self.operations))
        back = _ReplaceGroup(self.idp, after["displayName"], before)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        return f"IdP `{self.idp}` patches group `{self.group}`"


@attrs.frozen
class _ReplaceGroup(Change):
    """Replace a group's attributes and members (the undo of :class:`PatchGroup`);
    the group is the payload's ``id`` (display names may repeat)."""

    idp: str
    group: str
    payload: Mapping[str, Any] = attrs.field(converter=_payload)

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        group_id = _group_id(directory, self.idp, self.group, str(self.payload["id"]))
        before = directory.get_group(group_id)
        after = directory.replace_group(group_id, dict(self.payload))
        back = _ReplaceGroup(self.idp, after["displayName"], before)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        return f"IdP `{self.idp}` restores group `{self.group}`"


def _membership(op: str, member_id: str) -> dict[str, Any]:
    if op == "add":
        return {"op": "add", "path": "members", "value": [{"value": member_id}]}
    return {"op": "remove", "path": f'members[value eq "{member_id}"]'}


def _in_group(directory: Directory, user_id: str, group_id: str) -> bool:
    """Whether the group lists the user directly."""
    group = directory.group(group_id)
    return group is not None and any(m.value == user_id for m in group.members)


@attrs.frozen
class AddToGroup(Change):
    """Add a user to a group (the first of that name; *id*, when given, says which:
    display names may repeat, and the undo of a change gives it)."""

    idp: str
    user: str
    group: str
    id: str | None = attrs.field(default=None, kw_only=True)

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        user_id = _user_id(directory, self.idp, self.user)
        group_id = _group_id(directory, self.idp, self.group, self.id)
        if _in_group(directory, user_id, group_id):
            raise ChangeError(f"`{self.user}` is already in group `{self.group}`")
        directory.patch_group(group_id, _patch([_membership("add", user_id)]))
        back = RemoveFromGroup(self.idp, self.user, self.group, id=group_id)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        return f"IdP `{self.idp}` adds `{self.user}` to group `{self.group}`"


@attrs.frozen
class RemoveFromGroup(Change):
    """Take a user out of a group (of that name, the first the user is in; *id*,
    when given, says which: display names may repeat)."""

    idp: str
    user: str
    group: str
    id: str | None = attrs.field(default=None, kw_only=True)

    def apply(self, world: World) -> tuple[World, Change]:
        idp, directory = _directory(world, self.idp)
        user_id = _user_id(directory, self.idp, self.user)
        group_id = _group_id(directory, self.idp, self.group, self.id)
        if self.id is None:
            folded = self.group.casefold()
            group_id = next(
                (
                    group.id
                    for group in directory.groups()
                    if group.display_name.casefold() == folded
                    and _in_group(directory, user_id, group.id)
                ),
                group_id,
            )
        if not _in_group(directory, user_id, group_id):
            raise ChangeError(f"`{self.user}` is not in group `{self.group}`")
        directory.patch_group(group_id, _patch([_membership("remove", user_id)]))
        back = AddToGroup(self.idp, self.user, self.group, id=group_id)
        return _with(world, idp, directory), back

    def describe(self) -> str:
        return f"IdP `{self.idp}` removes `{self.user}` from group `{self.group}`"


@attrs.frozen
class MoveUser(Change):
    """Move a user from one group to another (a reorganisation); *from_id* and
    *to_id*, when given, say which groups of those names (the undo gives them)."""

    idp: str
    user: str
    from_group: str
    to_group: str
    from_id: str | None = attrs.field(default=None, kw_only=True)
    to_id: str | None = attrs.field(default=None, kw_only=True)

    def apply(self, world: World) -> tuple[World, Change]:
        world, added_back = RemoveFromGroup(
            self.idp, self.user, self.from_group, id=self.from_id
        ).apply(world)
        world, removed_back = AddToGroup(
            self.idp, self.user, self.to_group, id=self.to_id
        ).apply(world)
        assert isinstance(added_back, AddToGroup)  # noqa: S101  made just above
        assert isinstance(removed_back, RemoveFromGroup)  # noqa: S101
        back = MoveUser(
            self.idp,
            self.user,
            self.to_group,
            self.from_group,
            from_id=removed_back.id,
            to_id=added_back.id,
        )
        return world, back

    def describe(self) -> str:
        return (
            f"IdP `{self.idp}` moves `{self.user}` from group `{self.from_group}` to "
            f"`{self.to_group}`"
        )


# -- policy ---------------------------------------------------------------------------


def parse_rule(policy_type: PolicyType, text: str) -> Rule:
    """Parse one rule as written in a section (``rule "name": action when ...``).

    :raises PolicySyntaxError: with the position in *text*.
    """
    prefix = f"{policy_type}:\n  "
    try:
        policy = parse_policy(prefix + text.strip() + "\n")
    except PolicySyntaxError as error:
        shift = len(prefix)
        span = Span(max(0, error.span.start - shift), max(1, error.span.end - shift))
        raise PolicySyntaxError(error.message, text.strip(), span) from None
    rules = policy.rule_set(policy_type).rules
    if len(rules) != 1 or policy.rule_set(policy_type).default is not None:
        raise ChangeError(f"expected exactly one rule, got `{text.strip()}`")
    return rules[0]


def _rule(policy_type: PolicyType, rule: Rule | str) -> Rule:
    return rule if isinstance(rule, Rule) else parse_rule(policy_type, rule)


def _checked(world: World, policy: Policy) -> World:
    """The world with *policy*, checked against its tenant (errors raise)."""
    text = format_policy(policy)
    parsed = parse_policy(text)
    diagnostics = check_policy(parsed, world.tenant)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        raise PolicyCheckError(diagnostics, text, origin="<what-if policy>")
    return world.evolve(policy=parsed)


def _position(world: World, policy_type: PolicyType, name: str) -> int:
    rules = world.policy.rule_set(policy_type).rules
    for index, rule in enumerate(rules):
        if rule.name.casefold() == name.casefold():
            return index
    known = ", ".join(f"`{rule.name}`" for rule in rules) or "none"
    raise ChangeError(f"no {policy_type} rule `{name}` (rules: {known})")


def _with_rules(world: World, policy_type: PolicyType, rules: list[Rule]) -> World:
    rule_set = world.policy.rule_set(policy_type)
    policy = attrs.evolve(
        world.policy,
        **{str(policy_type): attrs.evolve(rule_set, rules=tuple(rules))},
    )
    return _checked(world, policy)


@attrs.frozen
class AddRule(Change):
    """Insert a rule (text or a parsed :class:`Rule`) at *position* (0 is first;
    default: after the last rule)."""

    policy_type: PolicyType
    rule: Rule | str
    position: int | None = None

    def apply(self, world: World) -> tuple[World, Change]:
        rule = _rule(self.policy_type, self.rule)
        rules = list(world.policy.rule_set(self.policy_type).rules)
        position = len(rules) if self.position is None else self.position
        if not 0 <= position <= len(rules):
            raise ChangeError(
                f"position #{position + 1} is outside the {len(rules)} "
                f"{self.policy_type} rules (a new rule goes at #1 to "
                f"#{len(rules) + 1})"
            )
        rules.insert(position, rule)
        back = RemoveRule(self.policy_type, rule.name)
        return _with_rules(world, self.policy_type, rules), back

    def describe(self) -> str:
        name = (
            f"`{self.rule.name}`"
            if isinstance(self.rule, Rule)
            else " ".join(self.rule.split())
        )
        where = "last" if self.position is None else f"at #{self.position + 1}"
        return f"add {self.policy_type} rule {where}: {name}"


@attrs.frozen
class RemoveRule(Change):
    """Delete a rule by name."""

    policy_type: PolicyType
    name: str

    def apply(self, world: World) -> tuple[World, Change]:
        position = _position(world, self.policy_type, self.name)
        rules = list(world.policy.rule_set(self.policy_type).rules)
        rule = rules.pop(position)
        back = AddRule(self.policy_type, rule, position)
        return _with_rules(world, self.policy_type, rules), back

    def describe(self) -> str:
        return f"remove {self.policy_type} rule `{self.name}`"


@attrs.frozen
class MoveRule(Change):
    """Move a rule to *position* (0 is first)."""

    policy_type: PolicyType
    name: str
    position: int

    def apply(self, world: World) -> tuple[World, Change]:
        old = _position(world, self.policy_type, self.name)
        rules = list(world.policy.rule_set(self.policy_type).rules)
        if not 0 <= self.position < len(rules):
            raise ChangeError(
                f"position #{self.position + 1} is outside the {len(rules)} "
                f"{self.policy_type} rules (#1 to #{len(rules)})"
            )
        rules.insert(self.position, rules.pop(old))
        back = MoveRule(self.policy_type, self.name, old)
        return _with_rules(world, self.policy_type, rules), back

    def describe(self) -> str:
        return f"move {self.policy_type} rule `{self.name}` to #{self.position + 1}"


@attrs.frozen
class ReplaceRule(Change):
    """Replace a rule (found by name) by another, in the same place."""

    policy_type: PolicyType
    name: str
    rule: Rule | str

    def apply(self, world: World) -> tuple[World, Change]:
        position = _position(world, self.policy_type, self.name)
        new = _rule(self.policy_type, self.rule)
        rules = list(world.policy.rule_set(self.policy_type).rules)
        old, rules[position] = rules[position], new
        back = ReplaceRule(self.policy_type, new.name, old)
        return _with_rules(world, self.policy_type, rules), back

    def describe(self) -> str:
        return f"edit {self.policy_type} rule `{self.name}`"


@attrs.frozen
class SetRuleDisabled(Change):
    """Disable (or enable again) a rule."""

    policy_type: PolicyType
    name: str
    disabled: bool = True

    def apply(self, world: World) -> tuple[World, Change]:
        position = _position(world, self.policy_type, self.name)
        rules = list(world.policy.rule_set(self.policy_type).rules)
        old = rules[position]
        rules[position] = attrs.evolve(old, disabled=self.disabled)
        back = SetRuleDisabled(self.policy_type, old.name, old.disabled)
        return _with_rules(world, self.policy_type, rules), back

    def describe(self) -> str:
        verb = "disable" if self.disabled else "enable"
        return f"{verb} {self.policy_type} rule `{self.name}`"


@attrs.frozen
class UsePolicy(Change):
    """Replace the whole policy (another file, another version)."""

    policy: Policy
    label: str = "another policy"

    def apply(self, world: World) -> tuple[World, Change]:
        return _checked(world, self.policy), UsePolicy(world.policy, "the policy")

    def describe(self) -> str:
        return f"use {self.label}"
