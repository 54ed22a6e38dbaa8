"""Tests for scimpolicy.policy.parser: the policy language's syntax (SPEC §4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scimpolicy.errors import PolicySyntaxError, Span
from scimpolicy.policy.nodes import (
    AccessAction,
    Action,
    And,
    Compare,
    CompareOp,
    Contains,
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
from scimpolicy.policy.parser import parse_criteria, parse_policy

FIXTURES = Path(__file__).parent / "fixtures"
ACME = (FIXTURES / "acme.policy").read_text(encoding="utf-8")
EQ = CompareOp.EQ


def invalid_policies() -> list[tuple[str, int, int, str]]:
    """The blocks of invalid_policies.txt: (text, line, column, message)."""
    lines = (FIXTURES / "invalid_policies.txt").read_text(encoding="utf-8")
    cases = []
    for block in lines.split("\n--- ")[1:]:
        header, _, text = block.partition("\n")
        position, _, message = header.partition(" ")
        line, column = position.split(":")
        cases.append((text.rstrip("\n"), int(line), int(column), message))
    return cases


def invalid_criteria() -> list[tuple[str, int, str]]:
    """The lines of criteria_invalid.txt: (text, column, message)."""
    lines = (FIXTURES / "criteria_invalid.txt").read_text(encoding="utf-8")
    cases = []
    for line in lines.splitlines():
        if not line.startswith("#"):
            text, column, message = line.split("\t")
            cases.append((text, int(column), message))
    return cases


INVALID_POLICIES = invalid_policies()
INVALID_CRITERIA = invalid_criteria()


def eq(namespace: str, *path: str, value: Literal) -> Compare:
    return Compare(Ref(namespace, path), EQ, value)


def app_is(name: str) -> Compare:
    return eq("app", value=name)


def policy_error(text: str) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as info:
        parse_policy(text)
    return info.value


def criteria_error(text: str) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as info:
        parse_criteria(text)
    return info.value


def only_rule(text: str) -> Rule:
    """The one rule of a policy text."""
    policy = parse_policy(text)
    (rule,) = [rule for rule_set in policy.rule_sets() for rule in rule_set.rules]
    return rule


def access_rule(source: str) -> Rule:
    """The rule written as *source* inside an `access:` section."""
    return only_rule(f"access:\n  {source}\n")


# -- fixtures -------------------------------------------------------------------------


def test_acme_policy_parses_to_its_nodes() -> None:
    """The SPEC §4 illustration (with every construct) reads as the expected tree."""
    policy = parse_policy(ACME)
    contractor = eq("scim", "userType", value="Contractor")
    assert policy.access == RuleSet(
        PolicyType.ACCESS,
        (
            Rule(
                "Block contractors from payroll",
                AccessAction.DENY,
                And(app_is("Payroll"), contractor),
            ),
            Rule(
                "Engineering to source control",
                AccessAction.ALLOW,
                And(
                    In(Ref("app"), ("Git", "CI")),
                    Or(
                        eq("scim", "department", value="Engineering"),
                        Contains("SRE", Ref("scim", ("groups",))),
                    ),
                ),
            ),
            Rule("Legacy VPN", AccessAction.ALLOW, app_is("VPN"), disabled=True),
            Rule("Everyone to the wiki", AccessAction.ALLOW, app_is("Wiki")),
            Rule(
                "Approval for prod",
                AccessAction.REQUIRE_APPROVAL,
                eq("segment_group", value="Production"),
            ),
        ),
        AccessAction.DENY,
    )
    assert policy.forwarding == RuleSet(
        PolicyType.FORWARDING,
        (
            Rule(
                "Guests bypass",
                ForwardingAction.BYPASS,
                eq("saml", "role", value="guest"),
            ),
            Rule(
                "Only allowed apps off-network",
                ForwardingAction.INTERCEPT_ACCESSIBLE,
                Not(Present(Ref("trusted_network"))),
            ),
        ),
        ForwardingAction.INTERCEPT,
    )
    assert policy.timeout == RuleSet(
        PolicyType.TIMEOUT,
        (
            Rule(
                "Contractors re-auth daily",
                TimeoutAction(Duration(1440), Duration(30)),
                contractor,
            ),
        ),
        TimeoutAction(Duration(7 * 1440), Duration(None)),
    )


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    INVALID_POLICIES,
    ids=[f"{case[1]}:{case[2]} {case[3]}" for case in INVALID_POLICIES],
)
def test_invalid_fixture_policies_fail_with_their_message(
    text: str, line: int, column: int, message: str
) -> None:
    """Every block of invalid_policies.txt fails at its position with its message."""
    error = policy_error(text)
    assert (error.message, error.lineno, error.colno) == (message, line, column)
    assert 0 <= error.span.start <= error.span.end <= len(text)


@pytest.mark.parametrize(("text", "column", "message"), INVALID_CRITERIA)
def test_invalid_fixture_criteria_fail_with_their_message(
    text: str, column: int, message: str
) -> None:
    """Every line of criteria_invalid.txt fails at its column with its message."""
    error = criteria_error(text)
    assert (error.message, error.colno) == (message, column)
    assert 0 <= error.span.start <= error.span.end <= len(text)


def test_fixture_files_hold_many_cases() -> None:
    """The error fixtures cover a good number of distinct mistakes."""
    assert len(INVALID_POLICIES) > 60
    assert len(INVALID_CRITERIA) > 30
    assert len({case[3] for case in INVALID_POLICIES}) > 45


# -- sections -------------------------------------------------------------------------


def test_empty_text_is_a_policy_of_empty_sections() -> None:
    """No text, or only whitespace and comments, is three empty rule sets."""
    assert parse_policy("") == Policy()
    assert parse_policy("  \n# nothing yet\n\t# still nothing") == Policy()
    assert Policy().access == RuleSet(PolicyType.ACCESS)


def test_missing_sections_are_empty_with_no_default() -> None:
    """A section left out has no rules and `default=None` (ZPA's default applies)."""
    policy = parse_policy("forwarding:\n  default: bypass\n")
    assert policy.access == RuleSet(PolicyType.ACCESS, (), None)
    assert policy.timeout == RuleSet(PolicyType.TIMEOUT, (), None)
    assert policy.forwarding.default is ForwardingAction.BYPASS


def test_a_section_may_be_empty() -> None:
    """A header with nothing under it equals a missing section."""
    assert parse_policy("access:\ntimeout:\n") == Policy()


def test_sections_may_come_in_any_order() -> None:
    """Sections are found by name, not by position."""
    text = "timeout:\n default: reauth every 1d idle never\naccess:\n default: allow\n"
    policy = parse_policy(text)
    assert policy.access.default is AccessAction.ALLOW
    assert policy.timeout.default == TimeoutAction(Duration(1440), Duration(None))


def test_section_header_may_have_spaces_before_its_colon() -> None:
    """`access :` is the access header."""
    assert (
        parse_policy("access :\n default: allow").access.default is AccessAction.ALLOW
    )


# -- rules ----------------------------------------------------------------------------


def test_rule_without_when_has_no_criteria() -> None:
    """No `when` means criteria None: the rule matches every request."""
    rule = access_rule('rule "Everyone": allow')
    assert rule == Rule("Everyone", AccessAction.ALLOW, None)
    assert rule.criteria is None


def test_disabled_rule() -> None:
    """`disabled rule` keeps the rule with `disabled=True`."""
    rule = access_rule('disabled rule "Old": deny when app == "X"')
    assert rule == Rule("Old", AccessAction.DENY, app_is("X"), disabled=True)


def test_rule_names_are_json_strings() -> None:
    """Names take every JSON escape and any non-ASCII text."""
    rule = access_rule(
        r'rule "a \"q\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 é #x": allow'
    )
    assert rule.name == 'a "q" \\ / \b\f\n\r\t é \U0001f600 é #x'


def test_rules_keep_their_order() -> None:
    """Rules are an ordered tuple: first match wins."""
    text = 'access:\n rule "b": deny\n rule "a": allow\n rule "c": deny\n'
    assert [rule.name for rule in parse_policy(text).access.rules] == ["b", "a", "c"]


def test_whitespace_and_newlines_are_insignificant() -> None:
    """A policy on one line equals its indented form."""
    one_line = " ".join(line.split("#")[0] for line in ACME.splitlines()[1:])
    assert parse_policy(one_line) == parse_policy(ACME)
    spread = (
        'access:\n\n  rule\n"x"\n:\nallow\nwhen\napp\n==\n"y"\n\n\tdefault\n:\ndeny'
    )
    assert parse_policy(spread).access == RuleSet(
        PolicyType.ACCESS,
        (Rule("x", AccessAction.ALLOW, app_is("y")),),
        AccessAction.DENY,
    )


def test_windows_line_endings_and_tabs_are_whitespace() -> None:
    """CRLF line ends and tab indentation read like LF and spaces."""
    crlf = ACME.replace("\n", "\r\n").replace("  ", "\t")
    assert parse_policy(crlf) == parse_policy(ACME)


def test_comments_run_to_the_end_of_the_line_but_not_inside_strings() -> None:
    """`#` starts a comment anywhere except inside a string."""
    text = (
        "# heading\naccess: # the access policy\n"
        '  rule "#1 # not a comment": allow # trailing\n'
        '    when # here too\n    app == "#wiki" # and here\n'
    )
    rule = only_rule(text)
    assert rule == Rule("#1 # not a comment", AccessAction.ALLOW, app_is("#wiki"))


@pytest.mark.parametrize(
    ("word", "action"),
    [
        ("allow", AccessAction.ALLOW),
        ("deny", AccessAction.DENY),
        ("require_approval", AccessAction.REQUIRE_APPROVAL),
    ],
)
def test_access_actions(word: str, action: Action) -> None:
    """Access rules and defaults take `allow`, `deny` and `require_approval`."""
    policy = parse_policy(f'access:\n rule "r": {word}\n default: {word}\n')
    assert policy.access.rules[0].action is action
    assert policy.access.default is action


@pytest.mark.parametrize(
    ("word", "action"),
    [
        ("intercept", ForwardingAction.INTERCEPT),
        ("intercept_accessible", ForwardingAction.INTERCEPT_ACCESSIBLE),
        ("bypass", ForwardingAction.BYPASS),
    ],
)
def test_forwarding_actions(word: str, action: Action) -> None:
    """Forwarding takes `intercept`, `intercept_accessible` and `bypass`."""
    policy = parse_policy(f'forwarding:\n rule "r": {word}\n default: {word}\n')
    assert policy.forwarding.rules[0].action is action
    assert policy.forwarding.default is action


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("never", None),
        ("1d", 1440),
        ("12h", 720),
        ("30m", 30),
        ("1h30m", 90),
        ("90m", 90),
        ("2d6h", 3240),
        ("1d1h1m", 1501),
        ("0m", 0),
        ("5m", 5),  # below ZPA's 10-minute minimum: the checker reports it
        ("007d", 7 * 1440),
    ],
)
def test_durations_convert_to_minutes(text: str, minutes: int | None) -> None:
    """Durations are days, hours and minutes in that order, or `never`."""
    policy = parse_policy(f"timeout:\n default: reauth every {text} idle {text}\n")
    assert policy.timeout.default == TimeoutAction(Duration(minutes), Duration(minutes))


