"""Compile SCIM filters into predicates over User and Group models (RFC 7644 §3.4.2.2).

Stage: filter nodes (from ``filter_parser``) + a resource type → a :data:`Predicate`,
a plain function ``resource -> bool`` built from closures specialised per attribute
and operator, so a search runs no tree walk and no schema lookups per resource.
Binding checks the filter against the schema first: an unknown attribute, an operator
the attribute's type does not allow (``gt`` on a boolean, RFC 7644 §3.4.2.2) or a value
of the wrong type raises :class:`FilterSyntaxError` pointing at the offending text.

Semantics (documented in ``docs/directory.md``):

- strings compare by the attribute's ``caseExact`` (``casefold`` when false);
  ``gt``/``ge``/``lt``/``le`` order strings lexicographically and dateTimes
  chronologically;
- a multi-valued attribute matches if any of its values does; ``emails co "x"`` with no
  sub-attribute compares the ``value`` sub-attribute;
- ``ne`` is the negation of ``eq``: true when no value equals (so an absent attribute
  is ``ne`` anything), as in the policy language (SPEC §4);
- ``eq null`` is true when the attribute is unassigned, ``ne null`` when it has a value;
- ``pr`` is true for a non-empty string, any boolean, a non-empty list or complex value;
- boolean attributes accept ``"true"``/``"false"`` strings (Entra sends them);
- bare extension names (``department``) resolve to the Enterprise extension;
- ``schemas`` and the read-only ``groups`` of a User are filterable.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final, TypeAlias

from scimpolicy._text import did_you_mean
from scimpolicy.errors import FilterSyntaxError, Span
from scimpolicy.scim.filter_nodes import (
    And,
    AttrPath,
    Compare,
    CompareOp,
    CompValue,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
)
from scimpolicy.scim.schema import (
    COMMON_ATTRIBUTES,
    USER,
    Attribute,
    AttrType,
    ResourceType,
)

__all__ = [
    "GroupsResolver",
    "Predicate",
    "bind_filter",
    "bind_record_filter",
    "sort_key",
    "uses_groups",
]

Predicate: TypeAlias = Callable[[Any], bool]
"""A compiled filter: ``predicate(resource) -> bool``."""

Getter: TypeAlias = Callable[[Any], Any]
GroupsResolver: TypeAlias = Callable[[str], Sequence[Any]]
"""Gives the ``groups`` records of a user id (objects with value/ref/display/type)."""

_SCHEMAS_ATTRIBUTE: Final = Attribute("schemas", case_exact=True, multi_valued=True)
_ORDERING: Final = {
    CompareOp.GT: operator.gt,
    CompareOp.GE: operator.ge,
    CompareOp.LT: operator.lt,
    CompareOp.LE: operator.le,
}
_ORDERED_TYPES: Final = frozenset(
    {
        AttrType.STRING,
        AttrType.DATETIME,
        AttrType.INTEGER,
        AttrType.DECIMAL,
        AttrType.REFERENCE,
    }
)


class _BinderBase:
    """Builds closures for filter nodes; subclasses say how paths resolve."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str, span: Span | None) -> FilterSyntaxError:
        return FilterSyntaxError(
            message, self.source, span or Span(0, len(self.source))
        )

    def resolve(self, path: AttrPath) -> tuple[Attribute, Getter, bool]:
        raise NotImplementedError

    def bind_value_path(self, node: ValuePath) -> Predicate:
        raise NotImplementedError

    # -- nodes -----------------------------------------------------------------------

    def bind(self, node: Filter) -> Predicate:
        if isinstance(node, And):
            left, right = self.bind(node.left), self.bind(node.right)
            return lambda resource: left(resource) and right(resource)
        if isinstance(node, Or):
            left, right = self.bind(node.left), self.bind(node.right)
            return lambda resource: left(resource) or right(resource)
        if isinstance(node, Not):
            operand = self.bind(node.operand)
            return lambda resource: not operand(resource)
        if isinstance(node, ValuePath):
            return self.bind_value_path(node)
        attribute, getter, many = self.resolve(node.path)
        if isinstance(node, Present):
            return _present(getter, many)
        return self.compare(node, attribute, getter, many)

    def compare(
        self, node: Compare, attribute: Attribute, getter: Getter, many: bool
    ) -> Predicate:
        op, raw = node.op, node.value
        name = attribute.name
        if attribute.is_complex:
            raise self.error(
                f"`{name}` is complex: compare one of its sub-attributes, such as "
                f"`{name}.{attribute.sub_attributes[0].name}`",
                node.span,
            )
        if raw is None:
            if op not in (CompareOp.EQ, CompareOp.NE):
                raise self.error(f"`{op}` cannot compare with null", node.span)
            present = _present(getter, many)
            if op is CompareOp.EQ:
                return lambda resource: not present(resource)
            return present
        value = self.coerce(attribute, raw, op, node.span)
        test = _value_test(attribute, op, value)
        if op is CompareOp.NE:
            # `ne` is `not eq`: true when no value equals (see the module docstring).
            if many:
                return lambda resource: not any(test(v) for v in getter(resource))
            return lambda resource: not test(getter(resource))
        if many:
            return lambda resource: any(test(v) for v in getter(resource))
        return lambda resource: test(getter(resource))

    def coerce(
        self, attribute: Attribute, value: CompValue, op: CompareOp, span: Span | None
    ) -> object:
        kind = attribute.type
        name = attribute.name
        if kind is AttrType.BOOLEAN:
            if op not in (CompareOp.EQ, CompareOp.NE):
                raise self.error(
                    f"`{op}` cannot compare booleans: `{name}` is true or false", span
                )
            if isinstance(value, str) and value.casefold() in ("true", "false"):
                return value.casefold() == "true"
            if not isinstance(value, bool):
                raise self.error(
                    f"`{name}` is a boolean: compare it with true or false", span
                )
            return value
        if op in _ORDERING and kind not in _ORDERED_TYPES:
            raise self.error(f"`{op}` cannot order `{name}` ({kind} values)", span)
        if kind in (AttrType.INTEGER, AttrType.DECIMAL):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.error(
                    f"`{name}` is a number: compare it with a number", span
                )
            if op in (CompareOp.CO, CompareOp.SW, CompareOp.EW):
                raise self.error(
                    f"`{op}` needs a string attribute; `{name}` is a number", span
                )
            return value
        if not isinstance(value, str):
            raise self.error(
                f"`{name}` is a string: compare it with a quoted string", span
            )
        if kind is AttrType.DATETIME:
            if op in (CompareOp.CO, CompareOp.SW, CompareOp.EW):
                raise self.error(
                    f"`{op}` cannot compare dateTimes: use `gt`, `lt`, ...", span
                )
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                raise self.error(
                    f"`{name}` is a dateTime: expected a value such as "
                    "`2026-11-23T09:00:00Z`",
                    span,
                ) from None
        return value


