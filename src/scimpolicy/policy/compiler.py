"""The compiler: a policy → fast matchers, specialised per gate combination.

Stage: policy nodes → :class:`CompiledPolicy`, whose :meth:`~CompiledPolicy.first_match`
answers "which rule decides?" for a :class:`~scimpolicy.policy.facts.Facts` and
:class:`~scimpolicy.policy.facts.Gates`. The reference interpreter
(:mod:`scimpolicy.policy.interpreter`) defines the meaning; this module must agree
with it on every input (a property test checks that).

How the three-valued gates cost nothing on the fast path: each rule set is compiled
once per gate combination (SCIM usable or not, by SAML usable or not, compiled lazily).
Within one combination a gated-off criterion is the constant *unknown*, which is folded
away at compile time by Kleene's rules, and every closure knows statically whether it
can return unknown. When every criterion is usable, no closure ever produces or tests
for unknown: the code is the plain two-valued ``and``/``or``/``not`` of the criteria.
A rule set becomes one generated if-chain (:mod:`scimpolicy.policy.codegen`); single
criteria, and criteria too deep to inline, become the closures built here.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Final, TypeAlias

import attrs

from scimpolicy.errors import Diagnostic
from scimpolicy.policy.codegen import (
    MATCHED,
    NOT_MATCHED,
    UNKNOWN,
    Explainer,
    generate_explainer,
    generate_first_match,
)
from scimpolicy.policy.facts import Facts, Gates, canonical, reader
from scimpolicy.policy.interpreter import culprit, interpret
from scimpolicy.policy.nodes import (
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    In,
    Not,
    Or,
    Policy,
    PolicyType,
    Present,
    Rule,
)

__all__ = ["CompiledPolicy", "compile_criteria", "compile_policy"]

Truth: TypeAlias = bool | None
TwoValued: TypeAlias = Callable[[Facts], bool]
ThreeValued: TypeAlias = Callable[[Facts], Truth]


@attrs.frozen
class _Unknown:
    """A criterion that is unknown for every request under these gates."""


@attrs.frozen
class _Two:
    """A closure that never returns unknown."""

    fn: TwoValued


@attrs.frozen
class _Three:
    """A closure that may return unknown (``None``)."""

    fn: ThreeValued


_Code: TypeAlias = _Unknown | _Two | _Three
_UNKNOWN: Final = _Unknown()
_NEVER: TwoValued = lambda _: False  # noqa: E731  a named constant closure
_NO_VALUES: Callable[[Facts], tuple[Any, ...]] = lambda _: ()  # noqa: E731


def _leaf(node: Compare | In | Contains | Present) -> TwoValued:
    # A reference the checker rejects has no values (the interpreter agrees).
    read = reader(node.ref) or _NO_VALUES
    if isinstance(node, Present):
        if node.negated:
            return lambda facts: not any(v not in (None, "") for v in read(facts))
        return lambda facts: any(v not in (None, "") for v in read(facts))
    if isinstance(node, In):
        wanted = frozenset(canonical(node.ref, v) for v in node.values)
        if node.negated:
            return lambda facts: wanted.isdisjoint(read(facts))
        return lambda facts: not wanted.isdisjoint(read(facts))
    expected: Any = canonical(node.ref, node.value)
    if isinstance(node, Contains) or node.op is CompareOp.EQ:
        negated = isinstance(node, Contains) and node.negated
        if negated:
            return lambda facts: expected not in read(facts)
        return lambda facts: expected in read(facts)
    if node.op is CompareOp.NE:
        return lambda facts: expected not in read(facts)
    if not isinstance(expected, str):
        return _NEVER
    if node.op is CompareOp.STARTSWITH:
        return lambda facts: any(
            isinstance(v, str) and v.startswith(expected) for v in read(facts)
        )
    if node.op is CompareOp.ENDSWITH:
        return lambda facts: any(
            isinstance(v, str) and v.endswith(expected) for v in read(facts)
        )
    return lambda facts: any(isinstance(v, str) and expected in v for v in read(facts))


def _connective(left: _Code, right: _Code, dominant: bool) -> _Code:
    """``left and right`` (*dominant* ``False``) or ``left or right`` (``True``).

    Kleene's rules: the dominant value decides alone; otherwise an unknown side makes
    the result unknown. Only gated-off criteria are unknown at compile time, so a
    constant can only be :class:`_Unknown`.
    """
    if isinstance(left, _Unknown) and isinstance(right, _Unknown):
        return _UNKNOWN
    if isinstance(left, _Unknown) or isinstance(right, _Unknown):
        known = right if isinstance(left, _Unknown) else left
        assert not isinstance(known, _Unknown)  # noqa: S101  both unknown handled above
        other = known.fn
        # unknown and x: false if x is false, else unknown (dually for or)
        return _Three(lambda facts: dominant if other(facts) is dominant else None)
    if isinstance(left, _Two) and isinstance(right, _Two):
        a, b = left.fn, right.fn
        if dominant:
            return _Two(lambda facts: a(facts) or b(facts))
        return _Two(lambda facts: a(facts) and b(facts))
    x, y = left.fn, right.fn

    def kleene(facts: Facts) -> Truth:
        first = x(facts)
        if first is dominant:
            return dominant
        second = y(facts)
        if second is dominant:
            return dominant
        return None if first is None or second is None else not dominant

    return _Three(kleene)


def _not(operand: _Code) -> _Code:
    if isinstance(operand, _Unknown):
        return _UNKNOWN
    if isinstance(operand, _Two):
        fn = operand.fn
        return _Two(lambda facts: not fn(facts))
    inner = operand.fn
    return _Three(lambda facts: None if (v := inner(facts)) is None else not v)


def _compile(node: Criteria, gates: Gates) -> _Code:
    if isinstance(node, And):
        return _connective(
            _compile(node.left, gates), _compile(node.right, gates), dominant=False
        )
    if isinstance(node, Or):
        return _connective(
            _compile(node.left, gates), _compile(node.right, gates), dominant=True
        )
    if isinstance(node, Not):
        return _not(_compile(node.operand, gates))
    if (node.ref.is_scim and not gates.scim) or (node.ref.is_saml and not gates.saml):
        return _UNKNOWN
    return _Two(_leaf(node))


def compile_criteria(criteria: Criteria | None, gates: Gates) -> ThreeValued:
    """Compile criteria for one gate combination: ``facts -> True | False | None``."""
    if criteria is None:
        return lambda _: True
    code = _compile(criteria, gates)
    if isinstance(code, _Unknown):
        return lambda _: None
    return code.fn


def _matcher(criteria: Criteria, gates: Gates) -> TwoValued:
    """``facts -> bool``: does the rule match (are its criteria *true*)?"""
    code = _compile(criteria, gates)
    if isinstance(code, _Unknown):
        return _NEVER  # unknown criteria never make a rule match
    if isinstance(code, _Two):
        return code.fn
    fn = code.fn
    return lambda facts: fn(facts) is True


@attrs.define
class CompiledPolicy:
    """A policy ready for fast evaluation; build it with :func:`compile_policy`."""

    policy: Policy
    diagnostics: tuple[Diagnostic, ...] = ()
    """Warnings and notes the checker found (errors stop a policy from loading)."""
    _cache: dict[tuple[PolicyType, Gates], Callable[[Facts], int]] = attrs.field(
        factory=dict, init=False, repr=False
    )
    _explainers: dict[tuple[PolicyType, Gates], Explainer] = attrs.field(
        factory=dict, init=False, repr=False
    )
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    def matcher(self, policy_type: PolicyType, gates: Gates) -> Callable[[Facts], int]:
        """The generated ``first_match(facts) -> index or -1`` for one rule set and
        gate combination (built on first use, then cached)."""
        if policy_type.__class__ is not PolicyType:
            policy_type = PolicyType(policy_type)
        key = (policy_type, gates)
        found = self._cache.get(key)
        if found is None:
            rules = self.policy.rule_set(policy_type).rules
            found = generate_first_match(
                (
                    (i, rule.criteria)
                    for i, rule in enumerate(rules)
                    if not rule.disabled
                ),
                gates,
                _matcher,
            )
            with self._lock:
                self._cache[key] = found
        return found

    def explainer(self, policy_type: PolicyType, gates: Gates) -> Explainer:
        """The generated explanation for one rule set and gate combination: its
        ``run(facts)`` gives flat ``(index, status, culprit)`` triples for every rule
        up to the first match, culprits numbering ``nodes``."""
        if policy_type.__class__ is not PolicyType:
            policy_type = PolicyType(policy_type)
        key = (policy_type, gates)
        found = self._explainers.get(key)
        if found is None:
            rules = self.policy.rule_set(policy_type).rules
            found = generate_explainer(
                [(i, r.criteria, r.disabled) for i, r in enumerate(rules)],
                gates,
                functools.partial(_explain_one, gates),
            )
            with self._lock:
                self._explainers[key] = found
        return found

    def first_match(
        self, policy_type: PolicyType, facts: Facts, gates: Gates
    ) -> tuple[int, Rule] | None:
        """The index and rule of the first enabled rule that matches, or ``None``."""
        index = self.matcher(policy_type, gates)(facts)
        if index < 0:
            return None
        return index, self.policy.rule_set(policy_type).rules[index]


def _explain_one(
    gates: Gates, criteria: Criteria, facts: Facts
) -> tuple[int, Criteria | None]:
    """Status and culprit of criteria too deep to inline, from the interpreter."""
    outcome = interpret(criteria, facts, gates)
    if outcome.value is True:
        return MATCHED, None
    status = NOT_MATCHED if outcome.value is False else UNKNOWN
    return status, culprit(criteria, outcome).node


def compile_policy(
    policy: Policy, diagnostics: tuple[Diagnostic, ...] = ()
) -> CompiledPolicy:
    """Compile a policy (lazily, per policy type and gate combination, on first use).

    It does not check the policy: use :func:`~scimpolicy.policy.loader.load_policy`,
    or :func:`~scimpolicy.policy.checker.check_policy` first. A reference the checker
    would reject has no values (so it is absent: ``==`` false, ``!=`` true).
    """
    return CompiledPolicy(policy, diagnostics)
