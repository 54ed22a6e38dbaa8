"""``analyze``: what a policy's rules can never do, and ``diff``: what two policies
decide differently, each with a concrete example request.

Stage: a policy → formulas per rule and gate state (``logic``) → the solver → findings
with examples (``example``). Everything is exact for the language's theory (see
``logic``): a rule reported unreachable really never decides, and every example is a
request on which the claim holds (the tests decide each one with the interpreter).

Gate states: a request has SCIM criteria usable or not, and SAML criteria usable or
not (SPEC §5.2); a claim "for every request" covers every state that matters for the
policy (a state is only considered when the policy has criteria it changes).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from scimpolicy.analysis.example import Example, example_of
from scimpolicy.analysis.logic import (
    TRUE,
    Atom,
    Formula,
    Test,
    all_of,
    any_of,
    holds,
    lit,
    negate,
    solve,
)
from scimpolicy.policy.facts import Gates
from scimpolicy.policy.formatter import format_action
from scimpolicy.policy.nodes import (
    ZPA_DEFAULTS,
    AccessAction,
    Action,
    And,
    Criteria,
    Duration,
    ForwardingAction,
    Not,
    Or,
    Policy,
    PolicyType,
    Ref,
    Rule,
    RuleSet,
    TimeoutAction,
)
from scimpolicy.policy.tenant import Tenant

__all__ = ["Difference", "Finding", "Kind", "analyze", "diff"]


class Kind(enum.StrEnum):
    """What a finding says."""

    CONTRADICTORY = "contradictory"
    UNREACHABLE = "unreachable"
    REDUNDANT = "redundant"
    GATE_HAZARD = "gate-hazard"


@attrs.frozen
class Finding:
    """One thing :func:`analyze` found about a rule.

    ``related`` names the other rules involved (the earlier rules that decide first,
    the rule that decides instead); ``example`` is a request showing it, where one
    helps (an unreachable rule has none: no request reaches it).
    """

    kind: Kind
    policy_type: PolicyType
    rule: str
    message: str
    related: tuple[str, ...] = ()
    example: Example | None = None

    def render(self) -> str:
        """``access: rule `X`: unreachable: ...`` plus the example on its own line."""
        head = f"{self.policy_type}: rule `{self.rule}`: {self.kind}: {self.message}"
        if self.example is None:
            return head
        return f"{head}\n    example: {self.example.describe()}"

    def to_json(self) -> dict[str, Any]:
        """The finding for programs."""
        return {
            "kind": str(self.kind),
            "policy": str(self.policy_type),
            "rule": self.rule,
            "message": self.message,
            "related": list(self.related),
            "example": None if self.example is None else self.example.to_json(),
        }


@attrs.frozen
class Difference:
    """A class of requests two policies decide differently, with one example."""

    policy_type: PolicyType
    before: tuple[Action, str | None]  # (action, deciding rule or None: the default)
    after: tuple[Action, str | None]
    example: Example

    def render(self) -> str:
        """``access: allow by `X` -> deny by default`` and the example."""
        return (
            f"{self.policy_type}: {_decision(self.before)} -> {_decision(self.after)}"
            f"\n    example: {self.example.describe()}"
        )

    def to_json(self) -> dict[str, Any]:
        """The difference for programs."""
        return {
            "policy": str(self.policy_type),
            "before": _decision_json(self.before),
            "after": _decision_json(self.after),
            "example": self.example.to_json(),
        }


# -- analyze ---------------------------------------------------------------------------


def analyze(policy: Policy, tenant: Tenant | None = None) -> list[Finding]:
    """Every contradictory, unreachable and redundant rule and every gate hazard,
    rule by rule in the order of the policy.

    With a *tenant*, only its requests count: its IdPs, applications and segment
    groups, and the gate states each IdP's settings allow (SCIM criteria usable only
    for an IdP with SCIM Sync and SCIM Attributes for Policy on; SAML criteria usable
    exactly for an IdP with SAML Attributes for Policy on).
    """
    found: list[Finding] = []
    for rule_set in policy.rule_sets():
        found.extend(_RuleSetAnalysis(rule_set, tenant).findings())
    return found


class _RuleSetAnalysis:
    def __init__(self, rule_set: RuleSet, tenant: Tenant | None) -> None:
        self.rule_set = rule_set
        self.tenant = tenant
        self.type = rule_set.type
        self.rules = [rule for rule in rule_set.rules if not rule.disabled]
        self.default = rule_set.default or ZPA_DEFAULTS[rule_set.type]
        self.states = _states(self.rules)

    def solve(self, formula: Formula, gates: Gates) -> dict[Atom, bool] | None:
        """:func:`solve` among the requests that can exist (the tenant's)."""
        return solve(all_of([formula, _domain(self.tenant, gates)]))

    def findings(self) -> Iterator[Finding]:
        for index, rule in enumerate(self.rules):
            if all(
                self.solve(holds(rule.criteria, gates), gates) is None
                for gates in self.states
            ):
                yield Finding(
                    Kind.CONTRADICTORY,
                    self.type,
                    rule.name,
                    "its criteria can never be true",
                )
                continue
            reached = self.reached(index)
            if reached is None:
                yield self.unreachable(index)
                continue
            redundant = self.redundant(index)
            if redundant is not None:
                yield redundant
            hazard = self.hazard(index)
            if hazard is not None:
                yield hazard

    def decides(self, index: int, gates: Gates) -> Formula:
        """Rule *index* decides: it matches and no earlier rule does."""
        parts = [holds(self.rules[index].criteria, gates)]
        parts.extend(negate(holds(r.criteria, gates)) for r in self.rules[:index])
        return all_of(parts)

    def reached(self, index: int) -> Example | None:
        for gates in self.states:
            model = self.solve(self.decides(index, gates), gates)
            if model is not None:
                return example_of(model, gates)
        return None

    def unreachable(self, index: int) -> Finding:
        rule = self.rules[index]
        covering = [
            earlier.name
            for earlier in self.rules[:index]
            if all(
                self.solve(
                    all_of(
                        [
                            holds(rule.criteria, gates),
                            negate(holds(earlier.criteria, gates)),
                        ]
                    ),
                    gates,
                )
                is None
                for gates in self.states
            )
        ]
        if covering:
            message = f"`{covering[0]}` always decides first"
            related = tuple(covering[:1])
        else:
            related = tuple(r.name for r in self.rules[:index])
            message = "earlier rules together always decide first"
        return Finding(Kind.UNREACHABLE, self.type, rule.name, message, related)

    def redundant(self, index: int) -> Finding | None:
        """Removing the rule changes no outcome: whenever it decides, the next rule
        to match (or the default) has the same action."""
        rule = self.rules[index]
        for gates in self.states:
            deciding = self.decides(index, gates)
            if self.other_outcome(deciding, index, rule.action, gates) is not None:
                return None
        return Finding(
            Kind.REDUNDANT,
            self.type,
            rule.name,
            "removing it changes no decision's outcome: whenever it decides, a later "
            f"rule or the default gives {format_action(rule.action)} too",
        )

    def other_outcome(
        self, condition: Formula, index: int, action: Action, gates: Gates
    ) -> tuple[Example, str | None] | None:
        """A request meeting *condition* on which, skipping rule *index*, the first
        later rule to match (or the default) gives another action than *action*."""
        skipped: list[Formula] = []
        for later in self.rules[index + 1 :]:
            matches = holds(later.criteria, gates)
            if later.action != action:
                model = self.solve(all_of([condition, *skipped, matches]), gates)
                if model is not None:
                    return example_of(model, gates), later.name
            skipped.append(negate(matches))
        if self.default != action:
            model = self.solve(all_of([condition, *skipped]), gates)
            if model is not None:
                return example_of(model, gates), None
        return None

    def hazard(self, index: int) -> Finding | None:
        """A restrictive rule with SCIM criteria that, while a user's SCIM criteria
        are not usable, lets another rule (or the default) decide otherwise."""
        rule = self.rules[index]
        if not _restrictive(rule.action) or not _mentions(rule.criteria, "scim"):
            return None
        usable = Gates(scim=True, saml=True)
        unusable = Gates(scim=False, saml=True)
        would = self.decides(index, usable)
        for other_index, other in enumerate(self.rules):
            if other_index == index or not _weaker(other.action, rule.action):
                continue
            condition = all_of([would, self.decides(other_index, unusable)])
            model = self.solve(
                all_of([condition, _domain(self.tenant, usable)]), unusable
            )
            if model is not None:
                return self.hazard_finding(rule, other.name, model, unusable)
        if _weaker(self.default, rule.action):
            nothing = all_of([negate(holds(r.criteria, unusable)) for r in self.rules])
            model = self.solve(
                all_of([would, nothing, _domain(self.tenant, usable)]), unusable
            )
            if model is not None:
                return self.hazard_finding(rule, None, model, unusable)
        return None

    def hazard_finding(
        self, rule: Rule, instead: str | None, model: Any, gates: Gates
    ) -> Finding:
        who = f"`{instead}` decides" if instead else "the default decides"
        decided = format_action(_action_of(self, instead))
        return Finding(
            Kind.GATE_HAZARD,
            self.type,
            rule.name,
            f"its SCIM criteria are unknown until SCIM Attributes for Policy is on and "
            f"the user has re-authenticated; meanwhile {who} "
            f"({decided} instead of {format_action(rule.action)})",
            () if instead is None else (instead,),
            example_of(model, gates),
        )


def _action_of(analysis: _RuleSetAnalysis, name: str | None) -> Action:
    if name is None:
        return analysis.default
    return next(rule.action for rule in analysis.rules if rule.name == name)


# -- diff ------------------------------------------------------------------------------


def diff(
    before: Policy, after: Policy, tenant: Tenant | None = None
) -> list[Difference]:
    """Every pair of (deciding rule in *before*, deciding rule in *after*) with
    different outcomes that some request reaches, each with an example request.

    Empty exactly when the two policies give every request the same outcome in every
    policy type (the deciding rule's name may differ). With a *tenant*, only its
    requests count (see :func:`analyze`).
    """
    found: list[Difference] = []
    for old, new in zip(before.rule_sets(), after.rule_sets(), strict=True):
        found.extend(_diff_rule_sets(old, new, tenant))
    return found


def _diff_rule_sets(
    old: RuleSet, new: RuleSet, tenant: Tenant | None
) -> Iterator[Difference]:
    a_rules = [rule for rule in old.rules if not rule.disabled]
    b_rules = [rule for rule in new.rules if not rule.disabled]
    a_default = old.default or ZPA_DEFAULTS[old.type]
    b_default = new.default or ZPA_DEFAULTS[new.type]
    states = _states([*a_rules, *b_rules])
    a_choices = [*((i, r.action) for i, r in enumerate(a_rules)), (None, a_default)]
    b_choices = [*((k, r.action) for k, r in enumerate(b_rules)), (None, b_default)]
    # Where each criteria first appears on each side, to skip pairs whose formulas
    # contradict on their face (the shared rules of two versions of a policy).
    a_first = _first_positions(a_rules)
    b_first = _first_positions(b_rules)
    for i, a_action in a_choices:
        for k, b_action in b_choices:
            if a_action == b_action or _apart(
                (a_rules, a_first, i), (b_rules, b_first, k)
            ):
                continue
            for gates in states:
                condition = all_of(
                    [
                        _decides(a_rules, i, gates),
                        _decides(b_rules, k, gates),
                        _domain(tenant, gates),
                    ]
                )
                model = solve(condition)
                if model is not None:
                    yield Difference(
                        old.type,
                        (a_action, None if i is None else a_rules[i].name),
                        (b_action, None if k is None else b_rules[k].name),
                        example_of(model, gates),
                    )
                    break


def _decides(rules: Sequence[Rule], index: int | None, gates: Gates) -> Formula:
    """Rule *index* decides (``None``: no rule matches, the default decides)."""
    end = len(rules) if index is None else index
    parts = [negate(holds(rule.criteria, gates)) for rule in rules[:end]]
    if index is not None:
        parts.append(holds(rules[index].criteria, gates))
    return all_of(parts)


def _first_positions(rules: Sequence[Rule]) -> dict[Criteria | None, int]:
    first: dict[Criteria | None, int] = {}
    for index, rule in enumerate(rules):
        first.setdefault(rule.criteria, index)
    return first


_Side = tuple[Sequence[Rule], dict[Criteria | None, int], int | None]


def _apart(a: _Side, b: _Side) -> bool:
    """Whether one side needs criteria to hold that the other needs not to match
    (the same criteria, written the same): then no request decides both ways.

    A side is (its rules, where each criteria first appears, the deciding rule's
    index or ``None`` for the default).
    """
    return _needs_what_other_rules_out(a, b) or _needs_what_other_rules_out(b, a)


def _needs_what_other_rules_out(side: _Side, other: _Side) -> bool:
    rules, _, index = side
    other_rules, other_first, other_index = other
    if index is None:
        return False
    end = len(other_rules) if other_index is None else other_index
    return other_first.get(rules[index].criteria, end) < end


# -- helpers ---------------------------------------------------------------------------


def _states(rules: Sequence[Rule]) -> list[Gates]:
    """The gate states that matter for these rules, all-usable first."""
    scim = any(_mentions(rule.criteria, "scim") for rule in rules)
    saml = any(_mentions(rule.criteria, "saml") for rule in rules)
    return [
        Gates(scim=s, saml=m)
        for s in ((True, False) if scim else (True,))
        for m in ((True, False) if saml else (True,))
    ]


def _domain(tenant: Tenant | None, gates: Gates) -> Formula:
    """The requests a tenant can have in a gate state (``TRUE`` without a tenant)."""
    if tenant is None:
        return TRUE
    idp, app, group = Ref("idp"), Ref("app"), Ref("segment_group")
    names = [i.name for i in tenant.idps]
    scim_on = [
        i.name for i in tenant.idps if i.scim_sync and i.scim_attributes_for_policy
    ]
    saml_on = [i.name for i in tenant.idps if i.saml_attributes_for_policy]
    parts = [_yes(Atom(idp, Test.IN, tuple(names)))]
    if gates.scim:
        parts.append(_yes(Atom(idp, Test.IN, tuple(scim_on))))
    parts.append(lit(Atom(idp, Test.IN, tuple(saml_on)), gates.saml))
    # An application is one of the tenant's segments (or none: forwarding), in its
    # segment group.
    segments = [s.name for s in tenant.segments]
    groups = sorted({s.segment_group for s in tenant.segments if s.segment_group})
    parts.append(_absent_or_in(app, segments))
    parts.append(_absent_or_in(group, groups))
    parts.append(
        any_of([_no(Atom(group, Test.PRESENT)), _yes(Atom(app, Test.PRESENT))])
    )
    # Every request comes from some client (Client Connector by default).
    parts.append(_yes(Atom(Ref("client_type"), Test.PRESENT)))
    for segment in tenant.segments:
        is_segment = _no(Atom(app, Test.EQUALS, (segment.name,)))
        if segment.segment_group is None:
            parts.append(any_of([is_segment, _no(Atom(group, Test.PRESENT))]))
        else:
            in_group = _yes(Atom(group, Test.EQUALS, (segment.segment_group,)))
            parts.append(any_of([is_segment, in_group]))
    return all_of(parts)


def _absent_or_in(ref: Ref, names: Sequence[str]) -> Formula:
    return any_of(
        [
            _no(Atom(ref, Test.PRESENT)),
            _yes(Atom(ref, Test.IN, tuple(names))),
        ]
    )


def _yes(atom: Atom) -> Formula:
    return lit(atom, polarity=True)


def _no(atom: Atom) -> Formula:
    return lit(atom, polarity=False)


def _mentions(criteria: Criteria | None, namespace: str) -> bool:
    """Whether *criteria* read a ``scim.*`` (or ``saml.*``) reference."""
    return any(ref.namespace == namespace for ref in _refs(criteria))


def _refs(criteria: Criteria | None) -> Iterator[Ref]:
    if criteria is None:
        return
    if isinstance(criteria, And | Or):
        yield from _refs(criteria.left)
        yield from _refs(criteria.right)
    elif isinstance(criteria, Not):
        yield from _refs(criteria.operand)
    else:
        yield criteria.ref


_ACCESS_STRICTNESS = {
    AccessAction.ALLOW: 0,
    AccessAction.REQUIRE_APPROVAL: 1,
    AccessAction.DENY: 2,
}


def _weaker(override: Action, intended: Action) -> bool:
    """Whether *override* protects less than *intended*: access that is more open,
    any other forwarding than the intended bypass, a longer timeout."""
    if isinstance(intended, AccessAction) and isinstance(override, AccessAction):
        return _ACCESS_STRICTNESS[override] < _ACCESS_STRICTNESS[intended]
    if isinstance(intended, TimeoutAction) and isinstance(override, TimeoutAction):
        return _longer(override.reauth, intended.reauth) or _longer(
            override.idle, intended.idle
        )
    return override != intended


def _longer(a: Duration, b: Duration) -> bool:
    if a.minutes is None:
        return b.minutes is not None
    return b.minutes is not None and a.minutes > b.minutes


def _restrictive(action: Action) -> bool:
    """Actions that protect: the hazard is that they do not apply yet."""
    return (
        action in (AccessAction.DENY, AccessAction.REQUIRE_APPROVAL)
        or action is ForwardingAction.BYPASS
        or isinstance(action, TimeoutAction)
    )


def _decision(decision: tuple[Action, str | None]) -> str:
    action, rule = decision
    return f"{format_action(action)} by " + (f"`{rule}`" if rule else "the default")


def _decision_json(decision: tuple[Action, str | None]) -> dict[str, Any]:
    action, rule = decision
    return {"action": format_action(action), "rule": rule}
