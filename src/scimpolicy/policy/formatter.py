"""Print policy nodes as canonical policy text (SPEC §4).

Stage: :mod:`scimpolicy.policy.nodes` → text, the inverse of
:mod:`scimpolicy.policy.parser`. Input is a :class:`~scimpolicy.policy.nodes.Policy`
or a criteria node; output is text in the one canonical layout::

    access:
      rule "Engineering to Git": allow
        when app in ["Git", "CI"] and (scim.department == "Eng" or "SRE" in scim.groups)
      disabled rule "Legacy VPN": allow
        when app == "VPN"
      default: deny

    timeout:
      rule "Contractors daily": reauth every 1d idle 30m
        when scim.userType == "Contractor"

Sections come in the order access, forwarding, timeout, one blank line apart; a
section with no rules and no default is left out. Strings are JSON with non-ASCII
characters kept; durations use the largest units (``1d``, ``1h30m``, ``0m``,
``never``); criteria carry only the parentheses precedence needs; a reference name
that is not a plain name is written in brackets (``saml["http://x/claims/role"]``).

Invariants: ``parse_policy(format_policy(p)) == p`` and formatting the result again
changes nothing; likewise for criteria. Nodes the text cannot express (an empty rule
name, an empty ``in`` list, ...) raise ``ValueError``; an action of another section
raises ``TypeError``.
Criteria are printed without recursion, so deep trees cannot exhaust the stack.
"""

from __future__ import annotations

import json
import re
from typing import Final

from scimpolicy.policy.nodes import (
    AccessAction,
    Action,
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    Duration,
    ForwardingAction,
    In,
    Literal,
    Not,
    Or,
    Policy,
    PolicyType,
    Present,
    Ref,
    Rule,
    RuleSet,
    TimeoutAction,
)

__all__ = ["format_action", "format_criteria", "format_policy"]

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Where a condition begins these words are keywords, so they cannot stand alone as
# a namespace there (after `in` they can: `"x" in true` reads `true` as a reference).
_CONDITION_KEYWORDS: Final = frozenset({"not", "true", "false"})
_STRING_OPS: Final = frozenset(
    {CompareOp.STARTSWITH, CompareOp.ENDSWITH, CompareOp.CONTAINS}
)
_KINDS: Final[dict[PolicyType, type[Action]]] = {
    PolicyType.ACCESS: AccessAction,
    PolicyType.FORWARDING: ForwardingAction,
    PolicyType.TIMEOUT: TimeoutAction,
}
# Binding strength: a child binding more loosely than its parent needs parentheses.
_OR, _AND, _NOT, _ATOM = 1, 2, 3, 4


def format_policy(policy: Policy) -> str:
    """Return the canonical text of *policy* (empty for a policy with no content).

    Raises ``ValueError`` for nodes the policy language cannot express and
    ``TypeError`` for an action (or rule set) in the wrong section.
    """
    blocks = []
    for kind, rule_set in zip(PolicyType, policy.rule_sets(), strict=True):
        if rule_set.type is not kind:
            message = (
                f"cannot format the {kind} section: it holds a {rule_set.type} rule set"
            )
            raise TypeError(message)
        if rule_set.rules or rule_set.default is not None:
            blocks.append(_rule_set(rule_set))
    return "\n".join(blocks)


def format_criteria(criteria: Criteria) -> str:
    """Return the canonical text of *criteria*, as it would follow ``when``.

    Raises ``ValueError`` for nodes the policy language cannot express.
    """
    parts: list[str] = []
    # Work items: a node still to print, or text to emit as it is.
    stack: list[Criteria | str] = [criteria]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, And | Or):
            own = _AND if isinstance(item, And) else _OR
            word = " and " if own == _AND else " or "
            # left-associative: a right operand of the same strength needs parentheses
            right = _operand(item.right, _binding(item.right) <= own)
            stack.extend(
                reversed(
                    [*_operand(item.left, _binding(item.left) < own), word, *right]
                )
            )
        elif isinstance(item, Not):
            operand = _operand(item.operand, _binding(item.operand) < _NOT)
            stack.extend(reversed(["not ", *operand]))
        else:
            parts.append(_condition(item))
    return "".join(parts)


def _rule_set(rule_set: RuleSet) -> str:
    lines = [f"{rule_set.type}:"]
    for rule in rule_set.rules:
        lines.extend(_rule(rule, rule_set.type))
    if rule_set.default is not None:
        lines.append(f"  default: {_action(rule_set.default, rule_set.type)}")
    return "\n".join(lines) + "\n"


def _rule(rule: Rule, kind: PolicyType) -> list[str]:
    if not rule.name:
        raise ValueError("cannot format a rule with an empty name")
    prefix = "disabled rule" if rule.disabled else "rule"
    head = f"  {prefix} {_string(rule.name)}: {_action(rule.action, kind)}"
    if rule.criteria is None:
        return [head]
    return [head, f"    when {format_criteria(rule.criteria)}"]


def format_action(action: Action) -> str:
    """An action as the policy text writes it (``deny``, ``reauth every 1d idle
    30m``)."""
    if isinstance(action, TimeoutAction):
        return f"reauth every {_duration(action.reauth)} idle {_duration(action.idle)}"
    return action.value


def _action(action: Action, kind: PolicyType) -> str:
    if not isinstance(action, _KINDS[kind]):
        raise TypeError(f"cannot format {action!r} as a {kind} action")
    return format_action(action)


def _duration(duration: Duration) -> str:
    if duration.minutes is None:
        return "never"
    if duration.minutes < 0:
        raise ValueError(
            f"cannot format a negative duration: {duration.minutes} minutes"
        )
    days, rest = divmod(duration.minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = ((days, "d"), (hours, "h"), (minutes, "m"))
    return "".join(f"{count}{unit}" for count, unit in units if count) or "0m"


def _binding(node: Criteria) -> int:
    if isinstance(node, Or):
        return _OR
    if isinstance(node, And):
        return _AND
    return _NOT if isinstance(node, Not) else _ATOM


def _operand(node: Criteria, parenthesize: bool) -> list[Criteria | str]:
    return ["(", node, ")"] if parenthesize else [node]


def _condition(node: Compare | In | Contains | Present) -> str:
    if isinstance(node, Compare):
        if node.op in _STRING_OPS and not isinstance(node.value, str):
            message = f"cannot format `{node.op}` with a value that is not a string"
            raise ValueError(message)
        return f"{_ref(node.ref)} {node.op.value} {_literal(node.value)}"
    if isinstance(node, In):
        if not node.values:
            raise ValueError("cannot format `in` with an empty list")
        values = ", ".join(_literal(value) for value in node.values)
        return f"{_ref(node.ref)} {'not in' if node.negated else 'in'} [{values}]"
    if isinstance(node, Contains):
        word = "not in" if node.negated else "in"
        return f"{_literal(node.value)} {word} {_ref(node.ref, after_in=True)}"
    return f"{_ref(node.ref)} is {'absent' if node.negated else 'present'}"


def _ref(ref: Ref, *, after_in: bool = False) -> str:
    namespace, path = ref.namespace, ref.path
    if _NAME.fullmatch(namespace):
        if path and all(_NAME.fullmatch(name) for name in path):
            return ".".join((namespace, *path))
        if after_in or namespace not in _CONDITION_KEYWORDS:
            if not path:
                return namespace
            if len(path) == 1:
                return f"{namespace}[{_string(path[0])}]"
    raise ValueError(
        f"cannot format reference {ref!r}: the policy language has no spelling for it"
    )


def _literal(value: Literal) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _string(value)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
