"""What a directory holds: resources and the indexes derived from them.

Stage: the store's data. :class:`State` keeps users, groups and three indexes
(casefolded ``userName`` → id, ``externalId`` → ids, member → direct groups) and is the
only code that writes them, so every index always agrees with the resources.

Invariants: resources are immutable models, so a shallow :meth:`State.copy` is a full,
independent copy (copy-on-write forks rely on this); index values are frozensets,
replaced rather than mutated, for the same reason.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from scimpolicy.scim.filter_nodes import And, Compare, CompareOp, Filter, Or
from scimpolicy.scim.models import Group, User
from scimpolicy.scim.schema import USER, ResourceType

__all__ = ["Changes", "State"]

_INDEXED: Final = {"id": "id", "username": "userName", "externalid": "externalId"}


@attrs.define
class Changes:
    """What the writes of one transaction touched: each resource as it was before its
    first change in the transaction (``None`` for one the transaction created)."""

    version: int
    users: dict[str, User | None] = attrs.Factory(dict)
    groups: dict[str, Group | None] = attrs.Factory(dict)
    # The ids in listing order just before the transaction's first deletion of a user
    # (group), so that undoing it puts the deleted one back in its place.
    user_order: list[str] | None = attrs.field(default=None, eq=False, repr=False)
    group_order: list[str] | None = attrs.field(default=None, eq=False, repr=False)


@attrs.define
class State:
    """Everything a directory holds. Shared between forks until one of them writes."""

    users: dict[str, User] = attrs.Factory(dict)
    groups: dict[str, Group] = attrs.Factory(dict)
    user_names: dict[str, str] = attrs.Factory(dict)  # casefolded userName -> id
    external_ids: dict[tuple[str, str], frozenset[str]] = attrs.Factory(dict)
    memberships: dict[str, frozenset[str]] = attrs.Factory(dict)  # member -> groups
    version: int = 0
    # Derived, cleared by every group write: member -> names of all its groups.
    group_names: dict[str, frozenset[str]] = attrs.Factory(dict)
    # Set while a transaction records its writes (never shared by a copy).
    changes: Changes | None = None

    def copy(self) -> State:
        """A shallow, independent copy (the models inside are immutable)."""
        return State(
            dict(self.users),
            dict(self.groups),
            dict(self.user_names),
            dict(self.external_ids),
            dict(self.memberships),
            self.version,
        )

    # -- writes ------------------------------------------------------------------

    def put_user(self, user: User, previous: User | None = None) -> None:
        """Store *user*, replacing *previous* (the same user before the change)."""
        if self.changes is not None:
            self.changes.users.setdefault(user.id, previous)
        if previous is not None:
            self._unindex_user(previous)
        self.users[user.id] = user
        self.user_names[user.user_name.casefold()] = user.id
        if user.external_id is not None:
            _index_add(self.external_ids, ("User", user.external_id), user.id)

    def drop_user(self, user: User) -> None:
        """Remove *user* (callers first remove it from its groups)."""
        if self.changes is not None:
            self.changes.users.setdefault(user.id, user)
            if self.changes.user_order is None:
                self.changes.user_order = list(self.users)
        self._unindex_user(user)
        del self.users[user.id]

    def put_group(self, group: Group, previous: Group | None = None) -> None:
        """Store *group*, replacing *previous* (the same group before the change)."""
        self.group_names.clear()
        if self.changes is not None:
            self.changes.groups.setdefault(group.id, previous)
        if previous is not None and previous.id == group.id:
            # Only the members that changed touch the index: adding one member to a
            # large group costs one entry, not the whole group.
            before = {member.value for member in previous.members}
            after = {member.value for member in group.members}
            for gone in before - after:
                _index_remove(self.memberships, gone, group.id)
            for new in after - before:
                _index_add(self.memberships, new, group.id)
            if previous.external_id is not None:
                _index_remove(
                    self.external_ids, ("Group", previous.external_id), group.id
                )
        else:
            if previous is not None:
                self._unindex_group(previous)
            for member in group.members:
                _index_add(self.memberships, member.value, group.id)
        self.groups[group.id] = group
        if group.external_id is not None:
            _index_add(self.external_ids, ("Group", group.external_id), group.id)

    def drop_group(self, group: Group) -> None:
        """Remove *group* (callers first remove it from groups that nest it)."""
        self.group_names.clear()
        if self.changes is not None:
            self.changes.groups.setdefault(group.id, group)
            if self.changes.group_order is None:
                self.changes.group_order = list(self.groups)
        self._unindex_group(group)
        del self.groups[group.id]

    def _unindex_user(self, user: User) -> None:
        self.user_names.pop(user.user_name.casefold(), None)
        if user.external_id is not None:
            _index_remove(self.external_ids, ("User", user.external_id), user.id)

    def _unindex_group(self, group: Group) -> None:
        for member in group.members:
            _index_remove(self.memberships, member.value, group.id)
        if group.external_id is not None:
            _index_remove(self.external_ids, ("Group", group.external_id), group.id)

    # -- reads -------------------------------------------------------------------

    def group_ids(self, member_id: str, *, transitive: bool) -> list[tuple[str, str]]:
        """``(group id, "direct" | "indirect")`` for each group of a member.

        Nested groups are followed breadth-first when *transitive*; cycles are harmless.
        """
        if member_id not in self.memberships:
            return []
        direct = sorted(self.memberships[member_id])
        found = dict.fromkeys(direct, "direct")
        if transitive:
            frontier = list(direct)
            while frontier:
                for parent in sorted(self.memberships.get(frontier.pop(), ())):
                    if parent not in found:
                        found[parent] = "indirect"
                        frontier.append(parent)
        return list(found.items())

    def candidates(self, resource_type: ResourceType, node: Filter | None) -> list[Any]:
        """The resources a filter can match: from an index when ``eq`` on ``id``,
        ``userName`` or ``externalId`` narrows it, otherwise all of them."""
        table: dict[str, Any] = self.users if resource_type is USER else self.groups
        ids = None if node is None else self._index_lookup(resource_type, node)
        if ids is None:
            return list(table.values())
        return [table[i] for i in ids if i in table]

    def _index_lookup(
        self, resource_type: ResourceType, node: Filter
    ) -> set[str] | None:
        """Ids that can satisfy *node*; ``None`` when a scan is needed."""
        if isinstance(node, And):
            left = self._index_lookup(resource_type, node.left)
            right = self._index_lookup(resource_type, node.right)
            if left is None:
                return right
            return left if right is None else left & right
        if isinstance(node, Or):
            left = self._index_lookup(resource_type, node.left)
            right = self._index_lookup(resource_type, node.right)
            return None if left is None or right is None else left | right
        if not isinstance(node, Compare) or node.op is not CompareOp.EQ:
            return None
        path = node.path
        if path.sub is not None or not isinstance(node.value, str):
            return None
        if (
            path.urn is not None
            and path.urn.casefold() != resource_type.schema.id.casefold()
        ):
            return None
        field = _INDEXED.get(path.attr.casefold())
        if field == "id":
            return {node.value}
        if field == "externalId":
            return set(self.external_ids.get((resource_type.name, node.value), ()))
        if field == "userName" and resource_type is USER:
            found = self.user_names.get(node.value.casefold())
            return set() if found is None else {found}
        return None


def _index_add(index: dict[Any, frozenset[str]], key: Any, value: str) -> None:
    index[key] = index.get(key, frozenset()) | {value}


def _index_remove(index: dict[Any, frozenset[str]], key: Any, value: str) -> None:
    remaining = index.get(key, frozenset()) - {value}
    if remaining:
        index[key] = remaining
    else:
        index.pop(key, None)
