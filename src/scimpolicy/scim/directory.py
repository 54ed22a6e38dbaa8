"""The in-memory SCIM directory: users, groups, indexes, search, PATCH, forks.

Stage: the store. SCIM JSON payloads come in (``serde.normalize`` checks them), frozen
models are kept, SCIM JSON goes out (``serde.to_json`` + ``projection``).

Invariants, kept under one lock by every write:

- ``userName`` is unique ignoring case (RFC 7643 §4.1.1); the name is freed on delete
  and rename. ``id``, ``userName`` and ``externalId`` lookups are dict lookups, and a
  filter ``eq`` on them (alone, or in an ``and``/``or``) reads the index, not every
  user.
- The membership index (member id → ids of the groups listing it directly) always
  agrees with the groups' ``members``; deleting a user or group removes it from every
  group (no dangling references, SPEC §3).
- Every write is all-or-nothing: the new state is computed and checked first, then
  committed; a failing write leaves the directory exactly as it was.
- :meth:`Directory.fork` is O(1): parent and fork share the (immutable) models and the
  index dicts until one of them writes, which then copies the dicts (copy-on-write).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from scimpolicy.errors import (
    InvalidValueError,
    LoadError,
    NoTargetError,
    PreconditionFailedError,
    ResourceNotFoundError,
    ScimError,
    UniquenessError,
)
from scimpolicy.scim.models import Group, Member, Meta, User
from scimpolicy.scim.patch import (
    MemberChange,
    apply_patch,
    member_changes,
    parse_patch,
)
from scimpolicy.scim.projection import make_projection
from scimpolicy.scim.query import Query, make_query
from scimpolicy.scim.schema import GROUP, USER, ResourceType
from scimpolicy.scim.serde import (
    CanonicalDoc,
    format_datetime,
    normalize,
    structure_group,
    structure_user,
    to_canonical,
    to_json,
)
from scimpolicy.scim.state import Changes, State

__all__ = [
    "Changes",
    "Directory",
    "GroupRef",
    "IgnoredAttributeWarning",
    "to_record",
]


class IgnoredAttributeWarning(UserWarning):
    """A payload carried a read-only attribute that was ignored (a User's groups)."""


@attrs.frozen
class GroupRef:
    """One value of a User's read-only ``groups`` attribute (RFC 7643 §4.1.2)."""

    value: str
    display: str
    type: str  # "direct" or "indirect"
    ref: str | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _random_uuid() -> str:
    """A random (version 4) UUID string; a third of the cost of ``str(uuid4())``."""
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]
    return (
        f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-"
        f"{variant}{digits[17:20]}-{digits[20:]}"
    )


