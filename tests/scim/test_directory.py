"""The directory: resources, meta and versions, uniqueness, lists, groups, forks.

Row ids in docstrings refer to ``research/scim.md`` §1 (A = attributes, M = resources
and meta, L = lists, E = errors).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from scimpolicy import (
    Directory,
    IgnoredAttributeWarning,
    InvalidSyntaxError,
    InvalidValueError,
    PathSyntaxError,
    PreconditionFailedError,
    ResourceNotFoundError,
    UniquenessError,
)
from tests.scim.support import (
    CORE_USER,
    ENTERPRISE,
    check_indexes,
    dump,
    group,
    new_directory,
    patch,
    user,
)


def test_create_returns_the_resource_with_id_schemas_and_meta(
    directory: Directory,
) -> None:
    """M1/M3: create fills id, schemas and meta (created == lastModified, weak version)."""
    created = directory.create_user(user("bjensen@example.com", title="Tour Guide"))
    assert created == {
        "schemas": [CORE_USER],
        "id": "id-1",
        "userName": "bjensen@example.com",
        "title": "Tour Guide",
        "meta": {
            "resourceType": "User",
            "created": "2026-11-23T09:00:00.000Z",
            "lastModified": "2026-11-23T09:00:00.000Z",
            "version": 'W/"1"',
        },
    }


def test_meta_location_needs_a_base_url() -> None:
    """M1: meta.location is the resource URL when the directory knows its base URL."""
    directory = new_directory(base_url="https://scim.example/v2/")
    created = directory.create_user(user("a@x.com"))
    assert created["meta"]["location"] == "https://scim.example/v2/Users/id-1"


def test_client_supplied_id_and_meta_are_ignored(directory: Directory) -> None:
    """M1/A6: id and meta are set by the service provider, whatever the client sends."""
    created = directory.create_user(
        {**user("a@x.com"), "id": "mine", "meta": {"version": 'W/"99"'}}
    )
    assert created["id"] == "id-1"
    assert created["meta"]["version"] == 'W/"1"'


def test_enterprise_extension_round_trips(directory: Directory) -> None:
    """A10/A12: the Enterprise extension is keyed by its URN and listed in schemas."""
    created = directory.create_user(
        user("a@x.com", department="Eng", manager={"value": "m-1", "displayName": "x"})
    )
    assert created["schemas"] == [CORE_USER, ENTERPRISE]
    assert created[ENTERPRISE] == {"department": "Eng", "manager": {"value": "m-1"}}


def test_attribute_keys_are_case_insensitive(directory: Directory) -> None:
    """A: attribute names in payloads are matched ignoring case (RFC 7643 §2.1)."""
    created = directory.create_user(
        {"schemas": [CORE_USER], "USERNAME": "a@x.com", "Name": {"GivenName": "Ann"}}
    )
    assert created["userName"] == "a@x.com"
    assert created["name"] == {"givenName": "Ann"}


def test_keys_differing_only_in_case_are_an_error(directory: Directory) -> None:
    """A: two spellings of one attribute are refused, never silently merged."""
    with pytest.raises(InvalidSyntaxError, match="attribute `userName` given twice"):
        directory.create_user({"userName": "a@x.com", "username": "b@x.com"})


def test_missing_user_name_is_invalid_value(directory: Directory) -> None:
    """A7/E4: userName is required; its absence is 400 invalidValue."""
    with pytest.raises(InvalidValueError) as caught:
        directory.create_user({"schemas": [CORE_USER], "displayName": "No Name"})
    assert caught.value.to_scim() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "scimType": "invalidValue",
        "detail": "missing required attribute `userName`",
    }


def test_unknown_attribute_is_invalid_syntax(directory: Directory) -> None:
    """E4: an attribute the schema lacks is 400 invalidSyntax."""
    with pytest.raises(
        InvalidSyntaxError, match="unknown attribute `fooBar` for a User"
    ):
        directory.create_user({**user("a@x.com"), "fooBar": 1})


def test_custom_extension_is_rejected_unless_ignored() -> None:
    """SPEC §3: custom extension schemas are refused, or dropped when asked to."""
    payload = {
        **user("a@x.com"),
        "schemas": [CORE_USER, "urn:acme:custom:1.0:User"],
        "urn:acme:custom:1.0:User": {"badge": "7"},
    }
    with pytest.raises(InvalidSyntaxError) as caught:
        new_directory().create_user(payload)
    assert caught.value.detail == (
        "unsupported schema `urn:acme:custom:1.0:User`: only the core schemas and the "
        "Enterprise User extension are accepted (ZPA takes no custom attributes)"
    )
    lenient = new_directory(ignore_unknown_extensions=True)
    assert "urn:acme:custom:1.0:User" not in lenient.create_user(payload)


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"active": "yes"}, "`active`: expected true or false, got a string"),
        ({"title": 7}, "`title`: expected a string, got a number"),
        (
            {"emails": {"value": "a"}},
            "`emails`: expected a list of values, got an object",
        ),
        (
            {"emails": [{"value": "a", "primary": "maybe"}]},
            "`emails[0].primary`: expected true or false, got a string",
        ),
        (
            {
                "emails": [
                    {"value": "a", "primary": True},
                    {"value": "b", "primary": True},
                ]
            },
            "`emails`: more than one value is marked primary",
        ),
        ({"name": "Ann"}, "`name`: expected an object, got a string"),
    ],
)
def test_wrongly_typed_values_are_invalid_value(
    payload: dict[str, Any], detail: str
) -> None:
    """A2/A4: values are checked against the attribute's type, with their location."""
    with pytest.raises(InvalidValueError) as caught:
        new_directory().create_user({**user("a@x.com"), **payload})
    assert caught.value.detail == detail


