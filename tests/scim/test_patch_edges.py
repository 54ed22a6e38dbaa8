"""PATCH edge cases (RFC 7644 §3.5.2): rows P1-P11 beyond the main scenarios.

Malformed requests, sub-attributes on every record of a multi-valued attribute, value
paths on single-valued complex attributes, null values, primaries and path errors.
"""

from __future__ import annotations

from typing import Any

import pytest

from scimpolicy import (
    Directory,
    InvalidSyntaxError,
    InvalidValueError,
    MutabilityError,
    NoTargetError,
    PathSyntaxError,
)
from tests.scim.support import (
    ENTERPRISE,
    PATCH_OP,
    apply,
    dump,
    group,
    make,
    new_directory,
    patch,
    user,
)

TWO_EMAILS: list[dict[str, Any]] = [
    {"value": "a@x", "type": "work", "display": "A"},
    {"value": "b@x", "type": "home", "display": "B"},
]


# -- malformed requests ----------------------------------------------------------------


@pytest.mark.parametrize("body", [[], "add", None, 7])
def test_a_body_that_is_not_an_object_is_invalid_syntax(
    directory: Directory, body: Any
) -> None:
    """P1: a PATCH body that is not a JSON object is 400 invalidSyntax."""
    uid = make(directory)
    with pytest.raises(InvalidSyntaxError) as caught:
        directory.patch_user(uid, body)
    assert caught.value.detail == "a PATCH request must be a JSON object"


def test_request_keys_ignore_case(directory: Directory) -> None:
    """P1: `Schemas`/`operations` are read in any case, like every SCIM attribute name."""
    uid = make(directory)
    result = directory.patch_user(
        uid,
        {
            "SCHEMAS": [PATCH_OP.upper()],
            "operations": [{"OP": "add", "PATH": "title", "VALUE": "T"}],
        },
    )
    assert result["title"] == "T"


@pytest.mark.parametrize("item", ["add", ["add"], None, 3])
def test_an_operation_that_is_not_an_object_is_invalid_syntax(
    directory: Directory, item: Any
) -> None:
    """P1: every Operations item must be an object; the error names its index."""
    uid = make(directory)
    with pytest.raises(InvalidSyntaxError) as caught:
        apply(directory, uid, {"op": "add", "path": "title", "value": "T"}, item)
    assert caught.value.detail == "`Operations[1]`: expected an object with `op`"


@pytest.mark.parametrize(
    ("operation", "shown"),
    [
        ({"op": 1, "path": "title", "value": "x"}, "1"),
        ({"op": None, "path": "title", "value": "x"}, "None"),
        ({"path": "title", "value": "x"}, "None"),
        ({"op": ["add"], "path": "title", "value": "x"}, "['add']"),
    ],
)
def test_op_must_be_one_of_the_three_names(
    directory: Directory, operation: dict[str, Any], shown: str
) -> None:
    """P1: an `op` that is missing or not a string is 400 invalidSyntax."""
    uid = make(directory)
    with pytest.raises(InvalidSyntaxError) as caught:
        apply(directory, uid, operation)
    assert caught.value.detail == (
        f"`Operations[0]`: `op` must be `add`, `remove` or `replace`, got `{shown}`"
    )


def test_path_must_be_a_string(directory: Directory) -> None:
    """P9: a `path` that is not a string is 400 invalidSyntax."""
    uid = make(directory)
    with pytest.raises(InvalidSyntaxError) as caught:
        apply(directory, uid, {"op": "add", "path": 5, "value": "x"})
    assert caught.value.detail == "`Operations[0]`: `path` must be a string"


def test_an_empty_path_reads_as_no_path(directory: Directory) -> None:
    """P4: `"path": ""` is treated like an operation without a path."""
    uid = make(directory)
    result = apply(directory, uid, {"op": "add", "path": "", "value": {"title": "T"}})
    assert result["title"] == "T"
    with pytest.raises(NoTargetError):
        apply(directory, uid, {"op": "remove", "path": ""})


# -- operations without a path ---------------------------------------------------------


