"""Generated if-chains: literals stay data, deep criteria fall back to closures."""

from __future__ import annotations

import inspect
import json

import pytest

from scimpolicy import (
    Directory,
    Facts,
    Gates,
    PolicyType,
    format_criteria,
    parse_policy,
)
from scimpolicy.policy.codegen import MATCHED, MAX_INLINE_DEPTH
from scimpolicy.policy.compiler import compile_policy
from scimpolicy.policy.interpreter import interpret


def test_literals_never_become_code() -> None:
    """A literal that looks like Python is compared as text, never executed."""
    hostile = "x\") or __import__('os').system('echo pwned') or (\""
    policy = compile_policy(
        parse_policy(f'access:\n  rule "r": allow when app == {json.dumps(hostile)}\n')
    )
    function = policy.matcher(PolicyType.ACCESS, Gates())
    assert function(Facts(app="x")) == -1
    assert function(Facts(app=hostile)) == 0
    source_names = function.__code__.co_names
    assert "__import__" not in source_names
    assert "system" not in source_names


def test_deep_criteria_are_called_as_closures() -> None:
    """Criteria nested deeper than Python's parser allows inline run as closures."""
    depth = MAX_INLINE_DEPTH + 20
    criteria = "not " * depth + 'app == "Git"'
    policy = compile_policy(
        parse_policy(f'access:\n  rule "deep": allow when {criteria}\n')
    )
    expected = 0 if depth % 2 == 0 else -1
    assert policy.matcher(PolicyType.ACCESS, Gates())(Facts(app="Git")) == expected


def test_one_function_per_rule_set_and_gate_state() -> None:
    """The generated function is built once per (policy type, gates) and reused."""
    policy = compile_policy(
        parse_policy('access:\n  rule "r": allow when "SRE" in scim.groups\n')
    )
    usable = policy.matcher(PolicyType.ACCESS, Gates())
    assert policy.matcher(PolicyType.ACCESS, Gates()) is usable
    gated = policy.matcher(PolicyType.ACCESS, Gates(scim=False))
    assert gated is not usable
    facts = Facts(scim_groups=frozenset({"SRE"}))
    assert (usable(facts), gated(facts)) == (0, -1)
    assert inspect.isfunction(usable)


def test_deep_criteria_are_explained_by_the_interpreter() -> None:
    """Rules too deep for generated explanations are explained by the interpreter,
    with the same statuses and culprits."""
    deep = "not " * 25 + 'app == "Git"'
    policy = compile_policy(
        parse_policy(
            f'access:\n  rule "deep": allow when {deep}\n'
            '  rule "saml": allow when "SRE" in scim.groups and saml.role == "x"\n'
        )
    )
    explainer = policy.explainer(PolicyType.ACCESS, Gates(scim=False))
    raw = explainer.run(Facts(app="Git", saml={"role": ("x",)}))
    assert [raw[at : at + 2] for at in range(0, len(raw), 3)] == [(0, 1), (1, 2)]
    deep_culprit, gated_culprit = raw[2], raw[5]
    assert deep_culprit >= 0
    assert gated_culprit >= 0
    assert "scim.groups" in format_criteria(explainer.nodes[gated_culprit])
    assert explainer.run(Facts(app="CI"))[1] == 0


ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
INLINE_CRITERIA = {
    "title present": "scim.title is present",
    "title equal": 'scim.title == "staff engineer"',
    "finance": 'scim.department == "FINANCE"',
    "department present": "scim.department is present",
    "inactive": "scim.active == false",
}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"title": "Staff Engineer"}, {"title present", "title equal"}),
        ({"title": "STAFF ENGINEER"}, {"title present", "title equal"}),
        ({"title": ""}, set()),
        ({}, set()),
        ({ENTERPRISE: {"department": "Finance"}}, {"finance", "department present"}),
        ({ENTERPRISE: {"department": ""}}, set()),
        ({"active": False}, {"inactive"}),
    ],
)
def test_inline_attribute_reads_match_the_readers(
    payload: dict[str, object], expected: set[str]
) -> None:
    """Attributes the generated code reads inline (core and enterprise, text and
    boolean) behave as the readers: case-folded, empty text is absent."""
    directory = Directory()
    directory.create_user({"userName": "u", **payload})
    facts = Facts(user=directory.user_by_name("u"))
    matched = set()
    for name, criteria in INLINE_CRITERIA.items():
        policy = compile_policy(
            parse_policy(f'access:\n  rule "r": allow when {criteria}\n')
        )
        if policy.matcher(PolicyType.ACCESS, Gates())(facts) == 0:
            matched.add(name)
        explained = policy.explainer(PolicyType.ACCESS, Gates()).run(facts)
        assert (explained[1] == MATCHED) == (name in matched)
        reference = interpret(policy.policy.access.rules[0].criteria, facts, Gates())
        assert (reference.value is True) == (name in matched)
    assert matched == expected