def test_string_booleans_are_coerced(directory: Directory) -> None:
    """P11: Entra's "True"/"False" strings are read as booleans."""
    created = directory.create_user(
        {
            **user("a@x.com"),
            "active": "False",
            "emails": [{"value": "a", "primary": "True"}],
        }
    )
    assert created["active"] is False
    assert created["emails"] == [{"value": "a", "primary": True}]


def test_unassigned_values_are_dropped(directory: Directory) -> None:
    """A5: null, [] and {} all mean unassigned."""
    created = directory.create_user(
        {**user("a@x.com"), "title": None, "emails": [], "name": {}}
    )
    assert set(created) == {"schemas", "id", "userName", "meta"}


def test_groups_in_a_user_payload_are_ignored_with_a_warning(
    directory: Directory,
) -> None:
    """A9/SPEC §3: groups on a User is read-only; the change is reported, not lost silently."""
    with pytest.warns(IgnoredAttributeWarning, match="ignored read-only attribute"):
        created = directory.create_user({**user("a@x.com"), "groups": [{"value": "g"}]})
    assert "groups" not in created


def test_password_is_stored_but_never_returned(directory: Directory) -> None:
    """A8: password is writeOnly, returned never."""
    created = directory.create_user({**user("a@x.com"), "password": "s3cret"})
    assert "password" not in created
    assert directory.user(created["id"]) is not None
    stored = directory.user(created["id"])
    assert stored is not None
    assert stored.password == "s3cret"  # noqa: S105  the test's own value


# -- uniqueness ------------------------------------------------------------------------


def test_user_name_is_unique_ignoring_case(directory: Directory) -> None:
    """M3/A7: a case variant of a taken userName is 409 uniqueness."""
    directory.create_user(user("alice@x.com"))
    with pytest.raises(UniquenessError) as caught:
        directory.create_user(user("ALICE@X.COM"))
    assert (caught.value.status, caught.value.scim_type) == (409, "uniqueness")
    assert caught.value.detail == "userName `ALICE@X.COM` is already taken"


def test_user_name_is_freed_by_delete_and_rename(directory: Directory) -> None:
    """M6: a deleted or renamed user's userName can be used again."""
    first = directory.create_user(user("alice@x.com"))
    directory.delete_user(first["id"])
    second = directory.create_user(user("Alice@x.com"))
    directory.patch_user(
        second["id"], patch({"op": "replace", "path": "userName", "value": "ann@x.com"})
    )
    directory.create_user(user("alice@x.com"))
    check_indexes(directory)


