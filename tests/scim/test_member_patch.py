"""Members-only Group PATCHes take a short path (time proportional to the change);
it must give exactly what the general PATCH path gives: the group, the version, the
indexes, and the same error with the same message."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scimpolicy.errors import ScimError
from scimpolicy.scim import directory as directory_module
from scimpolicy.scim.directory import Directory
from scimpolicy.scim.patch import member_changes, parse_patch
from scimpolicy.scim.schema import GROUP
from tests.scim.support import check_indexes, dump, group, new_directory, patch, user

# ids: users id-1..id-4, groups id-5 (patched) and id-6; plus ids nobody has.
IDS = ["id-1", "id-2", "id-3", "id-4", "id-5", "id-6", "ID-2", "nobody"]


def setup() -> Directory:
    directory = new_directory()
    for name in ("ada", "bob", "cyd", "dan"):
        directory.create_user(user(f"{name}@acme.com"))
    directory.create_group(group("SRE", "id-1", "id-2"))
    directory.create_group(group("Ops", "id-3"))
    return directory


records = st.fixed_dictionaries(
    {"value": st.sampled_from(IDS)},
    optional={
        "type": st.sampled_from(["User", "Group", "user"]),
        "display": st.sampled_from(["Ada", "x"]),
    },
)
operations = st.one_of(
    st.builds(
        lambda values: {"op": "add", "path": "members", "value": values},
        st.lists(records, max_size=3),
    ),
    st.builds(
        lambda value: {"op": "remove", "path": f'members[value eq "{value}"]'},
        st.sampled_from(IDS),
    ),
    st.builds(
        lambda values, op: {"op": op, "path": "members", "value": values},
        st.lists(st.one_of(records, st.sampled_from(IDS)), min_size=1, max_size=3),
        st.sampled_from(["remove", "Remove"]),
    ),
    # Shapes the short path leaves to the general one, mixed in.
    st.just({"op": "replace", "path": "displayName", "value": "SRE team"}),
    st.just({"op": "add", "path": "members", "value": {"value": "id-4"}}),
    st.just({"op": "add", "path": "members", "value": [{"value": 7}]}),
)


def outcome(directory: Directory, body: dict[str, Any]) -> tuple[Any, ...]:
    try:
        result: Any = directory.patch_group("id-5", body)
    except ScimError as error:
        result = (type(error).__name__, error.detail)
    check_indexes(directory)
    return result, dump(directory), directory.version


@given(st.lists(operations, min_size=1, max_size=4))
def test_the_short_path_gives_what_the_general_path_gives(
    ops: list[dict[str, Any]],
) -> None:
    body = patch(*ops)
    short = outcome(setup(), body)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(directory_module, "member_changes", lambda *_: None)
        general = outcome(setup(), body)
    assert short == general


def test_plain_member_changes_take_the_short_path() -> None:
    taken: list[dict[str, Any]] = [
        {"op": "add", "path": "members", "value": [{"value": "id-4"}]},
        {
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members",
            "value": [],
        },
        {"op": "remove", "path": 'members[value eq "id-1"]'},
        {"op": "remove", "path": "members", "value": [{"value": "id-2"}, "id-3"]},
    ]
    for op in taken:
        assert member_changes(parse_patch(patch(op)), GROUP) is not None, op
    left: list[dict[str, Any]] = [
        {"op": "replace", "path": "members", "value": [{"value": "id-4"}]},
        {"op": "remove", "path": "members"},
        {"op": "remove", "path": 'members[type eq "User"]'},
        {"op": "remove", "path": 'members[value eq "id-1"].display'},
        {"op": "add", "path": "members", "value": {"value": "id-4"}},
        {"op": "remove", "path": "members", "value": [{"value": ["id-1"]}]},
    ]
    for op in left:
        assert member_changes(parse_patch(patch(op)), GROUP) is None, op


def test_adding_one_member_touches_one_index_entry() -> None:
    directory = setup()
    before = dict(directory._state.memberships)
    directory.patch_group(
        "id-5", patch({"op": "add", "path": "members", "value": [{"value": "id-4"}]})
    )
    after = directory._state.memberships
    changed = {k for k in after.keys() | before.keys() if after.get(k) != before.get(k)}
    assert changed == {"id-4"}
    assert after["id-1"] is before["id-1"]  # untouched entries are the same objects
