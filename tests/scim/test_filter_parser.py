"""Tests for scimpolicy.scim.filter_parser: SCIM filter and PATCH path syntax."""

from __future__ import annotations

from pathlib import Path

import pytest

from scimpolicy.errors import FilterSyntaxError, PathSyntaxError, Span
from scimpolicy.scim.filter_nodes import (
    And,
    AttrPath,
    Compare,
    CompareOp,
    CompValue,
    Filter,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    render,
)
from scimpolicy.scim.filter_parser import (
    parse_attr_path,
    parse_filter,
    parse_patch_path,
)

FIXTURES = Path(__file__).parent / "fixtures"
EQ, GT = CompareOp.EQ, CompareOp.GT
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def fixture_lines(name: str) -> list[str]:
    """The non-blank, non-comment lines of a fixture file."""
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


VALID = fixture_lines("filters_valid.txt")
INVALID = [tuple(line.split("\t")) for line in fixture_lines("filters_invalid.txt")]


def eq(name: str, value: CompValue) -> Compare:
    return Compare(AttrPath(name), EQ, value)


def present(name: str) -> Present:
    return Present(AttrPath(name))


def syntax_error(text: str) -> FilterSyntaxError:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    return info.value


def path_error(text: str) -> PathSyntaxError:
    with pytest.raises(PathSyntaxError) as info:
        parse_patch_path(text)
    return info.value


# -- the fixture files ----------------------------------------------------------------


@pytest.mark.parametrize("text", VALID)
def test_valid_fixture_filters_parse(text: str) -> None:
    """Every line of filters_valid.txt parses to a filter node."""
    node = parse_filter(text)
    assert isinstance(node, Compare | Present | And | Or | Not | ValuePath)


@pytest.mark.parametrize(("text", "column", "message"), INVALID)
def test_invalid_fixture_filters_fail_with_their_message(
    text: str, column: str, message: str
) -> None:
    """Every line of filters_invalid.txt fails with its column and exact message."""
    error = syntax_error(text)
    assert (error.message, error.colno) == (message, int(column))
    assert 0 <= error.span.start <= error.span.end <= len(text)


def test_fixture_files_are_not_empty() -> None:
    """The fixture files hold the RFC examples and a good number of error cases."""
    assert len(VALID) > 80
    assert len(INVALID) > 40


# -- structure -------------------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    """`a or b and c` is `a or (b and c)` (RFC 7644 erratum 4670)."""
    assert parse_filter("a eq 1 or b eq 2 and c eq 3") == Or(
        eq("a", 1), And(eq("b", 2), eq("c", 3))
    )
    assert parse_filter("a eq 1 and b eq 2 or c eq 3") == Or(
        And(eq("a", 1), eq("b", 2)), eq("c", 3)
    )


def test_and_and_or_are_left_associative() -> None:
    """Chains of one operator group to the left."""
    assert parse_filter("a pr and b pr and c pr") == And(
        And(present("a"), present("b")), present("c")
    )
    assert parse_filter("a pr or b pr or c pr") == Or(
        Or(present("a"), present("b")), present("c")
    )


def test_parentheses_override_precedence() -> None:
    """Grouping binds tightest and leaves no node of its own."""
    assert parse_filter("(a eq 1 or b eq 2) and c eq 3") == And(
        Or(eq("a", 1), eq("b", 2)), eq("c", 3)
    )
    assert parse_filter("((((a pr))))") == present("a")


def test_not_applies_to_its_parenthesised_filter() -> None:
    """`not (x) and y` negates only x; the space before `(` is optional."""
    expected = And(Not(Or(present("a"), present("b"))), present("c"))
    assert parse_filter("not (a pr or b pr) and c pr") == expected
    assert parse_filter("NOT(a pr or b pr) and c pr") == expected
    assert parse_filter("not\n\t(a pr or b pr) and c pr") == expected