class _Binder(_BinderBase):
    """Resolves paths against one resource type."""

    def __init__(
        self, source: str, resource_type: ResourceType, groups_of: GroupsResolver | None
    ) -> None:
        super().__init__(source)
        self.resource_type = resource_type
        self.groups_of = groups_of

    # -- resolution ------------------------------------------------------------------

    def resolve(self, path: AttrPath) -> tuple[Attribute, Getter, bool]:
        """Return ``(attribute, getter, many)`` for a top-level path.

        ``getter(resource)`` gives the value, or an iterable of values when ``many``.
        """
        attribute, top = self._top(path)
        if path.sub is None:
            if attribute.is_complex and attribute.multi_valued:
                # RFC 7644 §3.4.2.2: `emails co "x"` compares the `value` sub-attribute.
                value = attribute.sub("value")
                if value is not None:
                    return value, _each(top, value.python_name), True
            return attribute, top, attribute.multi_valued
        sub = attribute.sub(path.sub)
        if sub is None:
            names = [f"{attribute.name}.{s.name}" for s in attribute.sub_attributes]
            raise self.error(
                f"unknown attribute `{path.attr}.{path.sub}`"
                + did_you_mean(f"{path.attr}.{path.sub}", names),
                path.span,
            )
        if attribute.multi_valued:
            return sub, _each(top, sub.python_name), True
        return sub, _chain(top, sub.python_name), False

    def _top(self, path: AttrPath) -> tuple[Attribute, Getter]:
        if path.urn is None and path.attr.casefold() == "schemas":
            return _SCHEMAS_ATTRIBUTE, _schemas_of
        resolved = self.resource_type.resolve(path.attr, path.urn)
        if resolved is None:
            raise self._unknown(path)
        schema, attribute = resolved
        if attribute.name == "groups" and schema is self.resource_type.schema:
            if self.groups_of is None:
                raise self.error(
                    "`groups` cannot be used here: it is derived from Group resources",
                    path.span,
                )
            groups_of = self.groups_of
            return attribute, lambda resource: groups_of(resource.id)
        if schema is self.resource_type.schema or attribute in COMMON_ATTRIBUTES:
            return attribute, operator.attrgetter(attribute.python_name)
        return attribute, _chain(
            operator.attrgetter("enterprise"), attribute.python_name
        )

    def _unknown(self, path: AttrPath) -> FilterSyntaxError:
        if path.urn is None:
            return self.error(
                f"unknown attribute `{path.attr}` for a {self.resource_type.name}"
                + did_you_mean(path.attr, self.resource_type.attribute_names()),
                path.span,
            )
        schema = self.resource_type.schema_by_urn(path.urn)
        if schema is None:
            return self.error(f"unknown schema `{path.urn}`", path.span)
        names = [
            a.name
            for a in schema.attributes
            if a.name.casefold() != path.attr.casefold()
        ]
        return self.error(
            f"unknown attribute `{path.attr}` in `{schema.id}`"
            + did_you_mean(path.attr, names),
            path.span,
        )

    def bind_value_path(self, node: ValuePath) -> Predicate:
        if node.path.sub is not None:
            raise self.error(
                "expected `[` right after the attribute name", node.path.span
            )
        attribute, records = self._top(node.path)
        if not attribute.is_complex:
            raise self.error(
                f"`{attribute.name}` has no sub-attributes to filter with `[...]`",
                node.path.span,
            )
        inner = _RecordBinder(self.source, attribute).bind(node.filter)
        if attribute.multi_valued:
            return lambda resource: any(inner(record) for record in records(resource))

        def single(resource: Any) -> bool:
            record = records(resource)
            return record is not None and inner(record)

        return single