def test_timeout_rule() -> None:
    """`reauth every <duration> idle <duration>` with criteria after it."""
    text = 'timeout:\n rule "t": reauth every 1d idle 30m when idp == "Okta"\n'
    assert only_rule(text) == Rule(
        "t", TimeoutAction(Duration(1440), Duration(30)), eq("idp", value="Okta")
    )


# -- criteria -------------------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    """`a or b and c` is `a or (b and c)`, and `a and b or c` is `(a and b) or c`."""
    a, b, c = app_is("a"), app_is("b"), app_is("c")
    assert parse_criteria('app == "a" or app == "b" and app == "c"') == Or(a, And(b, c))
    assert parse_criteria('app == "a" and app == "b" or app == "c"') == Or(And(a, b), c)


def test_and_and_or_are_left_associative() -> None:
    """Chains of one operator group to the left into binary nodes."""
    a, b, c = app_is("a"), app_is("b"), app_is("c")
    assert parse_criteria('app == "a" and app == "b" and app == "c"') == And(
        And(a, b), c
    )
    assert parse_criteria('app == "a" or app == "b" or app == "c"') == Or(Or(a, b), c)


def test_parentheses_override_precedence() -> None:
    """Grouping binds tightest and leaves no node of its own."""
    a, b, c = app_is("a"), app_is("b"), app_is("c")
    assert parse_criteria('(app == "a" or app == "b") and app == "c"') == And(
        Or(a, b), c
    )
    assert parse_criteria('app == "a" and (app == "b" and app == "c")') == And(
        a, And(b, c)
    )
    assert parse_criteria('((((app == "a"))))') == a


