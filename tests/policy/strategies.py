"""Hypothesis strategies for policy trees (:mod:`scimpolicy.policy.nodes`).

Every strategy draws nodes that :func:`~scimpolicy.policy.formatter.format_policy`
can print and the parser reads back: reference paths of plain names or one bracketed
string, non-empty rule names, string operators with string values, non-empty ``in``
lists. Names and strings lean on what is hard to print: quotes, backslashes, ``#``,
control characters, non-ASCII text and words that are keywords elsewhere. Spans are
left out; they never take part in equality.
"""

from __future__ import annotations

from hypothesis import strategies as st

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

__all__ = [
    "actions",
    "criteria",
    "durations",
    "literals",
    "names",
    "policies",
    "refs",
    "rule_sets",
    "rules",
    "strings",
]

# Words that are keywords somewhere; after a dot, and mostly as namespaces, they are
# names. `not`, `true` and `false` open a condition, so they are never namespaces here.
_KEYWORDS = [
    "rule",
    "disabled",
    "default",
    "when",
    "every",
    "idle",
    "and",
    "or",
    "in",
    "is",
    "present",
    "absent",
    "startswith",
    "endswith",
    "contains",
    "reauth",
    "never",
    "access",
]
_ATTRIBUTE_WORDS = [*_KEYWORDS, "not", "true", "false"]
_TRICKY_CHARS = st.sampled_from(
    list('"\\#/\n\t\r\x00\x1f\x7f []{}():,.`é€\u2028\U0001f600\ud800')
)


def names() -> st.SearchStrategy[str]:
    """NAME = ``[A-Za-z_][A-Za-z0-9_-]*``."""
    return st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,10}", fullmatch=True)


def strings(*, min_size: int = 0) -> st.SearchStrategy[str]:
    """Any text, with the characters a JSON string must escape drawn often."""
    return st.text(st.characters() | _TRICKY_CHARS, min_size=min_size, max_size=20)


def refs() -> st.SearchStrategy[Ref]:
    """``app``, ``scim.name.givenName``, ``scim.default``, ``saml["any text"]``, ..."""
    known = st.sampled_from([namespace.value for namespace in Namespace])
    namespace = known | names().filter(lambda n: n not in {"not", "true", "false"})
    namespace |= st.sampled_from(_KEYWORDS)
    attribute = names() | st.sampled_from(_ATTRIBUTE_WORDS)
    path = (
        st.just(())
        | st.lists(attribute, min_size=1, max_size=3).map(tuple)
        | st.tuples(strings())
    )
    return st.builds(Ref, namespace, path)


def literals() -> st.SearchStrategy[Literal]:
    """JSON strings, booleans and integers of any size Python prints."""
    return strings() | st.booleans() | st.integers()


def _conditions() -> st.SearchStrategy[Criteria]:
    equality = st.builds(
        Compare, refs(), st.sampled_from([CompareOp.EQ, CompareOp.NE]), literals()
    )
    text_ops = [CompareOp.STARTSWITH, CompareOp.ENDSWITH, CompareOp.CONTAINS]
    text = st.builds(Compare, refs(), st.sampled_from(text_ops), strings())
    values = st.lists(literals(), min_size=1, max_size=4).map(tuple)
    return (
        equality
        | text
        | st.builds(In, refs(), values, st.booleans())
        | st.builds(Contains, literals(), refs(), st.booleans())
        | st.builds(Present, refs(), st.booleans())
    )


def criteria() -> st.SearchStrategy[Criteria]:
    """Trees of conditions under ``and``, ``or`` and ``not`` in any shape."""
    return st.recursive(
        _conditions(),
        lambda inner: (
            st.builds(And, inner, inner)
            | st.builds(Or, inner, inner)
            | st.builds(Not, inner)
        ),
        max_leaves=12,
    )


def durations() -> st.SearchStrategy[Duration]:
    """``never`` or a number of minutes, from zero to centuries."""
    minutes = st.integers(0, 60) | st.integers(0, 10**8)
    return st.builds(Duration, st.none() | minutes)


def actions(policy_type: PolicyType) -> st.SearchStrategy[Action]:
    """The actions of *policy_type*'s section."""
    if policy_type is PolicyType.ACCESS:
        return st.sampled_from(AccessAction)
    if policy_type is PolicyType.FORWARDING:
        return st.sampled_from(ForwardingAction)
    return st.builds(TimeoutAction, durations(), durations())


def rules(policy_type: PolicyType) -> st.SearchStrategy[Rule]:
    """A rule of *policy_type*, enabled or not, with or without criteria."""
    return st.builds(
        Rule,
        name=strings(min_size=1),
        action=actions(policy_type),
        criteria=st.none() | criteria(),
        disabled=st.booleans(),
    )


def rule_sets(policy_type: PolicyType) -> st.SearchStrategy[RuleSet]:
    """Up to four rules of *policy_type* and perhaps a default."""
    return st.builds(
        RuleSet,
        st.just(policy_type),
        st.lists(rules(policy_type), max_size=4).map(tuple),
        st.none() | actions(policy_type),
    )


def policies() -> st.SearchStrategy[Policy]:
    """Policies whose sections may be empty, defaulted or full."""
    return st.builds(
        Policy,
        rule_sets(PolicyType.ACCESS),
        rule_sets(PolicyType.FORWARDING),
        rule_sets(PolicyType.TIMEOUT),
    )
