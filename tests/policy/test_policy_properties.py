"""Properties of the policy parser and formatter: robustness and round trips."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from scimpolicy.errors import PolicySyntaxError, Span
from scimpolicy.policy.formatter import format_criteria, format_policy
from scimpolicy.policy.nodes import Criteria, Policy, PolicyType, RuleSet
from scimpolicy.policy.parser import parse_criteria, parse_policy
from tests.policy.strategies import criteria, policies, rule_sets

FIXTURES = Path(__file__).parent / "fixtures"
ACME = (FIXTURES / "acme.policy").read_text(encoding="utf-8")
CRITERIA = [
    line.split("when ", 1)[1]
    for line in ACME.splitlines()
    if "when " in line and "#" not in line
]

# Characters that matter to the grammar, drawn more often than chance would.
_SYNTAX_CHARS = st.sampled_from(
    list('()[]"\\:#,.=!- \n\t0123456789dhmrulenotiAO_\x00\u00e9')
)
_WORDS = st.sampled_from(
    [
        *("rule ", "disabled ", "default:", "when ", "and ", "or ", "not ", "in "),
        *("is ", "access:", "timeout:", "reauth every ", " idle ", "never", '"x"'),
    ]
)


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> str:
    """A valid text with a few characters or words inserted or deleted."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        if text and draw(st.booleans()):
            text = text[:pos] + text[pos + draw(st.integers(1, 3)) :]
        else:
            piece = draw(_SYNTAX_CHARS | _WORDS | st.characters())
            text = text[:pos] + piece + text[pos:]
    return text


def check_error(error: PolicySyntaxError, text: str) -> None:
    assert 0 <= error.span.start <= error.span.end <= len(text)
    assert error.source == text
    assert error.message
    assert error.message[0] == error.message[0].lower()
    assert not error.message.endswith(".")
    assert str(error).startswith(error.message)


def inside(span: Span | None, text: str) -> bool:
    return span is not None and 0 <= span.start <= span.end <= len(text)


@given(st.text() | mutated([ACME]))
@example('access:\n  rule "x": allow when ' + "(" * 120 + "a is present")
@example('access:\n  rule "x": allow when a == 1' + " and a == 1" * 250)
@example('access:\n  rule "x": allow when a == "\\ud800"')
@example("timeout:\n  default: reauth every 1" + "0" * 5000 + "m idle never")
@example('access:\n  rule "x": allow when a == 1' + "0" * 5000)
@example('access:\n  rule "x": reauth every 1d idle 1d when a == 1')
@example('access:\n rule "x":\n allow\naccess:')
def test_any_text_parses_or_raises_policy_syntax_error(text: str) -> None:
    """Any text gives a Policy or a PolicySyntaxError with a span inside the text."""
    try:
        policy = parse_policy.__wrapped__(text)
    except PolicySyntaxError as error:
        check_error(error, text)
    else:
        assert isinstance(policy, Policy)
        for rule_set in policy.rule_sets():
            for rule in rule_set.rules:
                assert inside(rule.span, text)
                assert inside(rule.name_span, text)
        assert parse_policy(format_policy(policy)) == policy


@given(st.text() | mutated(CRITERIA))
@example("not " * 150 + "a is present")
@example(" and ".join(["a is present"] * 300))
@example('"x" in true')
def test_any_text_parses_as_criteria_or_raises_policy_syntax_error(text: str) -> None:
    """Any text gives criteria or a PolicySyntaxError with a span inside the text."""
    try:
        node = parse_criteria.__wrapped__(text)
    except PolicySyntaxError as error:
        check_error(error, text)
    else:
        assert parse_criteria(format_criteria(node)) == node


@given(policies())
def test_policies_survive_a_format_parse_round_trip(policy: Policy) -> None:
    """parse_policy(format_policy(p)) == p, and formatting again changes nothing."""
    text = format_policy(policy)
    parsed = parse_policy.__wrapped__(text)
    assert parsed == policy
    # `==` holds `True == 1`; the text tells a boolean from an integer.
    assert format_policy(parsed) == text


@given(criteria())
def test_criteria_survive_a_format_parse_round_trip(node: Criteria) -> None:
    """parse_criteria(format_criteria(c)) == c, and formatting again changes nothing."""
    text = format_criteria(node)
    parsed = parse_criteria.__wrapped__(text)
    assert parsed == node
    assert format_criteria(parsed) == text


@given(st.text() | mutated([ACME]))
def test_format_is_a_fixed_point_of_parsed_text(text: str) -> None:
    """Whatever parses formats to a text that formats to itself."""
    try:
        policy = parse_policy.__wrapped__(text)
    except PolicySyntaxError:
        return
    canonical = format_policy(policy)
    assert format_policy(parse_policy(canonical)) == canonical


@given(rule_sets(PolicyType.TIMEOUT))
def test_a_lone_section_round_trips(rule_set: RuleSet) -> None:
    """A section on its own reads back as the same rule set."""
    policy = Policy(timeout=rule_set)
    assert parse_policy(format_policy(policy)).timeout == rule_set
