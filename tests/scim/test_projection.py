"""``attributes`` and ``excludedAttributes`` (RFC 7644 §3.4.2.5, §3.9): row L5 edges.

docs/directory.md: both lists may be given (the first selects, the second then
removes); ``id`` and ``schemas`` are always returned; an unknown attribute in either
list is ``invalidPath``.
"""

from __future__ import annotations

from typing import Any

import pytest

from scimpolicy import Directory, PathSyntaxError
from tests.scim.support import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE,
    group,
    user,
)

BOTH_SCHEMAS = [CORE_USER, ENTERPRISE]


def rich_user(directory: Directory) -> str:
    """Ann: a name, two emails (one with a display), and three extension attributes."""
    created = directory.create_user(
        {
            **user(
                "ann@x.com",
                title="Dev",
                department="Eng",
                costCenter="7",
                manager={"value": "m-1"},
            ),
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [
                {"value": "a@x", "type": "work", "primary": True, "display": "Work"},
                {"value": "b@x", "type": "home"},
            ],
        }
    )
    return str(created["id"])


def without_meta(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "meta"}


# -- attributes ------------------------------------------------------------------------


def test_attributes_naming_the_extension_urn_return_the_whole_extension(
    directory: Directory,
) -> None:
    """L5: `attributes=<extension URN>` returns every attribute of that extension."""
    uid = rich_user(directory)
    assert directory.get_user(uid, attributes=ENTERPRISE) == {
        "schemas": BOTH_SCHEMAS,
        "id": uid,
        ENTERPRISE: {
            "costCenter": "7",
            "department": "Eng",
            "manager": {"value": "m-1"},
        },
    }


def test_attributes_naming_an_extension_the_user_lacks_return_only_id_and_schemas(
    directory: Directory,
) -> None:
    """L5: asking for the extension (whole or one attribute) of a user without it adds nothing."""
    uid = directory.create_user(user("plain@x.com", title="Dev"))["id"]
    expected = {"schemas": [CORE_USER], "id": uid}
    assert directory.get_user(uid, attributes=ENTERPRISE) == expected
    assert directory.get_user(uid, attributes="department") == expected
    assert directory.get_user(uid, attributes=f"{ENTERPRISE}:manager.value") == expected


def test_attributes_naming_an_unassigned_attribute_omit_it(
    directory: Directory,
) -> None:
    """L5: a requested attribute with no value is simply absent from the response."""
    uid = rich_user(directory)
    assert directory.get_user(uid, attributes="nickName,title") == {
        "schemas": BOTH_SCHEMAS,
        "id": uid,
        "title": "Dev",
    }


def test_several_sub_attributes_of_one_attribute_are_combined(
    directory: Directory,
) -> None:
    """L5: `emails.value,emails.type` keeps both sub-attributes of every record."""
    uid = rich_user(directory)
    picked = directory.get_user(uid, attributes="emails.value, emails.type")
    assert picked["emails"] == [
        {"value": "a@x", "type": "work"},
        {"value": "b@x", "type": "home"},
    ]


@pytest.mark.parametrize(
    "order", [["emails", "emails.value"], ["emails.value", "emails"]]
)
def test_a_whole_attribute_wins_over_its_sub_attributes(
    directory: Directory, order: list[str]
) -> None:
    """L5: asking for `emails` and `emails.value` returns whole records, in either order."""
    uid = rich_user(directory)
    assert directory.get_user(uid, attributes=order)["emails"] == [
        {"value": "a@x", "type": "work", "primary": True, "display": "Work"},
        {"value": "b@x", "type": "home"},
    ]


def test_a_sub_attribute_selection_keeps_only_records_that_have_it(
    directory: Directory,
) -> None:
    """L5: `emails.display` returns the records holding a display; none holds it → omitted."""
    uid = rich_user(directory)
    assert directory.get_user(uid, attributes="emails.display")["emails"] == [
        {"display": "Work"}
    ]
    other = directory.create_user({**user("b@x.com"), "emails": [{"value": "x@x"}]})
    assert directory.get_user(other["id"], attributes="emails.display") == {
        "schemas": [CORE_USER],
        "id": other["id"],
    }


def test_an_unassigned_sub_attribute_of_a_complex_attribute_is_omitted(
    directory: Directory,
) -> None:
    """L5: `name.middleName` on a name without one returns no `name` at all."""
    uid = rich_user(directory)
    assert directory.get_user(uid, attributes="name.middleName") == {
        "schemas": BOTH_SCHEMAS,
        "id": uid,
    }


