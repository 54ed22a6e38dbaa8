"""Tests for scimpolicy.policy.formatter: the canonical policy text."""

from __future__ import annotations

from pathlib import Path

import pytest

from scimpolicy.policy.formatter import format_criteria, format_policy
from scimpolicy.policy.nodes import (
    AccessAction,
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    Duration,
    ForwardingAction,
    In,
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
from scimpolicy.policy.parser import parse_criteria, parse_policy

FIXTURES = Path(__file__).parent / "fixtures"
ACME = (FIXTURES / "acme.policy").read_text(encoding="utf-8")

CANONICAL_ACME = """\
access:
  rule "Block contractors from payroll": deny
    when app == "Payroll" and scim.userType == "Contractor"
  rule "Engineering to source control": allow
    when app in ["Git", "CI"] and (scim.department == "Engineering" or "SRE" in scim.groups)
  disabled rule "Legacy VPN": allow
    when app == "VPN"
  rule "Everyone to the wiki": allow
    when app == "Wiki"
  rule "Approval for prod": require_approval
    when segment_group == "Production"
  default: deny

forwarding:
  rule "Guests bypass": bypass
    when saml.role == "guest"
  rule "Only allowed apps off-network": intercept_accessible
    when not trusted_network is present
  default: intercept

timeout:
  rule "Contractors re-auth daily": reauth every 1d idle 30m
    when scim.userType == "Contractor"
  default: reauth every 7d idle never
"""

A, B, C = (Present(Ref(name)) for name in "abc")


def test_acme_policy_formats_canonically() -> None:
    """The SPEC illustration prints in the canonical layout and reads back equal."""
    assert format_policy(parse_policy(ACME)) == CANONICAL_ACME
    assert parse_policy(CANONICAL_ACME) == parse_policy(ACME)


def test_empty_policy_formats_as_empty_text() -> None:
    """A policy with nothing in it is the empty text, which parses back to it."""
    assert format_policy(Policy()) == ""
    assert parse_policy(format_policy(Policy())) == Policy()


def test_sections_in_fixed_order_and_empty_ones_left_out() -> None:
    """access, forwarding, timeout; a section without rules or default is omitted."""
    policy = Policy(
        timeout=RuleSet(
            PolicyType.TIMEOUT, (), TimeoutAction(Duration(60), Duration(None))
        ),
        access=RuleSet(PolicyType.ACCESS, (), AccessAction.ALLOW),
    )
    assert format_policy(policy) == (
        "access:\n  default: allow\n\ntimeout:\n  default: reauth every 1h idle never\n"
    )


def test_rules_without_criteria_and_disabled_rules() -> None:
    """A rule with no criteria is one line; `disabled` comes first."""
    rules = (
        Rule("All", ForwardingAction.BYPASS),
        Rule("Off", ForwardingAction.INTERCEPT, A, disabled=True),
    )
    policy = Policy(forwarding=RuleSet(PolicyType.FORWARDING, rules))
    assert format_policy(policy) == (
        "forwarding:\n"
        '  rule "All": bypass\n'
        '  disabled rule "Off": intercept\n'
        "    when a is present\n"
    )


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (None, "never"),
        (0, "0m"),
        (5, "5m"),
        (60, "1h"),
        (90, "1h30m"),
        (1440, "1d"),
        (1441, "1d1m"),
        (1500, "1d1h"),
        (3240, "2d6h"),
        (10080, "7d"),
    ],
)
def test_durations_use_the_largest_units(minutes: int | None, text: str) -> None:
    """Minutes print as days, hours and minutes, leaving out zero units."""
    action = TimeoutAction(Duration(minutes), Duration(minutes))
    policy = Policy(timeout=RuleSet(PolicyType.TIMEOUT, (), action))
    assert format_policy(policy) == (
        f"timeout:\n  default: reauth every {text} idle {text}\n"
    )


