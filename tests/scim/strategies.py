"""Hypothesis strategies for SCIM filter trees (:mod:`scimpolicy.scim.filter_nodes`).

:func:`filters` draws trees that :func:`~scimpolicy.scim.filter_nodes.render` turns into
valid filter text: value paths hold relative attribute paths and never nest (RFC 7644
erratum 4690). Spans are left out; they never take part in equality.
"""

from __future__ import annotations

from hypothesis import strategies as st

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
)

__all__ = ["attr_paths", "comp_values", "filters", "names", "patch_paths", "urns"]

# Names that look like keywords must still read as names where a name is expected.
_TRICKY_NAMES = ["$ref", "pr", "and", "or", "not", "eq", "true", "null", "value", "urn"]

_STRING_CHARS = st.characters(codec="utf-8") | st.sampled_from('"\\/\n\t\x00\x7f ')


def names() -> st.SearchStrategy[str]:
    """ATTRNAME = ALPHA *(ALPHA / DIGIT / "-" / "_"), ``$ref``, keyword look-alikes."""
    plain = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True)
    return plain | st.sampled_from(_TRICKY_NAMES)


def urns() -> st.SearchStrategy[str]:
    """Schema URNs such as ``urn:ietf:params:scim:schemas:core:2.0:User``."""
    segment = st.from_regex(r"[A-Za-z0-9._-]{1,10}", fullmatch=True)
    drawn = st.lists(segment, min_size=1, max_size=6).map(
        lambda s: "urn:" + ":".join(s)
    )
    known = st.sampled_from(
        [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:GROUP",
        ]
    )
    return known | drawn


def attr_paths(*, relative: bool = False) -> st.SearchStrategy[AttrPath]:
    """``[URN ":"] attr ["." sub]``; *relative* paths (inside ``[...]``) are a name."""
    if relative:
        return st.builds(AttrPath, names())
    return st.builds(AttrPath, names(), st.none() | names(), st.none() | urns())


def comp_values() -> st.SearchStrategy[CompValue]:
    """JSON compValues: strings (quotes, backslashes, Unicode), ints, finite floats,
    booleans and null."""
    return st.one_of(
        st.text(_STRING_CHARS, max_size=20),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
    )


def _leaves(paths: st.SearchStrategy[AttrPath]) -> st.SearchStrategy[Filter]:
    compare = st.builds(Compare, paths, st.sampled_from(CompareOp), comp_values())
    return compare | st.builds(Present, paths)


def _combine(children: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
    return (
        st.builds(And, children, children)
        | st.builds(Or, children, children)
        | st.builds(Not, children)
    )


def _value_filters() -> st.SearchStrategy[Filter]:
    return st.recursive(_leaves(attr_paths(relative=True)), _combine, max_leaves=6)


def filters() -> st.SearchStrategy[Filter]:
    """Filter trees: comparisons, presence, ``and``/``or``/``not`` and value paths
    (whose inner filters use relative paths and hold no value path)."""
    value_paths = st.builds(ValuePath, attr_paths(), _value_filters())
    return st.recursive(_leaves(attr_paths()) | value_paths, _combine, max_leaves=10)


def patch_paths() -> st.SearchStrategy[PatchPath]:
    """PATCH paths: ``attrPath`` or ``attrPath[valFilter]``, then maybe ``.sub``."""
    plain = st.builds(PatchPath, attr_paths())
    filtered = st.builds(PatchPath, attr_paths(), _value_filters(), st.none() | names())
    return plain | filtered
