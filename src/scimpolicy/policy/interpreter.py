"""The reference interpreter: walk criteria, three-valued, recording every outcome.

Stage: criteria nodes + :class:`~scimpolicy.policy.facts.Facts` + gates → a truth value
(``True``, ``False`` or ``None`` for unknown) and the outcome of every criterion it
evaluated. Explanations are built from those outcomes, and the tests use this module
as the oracle the compiler must agree with, so it favours plainness over speed.

Semantics (SPEC §5.3): a criterion whose reference is not usable (SCIM criteria while
SCIM criteria are gated off, SAML criteria likewise) is unknown; ``and``, ``or`` and
``not`` follow Kleene logic; a rule matches only when its criteria are true.
"""

from __future__ import annotations

import attrs

from scimpolicy.policy.facts import Facts, Gates, canonical, reader
from scimpolicy.policy.nodes import (
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    In,
    Not,
    Or,
    Present,
    Ref,
)

__all__ = ["Outcome", "Step", "culprit", "interpret"]

Truth = bool | None
"""``True``, ``False``, or ``None`` for unknown."""


@attrs.frozen
class Step:
    """One criterion evaluated: its node, its value and, when unknown, why."""

    node: Criteria
    value: Truth
    reason: str | None = None


@attrs.frozen
class Outcome:
    """The value of a whole criteria tree and the steps that produced it, in order."""

    value: Truth
    steps: tuple[Step, ...]

    def first_failure(self) -> Step | None:
        """The first leaf criterion that was false or unknown, if any."""
        for step in self.steps:
            leaf = not isinstance(step.node, (And, Or, Not))
            if leaf and step.value is not True:
                return step
        return None


def _gate(ref: Ref, gates: Gates) -> str | None:
    if ref.is_scim and not gates.scim:
        return "SCIM criteria are not usable for this request"
    if ref.is_saml and not gates.saml:
        return "SAML criteria are not usable for this request"
    return None


def _leaf(node: Compare | In | Contains | Present, facts: Facts) -> bool:
    read = reader(node.ref)
    values = () if read is None else read(facts)
    if isinstance(node, Present):
        present = any(v not in (None, "") for v in values)
        return present != node.negated
    if isinstance(node, In):
        wanted = [canonical(node.ref, v) for v in node.values]
        return any(v in wanted for v in values) != node.negated
    if isinstance(node, Contains):
        return (canonical(node.ref, node.value) in values) != node.negated
    expected = canonical(node.ref, node.value)
    if node.op is CompareOp.EQ:
        return expected in values
    if node.op is CompareOp.NE:
        return expected not in values
    if not isinstance(expected, str):
        return False
    strings = [v for v in values if isinstance(v, str)]
    if node.op is CompareOp.STARTSWITH:
        return any(v.startswith(expected) for v in strings)
    if node.op is CompareOp.ENDSWITH:
        return any(v.endswith(expected) for v in strings)
    return any(expected in v for v in strings)


def interpret(criteria: Criteria | None, facts: Facts, gates: Gates) -> Outcome:
    """Evaluate *criteria* (``None`` matches everything) and record each step."""
    steps: list[Step] = []
    if criteria is None:
        return Outcome(value=True, steps=())
    value = _walk(criteria, facts, gates, steps)
    return Outcome(value, tuple(steps))


def _walk(node: Criteria, facts: Facts, gates: Gates, steps: list[Step]) -> Truth:
    # Both operands are always evaluated, so the record shows every criterion.
    if isinstance(node, And):
        left = _walk(node.left, facts, gates, steps)
        right = _walk(node.right, facts, gates, steps)
        value: Truth = (
            False
            if left is False or right is False
            else True
            if left is True and right is True
            else None
        )
    elif isinstance(node, Or):
        left = _walk(node.left, facts, gates, steps)
        right = _walk(node.right, facts, gates, steps)
        value = (
            True
            if left is True or right is True
            else False
            if left is False and right is False
            else None
        )
    elif isinstance(node, Not):
        inner = _walk(node.operand, facts, gates, steps)
        value = None if inner is None else not inner
    else:
        reason = _gate(node.ref, gates)
        if reason is not None:
            steps.append(Step(node, None, reason))
            return None
        value = _leaf(node, facts)
    steps.append(Step(node, value))
    return value


def culprit(criteria: Criteria, outcome: Outcome) -> Step:
    """The criterion that made *criteria* not true, given its interpreted *outcome*:
    follow the operand carrying the value down from the top. A ``not`` that is false
    is its own culprit; an unknown ``not`` leads on to the unusable criterion inside."""
    steps = {id(s.node): s for s in outcome.steps}
    node, step = criteria, steps[id(criteria)]
    while True:
        if isinstance(node, (And, Or)):
            left = steps[id(node.left)]
            chosen = node.left if left.value is step.value else node.right
        elif isinstance(node, Not) and step.value is None:
            chosen = node.operand
        else:
            return step
        node, step = chosen, steps[id(chosen)]