def test_rename_onto_a_taken_name_is_refused(directory: Directory) -> None:
    """P9: PATCH to a userName another user has is 409, and nothing changes."""
    directory.create_user(user("alice@x.com"))
    bob = directory.create_user(user("bob@x.com"))
    before = dump(directory)
    with pytest.raises(UniquenessError):
        directory.patch_user(
            bob["id"],
            patch({"op": "replace", "path": "userName", "value": "ALICE@x.com"}),
        )
    assert dump(directory) == before


def test_renaming_a_user_to_another_case_of_its_own_name_is_allowed(
    directory: Directory,
) -> None:
    """A7: a user's own name in another case is not a conflict with itself."""
    alice = directory.create_user(user("alice@x.com"))
    replaced = directory.replace_user(alice["id"], user("Alice@X.com"))
    assert replaced["userName"] == "Alice@X.com"
    assert directory.user_by_name("ALICE@x.COM") is not None


# -- get, replace, delete, versions ----------------------------------------------------


def test_unknown_ids_are_not_found(directory: Directory) -> None:
    """M4/M6: reading, writing or deleting an unknown id is 404."""
    for call in (
        lambda: directory.get_user("nope"),
        lambda: directory.replace_user("nope", user("a@x.com")),
        lambda: directory.patch_user("nope", patch({"op": "remove", "path": "title"})),
        lambda: directory.delete_user("nope"),
        lambda: directory.get_group("nope"),
        lambda: directory.delete_group("nope"),
    ):
        with pytest.raises(ResourceNotFoundError) as caught:
            call()
        assert caught.value.status == 404


def test_replace_sets_exactly_the_given_attributes(directory: Directory) -> None:
    """M5: PUT replaces readWrite values; what is not sent is cleared; created is kept."""
    created = directory.create_user(user("a@x.com", title="T", nickName="N"))
    replaced = directory.replace_user(created["id"], user("a@x.com", title="U"))
    assert replaced["title"] == "U"
    assert "nickName" not in replaced
    assert replaced["meta"]["created"] == created["meta"]["created"]
    assert replaced["meta"]["lastModified"] > created["meta"]["lastModified"]
    assert replaced["meta"]["version"] != created["meta"]["version"]


def test_replace_with_the_same_content_keeps_the_version(directory: Directory) -> None:
    """M2: a write that changes nothing keeps version and lastModified."""
    created = directory.create_user(user("a@x.com", title="T"))
    again = directory.replace_user(created["id"], user("a@x.com", title="T"))
    assert again["meta"] == created["meta"]


def test_if_match_guards_every_write(directory: Directory) -> None:
    """M2: If-Match with a stale version is 412; the current version or * passes."""
    created = directory.create_user(user("a@x.com"))
    version = created["meta"]["version"]
    updated = directory.patch_user(
        created["id"],
        patch({"op": "add", "path": "title", "value": "T"}),
        if_match=version,
    )
    for stale_write in (
        lambda: directory.replace_user(
            created["id"], user("a@x.com"), if_match=version
        ),
        lambda: directory.patch_user(
            created["id"], patch({"op": "remove", "path": "title"}), if_match=version
        ),
        lambda: directory.delete_user(created["id"], if_match=version),
    ):
        with pytest.raises(PreconditionFailedError) as caught:
            stale_write()
        assert caught.value.status == 412
    directory.replace_user(created["id"], user("a@x.com"), if_match="*")
    current = directory.get_user(created["id"])["meta"]["version"]
    assert current != updated["meta"]["version"]
    directory.delete_user(created["id"], if_match=current)


def test_delete_removes_the_user_from_every_group(directory: Directory) -> None:
    """SPEC §3: deleting a user leaves no dangling member; the groups get new versions."""
    alice = directory.create_user(user("alice@x.com"))
    bob = directory.create_user(user("bob@x.com"))
    sre = directory.create_group(group("SRE", alice["id"], bob["id"]))
    eng = directory.create_group(group("Eng", alice["id"]))
    directory.delete_user(alice["id"])
    assert directory.get_group(sre["id"])["members"] == [
        {"value": bob["id"], "type": "User"}
    ]
    assert "members" not in directory.get_group(eng["id"])
    assert directory.get_group(sre["id"])["meta"]["version"] != sre["meta"]["version"]
    check_indexes(directory)