def test_not_binds_tighter_than_and() -> None:
    """`not a and b` negates only `a`; `not (a and b)` negates both."""
    a, b = app_is("a"), app_is("b")
    assert parse_criteria('not app == "a" and app == "b"') == And(Not(a), b)
    assert parse_criteria('not (app == "a" and app == "b")') == Not(And(a, b))


def test_not_can_be_repeated() -> None:
    """`not not x` is two nested negations."""
    assert parse_criteria("not not not app is present") == Not(
        Not(Not(Present(Ref("app"))))
    )


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ('scim.title == "CEO"', CompareOp.EQ, "CEO"),
        ('scim.title != "CEO"', CompareOp.NE, "CEO"),
        ('scim.title startswith "VP"', CompareOp.STARTSWITH, "VP"),
        ('scim.title endswith "Manager"', CompareOp.ENDSWITH, "Manager"),
        ('scim.title contains "Eng"', CompareOp.CONTAINS, "Eng"),
        ("scim.title==1", CompareOp.EQ, 1),
    ],
)
def test_comparisons(text: str, op: CompareOp, value: Literal) -> None:
    """`==`, `!=`, `startswith`, `endswith` and `contains` build a Compare."""
    assert parse_criteria(text) == Compare(Ref("scim", ("title",)), op, value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('""', ""),
        (r'"a\"b\\c\u00e9"', 'a"b\\cé'),
        ('"日本語 ✓"', "日本語 ✓"),
        ("true", True),
        ("false", False),
        ("0", 0),
        ("-0", 0),
        ("42", 42),
        ("-17", -17),
        ("123456789012345678901234567890", 123456789012345678901234567890),
    ],
)
def test_literals(text: str, value: Literal) -> None:
    """Literals are JSON strings, `true`, `false` and integers, with their own types."""
    node = parse_criteria(f"scim.x == {text}")
    assert isinstance(node, Compare)
    assert node.value == value
    assert type(node.value) is type(value)  # `true` is not `1`


