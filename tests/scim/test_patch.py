"""PATCH (RFC 7644 §3.5.2): rows P1-P11 of ``research/scim.md`` §1.4, and atomicity."""

from __future__ import annotations

import copy

import pytest

from scimpolicy import (
    Directory,
    InvalidSyntaxError,
    InvalidValueError,
    MutabilityError,
    NoTargetError,
    PathSyntaxError,
    UniquenessError,
)
from tests.scim.support import (
    ENTERPRISE,
    PATCH_OP,
    apply,
    dump,
    group,
    make,
    patch,
    user,
)


def test_patch_body_must_be_a_patch_op(directory: Directory) -> None:
    """P1: the body lists the PatchOp schema and a non-empty Operations array."""
    uid = make(directory)
    with pytest.raises(InvalidSyntaxError, match="must list `schemas"):
        directory.patch_user(uid, {"Operations": [{"op": "add", "value": {}}]})
    with pytest.raises(InvalidSyntaxError, match="non-empty `Operations`"):
        directory.patch_user(uid, {"schemas": [PATCH_OP], "Operations": []})
    with pytest.raises(InvalidSyntaxError) as caught:
        apply(directory, uid, {"op": "merge", "path": "title", "value": "x"})
    assert caught.value.detail == (
        "`Operations[0]`: `op` must be `add`, `remove` or `replace`, got `merge`"
    )


def test_op_names_are_case_insensitive(directory: Directory) -> None:
    """P1/P11: Entra's capitalised ops (Add, Replace, Remove) are accepted."""
    uid = make(directory, title="A")
    result = apply(
        directory,
        uid,
        {"op": "Replace", "path": "title", "value": "B"},
        {"op": "Add", "path": "nickName", "value": "N"},
        {"op": "REMOVE", "path": "title"},
    )
    assert result["nickName"] == "N"
    assert "title" not in result


def test_operations_apply_in_order(directory: Directory) -> None:
    """P2: operations are applied in array order."""
    uid = make(directory)
    result = apply(
        directory,
        uid,
        {"op": "add", "path": "title", "value": "first"},
        {"op": "replace", "path": "title", "value": "second"},
    )
    assert result["title"] == "second"


def test_failing_operation_undoes_the_whole_request(directory: Directory) -> None:
    """P2: if any operation fails, nothing of the request is applied."""
    uid = make(directory, title="keep")
    before = dump(directory)
    with pytest.raises(NoTargetError):
        apply(
            directory,
            uid,
            {"op": "replace", "path": "title", "value": "changed"},
            {"op": "replace", "path": 'emails[type eq "home"].value', "value": "x"},
        )
    assert dump(directory) == before


def test_patch_returns_the_full_resource(directory: Directory) -> None:
    """P3: success returns the modified resource."""
    uid = make(directory)
    result = apply(directory, uid, {"op": "add", "path": "title", "value": "T"})
    assert result["id"] == uid
    assert result["userName"] == "bjensen@example.com"


def test_add_without_path_takes_an_object_of_attributes(directory: Directory) -> None:
    """P4: add with no path; extension attributes by URN object or URN-qualified key."""
    uid = make(directory)
    result = apply(
        directory,
        uid,
        {
            "op": "add",
            "value": {
                f"{ENTERPRISE}:costCenter": "CC1",
                "nickName": "al",
                ENTERPRISE: {"department": "Eng"},
                "name.givenName": "Barbara",
            },
        },
    )
    assert result[ENTERPRISE] == {"costCenter": "CC1", "department": "Eng"}
    assert result["nickName"] == "al"
    assert result["name"] == {"givenName": "Barbara"}


def test_add_appends_to_multi_valued_and_skips_existing_values(
    directory: Directory,
) -> None:
    """P5: add appends values; a value already present changes nothing, not the version."""
    uid = make(directory, emails=[{"value": "a@x", "type": "work"}])
    result = apply(
        directory, uid, {"op": "add", "path": "emails", "value": [{"value": "b@x"}]}
    )
    assert [e["value"] for e in result["emails"]] == ["a@x", "b@x"]
    again = apply(
        directory, uid, {"op": "add", "path": "emails", "value": [{"value": "b@x"}]}
    )
    assert again["meta"] == result["meta"]


def test_add_replaces_a_single_valued_attribute(directory: Directory) -> None:
    """P5: add on an existing single-valued attribute replaces it."""
    uid = make(directory, title="old")
    assert (
        apply(directory, uid, {"op": "add", "path": "title", "value": "new"})["title"]
        == "new"
    )