def test_attributes_accept_meta_sub_attributes(directory: Directory) -> None:
    """L5: `meta.version` selects one sub-attribute of the read-only meta."""
    uid = rich_user(directory)
    assert directory.get_user(uid, attributes="meta.version") == {
        "schemas": BOTH_SCHEMAS,
        "id": uid,
        "meta": {"version": 'W/"1"'},
    }


# -- excludedAttributes ----------------------------------------------------------------


def test_excluding_a_sub_attribute_of_a_multi_valued_attribute(
    directory: Directory,
) -> None:
    """L5: `excludedAttributes=emails.type` drops `type` from every email, keeps the rest."""
    uid = rich_user(directory)
    assert directory.get_user(uid, excluded_attributes="emails.type")["emails"] == [
        {"value": "a@x", "primary": True, "display": "Work"},
        {"value": "b@x"},
    ]


def test_excluding_a_sub_attribute_of_a_complex_attribute(directory: Directory) -> None:
    """L5: `excludedAttributes=name.givenName` keeps the other name parts."""
    uid = rich_user(directory)
    body = directory.get_user(uid, excluded_attributes="name.givenName")
    assert body["name"] == {"familyName": "Lee"}
    assert body["emails"][0]["value"] == "a@x"


@pytest.mark.parametrize(
    "excluded",
    ["costCenter", f"{ENTERPRISE}:costCenter", f"{ENTERPRISE.upper()}:COSTCENTER"],
)
def test_excluding_an_extension_attribute_bare_or_qualified(
    directory: Directory, excluded: str
) -> None:
    """L5/F11: an extension attribute is excluded by its bare or URN-qualified name."""
    uid = rich_user(directory)
    assert directory.get_user(uid, excluded_attributes=excluded)[ENTERPRISE] == {
        "department": "Eng",
        "manager": {"value": "m-1"},
    }


def test_excluding_a_sub_attribute_of_an_extension_attribute(
    directory: Directory,
) -> None:
    """L5: `manager.value` is excluded inside the extension; the other attributes stay."""
    uid = directory.create_user(
        user(
            "c@x.com",
            department="Ops",
            manager={"value": "m-1", "$ref": "../Users/m-1"},
        )
    )["id"]
    assert directory.get_user(uid, excluded_attributes="manager.value")[ENTERPRISE] == {
        "department": "Ops",
        "manager": {"$ref": "../Users/m-1"},
    }


def test_excluding_every_extension_attribute_drops_the_extension_object(
    directory: Directory,
) -> None:
    """L5: once its last attribute is excluded, the extension object is gone too."""
    uid = rich_user(directory)
    body = directory.get_user(
        uid, excluded_attributes=["department", "costCenter", "manager"]
    )
    assert ENTERPRISE not in body
    assert body["title"] == "Dev"


def test_excluding_the_whole_extension_by_urn(directory: Directory) -> None:
    """L5: `excludedAttributes=<extension URN>` removes the extension object only."""
    uid = rich_user(directory)
    full = directory.get_user(uid)
    body = directory.get_user(uid, excluded_attributes=ENTERPRISE)
    assert body == {key: value for key, value in full.items() if key != ENTERPRISE}


def test_excluding_what_the_resource_lacks_changes_nothing(
    directory: Directory,
) -> None:
    """L5: excluding unassigned attributes, or an extension the user lacks, is harmless."""
    uid = directory.create_user(user("plain@x.com", title="Dev"))["id"]
    full = directory.get_user(uid)
    for excluded in (
        "nickName",
        "emails.type",
        "name.givenName",
        "department",
        f"{ENTERPRISE}:manager.value",
        ENTERPRISE,
    ):
        assert directory.get_user(uid, excluded_attributes=excluded) == full


def test_excluded_attributes_on_group_members(directory: Directory) -> None:
    """L5: member sub-attributes can be excluded from a Group, and meta with them."""
    alice = directory.create_user(user("a@x.com"))["id"]
    gid = directory.create_group({**group("G", alice), "externalId": "E"})["id"]
    assert directory.get_group(gid, excluded_attributes="members.type,meta") == {
        "schemas": [CORE_GROUP],
        "id": gid,
        "displayName": "G",
        "externalId": "E",
        "members": [{"value": alice}],
    }


# -- both lists ------------------------------------------------------------------------


def test_attributes_then_excluded_attributes_on_the_extension(
    directory: Directory,
) -> None:
    """L5: with both lists the selection is made first, then the exclusions removed."""
    uid = rich_user(directory)
    body = directory.get_user(
        uid, attributes=[ENTERPRISE, "userName"], excluded_attributes="costCenter"
    )
    assert body == {
        "schemas": BOTH_SCHEMAS,
        "id": uid,
        "userName": "ann@x.com",
        ENTERPRISE: {"department": "Eng", "manager": {"value": "m-1"}},
    }