def test_in_list() -> None:
    """`ref in [...]` and `ref not in [...]`; a trailing comma is allowed."""
    assert parse_criteria('app in ["Git", "CI"]') == In(Ref("app"), ("Git", "CI"))
    assert parse_criteria('app not in ["Git",]') == In(Ref("app"), ("Git",), True)
    assert parse_criteria('x in [1, true, "a"]') == In(Ref("x"), (1, True, "a"))


def test_value_in_reference() -> None:
    """`"SRE" in scim.groups` and `not in` build Contains."""
    groups = Ref("scim", ("groups",))
    assert parse_criteria('"SRE" in scim.groups') == Contains("SRE", groups)
    assert parse_criteria('"SRE" not in scim.groups') == Contains("SRE", groups, True)
    assert parse_criteria("7 in x") == Contains(7, Ref("x"))


def test_not_in_differs_from_a_negated_in() -> None:
    """`x not in [..]` is a negated In; `not x in [..]` is Not over an In."""
    assert parse_criteria('app not in ["a"]') == In(Ref("app"), ("a",), True)
    assert parse_criteria('not app in ["a"]') == Not(In(Ref("app"), ("a",)))


def test_presence() -> None:
    """`is present` and `is absent` build Present, negated for absent."""
    ref = Ref("posture", ("disk_encryption",))
    assert parse_criteria("posture.disk_encryption is present") == Present(ref)
    assert parse_criteria("posture.disk_encryption is absent") == Present(ref, True)


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("app", Ref("app")),
        ("trusted_network", Ref("trusted_network")),
        ("scim.department", Ref("scim", ("department",))),
        ("scim.name.givenName", Ref("scim", ("name", "givenName"))),
        ("saml.role", Ref("saml", ("role",))),
        ("posture.disk_encryption", Ref("posture", ("disk_encryption",))),
        (
            'saml["http://schemas.xmlsoap.org/claims/Group"]',
            Ref("saml", ("http://schemas.xmlsoap.org/claims/Group",)),
        ),
        ('posture["CrowdStrike ZTA"]', Ref("posture", ("CrowdStrike ZTA",))),
        (
            'scim["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"]',
            Ref(
                "scim",
                (
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                ),
            ),
        ),
        ('saml[""]', Ref("saml", ("",))),
        ("scm.department", Ref("scm", ("department",))),
        ("x-y_z9.a-b", Ref("x-y_z9", ("a-b",))),
        ("_private", Ref("_private")),
    ],
)
def test_references(text: str, ref: Ref) -> None:
    """A name, dotted names, or a name and one bracketed string; any namespace."""
    node = parse_criteria(f"{text} is present")
    assert isinstance(node, Present)
    assert node.ref == ref
    assert (node.ref.namespace, node.ref.path) == (ref.namespace, ref.path)


