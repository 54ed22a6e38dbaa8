"""Queries (RFC 7644 §3.4.2): compiled filters, ordering, paging, the ListResponse.

Stage: a resource type + query parameters → a :class:`Query` (filter parsed and bound
once, sort key resolved, projection compiled) → applied to candidate resources.
Parameter errors are raised when the query is made, before any resource is read.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any, Final

import attrs

from scimpolicy.errors import FilterSyntaxError, InvalidValueError, PathSyntaxError
from scimpolicy.scim.filter_match import (
    GroupsResolver,
    Predicate,
    bind_filter,
    sort_key,
    uses_groups,
)
from scimpolicy.scim.filter_nodes import Filter
from scimpolicy.scim.filter_parser import parse_attr_path, parse_filter
from scimpolicy.scim.projection import Projection, make_projection
from scimpolicy.scim.schema import ResourceType

__all__ = ["LIST_RESPONSE_SCHEMA", "Query", "make_query"]

LIST_RESPONSE_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


@functools.lru_cache(maxsize=1024)
def _compiled(
    text: str, resource_type: ResourceType
) -> tuple[Filter, Predicate | None]:
    """Parse and bind a filter once; ``None`` when it needs a groups resolver."""
    node = parse_filter(text)
    if uses_groups(node):
        # Checked now, bound per search: it must read that directory's memberships.
        bind_filter(node, text, resource_type, groups_of=lambda _: ())
        return node, None
    return node, bind_filter(node, text, resource_type)


@attrs.frozen
class Query:
    """A checked query, ready to run over candidate resources."""

    resource_type: ResourceType
    text: str = ""
    node: Filter | None = None
    predicate: Predicate | None = None
    key: Callable[[Any], Any] | None = None
    descending: bool = False
    start: int = 1
    count: int | None = None
    projection: Projection = attrs.field(factory=Projection)

    @property
    def needs_groups(self) -> bool:
        """True when the filter reads a User's ``groups`` (see :meth:`bound`)."""
        return self.node is not None and self.predicate is None

    def bound(self, groups_of: GroupsResolver) -> Predicate:
        """The filter bound to a ``groups`` resolver (for :attr:`needs_groups`)."""
        assert self.node is not None  # noqa: S101  callers check needs_groups
        return bind_filter(
            self.node, self.text, self.resource_type, groups_of=groups_of
        )

    def select(
        self, resources: list[Any], predicate: Predicate | None = None
    ) -> list[Any]:
        """Filter (with *predicate*, or the query's own) and order the resources."""
        test = predicate or self.predicate
        matches = resources if test is None else [r for r in resources if test(r)]
        if self.key is None:
            return matches
        keyed = [(self.key(resource), resource) for resource in matches]
        present = [pair for pair in keyed if pair[0] is not None]
        present.sort(key=operator.itemgetter(0), reverse=self.descending)
        absent = [resource for value, resource in keyed if value is None]
        ordered = [resource for _, resource in present]
        # RFC 7644 §3.4.2.3: unassigned values sort last ascending, first descending.
        return absent + ordered if self.descending else ordered + absent

    def page(self, matches: list[Any]) -> list[Any]:
        """The requested page: ``startIndex`` is 1-based, ``count`` caps it."""
        page = matches[self.start - 1 :]
        return page if self.count is None else page[: self.count]

    def response(self, total: int, resources: list[dict[str, Any]]) -> dict[str, Any]:
        """The ListResponse body (RFC 7644 §3.4.2)."""
        return {
            "schemas": [LIST_RESPONSE_SCHEMA],
            "totalResults": total,
            "startIndex": self.start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }


def make_query(
    resource_type: ResourceType,
    text: str | None = None,
    *,
    start_index: int = 1,
    count: int | None = None,
    sort_by: str | None = None,
    sort_order: str = "ascending",
    attributes: str | Sequence[str] | None = None,
    excluded_attributes: str | Sequence[str] | None = None,
) -> Query:
    """Check and compile query parameters.

    ``start_index`` below 1 reads as 1 and a negative ``count`` as 0 (RFC 7644
    §3.4.2.4); ``count=None`` means no limit.

    :raises FilterSyntaxError: a malformed filter or an unknown attribute in it.
    :raises PathSyntaxError: an unknown ``sortBy`` or projected attribute.
    :raises InvalidValueError: a ``sortOrder`` other than ascending or descending.
    """
    node, predicate = (None, None)
    if text is not None and text.strip():
        node, predicate = _compiled(text, resource_type)
    folded = sort_order.casefold()
    if folded not in ("ascending", "descending"):
        raise InvalidValueError(
            f"`sortOrder` must be `ascending` or `descending`, got `{sort_order}`"
        )
    return Query(
        resource_type,
        text or "",
        node,
        predicate,
        _sort_key(sort_by, resource_type),
        folded == "descending",
        max(start_index, 1),
        None if count is None else max(count, 0),
        make_projection(resource_type, attributes, excluded_attributes),
    )


def _sort_key(
    sort_by: str | None, resource_type: ResourceType
) -> Callable[[Any], Any] | None:
    if sort_by is None or not sort_by.strip():
        return None
    try:
        return sort_key(parse_attr_path(sort_by), sort_by, resource_type)
    except FilterSyntaxError as error:
        raise PathSyntaxError(
            error.message, error.source, error.span, origin="sortBy"
        ) from None