def test_add_merges_into_a_complex_attribute(directory: Directory) -> None:
    """P5: add on a complex attribute sets the given sub-attributes, keeps the rest."""
    uid = make(directory, name={"givenName": "B", "familyName": "J"})
    result = apply(
        directory, uid, {"op": "add", "path": "name", "value": {"givenName": "Babs"}}
    )
    assert result["name"] == {"givenName": "Babs", "familyName": "J"}


def test_a_new_primary_value_unsets_the_others(directory: Directory) -> None:
    """A4: a PATCH that sets a primary value unsets primary on the other values."""
    uid = make(directory, emails=[{"value": "a@x", "primary": True}])
    result = apply(
        directory,
        uid,
        {"op": "add", "path": "emails", "value": [{"value": "b@x", "primary": True}]},
    )
    assert result["emails"] == [
        {"value": "a@x", "primary": False},
        {"value": "b@x", "primary": True},
    ]
    result = apply(
        directory,
        uid,
        {"op": "replace", "path": 'emails[value eq "a@x"].primary', "value": "True"},
    )
    assert [e["primary"] for e in result["emails"]] == [True, False]


def test_remove_without_path_is_no_target(directory: Directory) -> None:
    """P6: remove with no path is 400 noTarget."""
    uid = make(directory)
    with pytest.raises(NoTargetError) as caught:
        apply(directory, uid, {"op": "remove"})
    assert caught.value.to_scim()["scimType"] == "noTarget"
    assert (
        caught.value.detail
        == "`Operations[0]`: `remove` needs a `path` (RFC 7644 §3.5.2.2)"
    )


def test_remove_unassigns_attributes_and_filtered_values(directory: Directory) -> None:
    """P7: remove a single value, a whole multi-valued attribute, or matching values."""
    uid = make(
        directory,
        title="T",
        emails=[{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}],
        phoneNumbers=[{"value": "1"}],
    )
    result = apply(
        directory,
        uid,
        {"op": "remove", "path": "title"},
        {"op": "remove", "path": "phoneNumbers"},
        {"op": "remove", "path": 'emails[type eq "home"]'},
    )
    assert "title" not in result
    assert "phoneNumbers" not in result
    assert result["emails"] == [{"value": "a@x", "type": "work"}]


def test_remove_of_required_or_read_only_is_mutability(directory: Directory) -> None:
    """P7/P9: removing userName, or changing id or meta, is 400 mutability."""
    uid = make(directory)
    for operation in (
        {"op": "remove", "path": "userName"},
        {"op": "replace", "path": "id", "value": "x"},
        {"op": "add", "path": "meta.version", "value": "x"},
        {"op": "replace", "path": "groups", "value": []},
    ):
        with pytest.raises(MutabilityError) as caught:
            apply(directory, uid, operation)
        assert caught.value.scim_type == "mutability"


def test_replace_without_path_is_okta_deactivation(directory: Directory) -> None:
    """P8/P11: Okta's path-less replace of active deactivates the user."""
    uid = make(directory, active=True)
    result = apply(directory, uid, {"op": "replace", "value": {"active": False}})
    assert result["active"] is False
    assert directory.user_by_name("bjensen@example.com", active_only=True) is None


def test_replace_multi_valued_without_filter_replaces_all(directory: Directory) -> None:
    """P8: replace of a multi-valued attribute with no filter replaces every value."""
    uid = make(directory, emails=[{"value": "a@x"}, {"value": "b@x"}])
    result = apply(
        directory, uid, {"op": "replace", "path": "emails", "value": [{"value": "c@x"}]}
    )
    assert result["emails"] == [{"value": "c@x"}]


def test_replace_a_missing_attribute_adds_it(directory: Directory) -> None:
    """P8: replace of an attribute with no value is treated as add."""
    uid = make(directory)
    assert (
        apply(directory, uid, {"op": "replace", "path": "title", "value": "T"})["title"]
        == "T"
    )