def test_attributes_then_excluded_sub_attributes(directory: Directory) -> None:
    """L5: `attributes=emails` with `excludedAttributes=emails.value` keeps the rest."""
    uid = rich_user(directory)
    body = directory.get_user(
        uid, attributes="emails", excluded_attributes="emails.value"
    )
    assert body == {
        "schemas": BOTH_SCHEMAS,
        "id": uid,
        "emails": [
            {"type": "work", "primary": True, "display": "Work"},
            {"type": "home"},
        ],
    }


def test_excluding_what_was_selected_leaves_id_and_schemas(
    directory: Directory,
) -> None:
    """L5: selecting and excluding the same attributes leaves only id and schemas."""
    uid = rich_user(directory)
    expected = {"schemas": BOTH_SCHEMAS, "id": uid}
    assert (
        directory.get_user(uid, attributes="department", excluded_attributes=ENTERPRISE)
        == expected
    )
    assert (
        directory.get_user(
            uid, attributes="emails.value,emails.type", excluded_attributes="emails"
        )
        == expected
    )
    gid = directory.create_group(group("G"))["id"]
    listed = directory.search_groups(
        attributes=["displayName"], excluded_attributes=["displayName"]
    )
    assert listed["Resources"] == [{"schemas": [CORE_GROUP], "id": gid}]


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "detail"),
    [
        (
            {"excluded_attributes": "title,departmnt"},
            "unknown attribute `departmnt` for a User (at line 1, column 1)",
        ),
        (
            {"attributes": "urn:acme:custom:1.0:User:badge"},
            (
                "unknown attribute `urn:acme:custom:1.0:User:badge` for a User "
                "(at line 1, column 1)"
            ),
        ),
        (
            {"attributes": "name.first"},
            "unknown sub-attribute `first` of `name` (at line 1, column 1)",
        ),
        (
            {"excluded_attributes": 'emails[type eq "work"]'},
            "unexpected `[`: a value filter is not allowed here (at line 1, column 7)",
        ),
    ],
)
def test_unknown_or_malformed_entries_are_invalid_path(
    directory: Directory, options: dict[str, str], detail: str
) -> None:
    """L5/E4: an unknown attribute or a malformed entry in either list is invalidPath."""
    uid = rich_user(directory)
    with pytest.raises(PathSyntaxError) as caught:
        directory.get_user(uid, **options)
    assert (caught.value.status, caught.value.scim_type) == (400, "invalidPath")
    assert caught.value.detail == detail


def test_a_user_attribute_is_unknown_on_groups(directory: Directory) -> None:
    """L5: Group projections resolve against the Group schema."""
    gid = directory.create_group(group("G"))["id"]
    with pytest.raises(PathSyntaxError) as caught:
        directory.get_group(gid, attributes="userName")
    assert caught.value.message == "unknown attribute `userName` for a Group"


# -- fixed problems (regression tests) ---------------------------------------------


def test_excluding_every_sub_attribute_of_a_complex_attribute_drops_it(
    directory: Directory,
) -> None:
    """L5/A5: a complex attribute emptied by excludedAttributes is not returned as `{}`."""
    uid = directory.create_user(
        {**user("n@x.com"), "name": {"givenName": "N", "familyName": "M"}}
    )["id"]
    body = directory.get_user(uid, excluded_attributes="name.givenName,name.familyName")
    assert "name" not in body


def test_excluding_every_sub_attribute_of_a_multi_valued_attribute_drops_it(
    directory: Directory,
) -> None:
    """L5/A5: records emptied by excludedAttributes are dropped, like `attributes` does."""
    uid = directory.create_user(
        {
            **user("n@x.com"),
            "emails": [{"value": "a@x"}, {"value": "b@x", "type": "home"}],
        }
    )["id"]
    body = directory.get_user(uid, excluded_attributes="emails.value,emails.type")
    assert "emails" not in body


def test_schemas_may_be_named_in_either_list(directory: Directory) -> None:
    """L5: `schemas` is a known, always-returned attribute, so naming it is no error."""
    uid = directory.create_user(user("s@x.com", title="Dev"))["id"]
    assert directory.get_user(uid, attributes="schemas,title") == {
        "schemas": [CORE_USER],
        "id": uid,
        "title": "Dev",
    }
    assert without_meta(directory.get_user(uid, excluded_attributes="schemas")) == {
        "schemas": [CORE_USER],
        "id": uid,
        "userName": "s@x.com",
        "title": "Dev",
    }