def test_keywords_and_names_are_case_insensitive() -> None:
    """`Eq`, `AND`, `True` and `Username` read like their lowercase forms (§3.4.2.2)."""
    lower = parse_filter('userName eq "john" and active eq true')
    assert parse_filter('Username EQ "john" AND active Eq True') == lower
    assert parse_filter("x eq NULL") == eq("x", None)
    assert parse_filter("x Pr") == present("x")


def test_keyword_spellings_become_lowercase_operators() -> None:
    """The operator keeps no trace of the spelling the client used."""
    node = parse_filter('userName Sw "J"')
    assert isinstance(node, Compare)
    assert node.op is CompareOp.SW


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pr pr", present("pr")),
        ('pr eq "x"', eq("pr", "x")),
        ("not eq true", eq("not", True)),
        ('value eq "x"', eq("value", "x")),
        ("and eq 1 and or eq 2", And(eq("and", 1), eq("or", 2))),
        ("true eq false", eq("true", False)),
        ("not[value pr]", ValuePath(AttrPath("not"), present("value"))),
        ("urn pr", present("urn")),
    ],
)
def test_keywords_can_be_attribute_names(text: str, expected: Filter) -> None:
    """Where an attribute is expected, `pr`, `not`, `and`, `true`, ... are names."""
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name.givenName", AttrPath("name", "givenName")),
        (f"{ENTERPRISE}:department", AttrPath("department", None, ENTERPRISE)),
        (f"{CORE_USER}:name.givenName", AttrPath("name", "givenName", CORE_USER)),
        (f"{ENTERPRISE}:manager.value", AttrPath("manager", "value", ENTERPRISE)),
        ("members.$ref", AttrPath("members", "$ref")),
        ("urn:a:b", AttrPath("b", None, "urn:a")),
        ("x-y_z9", AttrPath("x-y_z9")),
    ],
)
def test_attribute_paths_split_into_urn_name_and_sub(
    text: str, expected: AttrPath
) -> None:
    """The URN is everything up to the last `:` before the name."""
    node = parse_filter(f"{text} pr")
    assert isinstance(node, Present)
    assert node.path == expected
    assert (node.path.attr, node.path.sub, node.path.urn) == (
        expected.attr,
        expected.sub,
        expected.urn,
    )


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("0", 0),
        ("-0", 0),
        ("42", 42),
        ("12345678901234567890", 12345678901234567890),
        ("3.5", 3.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("1E-3", 0.001),
        ("2.5e+10", 2.5e10),
        ('"a \\"b\\" c"', 'a "b" c'),
        ('"back\\\\slash"', "back\\slash"),
        ('"\\u00e9t\\u00E9"', "été"),
        ('"\\b\\f\\n\\r\\t\\/"', "\b\f\n\r\t/"),
        ('"\\ud83d\\ude00"', "\U0001f600"),
        ('"☃"', "☃"),
        ('""', ""),
        ("true", True),
        ("False", False),
        ("null", None),
    ],
)
def test_values_are_read_as_json(literal: str, value: CompValue) -> None:
    """compValue is a JSON string, number, `true`, `false` or `null` (RFC 8259)."""
    node = parse_filter(f"x eq {literal}")
    assert isinstance(node, Compare)
    assert node.value == value
    assert type(node.value) is type(value)


def test_value_path_holds_its_filter() -> None:
    """`emails[type eq "work" and value co "@x"]` keeps relative inner paths."""
    assert parse_filter('emails[type eq "work" and value co "@x"]') == ValuePath(
        AttrPath("emails"),
        And(eq("type", "work"), Compare(AttrPath("value"), CompareOp.CO, "@x")),
    )


def test_entra_value_path_with_sub_attribute_comparison() -> None:
    """Entra's `emails[type eq "work"].value eq "x"` is a value path over an `and`."""
    assert parse_filter('emails[type eq "work"].value eq "x"') == ValuePath(
        AttrPath("emails"), And(eq("type", "work"), eq("value", "x"))
    )
    assert parse_filter('emails[type eq "work"].value PR') == ValuePath(
        AttrPath("emails"), And(eq("type", "work"), present("value"))
    )


