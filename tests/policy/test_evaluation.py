"""Criteria semantics: the reference interpreter and the compiler, construct by construct,
and their agreement on generated criteria, facts and every gate state."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimpolicy import Directory
from scimpolicy.policy.codegen import generate_first_match
from scimpolicy.policy.compiler import _matcher, compile_criteria, compile_policy
from scimpolicy.policy.facts import ALL_USABLE, Facts, Gates
from scimpolicy.policy.interpreter import interpret
from scimpolicy.policy.nodes import (
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    In,
    Not,
    Or,
    PolicyType,
    Present,
    Ref,
)
from scimpolicy.policy.parser import parse_criteria, parse_policy
from scimpolicy.scim.models import User

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GATE_STATES = [Gates(scim, saml) for scim in (True, False) for saml in (True, False)]


def make_user(**attributes: Any) -> User:
    directory = Directory()
    enterprise = {
        k: attributes.pop(k) for k in ("department", "costCenter") if k in attributes
    }
    payload: dict[str, Any] = {"userName": "ann@x.com", **attributes}
    if enterprise:
        payload[ENTERPRISE] = enterprise
    created = directory.create_user(payload)
    user = directory.user(created["id"])
    assert user is not None
    return user


ANN = Facts(
    user=make_user(
        userType="Contractor",
        active=True,
        department="Engineering",
        name={"givenName": "Ann"},
        emails=[{"value": "ann@x.com", "type": "work"}, {"value": "ann@home.example"}],
    ),
    scim_groups=frozenset({"SRE", "All Staff"}),
    saml={"role": ("dev", "oncall"), "http://x/claims/dept": ("eng",)},
    app="Git",
    segment_group="Engineering Apps",
    idp="Okta",
    client_type="zpn_client_type_zapp",
    platform="mac",
    country="DE",
    posture={"crowdstrike": True, "disk": False},
    trusted_networks=frozenset({"HQ"}),
    machine_group="Laptops",
)


def both(text: str, facts: Facts = ANN, gates: Gates = ALL_USABLE) -> bool | None:
    """Evaluate with the interpreter and the compiler; they must agree."""
    criteria = parse_criteria(text)
    interpreted = interpret(criteria, facts, gates).value
    compiled = compile_criteria(criteria, gates)(facts)
    assert compiled is interpreted, (text, gates, compiled, interpreted)
    return interpreted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # SCIM strings ignore case; absent attributes equal nothing
        ('scim.userType == "contractor"', True),
        ('scim.userType != "Employee"', True),
        ('scim.title == "x"', False),
        ('scim.title != "x"', True),
        ('scim.department == "ENGINEERING"', True),
        (f'scim["{ENTERPRISE}:department"] == "engineering"', True),
        ("scim.active == true", True),
        ('scim.name.givenName startswith "an"', True),
        # multi-valued: any value
        ('scim.emails.value endswith "@home.example"', True),
        ('scim.emails contains "home"', True),
        ('"sre" in scim.groups', True),
        ('"Finance" in scim.groups', False),
        ('"Finance" not in scim.groups', True),
        ('scim.userType in ["Employee", "Contractor"]', True),
        ('scim.userType not in ["Employee", "Contractor"]', False),
        ("scim.title is absent", True),
        ("scim.department is present", True),
        # SAML values compare exactly, and are multi-valued
        ('saml.role == "oncall"', True),
        ('saml.role == "Oncall"', False),
        ('saml["http://x/claims/dept"] == "eng"', True),
        ("saml.missing is absent", True),
        # client context
        ('app in ["Git", "CI"]', True),
        ('segment_group == "Engineering Apps"', True),
        ('idp == "Okta"', True),
        ('client_type == "client_connector"', True),
        ('client_type == "ZPN_CLIENT_TYPE_ZAPP"', True),
        ('platform == "MAC"', True),
        ('country == "de"', True),
        ("posture.crowdstrike == true", True),
        ("posture.disk == true", False),
        ("posture.other is absent", True),
        ('"HQ" in trusted_network', True),
        ('machine_group == "Laptops"', True),
        # logic
        ('app == "Git" and not scim.userType == "Employee"', True),
        ('app == "CI" or (saml.role == "dev" and platform == "mac")', True),
        ('not (app == "Git" or app == "CI")', False),
    ],
)
def test_each_construct(text: str, expected: bool) -> None:
    """Each comparison, membership, presence and connective means what SPEC §4 says."""
    assert both(text) is expected


def test_unusable_criteria_are_unknown_and_kleene_logic_applies() -> None:
    """SPEC §5.3: gated-off criteria are unknown; OR keeps deciding on the usable ones,
    AND with an unknown part is not true; NOT unknown is unknown."""
    no_scim = Gates(scim=False, saml=True)
    assert both('"SRE" in scim.groups', gates=no_scim) is None
    assert both('"SRE" in scim.groups or saml.role == "dev"', gates=no_scim) is True
    assert both('"SRE" in scim.groups or saml.role == "ops"', gates=no_scim) is None
    assert both('"SRE" in scim.groups and saml.role == "dev"', gates=no_scim) is None
    assert both('"SRE" in scim.groups and saml.role == "ops"', gates=no_scim) is False
    assert both('not "SRE" in scim.groups', gates=no_scim) is None
    assert both('saml.role == "dev"', gates=Gates(scim=True, saml=False)) is None
    assert both('app == "Git"', gates=Gates(scim=False, saml=False)) is True


def test_interpreter_records_each_step_and_the_first_failure() -> None:
    """The interpreter records every criterion's outcome, with the gate as the reason."""
    outcome = interpret(
        parse_criteria('app == "Git" and "SRE" in scim.groups and platform == "ios"'),
        ANN,
        Gates(scim=False),
    )
    assert outcome.value is False
    leaves = [
        (type(s.node).__name__, s.value, s.reason)
        for s in outcome.steps
        if not isinstance(s.node, And)
    ]
    assert leaves == [
        ("Compare", True, None),
        ("Contains", None, "SCIM criteria are not usable for this request"),
        ("Compare", False, None),
    ]
    failure = outcome.first_failure()
    assert failure is not None
    assert isinstance(failure.node, Contains)


