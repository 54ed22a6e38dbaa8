"""The solver's theory (``scimpolicy.analysis.logic``), one small case at a time.

Each satisfiable case also decides its example request with the reference
interpreter: the solver's model must be a request on which the criteria are true.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from scimpolicy.analysis.example import Example, example_of
from scimpolicy.analysis.logic import (
    FALSE,
    TRUE,
    Formula,
    all_of,
    any_of,
    holds,
    negate,
    solve,
)
from scimpolicy.policy.facts import ALL_USABLE, Gates
from scimpolicy.policy.interpreter import interpret
from scimpolicy.policy.nodes import Ref
from scimpolicy.policy.parser import parse_criteria

NO_SCIM: Final = Gates(scim=False, saml=True)
NO_SAML: Final = Gates(scim=True, saml=False)
NOTHING_USABLE: Final = Gates(scim=False, saml=False)
APP: Final = Ref("app")
TITLE: Final = Ref("scim", ("title",))


def formula(text: str, gates: Gates = ALL_USABLE) -> Formula:
    return holds(parse_criteria(text), gates)


def example(text: str, gates: Gates = ALL_USABLE) -> Example | None:
    """The solver's example for *text*, checked with the interpreter; ``None`` when
    the solver finds the criteria can never be true."""
    model = solve(formula(text, gates))
    if model is None:
        return None
    found = example_of(model, gates)
    value = interpret(parse_criteria(text), found.facts(), gates).value
    assert value is True, (text, found.describe())
    return found


def values(found: Example | None, ref: Ref) -> tuple[Any, ...]:
    assert found is not None
    return tuple(found.values[ref])


# -- single- and multi-valued references ------------------------------------------


def test_a_single_valued_reference_has_one_value() -> None:
    assert example('app == "a" and app == "b"') is None


def test_in_and_not_equal_leave_the_other_value() -> None:
    assert values(example('app in ["a", "b"] and app != "a"'), APP) == ("b",)


def test_in_lists_are_finite() -> None:
    assert example('app in ["a", "b"] and app != "a" and app != "b"') is None
    assert example('app in ["a", "b"] and app in ["b", "c"] and app != "b"') is None


def test_scim_groups_hold_several_values() -> None:
    found = example('"A" in scim.groups and "B" in scim.groups')
    assert sorted(values(found, Ref("scim", ("groups",)))) == ["a", "b"]


def test_saml_attributes_hold_several_values() -> None:
    found = example('saml.role == "x" and saml.role == "y"')
    assert sorted(values(found, Ref("saml", ("role",)))) == ["x", "y"]


def test_not_equal_on_a_multi_valued_reference_means_no_value_equals() -> None:
    assert example('saml.role == "x" and saml.role != "x"') is None
    assert example('"A" in scim.groups and "A" not in scim.groups') is None
    found = example('saml.role == "x" and saml.role != "y"')
    assert values(found, Ref("saml", ("role",))) == ("x",)


def test_saml_values_compare_exactly() -> None:
    assert example('saml.role == "Admin" and saml.role != "admin"') is not None
    assert example('saml.role == "Admin" and saml.role != "Admin"') is None


# -- case -------------------------------------------------------------------------


def test_scim_strings_ignore_case() -> None:
    department = Ref("scim", ("department",))
    found = example('scim.department == "Eng" and scim.department == "eng"')
    assert values(found, department) == ("eng",)
    assert example('scim.department == "Eng" and scim.department != "ENG"') is None
    assert example('"SRE" in scim.groups and "sre" not in scim.groups') is None


def test_scim_attribute_names_ignore_case() -> None:
    assert example('scim.userType == "a" and scim.USERTYPE == "b"') is None


ENTERPRISE: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_an_attribute_by_urn_or_by_name_is_one_reference() -> None:
    by_urn = f'scim["{ENTERPRISE}:department"]'
    assert formula(f'{by_urn} == "Eng"') == formula('scim.department == "eng"')
    assert example(f'scim.department == "a" and {by_urn} == "b"') is None
    found = example(f'scim.department == "a" and {by_urn} != "b"')
    assert values(found, Ref("scim", ("department",))) == ("a",)
    core = "urn:ietf:params:scim:schemas:core:2.0:User"
    assert example(f'scim.userType == "a" and scim["{core}:userType"] == "b"') is None
    assert example(f'scim["{core}:active"] == true and scim.active == false') is None


def test_a_complex_attribute_reads_its_value() -> None:
    assert formula('scim.emails == "a@example.com"') == formula(
        'scim.emails.value == "a@example.com"'
    )
    text = 'scim.emails == "a@example.com" and scim.emails.value != "a@example.com"'
    assert example(text) is None
    assert example('scim.emails == "a@example.com" and scim.emails.type != "a"')


def test_client_type_short_names_and_zpa_values_are_the_same() -> None:
    short = formula('client_type == "web_browser"')
    assert short == formula('client_type == "zpn_client_type_exporter"')
    assert short == formula('client_type == "WEB_BROWSER"')
    text = 'client_type == "web_browser" and client_type != "zpn_client_type_exporter"'
    assert example(text) is None
    found = example('client_type in ["web_browser", "vdi"] and client_type != "vdi"')
    assert values(found, Ref("client_type")) == ("zpn_client_type_exporter",)


def test_countries_and_platforms_ignore_case() -> None:
    assert example('country == "de" and country != "DE"') is None
    assert example('platform == "Mac" and platform != "mac"') is None


# -- absent attributes ------------------------------------------------------------


def test_an_absent_attribute_equals_nothing() -> None:
    assert values(example('scim.title != "x"'), TITLE) == ()
    assert values(example('scim.title not in ["x", "y"]'), TITLE) == ()
    found = example('saml.team != "x" and saml.team is absent')
    assert values(found, Ref("saml", ("team",))) == ()


def test_present_and_absent_exclude_each_other() -> None:
    assert example("scim.title is present and scim.title is absent") is None
    assert example('scim.title == "x" and scim.title is absent') is None
    assert example('"A" in scim.groups and scim.groups is absent') is None
    found = example('scim.title is present and scim.title != "x"')
    assert values(found, TITLE) not in ((), ("x",))


def test_an_empty_string_is_no_value_of_a_single_valued_reference() -> None:
    # The engine reads an empty application or title as absent.
    assert example('app == ""') is None
    assert example('scim.title in ["", "x"] and scim.title != "x"') is None
    assert example('app startswith "" and app is absent') is None
    assert values(example('app startswith ""'), APP) != ("",)


def test_an_empty_saml_value_is_a_value_but_not_present() -> None:
    found = example('saml.team == "" and saml.team is absent')
    assert values(found, Ref("saml", ("team",))) == ("",)


# -- startswith, endswith, contains -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'scim.title startswith "ab" and not (scim.title startswith "a")',
        'scim.title startswith "ab" and scim.title startswith "ac"',
        'scim.title endswith "ab" and not (scim.title contains "b")',
        'scim.title contains "abc" and not (scim.title contains "b")',
        'scim.title startswith "a" and scim.title in ["b", "c"]',
        'scim.title == "abc" and not (scim.title endswith "c")',
        'scim.title startswith "a" and not (scim.title is present)',
        # One value of a multi-valued reference has to do both.
        'saml.role startswith "ab" and not (saml.role startswith "a")',
        (
            'saml.role startswith "a" and saml.role startswith "ab"'
            ' and not (saml.role startswith "ab")'
        ),
    ],
)
def test_text_tests_that_cannot_hold(text: str) -> None:
    assert example(text) is None


@pytest.mark.parametrize(
    "text",
    [
        'scim.title startswith "a" and scim.title endswith "z" and scim.title contains "m"',
        'scim.title startswith "ab" and scim.title endswith "ab" and scim.title != "ab"',
        'scim.title startswith "ab" and scim.title startswith "a"',
        (
            'scim.title contains "x" and not (scim.title startswith "x")'
            ' and not (scim.title endswith "x") and scim.title != "x"'
        ),
        (
            'scim.title startswith "a" and not (scim.title startswith "ab")'
            ' and not (scim.title endswith "a")'
        ),
        (
            'scim.title contains "ab" and scim.title contains "ba"'
            ' and not (scim.title contains "aba") and not (scim.title contains "bab")'
        ),
        (
            'scim.title is present and not (scim.title contains "a")'
            ' and not (scim.title startswith "o")'
        ),
        'scim.title startswith "Eng" and scim.title != "eng"',
        'scim.title startswith "x" and scim.title in ["xy", "z"]',
        'saml.role startswith "a" and saml.role endswith "z" and saml.role != "az"',
        (
            'saml.role startswith "ab" and saml.role endswith "b"'
            ' and not (saml.role contains "x")'
        ),
        'saml.role startswith "a" and saml.role startswith "b"',
        (
            'country is present and country not in ["US", "DE", "FR", "GB", "IN", "JP"]'
            ' and not (country startswith "OT")'
        ),
    ],
)
def test_text_tests_that_can_hold(text: str) -> None:
    assert example(text) is not None


def test_a_text_witness_the_interpreter_accepts() -> None:
    found = example(
        'scim.title startswith "a" and scim.title endswith "z" and scim.title contains "m"'
    )
    (title,) = values(found, TITLE)
    assert title.startswith("a")
    assert title.endswith("z")
    assert "m" in title


# -- booleans -----------------------------------------------------------------------


def test_booleans() -> None:
    assert example("posture.x == true and posture.x == false") is None
    assert (
        example("posture.x is present and posture.x != true and posture.x != false")
        is None
    )
    assert values(example("scim.active == true"), Ref("scim", ("active",))) == (True,)
    found = example("scim.active is present and scim.active != true")
    assert values(found, Ref("scim", ("active",))) == (False,)
    assert values(example("posture.x != true"), Ref("posture", ("x",))) in (
        (),
        (False,),
    )


# -- gates and Kleene logic -----------------------------------------------------------


def test_unusable_scim_criteria_are_never_true_and_never_false() -> None:
    assert formula('scim.userType == "x"', NO_SCIM) == FALSE
    assert negate(formula('scim.userType == "x"', NO_SCIM)) == TRUE
    # `not` of unknown is unknown, not true.
    assert formula('not (scim.userType == "x")', NO_SCIM) == FALSE
    assert formula('scim.userType != "x"', NO_SCIM) == FALSE
    assert example('not (scim.userType == "x")', NO_SCIM) is None
    assert formula('"A" in scim.groups', NO_SCIM) == FALSE
    assert formula('scim.userType == "x"', NO_SAML) != FALSE


def test_unusable_saml_criteria_likewise() -> None:
    assert formula('saml.role == "x"', NO_SAML) == FALSE
    assert formula('not (saml.role == "x")', NO_SAML) == FALSE
    assert formula('saml.role == "x"', NO_SCIM) != FALSE
    assert formula('saml.role == "x" or scim.title == "y"', NOTHING_USABLE) == FALSE


def test_an_or_decides_on_its_usable_side() -> None:
    text = 'scim.userType == "x" or saml.role == "r"'
    assert formula(text, NO_SCIM) == formula('saml.role == "r"')
    found = example(text, NO_SCIM)
    assert values(found, Ref("saml", ("role",))) == ("r",)


def test_an_and_with_an_unusable_side_never_matches() -> None:
    assert formula('scim.userType == "x" and saml.role == "r"', NO_SCIM) == FALSE


def test_not_of_an_and_with_an_unusable_side_needs_the_usable_side_false() -> None:
    text = 'not (scim.userType == "x" and saml.role == "r")'
    assert formula(text, NO_SCIM) == formula('saml.role != "r"')
    found = example(text, NO_SCIM)
    assert "r" not in values(found, Ref("saml", ("role",)))


def test_the_interpreter_agrees_on_unknown() -> None:
    facts = Example(NO_SCIM, {Ref("scim", ("userType",)): ("x",)}).facts()
    criteria = parse_criteria('not (scim.userType == "y")')
    assert interpret(criteria, facts, NO_SCIM).value is None
    assert interpret(criteria, facts, ALL_USABLE).value is True


# -- formulas -----------------------------------------------------------------------


def test_constants_fold() -> None:
    a = formula('app == "a"')
    assert all_of([]) == TRUE
    assert any_of([]) == FALSE
    assert all_of([a, TRUE]) == a
    assert all_of([a, FALSE]) == FALSE
    assert any_of([a, TRUE]) == TRUE
    assert any_of([a, FALSE]) == a
    assert negate(negate(a)) == a


def test_solve_the_constants() -> None:
    assert solve(TRUE) == {}
    assert solve(FALSE) is None
    assert solve(negate(formula('app == "a" or app != "a"'))) is None
    assert solve(formula('app == "a" or app != "a"')) is not None


def test_no_criteria_always_hold() -> None:
    assert holds(None, ALL_USABLE) == TRUE
    assert holds(None, NOTHING_USABLE) == TRUE
