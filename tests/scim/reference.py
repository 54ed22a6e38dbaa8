"""A deliberately simple reference matcher: filter nodes over SCIM JSON dicts.

It walks the tree for every resource, looks keys up ignoring case in the JSON the
directory returns, and compares values directly. It shares nothing with the compiled
closures of ``filter_match`` except the schema tables (for ``caseExact`` and types), so
agreement between the two is evidence that the compiler is right.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scimpolicy.scim.filter_nodes import (
    And,
    AttrPath,
    Compare,
    CompareOp,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
)
from scimpolicy.scim.schema import USER, Attribute, AttrType, ResourceType

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _get(mapping: Any, name: str) -> Any:
    if not isinstance(mapping, dict):
        return None
    for key, value in mapping.items():
        if key.casefold() == name.casefold():
            return value
    return None


def _definition(path: AttrPath, resource_type: ResourceType) -> Attribute | None:
    if path.attr.casefold() == "schemas":
        return Attribute("schemas", case_exact=True, multi_valued=True)
    found = resource_type.resolve(path.attr, path.urn)
    if found is None:
        return None
    attribute = found[1]
    if path.sub is not None:
        return attribute.sub(path.sub)
    if attribute.is_complex and attribute.multi_valued:
        return attribute.sub("value")
    return attribute


def _lookup(
    path: AttrPath, body: dict[str, Any], resource_type: ResourceType
) -> list[Any]:
    """Every value the path names in *body*, flattened."""
    found = resource_type.resolve(path.attr, path.urn)
    if found is not None and found[0].id == ENTERPRISE:
        top = _get(_get(body, ENTERPRISE), path.attr)
    else:
        top = _get(body, path.attr)
    if top is None:
        return []
    items = top if isinstance(top, list) else [top]
    sub = path.sub
    if sub is None and items and isinstance(items[0], dict) and isinstance(top, list):
        sub = "value"
    if sub is None:
        return items
    return [v for item in items if (v := _get(item, sub)) is not None]


def _non_empty(value: Any) -> bool:
    if value is None or value in ("", [], {}):
        return False
    if isinstance(value, dict):
        return any(_non_empty(v) for v in value.values())
    return True


def _compare(attribute: Attribute, op: CompareOp, actual: Any, expected: Any) -> bool:
    if attribute.type is AttrType.BOOLEAN:
        if isinstance(expected, str):
            expected = expected.casefold() == "true"
        return bool(actual == expected)
    if attribute.type is AttrType.DATETIME:
        moment, bound = datetime.fromisoformat(actual), datetime.fromisoformat(expected)
        return _order(op, moment, bound)
    if attribute.case_exact or attribute.type is AttrType.BINARY:
        left, right = str(actual), str(expected)
    else:
        left, right = str(actual).casefold(), str(expected).casefold()
    if op in (CompareOp.EQ, CompareOp.NE):  # NE is negated by the caller
        return left == right
    if op is CompareOp.CO:
        return right in left
    if op is CompareOp.SW:
        return left.startswith(right)
    if op is CompareOp.EW:
        return left.endswith(right)
    return _order(op, left, right)


def _order(op: CompareOp, left: Any, right: Any) -> bool:
    if op in (CompareOp.EQ, CompareOp.NE):
        return bool(left == right)
    if op is CompareOp.GT:
        return bool(left > right)
    if op is CompareOp.GE:
        return bool(left >= right)
    if op is CompareOp.LT:
        return bool(left < right)
    return bool(left <= right)


def matches(
    node: Filter, body: dict[str, Any], resource_type: ResourceType = USER
) -> bool:
    """Does the SCIM JSON *body* satisfy *node*?"""
    if isinstance(node, And):
        return matches(node.left, body, resource_type) and matches(
            node.right, body, resource_type
        )
    if isinstance(node, Or):
        return matches(node.left, body, resource_type) or matches(
            node.right, body, resource_type
        )
    if isinstance(node, Not):
        return not matches(node.operand, body, resource_type)
    if isinstance(node, ValuePath):
        records = _get(body, node.path.attr)
        if records is None:
            return False
        found = resource_type.resolve(node.path.attr, node.path.urn)
        assert found is not None
        attribute = found[1]
        for record in records if isinstance(records, list) else [records]:
            if _record_matches(node.filter, record, attribute):
                return True
        return False
    values = _lookup(node.path, body, resource_type)
    if isinstance(node, Present):
        return any(_non_empty(v) for v in values)
    return _compare_values(node, values, _definition(node.path, resource_type))


def _compare_values(
    node: Compare, values: list[Any], attribute: Attribute | None
) -> bool:
    assert attribute is not None
    if node.value is None:
        present = any(_non_empty(v) for v in values)
        return not present if node.op is CompareOp.EQ else present
    hit = any(_compare(attribute, node.op, v, node.value) for v in values)
    return not hit if node.op is CompareOp.NE else hit


def _record_matches(node: Filter, record: dict[str, Any], attribute: Attribute) -> bool:
    if isinstance(node, And):
        return _record_matches(node.left, record, attribute) and _record_matches(
            node.right, record, attribute
        )
    if isinstance(node, Or):
        return _record_matches(node.left, record, attribute) or _record_matches(
            node.right, record, attribute
        )
    if isinstance(node, Not):
        return not _record_matches(node.operand, record, attribute)
    assert not isinstance(node, ValuePath)
    value = _get(record, node.path.attr)
    values = [] if value is None else [value]
    if isinstance(node, Present):
        return any(_non_empty(v) for v in values)
    return _compare_values(node, values, attribute.sub(node.path.attr))