@pytest.mark.parametrize(
    "word",
    [
        *("default", "rule", "when", "and", "or", "not", "in", "is", "present"),
        *("absent", "startswith", "endswith", "contains", "true", "false", "idle"),
        "every",
    ],
)
def test_keywords_are_names_after_a_dot(word: str) -> None:
    """`scim.default`, `saml.rule`, ... are attribute names, in every position."""
    ref = Ref("scim", (word,))
    assert parse_criteria(f'scim.{word} == "x"') == Compare(ref, EQ, "x")
    assert parse_criteria(f'"x" in scim.{word}') == Contains("x", ref)
    assert parse_criteria(f"scim.a.{word}.b is absent") == Present(
        Ref("scim", ("a", word, "b")), True
    )
    rule = access_rule(f'rule "r": allow when "x" in scim.{word}')
    assert rule.criteria == Contains("x", ref)


@pytest.mark.parametrize(
    "word", ["rule", "default", "when", "and", "or", "in", "is", "contains", "access"]
)
def test_keywords_that_cannot_begin_a_condition_are_namespaces(word: str) -> None:
    """Where a condition begins, only `not`, `true` and `false` are keywords."""
    assert parse_criteria(f"{word} == 1") == Compare(Ref(word), EQ, 1)
    assert parse_criteria(f'"x" in {word}') == Contains("x", Ref(word))


def test_literal_keywords_are_references_after_in() -> None:
    """After `"x" in` a reference must follow, so `true` is a name there."""
    assert parse_criteria('"x" in true') == Contains("x", Ref("true"))
    assert parse_criteria("not.x is present") == Present(Ref("not", ("x",)))


def test_keywords_must_not_run_into_names() -> None:
    """`android` is not `and` + `roid`, `rules:` is a section name, `in-x` a name."""
    assert parse_criteria("android == 1 or orca == 2") == Or(
        Compare(Ref("android"), EQ, 1), Compare(Ref("orca"), EQ, 2)
    )
    assert parse_criteria("in-x in [1]") == In(Ref("in-x"), (1,))
    assert policy_error("rules:\n").message == (
        "unknown section `rules`: expected `access`, `forwarding` or `timeout`"
    )