def test_strings_are_json_with_unicode_kept() -> None:
    """Names and values are JSON strings; non-ASCII stays as it is."""
    rule = Rule(
        'Café "β" \\ #1\n',
        AccessAction.DENY,
        Compare(Ref("app"), CompareOp.EQ, "日本\t"),
    )
    text = format_policy(Policy(RuleSet(PolicyType.ACCESS, (rule,))))
    assert text == (
        'access:\n  rule "Café \\"β\\" \\\\ #1\\n": deny\n    when app == "日本\\t"\n'
    )
    assert parse_policy(text).access.rules == (rule,)


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (And(A, B), "a is present and b is present"),
        (And(And(A, B), C), "a is present and b is present and c is present"),
        (And(A, And(B, C)), "a is present and (b is present and c is present)"),
        (Or(Or(A, B), C), "a is present or b is present or c is present"),
        (Or(A, Or(B, C)), "a is present or (b is present or c is present)"),
        (Or(And(A, B), C), "a is present and b is present or c is present"),
        (Or(A, And(B, C)), "a is present or b is present and c is present"),
        (And(Or(A, B), C), "(a is present or b is present) and c is present"),
        (And(A, Or(B, C)), "a is present and (b is present or c is present)"),
        (Not(A), "not a is present"),
        (Not(Not(A)), "not not a is present"),
        (Not(And(A, B)), "not (a is present and b is present)"),
        (Not(Or(A, B)), "not (a is present or b is present)"),
        (And(Not(A), Not(B)), "not a is present and not b is present"),
        (Or(Not(Or(A, B)), C), "not (a is present or b is present) or c is present"),
    ],
)
def test_criteria_take_only_the_parentheses_precedence_needs(
    node: Criteria, text: str
) -> None:
    """Parentheses appear only where precedence or left-association needs them."""
    assert format_criteria(node) == text
    assert parse_criteria(text) == node


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (Compare(Ref("app"), CompareOp.NE, "x"), 'app != "x"'),
        (
            Compare(Ref("scim", ("title",)), CompareOp.STARTSWITH, "VP"),
            'scim.title startswith "VP"',
        ),
        (Compare(Ref("x"), CompareOp.EQ, True), "x == true"),
        (Compare(Ref("x"), CompareOp.EQ, False), "x == false"),
        (Compare(Ref("x"), CompareOp.EQ, -12), "x == -12"),
        (In(Ref("app"), ("a", 1, True)), 'app in ["a", 1, true]'),
        (In(Ref("app"), ("a",), True), 'app not in ["a"]'),
        (Contains("SRE", Ref("scim", ("groups",))), '"SRE" in scim.groups'),
        (Contains(3, Ref("x"), True), "3 not in x"),
        (Present(Ref("x"), True), "x is absent"),
    ],
)
def test_conditions(node: Criteria, text: str) -> None:
    """Each condition prints in its one spelling."""
    assert format_criteria(node) == text
    assert parse_criteria(text) == node


@pytest.mark.parametrize(
    ("ref", "text"),
    [
        (Ref("app"), "app"),
        (Ref("scim", ("name", "givenName")), "scim.name.givenName"),
        (Ref("scim", ("default",)), "scim.default"),
        (Ref("saml", ("http://x/claims/role",)), 'saml["http://x/claims/role"]'),
        (Ref("posture", ("CrowdStrike ZTA",)), 'posture["CrowdStrike ZTA"]'),
        (Ref("saml", ("",)), 'saml[""]'),
        (Ref("saml", ('a"]',)), 'saml["a\\"]"]'),
        (Ref("not", ("x",)), "not.x"),
    ],
)
def test_references_use_dots_or_one_bracketed_string(ref: Ref, text: str) -> None:
    """Plain names join with dots; any other single name is a bracketed string."""
    assert format_criteria(Present(ref)) == f"{text} is present"
    assert parse_criteria(f"{text} is present") == Present(ref)


def test_literal_keyword_namespaces_print_after_in() -> None:
    """`"x" in true` reads `true` as a reference, so it prints that way."""
    assert format_criteria(Contains("x", Ref("true"))) == '"x" in true'


def test_deep_criteria_format_without_recursion() -> None:
    """A 10,000-deep tree prints without exhausting the stack."""
    node: Criteria = A
    for _ in range(10_000):
        node = Not(And(node, B))
    text = format_criteria(node)
    assert text.startswith("not (not (")
    assert text.count("(") == 10_000


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (Present(Ref("a", ("b c", "d"))), "cannot format reference"),
        (Present(Ref("a.b")), "cannot format reference"),
        (Present(Ref("")), "cannot format reference"),
        (Present(Ref("not")), "cannot format reference"),
        (Present(Ref("true", ("a b",))), "cannot format reference"),
        (In(Ref("a"), ()), "cannot format `in` with an empty list"),
        (
            Compare(Ref("a"), CompareOp.STARTSWITH, 1),
            "cannot format `startswith` with a value that is not a string",
        ),
    ],
)
def test_inexpressible_criteria_raise_value_error(node: Criteria, message: str) -> None:
    """Nodes the language has no spelling for are refused, not printed wrongly."""
    with pytest.raises(ValueError, match=message):
        format_criteria(node)


def test_inexpressible_rules_raise_value_error() -> None:
    """An empty rule name or a negative duration has no spelling."""
    empty = Policy(RuleSet(PolicyType.ACCESS, (Rule("", AccessAction.ALLOW),)))
    with pytest.raises(ValueError, match="empty name"):
        format_policy(empty)
    negative = TimeoutAction(Duration(-1), Duration(None))
    with pytest.raises(ValueError, match="negative duration"):
        format_policy(Policy(timeout=RuleSet(PolicyType.TIMEOUT, (), negative)))


def test_actions_and_rule_sets_in_the_wrong_section_raise_type_error() -> None:
    """An access action in the forwarding section, or a rule set in the wrong slot."""
    wrong_action = RuleSet(PolicyType.FORWARDING, (), AccessAction.ALLOW)
    with pytest.raises(TypeError, match="as a forwarding action"):
        format_policy(Policy(forwarding=wrong_action))
    with pytest.raises(TypeError, match="cannot format the access section"):
        format_policy(Policy(access=RuleSet(PolicyType.TIMEOUT)))