def test_replace_filtered_records_and_their_sub_attributes(
    directory: Directory,
) -> None:
    """P8: valuePath replaces matching records; valuePath.sub sets one sub-attribute."""
    uid = make(
        directory,
        addresses=[
            {"type": "work", "locality": "Berlin"},
            {"type": "home", "locality": "Ulm"},
        ],
        emails=[{"value": "a@x", "type": "work"}],
    )
    result = apply(
        directory,
        uid,
        {
            "op": "replace",
            "path": 'addresses[type eq "work"].streetAddress',
            "value": "Main 1",
        },
        {
            "op": "replace",
            "path": 'emails[type eq "work"]',
            "value": {"value": "n@x", "type": "work"},
        },
    )
    assert result["addresses"][0] == {
        "type": "work",
        "locality": "Berlin",
        "streetAddress": "Main 1",
    }
    assert result["addresses"][1] == {"type": "home", "locality": "Ulm"}
    assert result["emails"] == [{"value": "n@x", "type": "work"}]


def test_replace_with_a_filter_matching_nothing_is_no_target(
    directory: Directory,
) -> None:
    """P8: replace of emails[type eq "home"].value with no home email is 400 noTarget."""
    uid = make(directory, emails=[{"value": "a@x", "type": "work"}])
    with pytest.raises(NoTargetError) as caught:
        apply(
            directory,
            uid,
            {"op": "replace", "path": 'emails[type eq "home"].value', "value": "h"},
        )
    assert (
        caught.value.detail
        == '`Operations[0]`: no value matches `emails[type eq "home"].value`'
    )


def test_add_with_a_filter_matching_nothing_creates_the_value(
    directory: Directory,
) -> None:
    """P11: Entra adds emails[type eq "work"].value to a user without a work email."""
    uid = make(directory)
    result = apply(
        directory,
        uid,
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "w@x"},
    )
    assert result["emails"] == [{"type": "work", "value": "w@x"}]


def test_entra_value_path_filter_with_string_boolean(directory: Directory) -> None:
    """P11: Entra's `[primary eq "True"]` filter compares a boolean with a string."""
    uid = make(directory, emails=[{"value": "a@x", "primary": True}, {"value": "b@x"}])
    result = apply(
        directory,
        uid,
        {"op": "replace", "path": 'emails[primary eq "True"].value', "value": "p@x"},
    )
    assert [e["value"] for e in result["emails"]] == ["p@x", "b@x"]


def test_malformed_and_unknown_paths_are_invalid_path(directory: Directory) -> None:
    """P9: a malformed path or an unknown attribute is 400 invalidPath with the position."""
    uid = make(directory)
    with pytest.raises(PathSyntaxError) as caught:
        apply(directory, uid, {"op": "add", "path": "emails[type eq", "value": "x"})
    assert caught.value.scim_type == "invalidPath"
    assert caught.value.detail.startswith("Operations[0].path: ")
    with pytest.raises(PathSyntaxError) as unknown:
        apply(directory, uid, {"op": "add", "path": "nosuch", "value": "x"})
    assert unknown.value.detail == (
        "Operations[0].path: unknown attribute `nosuch` for a User (at line 1, column 1)"
    )


def test_rename_to_a_taken_name_is_uniqueness(directory: Directory) -> None:
    """P9: a PATCH clashing with a unique value is 409 uniqueness."""
    directory.create_user(user("taken@x.com"))
    uid = make(directory)
    with pytest.raises(UniquenessError):
        apply(
            directory,
            uid,
            {"op": "replace", "path": "userName", "value": "TAKEN@x.com"},
        )


def test_wrong_value_types_are_invalid_value(directory: Directory) -> None:
    """P9: a PATCH value of the wrong type is 400 invalidValue with its location."""
    uid = make(directory)
    with pytest.raises(InvalidValueError) as caught:
        apply(directory, uid, {"op": "replace", "path": "active", "value": "sometimes"})
    assert caught.value.detail == (
        "`Operations[0].value`: expected true or false, got a string"
    )
    with pytest.raises(InvalidValueError, match="needs a `value`"):
        apply(directory, uid, {"op": "add", "path": "title"})


def test_group_members_add_and_remove(directory: Directory) -> None:
    """P10: members are added and removed as whole values; others stay."""
    a = directory.create_user(user("a@x.com"))["id"]
    b = directory.create_user(user("b@x.com"))["id"]
    c = directory.create_user(user("c@x.com"))["id"]
    gid = directory.create_group(group("G", a))["id"]
    result = directory.patch_group(
        gid,
        patch({"op": "add", "path": "members", "value": [{"value": b}, {"value": c}]}),
    )
    assert [m["value"] for m in result["members"]] == [a, b, c]
    result = directory.patch_group(
        gid, patch({"op": "remove", "path": f'members[value eq "{b}"]'})
    )
    assert [m["value"] for m in result["members"]] == [a, c]
    assert directory.group_names_of(b) == frozenset()


