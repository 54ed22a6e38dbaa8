"""The SCIM filter and attribute-path syntax tree (RFC 7644 §3.4.2.2, §3.5.2).

Stage: data. ``filter_parser`` builds these nodes from text; ``filter_match`` compiles
them into predicates; ``patch`` reads :class:`PatchPath`. Nodes are frozen and know
nothing about any schema: an :class:`AttrPath` is just the names the text used.

Invariants: attribute names compare case-insensitively (RFC 7643 §2.1), so two paths
spelled ``userName`` and ``USERNAME`` are equal; spans never take part in equality.
:func:`render` gives canonical text that parses back to an equal node.
"""

from __future__ import annotations

import enum
import json
from typing import TypeAlias

import attrs

from scimpolicy.errors import Span

__all__ = [
    "And",
    "AttrPath",
    "CompValue",
    "Compare",
    "CompareOp",
    "Filter",
    "Not",
    "Or",
    "PatchPath",
    "Present",
    "ValuePath",
    "render",
    "render_path",
]

CompValue: TypeAlias = str | int | float | bool | None
"""A comparison value: a JSON string, number, ``true``, ``false`` or ``null``."""


class CompareOp(enum.StrEnum):
    """The comparison operators of RFC 7644 §3.4.2.2 (wire spelling, lowercase)."""

    EQ = "eq"
    NE = "ne"
    CO = "co"
    SW = "sw"
    EW = "ew"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"


def _fold(name: str | None) -> str | None:
    return None if name is None else name.casefold()


@attrs.frozen
class AttrPath:
    """``[URN ":"] attr ["." sub]`` as written, e.g. ``name.givenName``.

    ``urn`` is the schema URN prefix when the text had one, ``sub`` the sub-attribute.
    Names keep their spelling for display but compare case-insensitively.
    """

    attr: str = attrs.field(eq=str.casefold)
    sub: str | None = attrs.field(default=None, eq=_fold)
    urn: str | None = attrs.field(default=None, eq=_fold)
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Compare:
    """``path op value``: ``userName eq "bjensen"``."""

    path: AttrPath
    op: CompareOp
    value: CompValue
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Present:
    """``path pr``: the attribute has a non-empty value."""

    path: AttrPath
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class And:
    """``left and right``."""

    left: Filter
    right: Filter


@attrs.frozen
class Or:
    """``left or right``."""

    left: Filter
    right: Filter


@attrs.frozen
class Not:
    """``not (operand)``."""

    operand: Filter


@attrs.frozen
class ValuePath:
    """``attr[filter]``: some value of the multi-valued ``attr`` satisfies ``filter``.

    Paths inside ``filter`` are relative to one value of ``attr`` (``type``, ``value``).
    Entra's ``emails[type eq "work"].value eq "x"`` is read as
    ``emails[type eq "work" and value eq "x"]``.
    """

    path: AttrPath
    filter: Filter
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


Filter: TypeAlias = Compare | Present | And | Or | Not | ValuePath


@attrs.frozen
class PatchPath:
    """A PATCH ``path``: ``attrPath`` or ``valuePath ["." subAttr]`` (RFC 7644 §3.5.2).

    ``emails[type eq "work"].value`` has ``attr`` ``emails``, ``filter``
    ``type eq "work"`` and ``sub`` ``value``.
    """

    attr: AttrPath
    filter: Filter | None = None
    sub: str | None = attrs.field(default=None, eq=_fold)
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


def render_path(path: AttrPath) -> str:
    """Render an attribute path as filter text."""
    text = f"{path.urn}:{path.attr}" if path.urn else path.attr
    return f"{text}.{path.sub}" if path.sub else text


def _render_value(value: CompValue) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return json.dumps(value, ensure_ascii=False)


def render(node: Filter | PatchPath) -> str:
    """Render a filter or PATCH path as canonical text that parses back to *node*.

    Parentheses are added only where precedence (``not`` > ``and`` > ``or``) needs them.
    """
    if isinstance(node, PatchPath):
        text = render_path(node.attr)
        if node.filter is not None:
            text += f"[{render(node.filter)}]"
        return f"{text}.{node.sub}" if node.sub else text
    if isinstance(node, Compare):
        return f"{render_path(node.path)} {node.op} {_render_value(node.value)}"
    if isinstance(node, Present):
        return f"{render_path(node.path)} pr"
    if isinstance(node, Not):
        return f"not ({render(node.operand)})"
    if isinstance(node, ValuePath):
        return f"{render_path(node.path)}[{render(node.filter)}]"
    if isinstance(node, And):
        return f"{_operand(node.left, (Or,))} and {_operand(node.right, (Or, And))}"
    return f"{render(node.left)} or {_operand(node.right, (Or,))}"


def _operand(node: Filter, parenthesized: tuple[type[And | Or], ...]) -> str:
    # `and` and `or` are left-associative and `and` binds tighter, so a weaker operand,
    # or a right operand of the same kind, needs parentheses to parse back the same.
    text = render(node)
    return f"({text})" if isinstance(node, parenthesized) else text