class Directory:
    """An in-memory SCIM 2.0 directory of users and groups (RFC 7643, RFC 7644).

    The methods take and return SCIM JSON dicts as identity providers send them.
    Typed reads for policy evaluation: :meth:`user_by_name`, :meth:`groups_of`,
    :meth:`group_names_of`, :meth:`users`, :meth:`groups`.

    :param clock: returns the current time (UTC) for ``meta``; inject one in tests.
    :param base_url: the service's base URL; when set, ``meta.location`` is filled.
    :param ignore_unknown_extensions: drop attributes of unknown extension schemas
        instead of rejecting the payload with ``invalidSyntax``.
    :param id_factory: makes new resource ids (default: random UUIDs).
    :param keep_passwords: keep the ``password`` a User payload carries. Off, it is
        dropped on every write (the SCIM server's choice: ZPA authenticates with SAML
        and never uses SCIM passwords, so none is kept in memory or on disk).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _utc_now,
        base_url: str | None = None,
        ignore_unknown_extensions: bool = False,
        id_factory: Callable[[], str] | None = None,
        keep_passwords: bool = True,
    ) -> None:
        self._clock = clock
        self._keep_passwords = keep_passwords
        self._base_url = base_url.rstrip("/") if base_url else None
        self._ignore_unknown = ignore_unknown_extensions
        self._new_id = id_factory or _random_uuid
        self._lock = threading.RLock()
        self._state = State()
        self._owned = True
        self._recording: Changes | None = None  # this directory's transaction

    # -- forks -------------------------------------------------------------------------

    def fork(self) -> Directory:
        """Return an independent copy in O(1); writes to either never reach the other.

        The two share their data until one writes (copy-on-write), so forking a large
        directory for a what-if question is cheap.
        """
        with self._lock:
            other = Directory.__new__(Directory)
            other._clock = self._clock  # noqa: SLF001  same class
            other._base_url = self._base_url  # noqa: SLF001
            other._ignore_unknown = self._ignore_unknown  # noqa: SLF001
            other._new_id = self._new_id  # noqa: SLF001
            other._keep_passwords = self._keep_passwords  # noqa: SLF001
            other._lock = threading.RLock()  # noqa: SLF001
            other._state = self._state  # noqa: SLF001
            other._owned = False  # noqa: SLF001
            other._recording = None  # noqa: SLF001  a transaction stays with its directory
            self._owned = False
            return other

    def _writable(self) -> State:
        """The state to write to, copied first if it is shared with a fork."""
        if not self._owned:
            shared = self._state
            self._state = shared.copy()
            # This directory's transaction under way goes on recording in the copy, not
            # in the state the fork keeps; a fork that writes records nothing of it.
            if self._recording is not None and shared.changes is self._recording:
                self._state.changes, shared.changes = shared.changes, None
            self._owned = True
        return self._state

    def _next_meta(
        self,
        resource_type: ResourceType,
        resource_id: str,
        previous: Meta | None = None,
    ) -> Meta:
        state = self._writable()
        state.version += 1
        now = self._clock()
        version = f'W/"{state.version}"'
        if previous is not None:
            return Meta(
                resource_type.name, previous.created, now, version, previous.location
            )
        return Meta(
            resource_type.name, now, now, version, self._ref(resource_type, resource_id)
        )

    # -- typed reads ---------------------------------------------------------------

    def user(self, user_id: str) -> User | None:
        """Return the user with this id, or ``None``."""
        return self._state.users.get(user_id)

    def group(self, group_id: str) -> Group | None:
        """Return the group with this id, or ``None``."""
        return self._state.groups.get(group_id)

    def user_by_name(self, user_name: str, *, active_only: bool = False) -> User | None:
        """Return the user whose ``userName`` equals *user_name* ignoring case.

        With *active_only*, a user with ``active=false`` counts as absent, as it does
        for policy (SPEC §3).
        """
        state = self._state
        user_id = state.user_names.get(user_name.casefold())
        user = None if user_id is None else state.users.get(user_id)
        if user is not None and active_only and not user.is_active:
            return None
        return user

    def users(self) -> Iterator[User]:
        """Iterate over a consistent snapshot of all users."""
        with self._lock:
            snapshot = list(self._state.users.values())
        return iter(snapshot)

    def groups(self) -> Iterator[Group]:
        """Iterate over a consistent snapshot of all groups."""
        with self._lock:
            snapshot = list(self._state.groups.values())
        return iter(snapshot)

    def groups_of(
        self, member_id: str, *, transitive: bool = True
    ) -> tuple[Group, ...]:
        """Return the groups *member_id* (a user or group id) belongs to.

        With *transitive* (the default) groups reached through nested groups count too;
        cycles among nested groups are harmless.
        """
        with self._lock:
            state = self._state
            return tuple(
                state.groups[group_id]
                for group_id, _ in state.group_ids(member_id, transitive=transitive)
            )

    def group_names_of(self, member_id: str) -> frozenset[str]:
        """The ``displayName`` of every group the member belongs to, transitively.

        Cached per member until the next group write (policy evaluation asks this for
        every request).
        """
        state = self._state
        found = state.group_names.get(member_id)
        if found is None:
            with self._lock:
                state = self._state
                found = frozenset(
                    state.groups[group_id].display_name
                    for group_id, _ in state.group_ids(member_id, transitive=True)
                )
                state.group_names[member_id] = found
        return found

    # -- users -------------------------------------------------------------------------

    def create_user(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create a user from a SCIM JSON payload (RFC 7644 §3.3) and return it.

        :raises InvalidSyntaxError: an unknown attribute or extension schema.
        :raises InvalidValueError: a missing ``userName`` or a value of the wrong type.
        :raises UniquenessError: the ``userName`` is taken (compared ignoring case).
        """
        doc = self._normalize(payload, USER)
        with self._lock:
            state = self._state
            folded = doc["userName"].casefold()
            if folded in state.user_names:
                raise _name_taken(doc["userName"])
            user_id = self._fresh_id(state)
            user = structure_user(doc, user_id, self._next_meta(USER, user_id))
            self._writable().put_user(user)
            return self._user_json(user, doc)

    def get_user(
        self,
        user_id: str,
        *,
        attributes: str | Sequence[str] | None = None,
        excluded_attributes: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Return a user as SCIM JSON (RFC 7644 §3.4.1).

        :raises ResourceNotFoundError: no user has this id.
        """
        projection = make_projection(USER, attributes, excluded_attributes)
        with self._lock:
            return projection.apply(self._user_json(self._existing_user(user_id)))

    def replace_user(
        self, user_id: str, payload: dict[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any]:
        """Replace a user's attributes (RFC 7644 §3.5.1); read-only input is ignored.

        :raises PreconditionFailedError: *if_match* is not the current version.
        """
        doc = self._normalize(payload, USER)
        with self._lock:
            current = self._existing_user(user_id)
            _check_version(current.meta, if_match)
            return self._commit_user(current, doc)

    def patch_user(
        self, user_id: str, patch: dict[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any]:
        """Apply a SCIM PATCH (RFC 7644 §3.5.2) to a user, atomically; return the user.

        :raises PathSyntaxError: a malformed path or an unknown attribute (invalidPath).
        :raises NoTargetError: a path filter that matches nothing.
        :raises MutabilityError: a change to a read-only or required attribute.
        """
        operations = parse_patch(patch)
        with self._lock:
            current = self._existing_user(user_id)
            _check_version(current.meta, if_match)
            doc = apply_patch(to_canonical(current), operations, USER)
            return self._commit_user(current, self._normalize(doc, USER))

    def delete_user(self, user_id: str, *, if_match: str | None = None) -> None:
        """Delete a user and remove it from every group (RFC 7644 §3.6)."""
        with self._lock:
            current = self._existing_user(user_id)
            _check_version(current.meta, if_match)
            state = self._writable()
            self._drop_member(state, user_id)
            state.drop_user(current)

    def search_users(
        self,
        filter: str | None = None,  # noqa: A002  the SCIM parameter's name
        *,
        start_index: int = 1,
        count: int | None = None,
        sort_by: str | None = None,
        sort_order: str = "ascending",
        attributes: str | Sequence[str] | None = None,
        excluded_attributes: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Query users (RFC 7644 §3.4.2) and return a ListResponse body.

        ``start_index`` is 1-based (values below 1 read as 1); ``count`` caps the page
        (negative reads as 0; ``None`` returns every match).

        :raises FilterSyntaxError: a malformed filter or an unknown attribute.
        """
        return self._search(
            make_query(
                USER,
                filter,
                start_index=start_index,
                count=count,
                sort_by=sort_by,
                sort_order=sort_order,
                attributes=attributes,
                excluded_attributes=excluded_attributes,
            )
        )

    # -- groups ------------------------------------------------------------------------

    def create_group(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create a group; every member must be an existing user or group."""
        doc = self._normalize(payload, GROUP)
        with self._lock:
            state = self._state
            group_id = self._fresh_id(state)
            members = self._checked_members(state, doc, group_id)
            group = attrs.evolve(
                structure_group(doc, group_id, self._next_meta(GROUP, group_id)),
                members=members,
            )
            self._writable().put_group(group)
            return self._group_json(group)

    def get_group(
        self,
        group_id: str,
        *,
        attributes: str | Sequence[str] | None = None,
        excluded_attributes: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Return a group as SCIM JSON."""
        projection = make_projection(GROUP, attributes, excluded_attributes)
        with self._lock:
            return projection.apply(self._group_json(self._existing_group(group_id)))

    def replace_group(
        self, group_id: str, payload: dict[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any]:
        """Replace a group's attributes, members included (RFC 7644 §3.5.1)."""
        doc = self._normalize(payload, GROUP)
        with self._lock:
            current = self._existing_group(group_id)
            _check_version(current.meta, if_match)
            return self._commit_group(current, doc)

    def patch_group(
        self, group_id: str, patch: dict[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any]:
        """Apply a SCIM PATCH to a group (``members`` included), atomically."""
        operations = parse_patch(patch)
        with self._lock:
            current = self._existing_group(group_id)
            _check_version(current.meta, if_match)
            changes = member_changes(operations, GROUP)
            if changes is not None:
                return self._patch_members(current, changes)
            doc = apply_patch(to_canonical(current), operations, GROUP)
            return self._commit_group(current, self._normalize(doc, GROUP))

    def _patch_members(
        self, current: Group, changes: list[MemberChange]
    ) -> dict[str, Any]:
        """A members-only PATCH, in time proportional to the change (the result and
        the errors are those of the general path)."""
        state = self._state
        kept: dict[str, Member | dict[str, Any]] = {m.value: m for m in current.members}
        for change in changes:
            if change.remove:
                if change.fold:
                    folded = {value.casefold() for value in change.remove}
                    gone = [value for value in kept if value.casefold() in folded]
                else:
                    gone = [value for value in kept if value in change.remove]
                if change.target is not None and not gone:
                    raise NoTargetError(
                        f"`{change.where}`: no value matches `{change.target}`"
                    )
                for value in gone:
                    del kept[value]
            for record in change.added():
                kept.setdefault(record["value"], record)
        members = tuple(
            item
            if isinstance(item, Member)
            else self._checked_member(state, item, current.id)
            for item in kept.values()
        )
        if members == current.members:
            return self._group_json(current)
        meta = self._next_meta(GROUP, current.id, current.meta)
        group = attrs.evolve(current, members=members, meta=meta)
        self._writable().put_group(group, current)
        return self._group_json(group)

    def delete_group(self, group_id: str, *, if_match: str | None = None) -> None:
        """Delete a group, and remove it from groups that nest it."""
        with self._lock:
            current = self._existing_group(group_id)
            _check_version(current.meta, if_match)
            state = self._writable()
            self._drop_member(state, group_id)
            state.drop_group(current)

    def search_groups(
        self,
        filter: str | None = None,  # noqa: A002  the SCIM parameter's name
        *,
        start_index: int = 1,
        count: int | None = None,
        sort_by: str | None = None,
        sort_order: str = "ascending",
        attributes: str | Sequence[str] | None = None,
        excluded_attributes: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Query groups (RFC 7644 §3.4.2) and return a ListResponse body."""
        return self._search(
            make_query(
                GROUP,
                filter,
                start_index=start_index,
                count=count,
                sort_by=sort_by,
                sort_order=sort_order,
                attributes=attributes,
                excluded_attributes=excluded_attributes,
            )
        )

    # -- storage -----------------------------------------------------------------------

    @property
    def version(self) -> int:
        """The version counter: the number in the newest ``meta.version`` given out."""
        return self._state.version

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Changes]:
        """Hold the write lock for a group of writes and record what they change.

        This is the hook for durable storage: after the writes inside the block,
        :attr:`Changes.users` and :attr:`Changes.groups` name every resource they
        touched (deleting a user also rewrites the groups that listed it), so a backend
        persists exactly those, as :func:`to_record` of the current resource or a
        deletion. If the block raises (a write was refused, or persisting it failed)
        every write made inside is undone: the directory is exactly as before.
        """
        with self._lock:
            if self._recording is not None:
                raise RuntimeError("directory transactions do not nest")
            state = self._writable()
            changes = Changes(state.version)
            state.changes = self._recording = changes
            try:
                yield changes
            except BaseException:
                self._undo(changes)
                raise
            finally:
                self._state.changes = self._recording = None

    def _undo(self, changes: Changes) -> None:
        state = self._writable()  # never in a state a fork taken meanwhile shares
        state.changes = None
        # The listing order to restore: as recorded before the first deletion, or else
        # the present one (a write keeps a resource's place; a creation appends).
        user_order = changes.user_order
        if user_order is None and changes.users:
            user_order = list(state.users)
        group_order = changes.group_order
        if group_order is None and changes.groups:
            group_order = list(state.groups)
        for user_id in changes.users:
            if (user := state.users.get(user_id)) is not None:
                state.drop_user(user)
        for group_id in changes.groups:
            if (group := state.groups.get(group_id)) is not None:
                state.drop_group(group)
        for before_user in changes.users.values():
            if before_user is not None:
                state.put_user(before_user)
        for before_group in changes.groups.values():
            if before_group is not None:
                state.put_group(before_group)
        if user_order is not None:
            state.users = {i: state.users[i] for i in user_order if i in state.users}
        if group_order is not None:
            state.groups = {
                i: state.groups[i] for i in group_order if i in state.groups
            }
        state.version = changes.version

    @classmethod
    def from_records(
        cls,
        users: Iterable[dict[str, Any]] = (),
        groups: Iterable[dict[str, Any]] = (),
        *,
        version: int = 0,
        **options: Any,
    ) -> Directory:
        """Rebuild a directory from :func:`to_record` output, keeping ids and ``meta``.

        Unlike :meth:`import_resources`, versions and timestamps are those recorded,
        so ETags a client holds stay valid across a restart. *version* is the version
        counter to go on from (the store keeps it: the highest version recorded may
        belong to a resource deleted since, and must not be given out again). Every
        record is checked as a write would check it (types, unique ``userName``,
        existing members); :class:`~scimpolicy.errors.LoadError` names the first bad
        one. *options* are the constructor's.
        """
        directory = cls(**options)
        state = directory._state
        state.version = version
        for index, record in enumerate(users):
            with _at("users", index):
                doc = directory._normalize(record, USER)
                user_id = directory._given_id(state, record)
                if doc["userName"].casefold() in state.user_names:
                    raise _name_taken(doc["userName"])
                meta = directory._recorded_meta(record, USER, user_id)
                state.put_user(structure_user(doc, user_id, meta))
        pending: list[tuple[int, Group, CanonicalDoc]] = []
        for index, record in enumerate(groups):
            with _at("groups", index):
                doc = directory._normalize(record, GROUP)
                group_id = directory._given_id(state, record)
                meta = directory._recorded_meta(record, GROUP, group_id)
                group = structure_group({**doc, "members": []}, group_id, meta)
                state.put_group(group)
                pending.append((index, group, doc))
        for index, group, doc in pending:
            with _at("groups", index):
                members = directory._checked_members(state, doc, group.id)
                state.put_group(attrs.evolve(group, members=members), group)
        return directory

    def _recorded_meta(
        self, record: dict[str, Any], resource_type: ResourceType, resource_id: str
    ) -> Meta:
        meta = record.get("meta")
        if not isinstance(meta, dict):
            raise InvalidValueError("`meta`: expected an object")
        moments: list[datetime] = []
        for key in ("created", "lastModified"):
            text = meta.get(key)
            try:
                moment = datetime.fromisoformat(text) if isinstance(text, str) else None
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise InvalidValueError(
                    f"`meta.{key}`: expected a date and time with a UTC offset"
                )
            moments.append(moment)
        version = meta.get("version")
        number = _version_number(version)
        if number is None:
            raise InvalidValueError('`meta.version`: expected W/"<number>"')
        state = self._state
        state.version = max(state.version, number)
        created, modified = moments
        return Meta(
            resource_type.name,
            created,
            created if modified == created else modified,
            f'W/"{number}"',
            self._ref(resource_type, resource_id),
        )

    # -- bulk import -------------------------------------------------------------------

    def import_resources(
        self,
        users: Iterable[dict[str, Any]] = (),
        groups: Iterable[dict[str, Any]] = (),
    ) -> None:
        """Add users, then groups, from SCIM JSON, keeping their ids; all or nothing.

        This is how exports (``GET /Users`` pages, IdP dumps) are loaded: group
        ``members`` refer to the ids in the export, so ids are kept (a missing ``id``
        gets a new one). Groups may nest groups listed later. If any resource is
        rejected, nothing is added and the error says which one
        (:class:`~scimpolicy.errors.LoadError` carries its position in the input).
        """
        with self._lock:
            work = self.fork()
            # Inside a transaction, the import's writes are recorded in it.
            work._recording = self._recording  # noqa: SLF001  same class
            for index, payload in enumerate(users):
                with _at("users", index):
                    work._restore_user(payload)  # noqa: SLF001  same class
            pending: list[tuple[int, str, CanonicalDoc]] = []
            for index, payload in enumerate(groups):
                with _at("groups", index):
                    pending.append((index, *work._restore_group(payload)))  # noqa: SLF001
            for index, group_id, doc in pending:
                with _at("groups", index):
                    work._restore_members(group_id, doc)  # noqa: SLF001
            self._state = work._state  # noqa: SLF001
            self._owned = work._owned  # noqa: SLF001

    def _restore_user(self, payload: dict[str, Any]) -> None:
        doc = self._normalize(payload, USER)
        state = self._state
        user_id = self._given_id(state, payload)
        if doc["userName"].casefold() in state.user_names:
            raise _name_taken(doc["userName"])
        user = structure_user(doc, user_id, self._next_meta(USER, user_id))
        self._writable().put_user(user)

    def _restore_group(self, payload: dict[str, Any]) -> tuple[str, CanonicalDoc]:
        doc = self._normalize(payload, GROUP)
        group_id = self._given_id(self._state, payload)
        group = structure_group(
            {**doc, "members": []}, group_id, self._next_meta(GROUP, group_id)
        )
        self._writable().put_group(group)
        return group_id, doc

    def _restore_members(self, group_id: str, doc: CanonicalDoc) -> None:
        current = self._state.groups[group_id]
        members = self._checked_members(self._state, doc, group_id)
        self._writable().put_group(attrs.evolve(current, members=members), current)

    def _given_id(self, state: State, payload: dict[str, Any]) -> str:
        given = payload.get("id")
        if given is None:
            return self._fresh_id(state)
        if not isinstance(given, str) or not given:
            raise InvalidValueError("`id`: expected a non-empty string")
        if given in state.users or given in state.groups:
            raise UniquenessError(f"id `{given}` is used twice")
        return given

    # -- internals: writes ---------------------------------------------------------

    def _normalize(self, payload: object, resource_type: ResourceType) -> CanonicalDoc:
        doc, ignored = normalize(
            payload, resource_type, ignore_unknown_extensions=self._ignore_unknown
        )
        if ignored:
            warnings.warn(
                f"ignored read-only attribute(s) {', '.join(f'`{n}`' for n in ignored)}"
                ": group membership changes only through Group resources"
                " (RFC 7643 §4.1.2)",
                IgnoredAttributeWarning,
                stacklevel=3,
            )
        if not self._keep_passwords:
            doc.pop("password", None)
        return doc

    def _fresh_id(self, state: State) -> str:
        new_id = self._new_id()
        if new_id in state.users or new_id in state.groups:
            raise InvalidValueError(f"id factory returned `{new_id}`, which is in use")
        return new_id

    def _commit_user(self, current: User, doc: CanonicalDoc) -> dict[str, Any]:
        if doc == to_canonical(current):
            # Nothing changed: same version and lastModified (RFC 7644 §3.5.2.1).
            return self._user_json(current, doc)
        state = self._state
        owner = state.user_names.get(doc["userName"].casefold())
        if owner is not None and owner != current.id:
            raise _name_taken(doc["userName"])
        meta = self._next_meta(USER, current.id, current.meta)
        user = structure_user(doc, current.id, meta)
        self._writable().put_user(user, current)
        return self._user_json(user, doc)

    def _commit_group(self, current: Group, doc: CanonicalDoc) -> dict[str, Any]:
        state = self._state
        members = self._checked_members(state, doc, current.id)
        candidate = attrs.evolve(
            structure_group(doc, current.id, current.meta), members=members
        )
        if candidate == current:
            return self._group_json(current)
        meta = self._next_meta(GROUP, current.id, current.meta)
        group = attrs.evolve(candidate, meta=meta)
        self._writable().put_group(group, current)
        return self._group_json(group)

    def _checked_members(
        self, state: State, doc: CanonicalDoc, group_id: str
    ) -> tuple[Member, ...]:
        """Members with ``type`` filled in, duplicates dropped, each one existing."""
        members: dict[str, Member] = {}
        for record in doc.get("members", ()):
            if record["value"] not in members:
                members[record["value"]] = self._checked_member(state, record, group_id)
        return tuple(members.values())

    def _checked_member(
        self, state: State, record: dict[str, Any], group_id: str
    ) -> Member:
        """One member record as a :class:`Member`, if it names an existing user or
        group (not the group itself) of the type it claims."""
        value = record["value"]
        if value == group_id:
            raise InvalidValueError("`members`: a group cannot be a member of itself")
        if value in state.users:
            kind = "User"
        elif value in state.groups:
            kind = "Group"
        else:
            raise InvalidValueError(f"`members`: no user or group has id `{value}`")
        given = record.get("type")
        if given is not None and given.casefold() != kind.casefold():
            raise InvalidValueError(f"`members`: `{value}` is a {kind}, not a {given}")
        return Member(value, kind, record.get("$ref"), record.get("display"))

    def _drop_member(self, state: State, member_id: str) -> None:
        """Remove *member_id* from every group listing it; each gets a new version."""
        for group_id in state.memberships.get(member_id, frozenset()):
            group = state.groups[group_id]
            members = tuple(m for m in group.members if m.value != member_id)
            meta = self._next_meta(GROUP, group_id, group.meta)
            state.put_group(attrs.evolve(group, members=members, meta=meta), group)
        state.memberships.pop(member_id, None)

    # -- internals: reads ----------------------------------------------------------

    def _existing_user(self, user_id: str) -> User:
        user = self._state.users.get(user_id)
        if user is None:
            raise ResourceNotFoundError(f"no user has id `{user_id}`")
        return user

    def _existing_group(self, group_id: str) -> Group:
        group = self._state.groups.get(group_id)
        if group is None:
            raise ResourceNotFoundError(f"no group has id `{group_id}`")
        return group

    def _group_refs(self, state: State, user_id: str) -> list[GroupRef]:
        return [
            GroupRef(
                group_id,
                state.groups[group_id].display_name,
                kind,
                self._ref(GROUP, group_id),
            )
            for group_id, kind in state.group_ids(user_id, transitive=True)
        ]

    def _ref(self, resource_type: ResourceType, resource_id: str) -> str | None:
        if self._base_url is None:
            return None
        return f"{self._base_url}{resource_type.endpoint}/{resource_id}"

    def _user_json(self, user: User, doc: CanonicalDoc | None = None) -> dict[str, Any]:
        groups = [
            {
                "value": ref.value,
                **({"$ref": ref.ref} if ref.ref else {}),
                "display": ref.display,
                "type": ref.type,
            }
            for ref in self._group_refs(self._state, user.id)
        ]
        return to_json(user, groups=groups, doc=doc)

    def _group_json(self, group: Group) -> dict[str, Any]:
        return to_json(group)

    def _search(self, query: Query) -> dict[str, Any]:
        with self._lock:
            state = self._state
            candidates = state.candidates(query.resource_type, query.node)
            if query.needs_groups:
                # The filter reads `groups`: bind it to this state and filter under
                # the lock, so memberships and users are seen at the same moment.
                bound = query.bound(functools.partial(self._group_refs, state))
                candidates = [resource for resource in candidates if bound(resource)]
        # The candidates are a snapshot of immutable models: no lock needed to filter.
        matches = query.select(candidates)
        render = self._user_json if query.resource_type is USER else self._group_json
        with self._lock:
            resources = [query.projection.apply(render(r)) for r in query.page(matches)]
        return query.response(len(matches), resources)


@contextlib.contextmanager
def _at(kind: str, index: int) -> Iterator[None]:
    try:
        yield
    except ScimError as error:
        raise LoadError(kind, index, error) from error


def to_record(resource: User | Group) -> dict[str, Any]:
    """The stored form of a resource: its canonical attributes (``password`` included),
    ``id`` and ``meta``; :meth:`Directory.from_records` reads it back."""
    meta = resource.meta
    return {
        "id": resource.id,
        **to_canonical(resource),
        "meta": {
            "created": format_datetime(meta.created),
            "lastModified": format_datetime(meta.last_modified),
            "version": meta.version,
        },
    }


def _version_number(version: object) -> int | None:
    if not isinstance(version, str):
        return None
    digits = version.removeprefix("W/").strip('"')
    return int(digits) if digits.isdigit() and digits.isascii() else None


def _check_version(meta: Meta, if_match: str | None) -> None:
    """RFC 7644 §3.14: ``If-Match`` must name the current version (or be ``*``)."""
    if if_match is None:
        return
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" in tags or meta.version in tags or meta.version.removeprefix("W/") in tags:
        return
    raise PreconditionFailedError(
        f"version `{if_match}` does not match the current version `{meta.version}`"
    )


def _name_taken(user_name: str) -> UniquenessError:
    return UniquenessError(f"userName `{user_name}` is already taken")