# -- groups ----------------------------------------------------------------------------


def test_group_members_get_their_type_and_must_exist(directory: Directory) -> None:
    """A11: members are users or groups that exist; the type is filled in."""
    alice = directory.create_user(user("alice@x.com"))
    inner = directory.create_group(group("Inner", alice["id"]))
    outer = directory.create_group(
        group("Outer", inner["id"], alice["id"], alice["id"])
    )
    assert outer["members"] == [
        {"value": inner["id"], "type": "Group"},
        {"value": alice["id"], "type": "User"},
    ]
    with pytest.raises(InvalidValueError, match="no user or group has id `ghost`"):
        directory.create_group(group("Bad", "ghost"))
    with pytest.raises(InvalidValueError, match="is a User, not a Group"):
        directory.create_group(
            {"displayName": "Bad", "members": [{"value": alice["id"], "type": "Group"}]}
        )


def test_group_display_name_is_required(directory: Directory) -> None:
    """A11: a Group needs a displayName (RFC 7643 §4.2)."""
    with pytest.raises(
        InvalidValueError, match="missing required attribute `displayName`"
    ):
        directory.create_group({"members": []})


def test_a_group_cannot_contain_itself(directory: Directory) -> None:
    """A11: self-membership is refused (nested groups are fine)."""
    created = directory.create_group(group("Loop"))
    with pytest.raises(InvalidValueError, match="cannot be a member of itself"):
        directory.patch_group(
            created["id"],
            patch(
                {"op": "add", "path": "members", "value": [{"value": created["id"]}]}
            ),
        )


def test_groups_of_follows_nesting_and_survives_cycles(directory: Directory) -> None:
    """A9: a user's groups include groups reached through nested groups, cycle-safe."""
    alice = directory.create_user(user("alice@x.com"))
    team = directory.create_group(group("Team", alice["id"]))
    dept = directory.create_group(group("Dept", team["id"]))
    directory.patch_group(
        team["id"],
        patch({"op": "add", "path": "members", "value": [{"value": dept["id"]}]}),
    )
    assert directory.group_names_of(alice["id"]) == {"Team", "Dept"}
    direct = directory.groups_of(alice["id"], transitive=False)
    assert [g.display_name for g in direct] == ["Team"]
    groups = directory.get_user(alice["id"])["groups"]
    assert {(g["display"], g["type"]) for g in groups} == {
        ("Team", "direct"),
        ("Dept", "indirect"),
    }


def test_deleting_a_group_removes_it_from_parents(directory: Directory) -> None:
    """A11: a deleted nested group disappears from the groups that listed it."""
    inner = directory.create_group(group("Inner"))
    outer = directory.create_group(group("Outer", inner["id"]))
    directory.delete_group(inner["id"])
    assert "members" not in directory.get_group(outer["id"])
    check_indexes(directory)


# -- typed access for policy -----------------------------------------------------------


def test_user_by_name_ignores_case_and_can_hide_inactive_users(
    directory: Directory,
) -> None:
    """SPEC §3: active=false users count as absent for policy, but the record is kept."""
    created = directory.create_user(user("Bob@X.com", active=False))
    found = directory.user_by_name("bob@x.com")
    assert found is not None
    assert found.id == created["id"]
    assert not found.is_active
    assert directory.user_by_name("bob@x.com", active_only=True) is None
    directory.patch_user(
        created["id"], patch({"op": "replace", "value": {"active": True}})
    )
    assert directory.user_by_name("BOB@x.com", active_only=True) is not None
    assert directory.user_by_name("nobody@x.com") is None


# -- lists -----------------------------------------------------------------------------


@pytest.fixture
def people() -> Directory:
    directory = new_directory()
    for name, title in [
        ("carol", "CTO"),
        ("alice", "Dev"),
        ("bob", None),
        ("dave", "dev"),
    ]:
        directory.create_user(
            user(f"{name}@x.com", **({"title": title} if title else {}))
        )
    return directory