def test_entra_form_renders_in_canonical_form() -> None:
    """The Entra form renders as the bracketed filter it means."""
    node = parse_filter('emails[type eq "work"].value eq "x"')
    assert render(node) == 'emails[type eq "work" and value eq "x"]'


def test_nested_value_path_is_rejected() -> None:
    """A value filter cannot hold another `[...]` (RFC 7644 erratum 4690)."""
    text = 'emails[type eq "work" and ims[type eq "xmpp"]]'
    error = syntax_error(text)
    assert error.message == "unexpected `[`: value filters cannot be nested"
    assert error.span == Span(29, 30)


def test_spans_point_into_the_text() -> None:
    """Comparisons, presence tests and paths carry the span of their text."""
    text = 'userName eq "x" and emails[type pr]'
    node = parse_filter(text)
    assert isinstance(node, And)
    assert isinstance(node.left, Compare)
    assert isinstance(node.right, ValuePath)
    assert node.left.span == Span(0, 15)
    assert node.left.path.span == Span(0, 8)
    assert node.right.span == Span(20, 35)
    assert isinstance(node.right.filter, Present)
    assert node.right.filter.span == Span(27, 34)


def test_entra_sub_attribute_span_skips_the_dot() -> None:
    """The `value` of `emails[type pr].value eq 1` spans the name, not the dot."""
    node = parse_filter("emails[type pr].value eq 1")
    assert isinstance(node, ValuePath)
    assert isinstance(node.filter, And)
    assert isinstance(node.filter.right, Compare)
    assert node.filter.right.path.span == Span(16, 21)
    assert node.filter.right.span == Span(16, 26)
    assert node.span == Span(0, 26)


def test_any_whitespace_separates_tokens() -> None:
    """Spaces, tabs and newlines around tokens are all accepted."""
    assert parse_filter('\n userName\teq\r\n"x"  and\ttitle pr \n') == And(
        eq("userName", "x"), present("title")
    )


def test_results_are_cached() -> None:
    """Parsing the same text twice returns the same frozen node."""
    text = 'displayName eq "cached"'
    assert parse_filter(text) is parse_filter(text)


def test_render_round_trips_precedence() -> None:
    """render adds the parentheses precedence needs, and no more."""
    text = "a pr and (b pr or c pr) or not (d pr)"
    assert render(parse_filter(text)) == text
    assert parse_filter(render(parse_filter(text))) == parse_filter(text)


# -- errors ----------------------------------------------------------------------------


def test_error_renders_a_caret_block() -> None:
    """str(error) shows the message, the position and the source line with a marker."""
    error = syntax_error('userName eq "x" and (title sw "y"')
    assert str(error) == (
        "expected `)` to close the `(` (at line 1, column 34)\n"
        '    userName eq "x" and (title sw "y"\n'
        "                                     ^"
    )


def test_error_marks_the_whole_offending_token() -> None:
    """The marker spans the token that was not expected."""
    error = syntax_error('userName foo "x"')
    assert str(error) == (
        "expected a comparison operator or `pr` after `userName` "
        "(at line 1, column 10)\n"
        '    userName foo "x"\n'
        "             ~~^"
    )


def test_error_on_a_later_line_reports_that_line() -> None:
    """Line and column count newlines in the filter text."""
    error = syntax_error('userName eq "x"\nand title eq')
    assert (error.lineno, error.colno) == (2, 13)
    assert error.message == "unexpected end of filter: expected a value"


