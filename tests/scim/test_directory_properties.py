"""Properties of the directory: compiled filters vs the reference matcher, atomic
writes, PATCH purity and userName uniqueness under any sequence of writes."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from scimpolicy import Directory, ScimError
from scimpolicy.scim.filter_nodes import (
    And,
    AttrPath,
    Compare,
    CompareOp,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    render,
)
from scimpolicy.scim.filter_parser import parse_filter
from scimpolicy.scim.patch import apply_patch, parse_patch
from scimpolicy.scim.schema import USER
from scimpolicy.scim.serde import to_canonical
from tests.scim import reference
from tests.scim.support import (
    CORE_USER,
    ENTERPRISE,
    check_indexes,
    dump,
    new_directory,
    patch,
)

# Small pools so generated filters actually match generated users; they include
# values whose case folding is interesting (ß folds to ss).
WORDS = [
    "Eng",
    "eng",
    "HR",
    "Dir",
    "dir. ops",
    "Straße",
    "STRASSE",
    "",
    "a@x.com",
    "A@X.COM",
]
TEXT = st.sampled_from(WORDS)

STRING_PATHS = [
    AttrPath("userName"),
    AttrPath("title"),
    AttrPath("displayName"),
    AttrPath("userType"),
    AttrPath("externalId"),
    AttrPath("name", "givenName"),
    AttrPath("emails", "value"),
    AttrPath("emails", "type"),
    AttrPath("emails"),
    AttrPath("department"),
    AttrPath("department", urn=ENTERPRISE),
]
BOOLEAN_PATHS = [AttrPath("active"), AttrPath("emails", "primary")]
STRING_OPS = list(CompareOp)


@st.composite
def user_payloads(draw: st.DrawFn, index: int) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "schemas": [CORE_USER],
        "userName": f"u{index}-{draw(TEXT)}",
    }
    for key in ("title", "displayName", "userType", "externalId"):
        if draw(st.booleans()):
            payload[key] = draw(TEXT)
    if draw(st.booleans()):
        payload["active"] = draw(st.booleans())
    if draw(st.booleans()):
        payload["name"] = {"givenName": draw(TEXT)}
    emails = draw(
        st.lists(
            st.fixed_dictionaries(
                {"value": TEXT},
                optional={
                    "type": st.sampled_from(["work", "home"]),
                    "primary": st.just(False),
                },
            ),
            max_size=3,
        )
    )
    if emails:
        payload["emails"] = emails
    if draw(st.booleans()):
        payload["schemas"] = [CORE_USER, ENTERPRISE]
        payload[ENTERPRISE] = {"department": draw(TEXT)}
    return payload


def comparisons() -> st.SearchStrategy[Filter]:
    strings = st.builds(
        Compare,
        st.sampled_from(STRING_PATHS),
        st.sampled_from(STRING_OPS),
        TEXT | st.none(),
    ).filter(lambda c: c.value is not None or c.op in (CompareOp.EQ, CompareOp.NE))
    booleans = st.builds(
        Compare,
        st.sampled_from(BOOLEAN_PATHS),
        st.sampled_from([CompareOp.EQ, CompareOp.NE]),
        st.booleans() | st.sampled_from(["True", "false"]),
    )
    present = st.builds(Present, st.sampled_from(STRING_PATHS + BOOLEAN_PATHS))
    record = st.builds(
        Compare,
        st.sampled_from([AttrPath("value"), AttrPath("type")]),
        st.sampled_from(STRING_OPS),
        TEXT,
    )
    inner: st.SearchStrategy[Filter] = st.recursive(
        record,
        lambda children: (
            st.builds(And, children, children)
            | st.builds(Or, children, children)
            | st.builds(Not, children)
        ),
        max_leaves=3,
    )
    value_paths = st.builds(ValuePath, st.just(AttrPath("emails")), inner)
    return strings | booleans | present | value_paths


def filters() -> st.SearchStrategy[Filter]:
    return st.recursive(
        comparisons(),
        lambda children: (
            st.builds(And, children, children)
            | st.builds(Or, children, children)
            | st.builds(Not, children)
        ),
        max_leaves=6,
    )


@st.composite
def populated(draw: st.DrawFn) -> Directory:
    directory = new_directory()
    for index in range(draw(st.integers(1, 6))):
        directory.create_user(draw(user_payloads(index)))
    return directory


@settings(max_examples=300)
@given(directory=populated(), node=filters())
def test_compiled_filters_agree_with_the_reference_matcher(
    directory: Directory, node: Filter
) -> None:
    """A search returns exactly the users the reference matcher accepts."""
    text = render(node)
    assert parse_filter(text) == node
    found = {r["id"] for r in directory.search_users(text)["Resources"]}
    expected = {
        u.id
        for u in directory.users()
        if reference.matches(node, directory.get_user(u.id))
    }
    assert found == expected


OPERATIONS = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["add", "replace", "remove", "Add", "Replace"]),
        "path": st.sampled_from(
            [
                "title",
                "userName",
                "active",
                "emails",
                'emails[type eq "work"].value',
                'emails[type eq "home"]',
                "name.givenName",
                f"{ENTERPRISE}:department",
                "id",
                "nosuch",
                "emails[",
                'emails[type eq "work"]',
                'emails[value eq "Eng"].primary',
                'emails[type eq "work" or type eq "home"].display',
                "emails.display",
                "name",
                'addresses[type eq "work"].locality',
                ENTERPRISE,
                f"{ENTERPRISE}:manager.value",
                "groups",
                "meta.created",
            ]
        )
        | st.none(),
    },
    optional={
        "value": st.one_of(
            TEXT,
            st.booleans(),
            st.just("False"),
            st.lists(st.fixed_dictionaries({"value": TEXT}), max_size=2),
            st.fixed_dictionaries(
                {}, optional={"title": TEXT, "active": st.booleans()}
            ),
            st.none(),
            st.lists(
                st.fixed_dictionaries(
                    {"value": TEXT},
                    optional={"type": st.just("work"), "primary": st.booleans()},
                ),
                max_size=2,
            ),
            st.fixed_dictionaries({}, optional={"givenName": TEXT, "department": TEXT}),
        )
    },
)


@settings(max_examples=300)
@given(
    directory=populated(),
    operations=st.lists(OPERATIONS, min_size=1, max_size=4),
    target=st.integers(0, 5),
)
def test_patch_is_atomic_and_never_mutates_its_input(
    directory: Directory, operations: list[dict[str, Any]], target: int
) -> None:
    """A PATCH either applies whole or raises and leaves the directory as it was;
    the request object is never modified."""
    ids = sorted(u.id for u in directory.users())
    user_id = ids[target % len(ids)]
    request = patch(*operations)
    original = copy.deepcopy(request)
    before = dump(directory)
    current = directory.user(user_id)
    assert current is not None
    doc = to_canonical(current)
    pristine = copy.deepcopy(doc)
    with contextlib.suppress(ScimError):
        apply_patch(doc, parse_patch(request), USER)
    assert doc == pristine
    try:
        directory.patch_user(user_id, request)
    except ScimError:
        assert dump(directory) == before
    assert request == original
    check_indexes(directory)


@settings(max_examples=200)
@given(
    directory=populated(),
    payload=user_payloads(0),
    extra=st.dictionaries(
        st.sampled_from(["nickName", "bogus", "emails", "active", "userName"]),
        st.one_of(TEXT, st.integers(), st.none(), st.just({"x": 1})),
        max_size=2,
    ),
)
def test_failed_replace_changes_nothing(
    directory: Directory, payload: dict[str, Any], extra: dict[str, Any]
) -> None:
    """A PUT that fails (bad value, taken name) leaves the whole directory as it was."""
    ids = sorted(u.id for u in directory.users())
    candidate = {**payload, **extra}
    if len(ids) > 1:
        taken = directory.get_user(ids[1])["userName"]
        candidate.setdefault("userName", taken.upper())
    before = dump(directory)
    original = copy.deepcopy(candidate)
    try:
        directory.replace_user(ids[0], candidate)
    except ScimError:
        assert dump(directory) == before
    assert candidate == original
    check_indexes(directory)


NAMES = st.sampled_from(
    ["ann@x.com", "ANN@x.com", "bob@x.com", "Bob@X.COM", "cy@x.com"]
)


class UniquenessMachine(RuleBasedStateMachine):
    """Any sequence of creates, renames and deletes keeps userName unique ignoring case."""

    users = Bundle("users")

    def __init__(self) -> None:
        super().__init__()
        self.directory = new_directory()
        self.names: dict[str, str] = {}  # id -> userName, the model of what should be

    @rule(target=users, name=NAMES)
    def create(self, name: str) -> str:
        taken = {n.casefold() for n in self.names.values()}
        try:
            created = self.directory.create_user({"userName": name})
        except ScimError as error:
            assert error.scim_type == "uniqueness"  # noqa: PT017  outcome depends on state
            assert name.casefold() in taken
            return ""
        assert name.casefold() not in taken
        self.names[created["id"]] = name
        return str(created["id"])

    @rule(user_id=users, name=NAMES)
    def rename(self, user_id: str, name: str) -> None:
        if user_id not in self.names:
            return
        others = {n.casefold() for i, n in self.names.items() if i != user_id}
        try:
            self.directory.patch_user(
                user_id, patch({"op": "replace", "path": "userName", "value": name})
            )
        except ScimError as error:
            assert error.scim_type == "uniqueness"  # noqa: PT017  outcome depends on state
            assert name.casefold() in others
            return
        assert name.casefold() not in others
        self.names[user_id] = name

    @rule(user_id=users)
    def delete(self, user_id: str) -> None:
        if user_id in self.names:
            self.directory.delete_user(user_id)
            del self.names[user_id]

    @invariant()
    def names_match_the_model(self) -> None:
        actual = {u.id: u.user_name for u in self.directory.users()}
        assert actual == self.names
        folded = [n.casefold() for n in actual.values()]
        assert len(folded) == len(set(folded))
        check_indexes(self.directory)


TestUniqueness = UniquenessMachine.TestCase