@pytest.mark.parametrize("value", ["x", ["title"], None, 3])
def test_a_path_less_value_must_be_an_object(directory: Directory, value: Any) -> None:
    """P4/P8: without a path, `value` must be an object of attributes (invalidValue)."""
    uid = make(directory)
    with pytest.raises(InvalidValueError) as caught:
        apply(directory, uid, {"op": "replace", "value": value})
    assert caught.value.detail == (
        "`Operations[0]`: without a `path`, `value` must be an object of attributes"
    )


def test_a_path_less_key_that_is_not_a_path_is_invalid_path(
    directory: Directory,
) -> None:
    """P4/P9: a path-less key is parsed as a path; a malformed one is invalidPath."""
    uid = make(directory)
    with pytest.raises(PathSyntaxError) as caught:
        apply(directory, uid, {"op": "add", "value": {"emails[": "x"}})
    error = caught.value
    assert error.scim_type == "invalidPath"
    assert error.detail == (
        "Operations[0].value: unexpected end of path: expected an attribute name "
        "(at line 1, column 8)"
    )


def test_a_path_less_key_naming_an_unknown_attribute_is_invalid_path(
    directory: Directory,
) -> None:
    """P4/P9: an unknown attribute as a path-less key is invalidPath, nothing changes."""
    uid = make(directory, title="keep")
    before = dump(directory)
    with pytest.raises(PathSyntaxError) as caught:
        apply(
            directory, uid, {"op": "add", "value": {"title": "new", "nickname2": "x"}}
        )
    assert caught.value.message == "unknown attribute `nickname2` for a User"
    assert dump(directory) == before


def test_a_path_less_value_may_name_sub_attributes_and_unassign(
    directory: Directory,
) -> None:
    """P4/A5: path-less keys may be dotted paths; a null value unassigns."""
    uid = make(directory, nickName="N", name={"givenName": "B", "familyName": "J"})
    result = apply(
        directory,
        uid,
        {"op": "replace", "value": {"name.familyName": "Jensen", "nickName": None}},
    )
    assert result["name"] == {"givenName": "B", "familyName": "Jensen"}
    assert "nickName" not in result


@pytest.mark.parametrize("value", ["Eng", ["Eng"], None])
def test_a_path_less_extension_urn_needs_an_object(
    directory: Directory, value: Any
) -> None:
    """P4: an extension URN key in a path-less value must hold an object."""
    uid = make(directory)
    with pytest.raises(InvalidValueError) as caught:
        apply(directory, uid, {"op": "add", "value": {ENTERPRISE: value}})
    assert caught.value.detail == f"`Operations[0]`: `{ENTERPRISE}` must be an object"


def test_a_path_naming_the_extension_urn_needs_an_object(directory: Directory) -> None:
    """P4: `path: <extension URN>` takes an object of extension attributes."""
    uid = make(directory)
    with pytest.raises(InvalidValueError) as caught:
        apply(directory, uid, {"op": "replace", "path": ENTERPRISE, "value": "Eng"})
    assert caught.value.detail == f"`Operations[0]`: `{ENTERPRISE}` must be an object"


def test_an_unknown_attribute_inside_the_extension_object_is_invalid_path(
    directory: Directory,
) -> None:
    """P4/P9: attributes inside a path-less extension object must exist in it."""
    uid = make(directory)
    with pytest.raises(PathSyntaxError) as caught:
        apply(directory, uid, {"op": "add", "value": {ENTERPRISE: {"badge": "7"}}})
    assert caught.value.message == "unknown attribute `badge` for a User"