@pytest.mark.parametrize(
    ("text", "message", "span"),
    [
        ("", "empty filter", Span(0, 0)),
        ("  \t\n", "empty filter", Span(0, 4)),
        ("userName eq", "unexpected end of filter: expected a value", Span(11, 11)),
        ("userName eq )", "expected a value after `eq`", Span(12, 13)),
        ("a eq 1)", "unexpected `)`", Span(6, 7)),
        ('a eq "abc', "unterminated string", Span(5, 9)),
        (
            "a",
            "unexpected end of filter: expected a comparison operator or `pr`",
            Span(1, 1),
        ),
        ("a and", "expected a comparison operator or `pr` after `a`", Span(2, 5)),
        ('a eq "x\x01"', "unescaped control character U+0001 in string", Span(7, 8)),
        ("a pr \x00", "unexpected character U+0000", Span(5, 6)),
        (
            "a eq 1 and ",
            "unexpected end of filter: expected an attribute name",
            Span(11, 11),
        ),
        (
            "a eq 1" + "0" * 5000,
            f"number `1{'0' * 98}…` has too many digits",
            Span(5, 5006),
        ),
    ],
)
def test_error_messages_and_spans(text: str, message: str, span: Span) -> None:
    """Syntax errors carry an exact message and the span of the problem."""
    error = syntax_error(text)
    assert (error.message, error.span) == (message, span)


def test_filter_error_is_a_scim_invalid_filter() -> None:
    """A filter syntax error is a 400 `invalidFilter` with the RFC error body."""
    error = syntax_error("userName eq")
    assert error.scim_type == "invalidFilter"
    assert error.status == 400
    assert isinstance(error, ValueError)
    assert error.to_scim() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "scimType": "invalidFilter",
        "detail": "unexpected end of filter: expected a value (at line 1, column 12)",
    }


def test_lark_errors_are_not_chained() -> None:
    """No lark exception escapes, not even as the cause or context of ours."""
    error = syntax_error("a eq 1 )")
    assert error.__cause__ is None
    assert error.__suppress_context__


# -- guards ----------------------------------------------------------------------------


def test_text_longer_than_the_limit_is_rejected() -> None:
    """Filters longer than 10,000 characters are refused before parsing."""
    text = "a eq " + '"' + "x" * 9993 + '"'
    assert len(text) == 10_000
    assert parse_filter(text) == eq("a", "x" * 9993)
    error = syntax_error(text + " ")
    assert error.message == "filter is too long: 10001 characters, the limit is 10000"
    assert error.span == Span(10_000, 10_001)


@pytest.mark.parametrize("opener", ["(", "not (", "emails[x pr and ("])
def test_nesting_deeper_than_64_is_rejected(opener: str) -> None:
    """Parentheses, `not (` and brackets nest at most 64 levels."""
    closer = "]" if "[" in opener else ")"
    fine = "(" * 63 + "a pr" + ")" * 63
    assert parse_filter(fine) == present("a")
    text = opener + "(" * 64 + "a pr" + ")" * 64 + closer
    error = syntax_error(text)
    assert error.message == "filter is nested too deeply: more than 64 levels"
    assert text[error.span.start] == "("
    assert error.span.end == error.span.start + 1


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    """The nesting guard skips JSON strings, escaped quotes included."""
    text = 'a eq "' + "([" * 100 + '\\"' + "(" * 100 + '"'
    node = parse_filter(text)
    assert isinstance(node, Compare)


@pytest.mark.parametrize("depth", [4_000, 10_000])
def test_deep_parentheses_raise_filter_syntax_error(depth: int) -> None:
    """10,000 nested parentheses give a FilterSyntaxError, never a RecursionError."""
    text = "(" * depth + "a pr" + ")" * depth
    error = syntax_error(text)
    assert error.message.startswith(
        ("filter is nested too deeply", "filter is too long")
    )


def test_long_operator_chains_are_rejected() -> None:
    """More than 200 nested `and`/`or` levels are refused: consumers recurse."""
    assert isinstance(parse_filter(" or ".join(["a pr"] * 201)), Or)
    text = " or ".join(["a pr"] * 202)
    error = syntax_error(text)
    assert (
        error.message
        == "filter is too complex: operators nest more than 200 levels deep"
    )
    assert error.span == Span(0, 4)


