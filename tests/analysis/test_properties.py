"""Properties of the analysis, checked against the reference interpreter on generated
policies and requests.

(a) A rule ``analyze`` reports unreachable or redundant changes no decision's outcome
when removed, a contradictory one never matches, and each gate hazard's example shows
the hazard; conversely a rule whose removal changes a generated request's outcome is
reported as none of those. (b) Every ``diff`` example is decided as the difference
says by both policies, and every generated request decided differently falls in a
reported difference. (c) For a policy and a copy with one rule edited (action, a
value, a criterion dropped, moved), ``diff`` is empty exactly when no generated request
is decided differently (with (b): its examples differ). (a) to (c) once more over the
public strategies' policies, which read every kind of reference. (d) The solver agrees
with brute force over small domains.

Policies are drawn over a few references (so that rules overlap), with values that
differ only in case or share prefixes; requests are :class:`Example` values over the
references the policies use, each single-valued one absent or one of the policies'
constants or a fresh value, each multi-valued one a few of those, under any gate state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from types import MappingProxyType
from typing import Any, Final

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from scimpolicy.analysis import Example, Kind, analyze, decide, diff
from scimpolicy.analysis.example import example_of
from scimpolicy.analysis.logic import holds, solve
from scimpolicy.policy.facts import ALL_USABLE, Gates, canonical, is_multi_valued
from scimpolicy.policy.interpreter import interpret
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
    Namespace,
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
from scimpolicy.testing.strategies import _condition, _negated, _policy
from scimpolicy.testing.strategies import criteria as public_criteria
from scimpolicy.testing.strategies import policies as public_policies

# A few references of every kind: single- and multi-valued, SCIM (gated, case-folded),
# SAML (gated, exact), booleans, client types with two spellings.
POOLS: Final[tuple[tuple[Ref, tuple[Literal, ...]], ...]] = (
    (Ref("app"), ("Git", "Wiki", "Payroll")),
    (Ref("scim", ("userType",)), ("Contractor", "contractor", "Employee")),
    (Ref("scim", ("title",)), ("Engineer", "Eng", "neer")),
    (Ref("scim", ("groups",)), ("SRE", "sre", "Eng")),
    (Ref("saml", ("role",)), ("admin", "Admin", "adm")),
    (Ref("posture", ("edr",)), (True, False)),
    (
        Ref("client_type"),
        ("web_browser", "zpn_client_type_exporter", "client_connector"),
    ),
)
POOL: Final = dict(POOLS)
GATE_STATES: Final = tuple(
    Gates(scim=scim, saml=saml) for scim in (True, False) for saml in (True, False)
)
FRESH: Final = "zz"
ACTIVE: Final = Ref("scim", ("active",))

ACTIONS: Final[dict[PolicyType, tuple[Action, ...]]] = {
    PolicyType.ACCESS: tuple(AccessAction),
    PolicyType.FORWARDING: tuple(ForwardingAction),
    PolicyType.TIMEOUT: (
        TimeoutAction(Duration(7 * 24 * 60), Duration(None)),  # ZPA's default
        TimeoutAction(Duration(24 * 60), Duration(30)),
        TimeoutAction(Duration(60), Duration(None)),
    ),
}


def criteria(
    pools: Sequence[tuple[Ref, tuple[Literal, ...]]] = POOLS,
    *,
    extensions: bool = True,
    max_leaves: int = 4,
) -> st.SearchStrategy[Criteria]:
    """Criteria over *pools* (``scimpolicy.testing.strategies.criteria`` draws over
    every reference it knows; these overlap more)."""
    return st.recursive(
        _condition(tuple(pools), extensions=extensions),
        lambda inner: (
            st.builds(And, inner, inner)
            | st.builds(Or, inner, inner)
            | inner.map(_negated)
        ),
        max_leaves=max_leaves,
    )


POLICIES: Final = _policy(criteria(), max_rules=4)


# -- trees ------------------------------------------------------------------------------


def nodes(node: Criteria) -> Iterator[Criteria]:
    """Every node of *node*, in preorder."""
    yield node
    if isinstance(node, And | Or):
        yield from nodes(node.left)
        yield from nodes(node.right)
    elif isinstance(node, Not):
        yield from nodes(node.operand)


def replaced(node: Criteria, index: int, new: Criteria) -> Criteria:
    """*node* with its *index*-th node (preorder) replaced by *new*."""
    counter = itertools.count()

    def walk(current: Criteria) -> Criteria:
        if next(counter) == index:
            return new
        if isinstance(current, And | Or):
            left = walk(current.left)
            return type(current)(left, walk(current.right))
        if isinstance(current, Not):
            return Not(walk(current.operand))
        return current

    return walk(node)


def leaf_constants(node: Criteria | None) -> Iterator[tuple[Ref, Literal]]:
    for found in () if node is None else nodes(node):
        if isinstance(found, In):
            yield from ((found.ref, v) for v in found.values)
        elif isinstance(found, Compare | Contains):
            yield found.ref, found.value
        elif isinstance(found, Present):
            yield found.ref, FRESH


# -- requests ---------------------------------------------------------------------------


def pool_values(ref: Ref) -> tuple[Literal, ...]:
    return POOL.get(ref, ())


def domains(
    policies: Sequence[Policy],
    *,
    extra: Callable[[Ref], Sequence[Literal]] = pool_values,
) -> dict[Ref, tuple[Any, ...]]:
    """The canonical values worth trying for each reference the policies read: their
    constants, *extra* values and a fresh value (booleans: both)."""
    found: dict[Ref, list[Any]] = {}
    for policy in policies:
        for rule_set in policy.rule_sets():
            for rule in rule_set.rules:
                for ref, value in leaf_constants(rule.criteria):
                    pool = found.setdefault(ref, [])
                    boolean = ref.kind is Namespace.POSTURE or ref == ACTIVE
                    for v in (True, False) if boolean else (value, *extra(ref), FRESH):
                        folded = canonical(ref, v)
                        if folded not in pool:
                            pool.append(folded)
    return {ref: tuple(pool) for ref, pool in found.items()}


@st.composite
def requests(draw: st.DrawFn, domain: dict[Ref, tuple[Any, ...]]) -> Example:
    """A request over *domain*: each single-valued reference absent or one value,
    each multi-valued one up to three values, under any gate state."""
    gates = draw(st.sampled_from(GATE_STATES))
    values: dict[Ref, tuple[Any, ...]] = {}
    for ref, pool in domain.items():
        if is_multi_valued(ref):
            chosen = draw(st.lists(st.sampled_from(pool), max_size=3, unique=True))
            values[ref] = tuple(chosen)
        else:
            values[ref] = draw(st.sampled_from(((), *((v,) for v in pool))))
    return Example(gates, MappingProxyType(values))


def many_requests(
    *policies: Policy, size: int = 25
) -> st.SearchStrategy[list[Example]]:
    domain = domains(policies)
    return st.lists(requests(domain), min_size=size, max_size=size)


def outcomes(policy: Policy, request: Example) -> list[tuple[Action, str | None]]:
    return [decide(rule_set, request) for rule_set in policy.rule_sets()]


def without(rule_set: RuleSet, name: str) -> RuleSet:
    return attrs.evolve(
        rule_set, rules=tuple(r for r in rule_set.rules if r.name != name)
    )


def check_differences(
    before: Policy, after: Policy, requests: Sequence[Example]
) -> None:
    """Every difference's example is decided as it says by both policies; every
    request decided differently is one of the reported pairs of deciding rules."""
    differences = diff(before, after)
    reported = set()
    for difference in differences:
        kind = difference.policy_type
        assert difference.before[0] != difference.after[0]
        assert decide(before.rule_set(kind), difference.example) == difference.before
        assert decide(after.rule_set(kind), difference.example) == difference.after
        pair = (kind, difference.before, difference.after)
        assert pair not in reported
        reported.add(pair)
    for request in requests:
        for kind, old, new in zip(
            PolicyType, outcomes(before, request), outcomes(after, request), strict=True
        ):
            if old[0] != new[0]:
                assert (kind, old, new) in reported, (request.describe(), differences)


def check_findings(policy: Policy, generated: Sequence[Example]) -> None:
    """Unreachable and redundant rules can be removed without changing an outcome,
    contradictory rules never match, hazards show on their example."""
    for finding in analyze(policy):
        rule_set = policy.rule_set(finding.policy_type)
        rule = next(r for r in rule_set.rules if r.name == finding.rule)
        assert not rule.disabled
        if finding.kind is Kind.GATE_HAZARD:
            assert finding.example is not None
            usable = attrs.evolve(finding.example, gates=ALL_USABLE)
            assert decide(rule_set, usable) == (rule.action, rule.name)
            action, name = decide(rule_set, finding.example)
            assert name == (finding.related[0] if finding.related else None)
            assert action != rule.action
            continue
        assert finding.example is None
        removed = without(rule_set, rule.name)
        for request in generated:
            if finding.kind is Kind.CONTRADICTORY:
                value = interpret(rule.criteria, request.facts(), request.gates).value
                assert value is not True, request.describe()
                continue
            decided = decide(rule_set, request)
            if finding.kind is Kind.UNREACHABLE:
                assert decided[1] != rule.name, request.describe()
            assert decide(removed, request)[0] == decided[0], request.describe()


# -- (a) findings hold on generated requests ----------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.data(), POLICIES)
def test_findings_hold_on_generated_requests(
    data: st.DataObject, policy: Policy
) -> None:
    """(a) on policies over a few overlapping references."""
    check_findings(policy, data.draw(many_requests(policy)))


@settings(max_examples=100, deadline=None)
@given(st.data(), POLICIES)
def test_rules_that_decide_a_request_are_not_reported_as_never_deciding(
    data: st.DataObject, policy: Policy
) -> None:
    """The converse on generated requests: a rule that decides one is neither
    contradictory nor unreachable, and one whose removal changes an outcome is not
    redundant."""
    never = {
        (f.policy_type, f.rule)
        for f in analyze(policy)
        if f.kind in (Kind.CONTRADICTORY, Kind.UNREACHABLE, Kind.REDUNDANT)
    }
    for request in data.draw(many_requests(policy)):
        for rule_set in policy.rule_sets():
            action, name = decide(rule_set, request)
            if name is None:
                continue
            removed = decide(without(rule_set, name), request)
            if removed[0] != action:
                assert (rule_set.type, name) not in never, request.describe()


# -- (b) diff examples really differ ---------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.data(), POLICIES, POLICIES)
def test_every_difference_is_decided_differently(
    data: st.DataObject, before: Policy, after: Policy
) -> None:
    check_differences(before, after, data.draw(many_requests(before, after)))


# -- (c) one rule edited -----------------------------------------------------------------


def edited_criteria(
    draw: st.DrawFn,
    node: Criteria | None,
    how: str,
    pools: dict[Ref, tuple[Any, ...]],
) -> Criteria | None:
    """*node* with one value changed (``"value"``, drawn from *pools*) or one
    criterion dropped."""
    if node is None:
        return None
    found = list(nodes(node))
    if how == "drop":
        inner = [i for i, n in enumerate(found) if isinstance(n, And | Or | Not)]
        if not inner:
            return None  # the only criterion: the rule now matches everything
        index = draw(st.sampled_from(inner))
        target = found[index]
        if isinstance(target, Not):
            return replaced(node, index, target.operand)
        assert isinstance(target, And | Or)
        return replaced(node, index, draw(st.sampled_from((target.left, target.right))))
    leaves = [i for i, n in enumerate(found) if not isinstance(n, And | Or | Not)]
    index = draw(st.sampled_from(leaves))
    leaf = found[index]
    assert isinstance(leaf, Compare | In | Contains | Present)
    one = st.sampled_from(pools[leaf.ref])
    new: Criteria
    if isinstance(leaf, Present):
        new = attrs.evolve(leaf, negated=not leaf.negated)
    elif isinstance(leaf, In):
        values = list(leaf.values)
        position = draw(st.integers(0, len(values)))
        values[position:position] = [draw(one)]  # a value added (or repeated)
        if draw(st.booleans()) and len(values) > 1:
            del values[draw(st.integers(0, len(values) - 1))]  # and one taken out
        new = attrs.evolve(leaf, values=tuple(dict.fromkeys(values)))
    elif isinstance(leaf, Compare) and leaf.op not in (CompareOp.EQ, CompareOp.NE):
        text = str(draw(one))
        new = attrs.evolve(leaf, value=text[: draw(st.integers(1, max(1, len(text))))])
    else:
        new = attrs.evolve(leaf, value=draw(one))
    return replaced(node, index, new)


@st.composite
def one_rule_edited(
    draw: st.DrawFn, policy: Policy, added: st.SearchStrategy[Criteria] | None = None
) -> Policy:
    """*policy* with one rule's action changed, a value changed, a criterion dropped,
    the rule moved, or (in a section with no rules) a rule added (its criteria from
    *added*, default :func:`criteria`)."""
    pools = domains([policy])
    kind = draw(st.sampled_from(PolicyType))
    rule_set = policy.rule_set(kind)
    rules = list(rule_set.rules)
    if not rules:
        new_criteria = draw(criteria() if added is None else added)
        rules.append(Rule("added", draw(st.sampled_from(ACTIONS[kind])), new_criteria))
    else:
        index = draw(st.integers(0, len(rules) - 1))
        rule = rules[index]
        how = draw(st.sampled_from(("action", "value", "drop", "move")))
        if how == "action" or (how in ("value", "drop") and rule.criteria is None):
            rules[index] = attrs.evolve(
                rule, action=draw(st.sampled_from(ACTIONS[kind]))
            )
        elif how == "move":
            del rules[index]
            rules.insert(draw(st.integers(0, len(rules))), rule)
        else:
            changed = edited_criteria(draw, rule.criteria, how, pools)
            rules[index] = attrs.evolve(rule, criteria=changed)
    new = attrs.evolve(rule_set, rules=tuple(rules))
    return attrs.evolve(policy, **{str(kind): new})


@settings(max_examples=150, deadline=None)
@given(st.data(), POLICIES)
def test_diff_of_one_edit_is_empty_exactly_when_no_request_differs(
    data: st.DataObject, policy: Policy
) -> None:
    after = data.draw(one_rule_edited(policy))
    check_differences(policy, after, data.draw(many_requests(policy, after)))


# -- (a) to (c) over every reference ------------------------------------------------------

EVERY_REFERENCE: Final = public_criteria(extensions=True)


@settings(max_examples=60, deadline=None)
@given(st.data(), public_policies(max_rules=3, extensions=True))
def test_findings_and_differences_over_every_reference(
    data: st.DataObject, policy: Policy
) -> None:
    """The public strategies' policies read every kind of reference (trusted networks,
    countries, platforms, ``scim.active``, ...): the same checks on them."""
    after = data.draw(one_rule_edited(policy, EVERY_REFERENCE))
    generated = data.draw(many_requests(policy, after))
    check_findings(policy, generated)
    check_differences(policy, after, generated)


# -- (d) the solver against brute force ----------------------------------------------------

SMALL_POOLS: Final = (
    (Ref("app"), ("Git", "Wiki")),
    (Ref("scim", ("department",)), ("Eng", "eng", "Sales")),
    (Ref("saml", ("role",)), ("admin", "Admin", "adm")),
    (Ref("posture", ("edr",)), (True, False)),
)


def assignments(criteria_: Criteria, gates: Gates) -> Iterator[Example]:
    """Every request over the references *criteria_* reads: each single-valued one
    absent or one of the criteria's constants or a fresh value, each multi-valued one
    as many of those as it has conditions (enough for every condition's witness)."""
    leaves = [n for n in nodes(criteria_) if not isinstance(n, And | Or | Not)]
    refs = list(dict.fromkeys(leaf.ref for leaf in leaves))
    domain = domains(
        [
            Policy(
                RuleSet(PolicyType.ACCESS, (Rule("r", AccessAction.ALLOW, criteria_),))
            )
        ],
        extra=lambda _: (),
    )
    choices: list[list[tuple[Any, ...]]] = []
    for ref in refs:
        pool = domain[ref]
        if is_multi_valued(ref):
            most = sum(1 for leaf in leaves if leaf.ref == ref)
            choices.append(
                [
                    subset
                    for size in range(most + 1)
                    for subset in itertools.combinations(pool, size)
                ]
            )
        else:
            choices.append([(), *((v,) for v in pool)])
    for combination in itertools.product(*choices):
        yield Example(
            gates, MappingProxyType(dict(zip(refs, combination, strict=True)))
        )


def brute_force(criteria_: Criteria, gates: Gates) -> bool:
    return any(
        interpret(criteria_, request.facts(), gates).value is True
        for request in assignments(criteria_, gates)
    )


def solved(criteria_: Criteria, gates: Gates) -> bool:
    """Whether the solver finds a model, checking its example with the interpreter."""
    model = solve(holds(criteria_, gates))
    if model is None:
        return False
    found = example_of(model, gates)
    assert interpret(criteria_, found.facts(), gates).value is True, found.describe()
    return True


@settings(max_examples=300, deadline=None)
@given(
    criteria(SMALL_POOLS, extensions=False, max_leaves=6), st.sampled_from(GATE_STATES)
)
def test_solver_agrees_with_brute_force(criteria_: Criteria, gates: Gates) -> None:
    """Without text tests the constants, a fresh value and absence are every value
    that matters: the solver finds a model exactly when brute force finds one."""
    assert solved(criteria_, gates) == brute_force(criteria_, gates)


@settings(max_examples=200, deadline=None)
@given(
    criteria(SMALL_POOLS, extensions=True, max_leaves=6), st.sampled_from(GATE_STATES)
)
def test_solver_finds_what_brute_force_finds_with_text_tests(
    criteria_: Criteria, gates: Gates
) -> None:
    """With ``startswith``, ``endswith`` and ``contains`` a witness may need a value
    built from several constants, which the brute-force domain lacks: brute force
    finding a request implies the solver finds one (and its example is checked)."""
    found = solved(criteria_, gates)  # an example it finds is checked either way
    if brute_force(criteria_, gates):
        assert found