def test_removing_the_last_extension_attribute_drops_the_extension(
    directory: Directory,
) -> None:
    """P7/A12: no empty extension object is left behind; schemas no longer lists it."""
    uid = make(directory, department="Eng")
    result = apply(directory, uid, {"op": "remove", "path": "department"})
    assert ENTERPRISE not in result
    assert result["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]


# -- sub-attributes of every record ----------------------------------------------------


@pytest.mark.parametrize("op", ["add", "replace"])
def test_setting_a_sub_attribute_of_a_multi_valued_attribute_sets_every_record(
    directory: Directory, op: str
) -> None:
    """P5/P8: `emails.display` without a filter applies to every email."""
    uid = make(directory, emails=TWO_EMAILS)
    result = apply(directory, uid, {"op": op, "path": "emails.display", "value": "D"})
    assert result["emails"] == [
        {"value": "a@x", "type": "work", "display": "D"},
        {"value": "b@x", "type": "home", "display": "D"},
    ]


def test_removing_a_sub_attribute_removes_it_from_every_record(
    directory: Directory,
) -> None:
    """P7: `remove emails.display` strips display from every email, keeping the rest."""
    uid = make(directory, emails=TWO_EMAILS)
    result = apply(directory, uid, {"op": "remove", "path": "emails.display"})
    assert result["emails"] == [
        {"value": "a@x", "type": "work"},
        {"value": "b@x", "type": "home"},
    ]


def test_records_emptied_by_a_sub_attribute_removal_disappear(
    directory: Directory,
) -> None:
    """P7/A5: a record left with no sub-attributes is unassigned, so it is dropped."""
    uid = make(directory, emails=[{"type": "work"}, {"type": "home", "value": "h@x"}])
    result = apply(directory, uid, {"op": "remove", "path": "emails.type"})
    assert result["emails"] == [{"value": "h@x"}]


def test_adding_a_sub_attribute_to_an_absent_multi_valued_attribute_creates_a_record(
    directory: Directory,
) -> None:
    """P5: `add emails.value` on a user with no email adds one record."""
    uid = make(directory)
    result = apply(
        directory, uid, {"op": "add", "path": "emails.value", "value": "n@x"}
    )
    assert result["emails"] == [{"value": "n@x"}]


def test_replacing_a_sub_attribute_of_an_absent_multi_valued_attribute_is_no_target(
    directory: Directory,
) -> None:
    """P8: `replace emails.display` when there are no emails is 400 noTarget."""
    uid = make(directory)
    with pytest.raises(NoTargetError) as caught:
        apply(directory, uid, {"op": "replace", "path": "emails.display", "value": "D"})
    assert caught.value.detail == "`Operations[0]`: `emails` has no values"


def test_removing_or_nulling_a_sub_attribute_of_an_absent_attribute_changes_nothing(
    directory: Directory,
) -> None:
    """P7/A5/M2: removing, or adding null to, what is not there keeps the version."""
    uid = make(directory)
    before = directory.get_user(uid)
    for operation in (
        {"op": "remove", "path": "emails.display"},
        {"op": "add", "path": "emails.display", "value": None},
    ):
        assert apply(directory, uid, operation) == before


def test_removing_the_last_sub_attribute_of_a_complex_attribute_unassigns_it(
    directory: Directory,
) -> None:
    """P7/A5: `remove name.givenName` on a name holding only givenName removes name."""
    uid = make(directory, name={"givenName": "B"})
    assert "name" not in apply(
        directory, uid, {"op": "remove", "path": "name.givenName"}
    )


def test_a_read_only_sub_attribute_cannot_be_patched(directory: Directory) -> None:
    """P9/A6: `manager.displayName` is readOnly: changing it is 400 mutability."""
    uid = make(directory)
    with pytest.raises(MutabilityError) as caught:
        apply(
            directory, uid, {"op": "add", "path": "manager.displayName", "value": "x"}
        )
    assert caught.value.detail == "`Operations[0]`: `manager.displayName` is read-only"


# -- filtered records ------------------------------------------------------------------


def test_removing_a_sub_attribute_of_a_filtered_record(directory: Directory) -> None:
    """P7: `remove emails[type eq "work"].display` touches only the work email."""
    uid = make(directory, emails=TWO_EMAILS)
    result = apply(
        directory, uid, {"op": "remove", "path": 'emails[type eq "work"].display'}
    )
    assert result["emails"] == [
        {"value": "a@x", "type": "work"},
        {"value": "b@x", "type": "home", "display": "B"},
    ]


def test_replacing_a_filtered_sub_attribute_with_null_unassigns_it(
    directory: Directory,
) -> None:
    """P8/A5: `replace emails[type eq "work"].value` with null removes that value only."""
    uid = make(directory, emails=TWO_EMAILS)
    result = apply(
        directory,
        uid,
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": None},
    )
    assert result["emails"] == [
        {"type": "work", "display": "A"},
        {"value": "b@x", "type": "home", "display": "B"},
    ]


def test_removing_the_only_matching_record_unassigns_the_attribute(
    directory: Directory,
) -> None:
    """P7: removing every record through a filter leaves no empty list behind."""
    uid = make(directory, emails=[{"value": "a@x", "type": "work"}])
    result = apply(directory, uid, {"op": "remove", "path": 'emails[type eq "work"]'})
    assert "emails" not in result


def test_add_with_a_filter_merges_into_the_matching_record(
    directory: Directory,
) -> None:
    """P5: `add emails[type eq "work"]` with an object merges into the work email."""
    uid = make(directory, emails=TWO_EMAILS)
    result = apply(
        directory,
        uid,
        {"op": "add", "path": 'emails[type eq "work"]', "value": {"display": "W"}},
    )
    assert result["emails"][0] == {"value": "a@x", "type": "work", "display": "W"}


def test_replacing_a_filtered_record_as_primary_unsets_the_other_primary(
    directory: Directory,
) -> None:
    """P8/A4: a replaced record marked primary takes primary from the others."""
    uid = make(
        directory,
        emails=[
            {"value": "a@x", "type": "work", "primary": True},
            {"value": "b@x", "type": "home"},
        ],
    )
    result = apply(
        directory,
        uid,
        {
            "op": "replace",
            "path": 'emails[type eq "home"]',
            "value": {"value": "h@x", "type": "home", "primary": True},
        },
    )
    assert result["emails"] == [
        {"value": "a@x", "type": "work", "primary": False},
        {"value": "h@x", "type": "home", "primary": True},
    ]


def test_add_with_a_conjunction_of_eq_creates_the_record_with_every_value(
    directory: Directory,
) -> None:
    """P11: `add emails[type eq "work" and display eq "W"].value` builds the full record."""
    uid = make(directory)
    result = apply(
        directory,
        uid,
        {
            "op": "add",
            "path": 'emails[type eq "work" and display eq "W"].value',
            "value": "w@x",
        },
    )
    assert result["emails"] == [{"type": "work", "display": "W", "value": "w@x"}]


@pytest.mark.parametrize(
    "path",
    [
        'emails[type eq "work" or type eq "home"].value',
        'emails[type ne "work"].value',
        'emails[type eq "work" and value sw "w"].display',
        'emails[not (type eq "work")].display',
        "emails[type pr].display",
    ],
)
def test_add_with_a_filter_that_is_not_a_conjunction_of_eq_is_no_target(
    directory: Directory, path: str
) -> None:
    """P11/P8: only an `eq` conjunction can describe the record to create; else noTarget."""
    uid = make(directory)
    with pytest.raises(NoTargetError) as caught:
        apply(directory, uid, {"op": "add", "path": path, "value": "x"})
    assert caught.value.detail == f"`Operations[0]`: no value matches `{path}`"


def test_replacing_a_member_record_cannot_change_its_value(
    directory: Directory,
) -> None:
    """P10/A11: replacing a member record with another id is 400 mutability."""
    a = directory.create_user(user("a@x.com"))["id"]
    b = directory.create_user(user("b@x.com"))["id"]
    gid = directory.create_group(group("G", a))["id"]
    with pytest.raises(MutabilityError) as caught:
        directory.patch_group(
            gid,
            patch(
                {
                    "op": "replace",
                    "path": f'members[value eq "{a}"]',
                    "value": {"value": b},
                }
            ),
        )
    assert caught.value.detail == "`Operations[0]`: `value` cannot change once set"
    result = directory.patch_group(
        gid,
        patch(
            {
                "op": "replace",
                "path": f'members[value eq "{a}"]',
                "value": {"value": a, "display": "Ann"},
            }
        ),
    )
    assert result["members"] == [{"value": a, "type": "User", "display": "Ann"}]


def test_entra_removal_of_every_member_empties_the_group(directory: Directory) -> None:
    """P11: Entra's remove with all members in `value` leaves the group without members."""
    a = directory.create_user(user("a@x.com"))["id"]
    b = directory.create_user(user("b@x.com"))["id"]
    gid = directory.create_group(group("G", a, b))["id"]
    result = directory.patch_group(
        gid,
        patch(
            {"op": "remove", "path": "members", "value": [{"value": a}, {"value": b}]}
        ),
    )
    assert "members" not in result
    assert directory.group_names_of(a) == frozenset()


# -- value paths on a single-valued complex attribute ----------------------------------


def test_a_value_path_on_name_sets_a_sub_attribute_when_it_matches(
    directory: Directory,
) -> None:
    """P8/F9: `name[givenName eq "Ann"].familyName` reads as the name itself."""
    uid = make(directory, name={"givenName": "Ann"})
    result = apply(
        directory,
        uid,
        {
            "op": "replace",
            "path": 'name[givenName eq "ann"].familyName',
            "value": "Lee",
        },
    )
    assert result["name"] == {"givenName": "Ann", "familyName": "Lee"}


def test_a_value_path_on_name_that_does_not_match_is_no_target(
    directory: Directory,
) -> None:
    """P8: replace through a `name[...]` filter that does not match is 400 noTarget."""
    uid = make(directory, name={"givenName": "Ann"})
    with pytest.raises(NoTargetError) as caught:
        apply(
            directory,
            uid,
            {
                "op": "replace",
                "path": 'name[givenName eq "Bob"].familyName',
                "value": "L",
            },
        )
    assert caught.value.detail == (
        '`Operations[0]`: no value matches `name[givenName eq "Bob"].familyName`'
    )


def test_add_through_a_name_value_path_creates_the_name(directory: Directory) -> None:
    """P11: `add name[givenName eq "Bob"].familyName` on a user without a name creates it."""
    uid = make(directory)
    result = apply(
        directory,
        uid,
        {"op": "add", "path": 'name[givenName eq "Bob"].familyName', "value": "Lee"},
    )
    assert result["name"] == {"givenName": "Bob", "familyName": "Lee"}


def test_add_and_remove_through_a_name_value_path(directory: Directory) -> None:
    """P5/P7: `add name[...]` merges into the name; `remove name[...]` unassigns it."""
    uid = make(directory, name={"givenName": "Ann"})
    path = 'name[givenName eq "Ann"]'
    result = apply(
        directory, uid, {"op": "add", "path": path, "value": {"familyName": "Lee"}}
    )
    assert result["name"] == {"givenName": "Ann", "familyName": "Lee"}
    assert "name" not in apply(directory, uid, {"op": "remove", "path": path})


def test_replace_through_a_name_value_path_merges_like_replace_of_name(
    directory: Directory,
) -> None:
    """P8: RFC 7644 §3.5.2.3 leaves sub-attributes not in `value` unchanged on a complex attribute."""
    uid = make(directory, name={"givenName": "Ann"})
    result = apply(
        directory,
        uid,
        {
            "op": "replace",
            "path": 'name[givenName eq "Ann"]',
            "value": {"familyName": "Lee"},
        },
    )
    assert result["name"] == {"givenName": "Ann", "familyName": "Lee"}


# -- null values and primaries ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "attributes"),
    [
        ("title", {"title": "T"}),
        ("name", {"name": {"givenName": "B"}}),
        ("emails", {"emails": TWO_EMAILS}),
    ],
)
def test_replace_with_null_unassigns(
    directory: Directory, path: str, attributes: dict[str, Any]
) -> None:
    """P8/A5: replace with null removes a simple, complex or multi-valued attribute."""
    uid = make(directory, **attributes)
    assert path not in apply(
        directory, uid, {"op": "replace", "path": path, "value": None}
    )