def test_compiled_policy_first_match_skips_disabled_rules() -> None:
    """First match wins, disabled rules are skipped, unusable rules do not match."""
    policy = parse_policy(
        "access:\n"
        '  rule "contractors": deny when scim.userType == "Contractor"\n'
        '  disabled rule "off": allow\n'
        '  rule "git": allow when app == "Git"\n'
    )
    compiled = compile_policy(policy)
    hit = compiled.first_match(PolicyType.ACCESS, ANN, Gates())
    assert hit is not None
    assert hit[1].name == "contractors"
    hit = compiled.first_match(PolicyType.ACCESS, ANN, Gates(scim=False))
    assert hit is not None
    assert (hit[0], hit[1].name) == (2, "git")
    assert compiled.first_match(PolicyType.FORWARDING, ANN, Gates()) is None


# -- agreement on generated inputs ----------------------------------------------------

WORDS = st.sampled_from(
    ["Engineering", "engineering", "SRE", "dev", "Git", "", "mac", "x"]
)
REFS = st.sampled_from(
    [
        Ref("scim", ("department",)),
        Ref("scim", ("userType",)),
        Ref("scim", ("title",)),
        Ref("scim", ("emails", "value")),
        Ref("scim", ("groups",)),
        Ref("scim", ("active",)),
        Ref("saml", ("role",)),
        Ref("app"),
        Ref("platform"),
        Ref("trusted_network"),
        Ref("posture", ("crowdstrike",)),
        Ref("bogus", ("x",)),
    ]
)
VALUES = WORDS | st.booleans()


def leaves() -> st.SearchStrategy[Criteria]:
    return st.one_of(
        st.builds(Compare, REFS, st.sampled_from(list(CompareOp)), VALUES),
        st.builds(
            In, REFS, st.lists(VALUES, min_size=1, max_size=3).map(tuple), st.booleans()
        ),
        st.builds(Contains, VALUES, REFS, st.booleans()),
        st.builds(Present, REFS, st.booleans()),
    )