def names(response: dict[str, Any]) -> list[str]:
    return [resource["userName"] for resource in response["Resources"]]


def test_list_response_shape(people: Directory) -> None:
    """L1: ListResponse with totalResults, startIndex, itemsPerPage and Resources."""
    response = people.search_users('title eq "nobody"')
    assert response == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_paging_reads_start_index_below_one_as_one(people: Directory) -> None:
    """L2/L3: 1-based startIndex (<1 is 1), count caps the page, negative count is 0."""
    assert names(people.search_users(start_index=0, count=2)) == [
        "carol@x.com",
        "alice@x.com",
    ]
    assert names(people.search_users(start_index=3, count=5)) == [
        "bob@x.com",
        "dave@x.com",
    ]
    response = people.search_users(count=-1)
    assert (response["totalResults"], response["itemsPerPage"]) == (4, 0)
    assert people.search_users(start_index=10)["Resources"] == []


def test_sorting_ignores_case_and_puts_missing_values_last(people: Directory) -> None:
    """L4: ascending puts unassigned last, descending first; strings ignore case."""
    ascending = names(people.search_users(sort_by="title"))
    assert ascending == ["carol@x.com", "alice@x.com", "dave@x.com", "bob@x.com"]
    descending = names(people.search_users(sort_by="title", sort_order="descending"))
    assert descending == ["bob@x.com", "alice@x.com", "dave@x.com", "carol@x.com"]
    assert names(people.search_users(sort_by="USERNAME", sort_order="Descending"))[
        0
    ] == ("dave@x.com")


def test_sorting_by_a_multi_valued_attribute_uses_the_primary_value() -> None:
    """L4: a multi-valued sortBy uses the primary value, else the first."""
    directory = new_directory()
    directory.create_user(
        {
            **user("a@x.com"),
            "emails": [{"value": "z@x"}, {"value": "b@x", "primary": True}],
        }
    )
    directory.create_user({**user("b@x.com"), "emails": [{"value": "c@x"}]})
    assert names(directory.search_users(sort_by="emails.value")) == [
        "a@x.com",
        "b@x.com",
    ]
    assert names(directory.search_users(sort_by="emails")) == ["a@x.com", "b@x.com"]


def test_bad_sort_parameters_are_errors(people: Directory) -> None:
    """L4: an unknown sortBy attribute or sortOrder is refused with a clear message."""
    with pytest.raises(PathSyntaxError, match="unknown attribute `nope`"):
        people.search_users(sort_by="nope")
    with pytest.raises(InvalidValueError, match="`sortOrder` must be"):
        people.search_users(sort_order="sideways")


def test_attributes_keep_id_and_schemas(people: Directory) -> None:
    """L5: attributes returns what was asked plus id and schemas (returned: always)."""
    response = people.search_users('userName eq "carol@x.com"', attributes="userName")
    assert response["Resources"] == [
        {"schemas": [CORE_USER], "id": "id-1", "userName": "carol@x.com"}
    ]


def test_attributes_with_sub_attributes_and_extensions() -> None:
    """L5: sub-attribute and URN-qualified attribute paths select parts of resources."""
    directory = new_directory()
    created = directory.create_user(
        {
            **user("a@x.com", department="Eng", costCenter="7"),
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [
                {"value": "a@x", "type": "work"},
                {"value": "b@x", "type": "home"},
            ],
        }
    )
    picked = directory.get_user(
        created["id"],
        attributes=["name.givenName", "emails.value", f"{ENTERPRISE}:department"],
    )
    assert picked == {
        "schemas": [CORE_USER, ENTERPRISE],
        "id": created["id"],
        "name": {"givenName": "Ann"},
        "emails": [{"value": "a@x"}, {"value": "b@x"}],
        ENTERPRISE: {"department": "Eng"},
    }


def test_excluded_attributes_never_drop_id(people: Directory) -> None:
    """L5: excludedAttributes removes attributes, but id is returned always."""
    response = people.search_users(
        'userName eq "carol@x.com"', excluded_attributes="id,meta,title"
    )
    assert response["Resources"] == [
        {"schemas": [CORE_USER], "id": "id-1", "userName": "carol@x.com"}
    ]