def test_many_words_that_look_like_operators_are_fine() -> None:
    """The operator guard counts real nodes, not the letters `and` and `or`."""
    text = 'a eq "' + "and or " * 500 + '"'
    assert isinstance(parse_filter(text), Compare)


# -- PATCH paths and attribute paths --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'members[value eq "2819c223"]',
            PatchPath(AttrPath("members"), eq("value", "2819c223")),
        ),
        (
            'emails[type eq "work"].value',
            PatchPath(AttrPath("emails"), eq("type", "work"), "value"),
        ),
        ("name.familyName", PatchPath(AttrPath("name", "familyName"))),
        (
            f"{ENTERPRISE}:manager.value",
            PatchPath(AttrPath("manager", "value", ENTERPRISE)),
        ),
        (
            f"{ENTERPRISE}:department",
            PatchPath(AttrPath("department", None, ENTERPRISE)),
        ),
        (
            'addresses[type eq "work" and primary eq true].streetAddress',
            PatchPath(
                AttrPath("addresses"),
                And(eq("type", "work"), eq("primary", True)),
                "streetAddress",
            ),
        ),
        ("members", PatchPath(AttrPath("members"))),
    ],
)
def test_patch_paths_from_rfc_7644_section_3_5_2(
    text: str, expected: PatchPath
) -> None:
    """PATCH paths: attrPath or valuePath with an optional sub-attribute."""
    path = parse_patch_path(text)
    assert path == expected
    assert path.span == Span(0, len(text))
    assert render(path) == text


@pytest.mark.parametrize(
    ("text", "message", "span"),
    [
        ("", "empty path", Span(0, 0)),
        ("members[", "unexpected end of path: expected an attribute name", Span(8, 8)),
        ("members x", "expected `[` or the end of the path", Span(8, 9)),
        (
            'emails[type eq "work"].value x',
            "expected the end of the path",
            Span(29, 30),
        ),
        ('emails[type eq "work"', "expected `]` to close the `[`", Span(21, 21)),
        (
            "emails[ims[type pr]]",
            "unexpected `[`: value filters cannot be nested",
            Span(10, 11),
        ),
        ("name.", "unexpected character `.`", Span(4, 5)),
    ],
)
def test_patch_path_errors(text: str, message: str, span: Span) -> None:
    """Malformed PATCH paths raise PathSyntaxError with an exact message."""
    error = path_error(text)
    assert (error.message, error.span) == (message, span)


def test_patch_path_error_is_a_scim_invalid_path() -> None:
    """A PATCH path syntax error is a 400 `invalidPath`."""
    error = path_error("emails[")
    assert error.scim_type == "invalidPath"
    assert error.status == 400
    assert error.to_scim()["scimType"] == "invalidPath"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", AttrPath("userName")),
        ("name.givenName", AttrPath("name", "givenName")),
        (f"{ENTERPRISE}:department", AttrPath("department", None, ENTERPRISE)),
        ("meta.lastModified", AttrPath("meta", "lastModified")),
    ],
)
def test_attr_paths_for_sort_by_and_attributes(text: str, expected: AttrPath) -> None:
    """parse_attr_path reads sortBy and attributes entries."""
    assert parse_attr_path(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "span"),
    [
        (
            "emails[type pr]",
            "unexpected `[`: a value filter is not allowed here",
            Span(6, 7),
        ),
        ("userName eq 1", "expected `[` or the end of the path", Span(9, 11)),
        (" ", "empty path", Span(0, 1)),
    ],
)
def test_attr_path_errors(text: str, message: str, span: Span) -> None:
    """parse_attr_path refuses filters and trailing text with PathSyntaxError."""
    with pytest.raises(PathSyntaxError) as info:
        parse_attr_path(text)
    assert (info.value.message, info.value.span) == (message, span)