def test_keywords_are_case_sensitive() -> None:
    """`AND` is not `and`, and the message says how to write it."""
    error = criteria_error('app == "a" AND app == "b"')
    assert error.message == "keywords are lowercase: write `and` instead of `AND`"
    assert error.span == Span(11, 14)
    assert parse_criteria("AND == 1") == Compare(Ref("AND"), EQ, 1)


# -- spans ----------------------------------------------------------------------------


def slice_of(text: str, span: Span | None) -> str:
    assert span is not None
    return text[span.start : span.end]


def test_rule_spans_cover_the_rule_and_its_name() -> None:
    """A rule spans `disabled`/`rule` to the end of its criteria; name_span the string."""
    text = (
        "access:\n"
        '  disabled rule "A": allow when (app == "x" or idp == "y")  # c\n'
        '  rule "B": deny\n'
        "  default: deny\n"
    )
    first, second = parse_policy(text).access.rules
    assert slice_of(text, first.span) == (
        'disabled rule "A": allow when (app == "x" or idp == "y")'
    )
    assert slice_of(text, first.name_span) == '"A"'
    assert slice_of(text, second.span) == 'rule "B": deny'


def test_timeout_rule_span_ends_at_its_idle_duration() -> None:
    """Without criteria a rule ends with its action, durations included."""
    text = 'timeout:\n  rule "T": reauth every 1d idle never\n'
    rule = only_rule(text)
    assert slice_of(text, rule.span) == 'rule "T": reauth every 1d idle never'
    assert isinstance(rule.action, TimeoutAction)
    assert slice_of(text, rule.action.reauth.span) == "1d"
    assert slice_of(text, rule.action.idle.span) == "never"


def test_rule_set_spans_run_from_header_to_last_item() -> None:
    """A section spans its header to the end of its last rule or default."""
    text = 'access:\n  rule "A": allow\n  default: deny\n\nforwarding:\n'
    policy = parse_policy(text)
    assert slice_of(text, policy.access.span) == (
        'access:\n  rule "A": allow\n  default: deny'
    )
    assert slice_of(text, policy.forwarding.span) == "forwarding:"
    assert Policy().access.span is None


@pytest.mark.parametrize(
    "condition",
    [
        'scim.department == "Sales"',
        'saml["http://x/role"] != "a"',
        'scim.title startswith "VP"',
        'app in ["a", "b",]',
        'app not in ["a"]',
        '"SRE" in scim.groups',
        '"SRE" not in saml["groups"]',
        "trusted_network is present",
        "posture.crowdstrike is absent",
    ],
)
def test_condition_spans_cover_the_condition(condition: str) -> None:
    """Compare, In, Contains and Present span their text; their Ref spans its text."""
    text = f"  not ({condition})  "
    node = parse_criteria(text)
    assert isinstance(node, Not)
    inner = node.operand
    assert isinstance(inner, Compare | In | Contains | Present)
    assert slice_of(text, inner.span) == condition
    reference = slice_of(text, inner.ref.span)
    assert reference in condition
    assert reference.startswith(inner.ref.namespace)


# -- rendering and guards ---------------------------------------------------------------


def test_error_renders_message_position_and_caret() -> None:
    """str(error) shows the message, the position and the line with a marker."""
    error = policy_error('access:\n  rule "Wiki" allow when app == "Wiki"\n')
    assert str(error) == (
        "expected `:` after the rule name (at line 2, column 15)\n"
        '      rule "Wiki" allow when app == "Wiki"\n'
        "                  ~~~~^"
    )


def test_error_marks_the_offending_token_on_its_line() -> None:
    """The marker spans the token after the reference that lacks a comparison."""
    error = policy_error(
        'access:\n  rule "Sales": allow\n    when scim.department is_not "Sales"\n'
    )
    assert str(error) == (
        "expected a comparison (`==`, `!=`, `in`, `startswith`, ...) after "
        "`scim.department` (at line 3, column 26)\n"
        '        when scim.department is_not "Sales"\n'
        "                             ~~~~~^"
    )