def test_unknown_attributes_in_projection_are_errors(people: Directory) -> None:
    """L5: a projection naming an unknown attribute is refused (invalidPath)."""
    with pytest.raises(
        PathSyntaxError, match="unknown sub-attribute `x` of `nickName`"
    ):
        people.search_users(attributes="nickname.x")


def test_search_groups_by_member(directory: Directory) -> None:
    """F8: members.value eq finds the groups of a member."""
    alice = directory.create_user(user("alice@x.com"))
    directory.create_group(group("SRE", alice["id"]))
    directory.create_group(group("Empty"))
    response = directory.search_groups(f'members.value eq "{alice["id"]}"')
    assert [g["displayName"] for g in response["Resources"]] == ["SRE"]
    response = directory.search_groups("members pr", sort_by="displayName")
    assert [g["displayName"] for g in response["Resources"]] == ["SRE"]


def test_users_can_be_filtered_by_their_groups(directory: Directory) -> None:
    """A9: the derived, read-only groups attribute is filterable on users."""
    alice = directory.create_user(user("alice@x.com"))
    directory.create_user(user("bob@x.com"))
    directory.create_group(group("SRE", alice["id"]))
    response = directory.search_users('groups.display eq "sre"')
    assert names(response) == ["alice@x.com"]
    assert names(directory.search_users("not (groups pr)")) == ["bob@x.com"]


# -- forks -----------------------------------------------------------------------------


def test_fork_is_independent_in_both_directions(directory: Directory) -> None:
    """Forks share data until a write; writes on either side never reach the other."""
    alice = directory.create_user(user("alice@x.com"))
    fork = directory.fork()
    fork.patch_user(alice["id"], patch({"op": "add", "path": "title", "value": "CEO"}))
    fork_only = fork.create_user(user("bob@x.com"))
    directory.create_user(user("carol@x.com"))
    assert "title" not in directory.get_user(alice["id"])
    assert fork.get_user(alice["id"])["title"] == "CEO"
    assert directory.user(fork_only["id"]) is None
    assert fork.user_by_name("carol@x.com") is None
    check_indexes(directory)
    check_indexes(fork)


def test_fork_of_a_fork_and_parent_snapshot_stay_stable(directory: Directory) -> None:
    """A fork taken before changes keeps seeing the state at fork time."""
    alice = directory.create_user(user("alice@x.com"))
    snapshot = directory.fork()
    before = dump(snapshot)
    grandchild = snapshot.fork()
    directory.delete_user(alice["id"])
    grandchild.create_user(user("zed@x.com"))
    assert dump(snapshot) == before


# -- bulk import -----------------------------------------------------------------------


def test_import_keeps_ids_and_resolves_nested_groups_in_any_order() -> None:
    """Exports load with their ids; a group may nest a group listed after it."""
    directory = Directory()
    directory.import_resources(
        users=[{**user("a@x.com"), "id": "u1"}],
        groups=[
            {"id": "g1", "displayName": "Outer", "members": [{"value": "g2"}]},
            {"id": "g2", "displayName": "Inner", "members": [{"value": "u1"}]},
        ],
    )
    assert directory.group_names_of("u1") == {"Inner", "Outer"}


def test_import_is_all_or_nothing() -> None:
    """A rejected resource in an import leaves the directory exactly as it was."""
    directory = new_directory()
    directory.create_user(user("keep@x.com"))
    before = dump(directory)
    with pytest.raises(
        ValueError, match=r"users\[1\]: userName `A@x.com` is already taken"
    ):
        directory.import_resources(users=[user("a@x.com"), user("A@x.com")])
    with pytest.raises(ValueError, match=r"groups\[0\]: `members`: no user or group"):
        directory.import_resources(groups=[group("G", "ghost")])
    assert dump(directory) == before


def test_no_warning_for_plain_payloads(directory: Directory) -> None:
    """A payload without read-only attributes produces no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        directory.create_user(user("a@x.com"))