class _RecordBinder(_BinderBase):
    """Binds the filter inside ``attr[...]``: paths name sub-attributes of a record."""

    def __init__(self, source: str, attribute: Attribute) -> None:
        super().__init__(source)
        self.attribute = attribute

    def resolve(self, path: AttrPath) -> tuple[Attribute, Getter, bool]:
        if path.urn is not None or path.sub is not None:
            raise self.error(
                f"inside `{self.attribute.name}[...]` name a sub-attribute of "
                f"`{self.attribute.name}`",
                path.span,
            )
        sub = self.attribute.sub(path.attr)
        if sub is None:
            names = [s.name for s in self.attribute.sub_attributes]
            raise self.error(
                f"unknown sub-attribute `{path.attr}` of `{self.attribute.name}`"
                + did_you_mean(path.attr, names),
                path.span,
            )
        return sub, operator.attrgetter(sub.python_name), False

    def bind_value_path(self, node: ValuePath) -> Predicate:
        raise self.error("a `[...]` filter cannot hold another `[...]`", node.span)


def _chain(first: Getter, name: str) -> Getter:
    get = operator.attrgetter(name)

    def chained(resource: Any) -> Any:
        parent = first(resource)
        return None if parent is None else get(parent)

    return chained


def _each(records: Getter, name: str) -> Getter:
    get = operator.attrgetter(name)
    return lambda resource: [get(record) for record in records(resource) or ()]