def test_error_for_a_section_name_suggests_the_right_one() -> None:
    """A misspelt section header is reported at the header with a suggestion."""
    error = policy_error('acess:\n  rule "x": allow\n')
    assert str(error) == (
        "unknown section `acess`: did you mean `access`? (at line 1, column 1)\n"
        "    acess:\n"
        "    ~~~~^"
    )


def test_error_at_the_end_of_the_text() -> None:
    """An unfinished rule is reported just past its last character."""
    error = policy_error('access:\n  rule "x": allow when app ==')
    assert str(error) == (
        "unexpected end of policy: expected a value (at line 2, column 30)\n"
        '      rule "x": allow when app ==\n'
        "                                 ^"
    )


def test_unterminated_string_spans_to_the_end_of_its_line() -> None:
    """A string missing its closing quote is marked from the quote on."""
    text = 'access:\n  rule "Payroll: deny\n  default: deny\n'
    error = policy_error(text)
    assert error.message == "unterminated string"
    assert slice_of(text, error.span) == '"Payroll: deny'


def test_messages_name_the_reference_even_across_comments() -> None:
    """The reference named in a message is the one parsed, not a word of a comment."""
    error = criteria_error("scim.department # note\n  foo")
    assert error.message == (
        "expected a comparison (`==`, `!=`, `in`, `startswith`, ...) after "
        "`scim.department`"
    )
    assert error.span == Span(25, 28)


def test_string_ending_in_a_backslash_is_unterminated() -> None:
    """A backslash just before the end of the text or line escapes nothing."""
    for text in ('app == "abc\\', 'app == "abc\\\nx'):
        error = criteria_error(text)
        assert (error.message, error.span) == ("unterminated string", Span(7, 12))


def test_too_long_text_is_refused_before_parsing() -> None:
    """Texts over 1,000,000 characters are refused with the span past the limit."""
    text = "#" * 1_000_001
    error = policy_error(text)
    assert error.message == (
        "policy is too long: 1000001 characters, the limit is 1000000"
    )
    assert error.span == Span(1_000_000, 1_000_001)
    assert criteria_error(text).message.startswith("criteria are too long: 1000001")


def test_deep_nesting_is_refused_at_the_offending_place() -> None:
    """More than 100 levels of `(`, `not` or both is refused where it goes too deep."""
    text = "(" * 60 + "not " * 41 + "app is present" + ")" * 60
    error = criteria_error(text)
    assert error.message == "criteria nest too deeply: more than 100 levels"
    assert error.span == Span(60 + 40 * 4, 60 + 40 * 4 + 3)
    ok = "(" * 60 + "not " * 40 + "app is present" + ")" * 60
    assert parse_criteria(ok) is not None


def test_nesting_guard_ignores_strings_comments_and_finished_groups() -> None:
    """Brackets in strings and comments, and closed groups, do not count."""
    many = " and ".join(["(not (app is present))"] * 150)
    assert isinstance(parse_criteria(many), And)
    quoted = f'app == "{"(" * 200}" # {"(" * 200}\n'
    assert parse_criteria(quoted) == Compare(Ref("app"), EQ, "(" * 200)
    assert isinstance(parse_criteria(f"{'not ' * 100}x is present"), Not)


def test_long_operator_chains_are_refused() -> None:
    """More than 200 nested `and`/`or` operators is refused at the operator."""
    assert isinstance(parse_criteria(" or ".join(["x == 1"] * 201)), Or)
    text = " or ".join(["x == 1"] * 202)
    error = criteria_error(text)
    assert error.message == (
        "criteria are too complex: operators nest more than 200 levels deep"
    )
    assert slice_of(text, error.span) == "or"


def test_results_are_cached() -> None:
    """Parsing the same text twice returns the same frozen object."""
    assert parse_policy(ACME) is parse_policy(ACME)
    assert parse_criteria("app is present") is parse_criteria("app is present")


def test_errors_do_not_chain_lark_exceptions() -> None:
    """The error raised is ours alone: no lark exception in its context."""
    error = policy_error("access:\n  rule")
    assert error.__cause__ is None
    assert error.__suppress_context__