def test_replace_of_a_required_attribute_with_null_is_mutability(
    directory: Directory,
) -> None:
    """P7/A7: userName is required; unassigning it with or without a path is refused."""
    uid = make(directory)
    for operation in (
        {"op": "replace", "path": "userName", "value": None},
        {"op": "replace", "value": {"userName": None}},
    ):
        with pytest.raises(MutabilityError) as caught:
            apply(directory, uid, operation)
        assert caught.value.detail == "`Operations[0]`: `userName` is required"


def test_adding_nothing_to_a_multi_valued_attribute_changes_nothing(
    directory: Directory,
) -> None:
    """P5/M2: adding `[]`, `[null]` or `[{}]` keeps the values and the version."""
    uid = make(directory, emails=TWO_EMAILS)
    before = directory.get_user(uid)
    nothing: list[list[Any]] = [[], [None], [{}]]
    for value in nothing:
        assert (
            apply(directory, uid, {"op": "add", "path": "emails", "value": value})
            == before
        )
    fresh = new_directory()
    bare = make(fresh)
    assert "emails" not in apply(
        fresh, bare, {"op": "add", "path": "emails", "value": []}
    )


def test_add_of_a_single_primary_object_unsets_the_old_primary(
    directory: Directory,
) -> None:
    """P5/A4: a bare object (not a list) is added as one value; primary moves to it."""
    uid = make(directory, emails=[{"value": "a@x", "primary": True}])
    result = apply(
        directory,
        uid,
        {"op": "add", "path": "emails", "value": {"value": "c@x", "primary": "true"}},
    )
    assert result["emails"] == [
        {"value": "a@x", "primary": False},
        {"value": "c@x", "primary": True},
    ]