CRITERIA = st.recursive(
    leaves(),
    lambda children: (
        st.builds(And, children, children)
        | st.builds(Or, children, children)
        | st.builds(Not, children)
    ),
    max_leaves=8,
)


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    user = None
    if draw(st.booleans()):
        attributes: dict[str, Any] = {}
        for key in ("department", "userType", "title"):
            if draw(st.booleans()):
                attributes[key] = draw(WORDS.filter(bool))
        if draw(st.booleans()):
            attributes["active"] = draw(st.booleans())
        emails = draw(st.lists(WORDS.filter(bool), max_size=2))
        if emails:
            attributes["emails"] = [{"value": e} for e in emails]
        user = make_user(**attributes)
    return Facts(
        user=user,
        scim_groups=frozenset(draw(st.lists(WORDS.filter(bool), max_size=2))),
        saml={"role": tuple(draw(st.lists(WORDS, max_size=2)))},
        app=draw(WORDS | st.none()),
        platform=draw(WORDS | st.none()),
        trusted_networks=frozenset(draw(st.lists(WORDS, max_size=2))),
        posture=draw(st.dictionaries(st.just("crowdstrike"), st.booleans())),
    )


@settings(max_examples=400)
@given(criteria=CRITERIA, facts=facts(), gates=st.sampled_from(GATE_STATES))
def test_compiled_agrees_with_the_interpreter(
    criteria: Criteria, facts: Facts, gates: Gates
) -> None:
    """On any criteria, facts and gate state, compiled and interpreted values are equal."""
    assert (
        compile_criteria(criteria, gates)(facts)
        is interpret(criteria, facts, gates).value
    )


@settings(max_examples=100)
@given(
    rules=st.lists(st.tuples(CRITERIA | st.none(), st.booleans()), max_size=6),
    facts=facts(),
    gates=st.sampled_from(GATE_STATES),
)
def test_first_match_agrees_with_interpreting_each_rule(
    rules: list[tuple[Criteria | None, bool]], facts: Facts, gates: Gates
) -> None:
    """The compiled policy's first match is the first enabled rule whose criteria the
    interpreter finds true."""
    from scimpolicy.policy.nodes import AccessAction, Policy, Rule, RuleSet

    built = tuple(
        Rule(f"r{i}", AccessAction.ALLOW, criteria, disabled=disabled)
        for i, (criteria, disabled) in enumerate(rules)
    )
    policy = Policy(access=RuleSet(PolicyType.ACCESS, built))
    expected = next(
        (
            i
            for i, rule in enumerate(built)
            if not rule.disabled
            and interpret(rule.criteria, facts, gates).value is True
        ),
        None,
    )
    hit = compile_policy(policy).first_match(PolicyType.ACCESS, facts, gates)
    assert (None if hit is None else hit[0]) == expected


def _conjunction(parts: list[Criteria]) -> Criteria:
    node = parts[0]
    for part in parts[1:]:
        node = And(node, part)
    return node


# Rules as large policies write them: mostly `and`s of equality tests, some not.
INDEXABLE_RULES = st.lists(
    st.lists(leaves(), min_size=1, max_size=4).map(_conjunction) | CRITERIA | st.none(),
    max_size=14,
)


@settings(max_examples=300)
@given(rules=INDEXABLE_RULES, facts=facts(), gates=st.sampled_from(GATE_STATES))
def test_the_indexed_first_match_agrees_with_the_if_chain(
    rules: list[Criteria | None], facts: Facts, gates: Gates
) -> None:
    """Long rule sets get a bitmask index instead of an if-chain: on any rules, facts
    and gates, both shapes pick the same rule (and agree with the interpreter)."""
    numbered = list(enumerate(rules))
    chain = generate_first_match(numbered, gates, _matcher, indexed=False)
    index = generate_first_match(numbered, gates, _matcher, indexed=True)
    expected = next(
        (i for i, c in numbered if interpret(c, facts, gates).value is True), -1
    )
    assert chain(facts) == index(facts) == expected