def _schemas_of(resource: Any) -> list[str]:
    schemas = ["urn:ietf:params:scim:schemas:core:2.0:" + resource.meta.resource_type]
    if getattr(resource, "enterprise", None) is not None:
        schemas.append("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    return schemas


def _is_present(value: object) -> bool:
    if value is None or value in ("", ()):
        return False
    if isinstance(value, (list, tuple)):
        return any(_is_present(item) for item in value)
    fields = getattr(value, "__attrs_attrs__", None)
    if fields is not None:
        return any(_is_present(getattr(value, field.name)) for field in fields)
    return True


def _present(getter: Getter, many: bool) -> Predicate:
    if many:
        return lambda resource: any(_is_present(v) for v in getter(resource))
    return lambda resource: _is_present(getter(resource))


def _value_test(
    attribute: Attribute, op: CompareOp, value: Any
) -> Callable[[Any], bool]:
    """A test on one attribute value; ``None`` (unassigned) never passes."""
    folded = (
        attribute.type in (AttrType.STRING, AttrType.REFERENCE)
        and not attribute.case_exact
    )
    if folded and isinstance(value, str):
        value = value.casefold()
        if op in (CompareOp.EQ, CompareOp.NE):
            return lambda v: v is not None and v.casefold() == value
        if op is CompareOp.CO:
            return lambda v: v is not None and value in v.casefold()
        if op is CompareOp.SW:
            return lambda v: v is not None and v.casefold().startswith(value)
        if op is CompareOp.EW:
            return lambda v: v is not None and v.casefold().endswith(value)
        order = _ORDERING[op]
        return lambda v: v is not None and order(v.casefold(), value)
    if op in (CompareOp.EQ, CompareOp.NE):
        return lambda v: v is not None and v == value
    if op is CompareOp.CO:
        return lambda v: v is not None and value in v
    if op is CompareOp.SW:
        return lambda v: v is not None and v.startswith(value)
    if op is CompareOp.EW:
        return lambda v: v is not None and v.endswith(value)
    order = _ORDERING[op]
    return lambda v: v is not None and order(v, value)


def bind_filter(
    node: Filter,
    source: str,
    resource_type: ResourceType,
    *,
    groups_of: GroupsResolver | None = None,
) -> Predicate:
    """Compile a parsed filter for *resource_type*; *source* is its text (for errors).

    *groups_of* makes the read-only ``groups`` of a User filterable.

    :raises FilterSyntaxError: an unknown attribute or a comparison the type forbids.
    """
    return _Binder(source, resource_type, groups_of).bind(node)


def bind_record_filter(node: Filter, source: str, attribute: Attribute) -> Predicate:
    """Compile the filter of ``attr[filter]`` into a predicate over one record model.

    :raises FilterSyntaxError: an unknown sub-attribute or a forbidden comparison.
    """
    return _RecordBinder(source, attribute).bind(node)


def uses_groups(node: Filter) -> bool:
    """True if the filter reads a User's derived ``groups`` attribute."""
    if isinstance(node, (And, Or)):
        return uses_groups(node.left) or uses_groups(node.right)
    if isinstance(node, Not):
        return uses_groups(node.operand)
    urn = node.path.urn
    return node.path.attr.casefold() == "groups" and (
        urn is None or urn.casefold() == USER.schema.id.casefold()
    )


def sort_key(
    path: AttrPath, source: str, resource_type: ResourceType
) -> Callable[[Any], Any]:
    """Return a key giving the value to sort by (RFC 7644 §3.4.2.3), ``None`` if absent.

    A multi-valued attribute sorts by its primary value, else its first one; strings
    sort ignoring case unless ``caseExact``.
    """
    binder = _Binder(source, resource_type, None)
    attribute, getter, many = binder.resolve(path)
    if attribute.is_complex:
        first = attribute.sub_attributes[0].name
        raise binder.error(
            f"cannot sort by `{attribute.name}`: name one of its sub-attributes, "
            f"such as `{attribute.name}.{first}`",
            path.span,
        )
    if many:
        if not attribute.python_name or attribute is _SCHEMAS_ATTRIBUTE:
            raise binder.error("cannot sort by `schemas`", path.span)
        records = binder._top(path)[1]  # noqa: SLF001  same module
        field = operator.attrgetter(attribute.python_name)

        def primary_or_first(resource: Any) -> Any:
            chosen = None
            for record in records(resource):
                if getattr(record, "primary", None):
                    return field(record)
                if chosen is None:
                    chosen = field(record)
            return chosen

        getter = primary_or_first
    if (
        attribute.type in (AttrType.STRING, AttrType.REFERENCE)
        and not attribute.case_exact
    ):
        plain = getter
        return lambda resource: None if (v := plain(resource)) is None else v.casefold()
    return getter