def test_adding_two_primary_values_at_once_is_invalid_value(
    directory: Directory,
) -> None:
    """A4: at most one value may be primary; two in one `add` is 400 invalidValue."""
    uid = make(directory)
    with pytest.raises(InvalidValueError) as caught:
        apply(
            directory,
            uid,
            {
                "op": "add",
                "path": "emails",
                "value": [
                    {"value": "c@x", "primary": True},
                    {"value": "d@x", "primary": True},
                ],
            },
        )
    assert (
        caught.value.detail
        == "`Operations[0].value`: more than one value is marked primary"
    )


# -- path errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (
            "name.nickName",
            "Operations[0].path: unknown sub-attribute `nickName` of `name` (at line 1, column 1)",
        ),
        (
            "emails.kind",
            "Operations[0].path: unknown sub-attribute `kind` of `emails` (at line 1, column 1)",
        ),
        (
            'emails[kind eq "x"].value',
            "Operations[0].path: unknown sub-attribute `kind` of `emails` (at line 1, column 8)",
        ),
        (
            'emails[type eq "work" and kind eq "x"].value',
            "Operations[0].path: unknown sub-attribute `kind` of `emails` (at line 1, column 27)",
        ),
        (
            'emails[value.x eq "x"].type',
            (
                "Operations[0].path: inside `emails[...]` name a sub-attribute of `emails` "
                "(at line 1, column 8)"
            ),
        ),
        (
            'emails[primary eq "maybe"].value',
            (
                "Operations[0].path: `primary` is a boolean: compare it with true or false "
                "(at line 1, column 8)"
            ),
        ),
        (
            'title[value eq "x"]',
            (
                "Operations[0].path: `title` has no sub-attributes to filter with `[...]` "
                "(at line 1, column 1)"
            ),
        ),
        (
            "urn:acme:custom:1.0:User:title",
            "Operations[0].path: unknown attribute `title` for a User (at line 1, column 1)",
        ),
    ],
)
def test_paths_naming_unknown_sub_attributes_are_invalid_path(
    directory: Directory, path: str, detail: str
) -> None:
    """P9: unknown sub-attributes in a path or its filter are invalidPath, with the position."""
    uid = make(directory, emails=TWO_EMAILS)
    before = dump(directory)
    with pytest.raises(PathSyntaxError) as caught:
        apply(directory, uid, {"op": "add", "path": path, "value": "x"})
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidPath")
    assert caught.value.detail == detail
    assert dump(directory) == before


# -- fixed problems (regression tests) ---------------------------------------------


def test_remove_with_the_extension_urn_as_path_removes_the_extension(
    directory: Directory,
) -> None:
    """P7: `remove` of the extension URN path (accepted for add/replace) clears the extension."""
    uid = make(directory, department="Eng", costCenter="7")
    result = apply(directory, uid, {"op": "remove", "path": ENTERPRISE})
    assert ENTERPRISE not in result


def test_add_through_a_non_matching_name_value_path_is_no_target(
    directory: Directory,
) -> None:
    """P8: an existing name that does not match the filter is not rewritten to match."""
    uid = make(directory, name={"givenName": "Ann"})
    with pytest.raises(NoTargetError):
        apply(
            directory,
            uid,
            {
                "op": "add",
                "path": 'name[givenName eq "Bob"].familyName',
                "value": "Lee",
            },
        )