def test_entra_member_removal_with_the_member_in_value(directory: Directory) -> None:
    """P11: Entra removes members by listing them in value with path `members`."""
    a = directory.create_user(user("a@x.com"))["id"]
    b = directory.create_user(user("b@x.com"))["id"]
    gid = directory.create_group(group("G", a, b))["id"]
    result = directory.patch_group(
        gid, patch({"op": "Remove", "path": "members", "value": [{"value": a}]})
    )
    assert [m["value"] for m in result["members"]] == [b]


def test_member_ids_cannot_be_changed_in_place(directory: Directory) -> None:
    """P10/A11: members' value is immutable; replacing it in place is mutability."""
    a = directory.create_user(user("a@x.com"))["id"]
    b = directory.create_user(user("b@x.com"))["id"]
    gid = directory.create_group(group("G", a))["id"]
    with pytest.raises(MutabilityError, match="`value` cannot change once set"):
        directory.patch_group(
            gid,
            patch(
                {"op": "replace", "path": f'members[value eq "{a}"].value', "value": b}
            ),
        )


def test_group_rename_and_member_add_in_one_request(directory: Directory) -> None:
    """P10: a group PATCH may rename the group and change members together."""
    a = directory.create_user(user("a@x.com"))["id"]
    gid = directory.create_group(group("Old"))["id"]
    result = directory.patch_group(
        gid,
        patch(
            {"op": "replace", "value": {"displayName": "New"}},
            {"op": "add", "path": "members", "value": [{"value": a, "display": "A"}]},
        ),
    )
    assert result["displayName"] == "New"
    assert result["members"] == [{"value": a, "type": "User", "display": "A"}]
    assert directory.group_names_of(a) == {"New"}


def test_adding_an_unknown_member_changes_nothing(directory: Directory) -> None:
    """P2: a member that does not exist fails the request; the group is unchanged."""
    gid = directory.create_group(group("G"))["id"]
    before = dump(directory)
    with pytest.raises(InvalidValueError, match="no user or group has id `ghost`"):
        directory.patch_group(
            gid, patch({"op": "add", "path": "members", "value": [{"value": "ghost"}]})
        )
    assert dump(directory) == before


def test_patch_never_mutates_the_request(directory: Directory) -> None:
    """A PATCH request object is left exactly as the caller built it."""
    uid = make(directory, emails=[{"value": "a@x", "type": "work"}])
    request = patch(
        {"op": "add", "path": "emails", "value": [{"value": "b@x", "primary": "True"}]},
        {"op": "replace", "value": {"name": {"givenName": "B"}}},
    )
    original = copy.deepcopy(request)
    directory.patch_user(uid, request)
    assert request == original


def test_patch_extension_attribute_by_urn_path(directory: Directory) -> None:
    """P4/F10: a URN-qualified path reaches the Enterprise extension."""
    uid = make(directory)
    result = apply(
        directory,
        uid,
        {"op": "add", "path": f"{ENTERPRISE}:manager.value", "value": "boss"},
        {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Eng"},
        {"op": "replace", "path": ENTERPRISE, "value": {"division": "D"}},
    )
    assert result[ENTERPRISE] == {
        "manager": {"value": "boss"},
        "department": "Eng",
        "division": "D",
    }
    result = apply(directory, uid, {"op": "remove", "path": f"{ENTERPRISE}:department"})
    assert "department" not in result[ENTERPRISE]


def test_replacing_filtered_records_needs_a_record(directory: Directory) -> None:
    """P8: replace of emails[...] with null is invalidValue; a one-record list works."""
    uid = make(directory, emails=[{"value": "a@x", "type": "work"}])
    path = 'emails[type eq "work"]'
    with pytest.raises(InvalidValueError) as caught:
        apply(directory, uid, {"op": "replace", "path": path, "value": None})
    assert (
        caught.value.detail == f"`Operations[0]`: `replace` needs a record for `{path}`"
    )
    result = apply(
        directory,
        uid,
        {"op": "replace", "path": path, "value": [{"value": "b@x", "type": "work"}]},
    )
    assert result["emails"] == [{"value": "b@x", "type": "work"}]
