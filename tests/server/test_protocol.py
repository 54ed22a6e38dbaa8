"""The SCIM protocol (RFC 7644) in process, through :meth:`ScimService.handle`.

Rows of ``research/scim.md`` §1 and the edge cases of §3.5, plus the server's own
rules: bearer tokens per IdP, limits, and errors that reveal nothing.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from typing import Any, Final, NamedTuple

import pytest

from scimpolicy.server import HttpResponse, Limits, ScimService, Store
from tests.scim.support import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE,
    counting_ids,
    ticking_clock,
    user,
)
from tests.server.support import (
    IDP,
    LIST_RESPONSE,
    OTHER_IDP,
    SEARCH_REQUEST,
    Client,
    error,
    ids,
    ok,
)


@pytest.fixture
def store() -> Iterator[Store]:
    """A memory-only store of two IdPs with a ticking clock and readable ids."""
    with Store.open(
        None, [IDP, OTHER_IDP], clock=ticking_clock(), id_factory=counting_ids()
    ) as opened:
        yield opened


@pytest.fixture
def client(store: Store) -> Client:
    """Okta's client, with Okta's token, on a service with the default limits."""
    return Client(ScimService(store), store.new_token(IDP))


@pytest.fixture
def alice(client: Client) -> dict[str, Any]:
    """The user alice@example.com, as created."""
    return client.create_user(
        "alice@example.com",
        title="Engineer",
        emails=[{"value": "alice@example.com", "type": "work"}],
    )


def at(resource: dict[str, Any]) -> str:
    """The path of a resource relative to the SCIM base: ``/Users/<id>``."""
    endpoint = "/Groups" if resource["meta"]["resourceType"] == "Group" else "/Users"
    return f"{endpoint}/{resource['id']}"


# -- authentication --------------------------------------------------------------------


def test_a_request_without_authorization_is_401_with_a_bearer_challenge(
    client: Client,
) -> None:
    response = client.get("/Users", headers={"authorization": None})
    error(response, 401)
    assert response.header("www-authenticate") == 'Bearer realm="SCIM"'


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-the-token", "Bearer", "Bearer ", "not-a-scheme"],
)
def test_a_wrong_token_is_401(client: Client, authorization: str) -> None:
    response = client.get("/Users", headers={"authorization": authorization})
    error(response, 401)
    assert response.header("www-authenticate") == 'Bearer realm="SCIM"'


def test_the_token_of_another_idp_is_refused(client: Client, store: Store) -> None:
    entra_token = store.new_token(OTHER_IDP)
    okta_with_entra_token = Client(client.service, entra_token)
    error(okta_with_entra_token.get("/Users"), 401)
    ok(Client(client.service, entra_token, OTHER_IDP).get("/Users"))


@pytest.mark.parametrize(
    "path", ["/scim/Nope/v2/Users", "/scim/Nope/v1/Users", "/scim/Nope"]
)
def test_an_unknown_idp_answers_byte_for_byte_like_a_wrong_token(
    client: Client, path: str
) -> None:
    wrong_token = client.get("/Users", headers={"authorization": "Bearer wrong"})
    no_token = client.get("/Users", headers={"authorization": None})
    assert client.get(path) == wrong_token == no_token


@pytest.mark.parametrize("encoded", [False, True])
def test_the_basic_scheme_is_refused(client: Client, encoded: bool) -> None:
    """The token sent as Basic credentials, bare or as base64 of `idp:token`."""
    credentials = client.token
    if encoded:
        credentials = base64.b64encode(f"{IDP}:{client.token}".encode()).decode()
    error(client.get("/Users", headers={"authorization": f"Basic {credentials}"}), 401)


def test_the_scheme_name_is_case_insensitive(client: Client) -> None:
    """RFC 7235 §2.1: auth-scheme is case-insensitive."""
    ok(client.get("/Users", headers={"authorization": f"bearer {client.token}"}))


def test_a_new_token_revokes_the_old_one(client: Client, store: Store) -> None:
    renewed = Client(client.service, store.new_token(IDP))
    error(client.get("/Users"), 401)
    ok(renewed.get("/Users"))


@pytest.mark.parametrize(
    "path",
    ["/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/Schemas"],
)
def test_discovery_endpoints_need_the_token(client: Client, path: str) -> None:
    error(client.get(path, headers={"authorization": None}), 401)
    ok(client.get(path))


def test_the_401_body_holds_no_user_data(client: Client, alice: dict[str, Any]) -> None:
    for path, query in (
        ("/Users", ""),
        (at(alice), ""),
        ("/Users", {"filter": f'userName eq "{alice["userName"]}"'}),
    ):
        response = client.get(path, query=query, headers={"authorization": "Bearer x"})
        body = error(response, 401)
        assert set(body) == {"schemas", "status", "detail"}
        assert alice["id"].encode() not in response.body
        assert b"alice" not in response.body


# -- uniqueness ------------------------------------------------------------------------


@pytest.mark.usefixtures("alice")
def test_a_user_name_differing_only_in_case_is_taken(client: Client) -> None:
    """M3: 409 uniqueness; userName is unique ignoring case (RFC 7643 §4.1.1)."""
    before = client.snapshot()
    error(client.post("/Users", user("ALICE@Example.COM")), 409, "uniqueness")
    assert client.snapshot() == before


@pytest.mark.usefixtures("alice")
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_renaming_to_a_taken_name_is_409(client: Client, method: str) -> None:
    """P9: a rename clashing with another user's name (in any case) is refused."""
    bob = client.create_user("bob@example.com")
    before = client.snapshot()
    if method == "PUT":
        response = client.put(at(bob), user("Alice@example.com"))
    else:
        response = client.patch(
            at(bob), {"op": "replace", "path": "userName", "value": "Alice@example.com"}
        )
    error(response, 409, "uniqueness")
    assert client.snapshot() == before


# -- ETags and conditional requests (RFC 7644 §3.14) -----------------------------------


def test_post_gives_etag_and_location_as_in_meta(client: Client) -> None:
    """M1/M3: 201, ``ETag`` = ``meta.version``, ``Location`` = ``meta.location``."""
    response = client.post("/Users", user("carol@example.com"))
    created = ok(response, 201)
    assert response.header("etag") == created["meta"]["version"] == 'W/"1"'
    assert response.header("location") == created["meta"]["location"]
    assert created["meta"]["location"] == f"http://localhost/scim/{IDP}/v2/Users/id-1"


def test_get_gives_etag_and_content_location(
    client: Client, alice: dict[str, Any]
) -> None:
    response = client.get(at(alice))
    assert ok(response) == alice
    assert response.header("etag") == alice["meta"]["version"]
    assert response.header("content-location") == alice["meta"]["location"]


@pytest.mark.parametrize("tag", ["current", "*", 'W/"0", current', "bare"])
def test_if_none_match_naming_the_current_version_is_304(
    client: Client, alice: dict[str, Any], tag: str
) -> None:
    version = alice["meta"]["version"]
    listed = tag.replace("current", version).replace("bare", version[2:])
    response = client.get(at(alice), headers={"if-none-match": listed})
    assert response.status == 304
    assert response.body == b""
    assert response.header("etag") == version


def test_if_none_match_with_a_stale_version_is_200(
    client: Client, alice: dict[str, Any]
) -> None:
    stale = alice["meta"]["version"]
    ok(client.patch(at(alice), {"op": "replace", "path": "title", "value": "CTO"}))
    response = client.get(at(alice), headers={"if-none-match": stale})
    assert ok(response)["title"] == "CTO"
    assert response.header("etag") != stale


def _write(client: Client, method: str, path: str, if_match: str) -> HttpResponse:
    """A PUT, PATCH or DELETE of the user at *path* that changes it, with If-Match."""
    headers = {"if-match": if_match}
    if method == "PUT":
        return client.put(path, user("alice@example.com", title="CTO"), headers=headers)
    if method == "PATCH":
        change = {"op": "replace", "path": "title", "value": "CTO"}
        return client.patch(path, change, headers=headers)
    return client.delete(path, headers=headers)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_stale_if_match_is_412_and_changes_nothing(
    client: Client, alice: dict[str, Any], method: str
) -> None:
    stale = alice["meta"]["version"]
    ok(client.patch(at(alice), {"op": "replace", "path": "title", "value": "VP"}))
    before = client.snapshot()
    error(_write(client, method, at(alice), stale), 412)
    assert client.snapshot() == before


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("if_match", ["current", "*"])
def test_a_matching_if_match_applies_the_write_with_a_new_etag(
    client: Client, alice: dict[str, Any], method: str, if_match: str
) -> None:
    version = alice["meta"]["version"]
    response = _write(client, method, at(alice), if_match.replace("current", version))
    changed = ok(response)
    assert changed["title"] == "CTO"
    assert response.header("etag") == changed["meta"]["version"] != version
    assert ok(client.get(at(alice))) == changed


@pytest.mark.parametrize("if_match", ["current", "*"])
def test_a_matching_if_match_deletes(
    client: Client, alice: dict[str, Any], if_match: str
) -> None:
    version = alice["meta"]["version"]
    response = _write(client, "DELETE", at(alice), if_match.replace("current", version))
    assert (response.status, response.body) == (204, b"")
    error(client.get(at(alice)), 404)


# -- lists (RFC 7644 §3.4.2) -----------------------------------------------------------


@pytest.fixture
def paged(client: Client) -> Client:
    """A client whose service returns at most 2 resources a page, over 3 users."""
    for name, department in (("bob", "Ops"), ("alice", "Eng"), ("carol", "Eng")):
        client.create_user(
            f"{name}@example.com",
            emails=[{"value": f"{name}@example.com", "type": "work"}],
            department=department,
        )
    return client.with_limits(Limits(max_page_size=2))


def test_start_index_zero_reads_as_one(paged: Client) -> None:
    """L2: startIndex below 1 SHALL be read as 1."""
    listed = ok(paged.get("/Users", query={"startIndex": 0}))
    assert listed["startIndex"] == 1
    assert ids(listed) == ["id-1", "id-2"]


def test_start_index_pages_on(paged: Client) -> None:
    listed = ok(paged.get("/Users", query={"startIndex": 3}))
    assert (listed["startIndex"], listed["totalResults"], ids(listed)) == (
        3,
        3,
        ["id-3"],
    )


def test_a_negative_count_returns_no_resources_but_the_total(paged: Client) -> None:
    """L3: a negative count SHALL be read as 0."""
    listed = ok(paged.get("/Users", query={"count": -1}))
    assert listed["schemas"] == [LIST_RESPONSE]
    assert (listed["totalResults"], listed["itemsPerPage"]) == (3, 0)
    assert listed.get("Resources", []) == []


@pytest.mark.parametrize("query", [{"count": 500}, {}], ids=["count=500", "no count"])
def test_a_page_holds_at_most_max_page_size(
    paged: Client, query: dict[str, int]
) -> None:
    """L3: count above the limit is lowered to it; no count means the limit."""
    listed = ok(paged.get("/Users", query=query))
    assert (listed["totalResults"], listed["itemsPerPage"]) == (3, 2)
    assert len(listed["Resources"]) == 2


def test_sort_by_user_name_descending(paged: Client) -> None:
    """L4."""
    query = {"sortBy": "userName", "sortOrder": "descending", "count": 3}
    listed = ok(paged.with_limits(Limits()).get("/Users", query=query))
    names = [resource["userName"] for resource in listed["Resources"]]
    assert names == ["carol@example.com", "bob@example.com", "alice@example.com"]


def test_attributes_returns_only_those_and_the_always_returned(paged: Client) -> None:
    """L5: `id` and `schemas` are always returned."""
    listed = ok(paged.get("/Users", query={"attributes": "userName"}))
    assert [set(resource) for resource in listed["Resources"]] == [
        {"id", "schemas", "userName"}
    ] * 2


def test_excluded_attributes_drops_them(paged: Client) -> None:
    listed = ok(paged.get("/Users", query={"excludedAttributes": "emails"}))
    for resource in listed["Resources"]:
        assert "emails" not in resource
        assert {"id", "userName", "meta", ENTERPRISE} <= set(resource)


@pytest.mark.parametrize(
    ("query", "scim_type"),
    [
        ({"startIndex": "abc"}, "invalidValue"),
        ({"count": "1.5"}, "invalidValue"),
        ({"sortOrder": "sideways"}, "invalidValue"),
        ({"sortBy": "shoeSize"}, "invalidPath"),
        ({"attributes": "shoeSize"}, "invalidPath"),
    ],
    ids=str,
)
def test_bad_list_parameters_are_400(
    paged: Client, query: dict[str, str], scim_type: str
) -> None:
    """An unknown attribute in sortBy or attributes is a path error (`invalidPath`,
    as for PATCH paths); the RFC names no scimType for it."""
    error(paged.get("/Users", query=query), 400, scim_type)


# -- POST .search (RFC 7644 §3.4.3) ----------------------------------------------------


@pytest.fixture
def people(client: Client) -> dict[str, str]:
    """Two users and a group holding them: name → id."""
    alice = client.create_user("alice@example.com")["id"]
    bob = client.create_user("bob@example.com")["id"]
    admins = client.create_group("admins", alice, bob)["id"]
    return {"alice": alice, "bob": bob, "admins": admins}


def test_search_users_with_a_search_request(
    client: Client, people: dict[str, str]
) -> None:
    listed = ok(
        client.search(
            "/Users/.search",
            filter='userName sw "a" or userName sw "b"',
            sortBy="userName",
            sortOrder="descending",
            attributes=["userName"],
            startIndex=1,
            count=1,
        )
    )
    assert listed["totalResults"] == 2
    assert listed["Resources"] == [
        {"schemas": [CORE_USER], "id": people["bob"], "userName": "bob@example.com"}
    ]


def test_search_groups_with_a_search_request(
    client: Client, people: dict[str, str]
) -> None:
    listed = ok(
        client.search("/Groups/.search", filter=f'members.value eq "{people["alice"]}"')
    )
    assert ids(listed) == [people["admins"]]


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ({"schemas": [], "filter": 'userName eq "x"'}, "invalidSyntax"),
        ({"filters": 'userName eq "x"'}, "invalidSyntax"),
        ({"count": "2"}, "invalidValue"),
        ({"attributes": [1]}, "invalidValue"),
    ],
    ids=["schemas without SearchRequest", "unknown key", "count", "attributes"],
)
def test_a_bad_search_request_is_400(
    client: Client, body: dict[str, Any], scim_type: str
) -> None:
    search = {"schemas": [SEARCH_REQUEST]}
    error(client.post("/Users/.search", {**search, **body}), 400, scim_type)
    error(client.post("/.search", {**search, **body}), 400, scim_type)


def test_root_search_returns_users_then_groups(
    client: Client, people: dict[str, str]
) -> None:
    listed = ok(client.search("/.search"))
    assert listed["totalResults"] == 3
    assert ids(listed) == [people["alice"], people["bob"], people["admins"]]
    assert [r["meta"]["resourceType"] for r in listed["Resources"]] == [
        "User",
        "User",
        "Group",
    ]


def test_root_search_pages_across_the_types(
    client: Client, people: dict[str, str]
) -> None:
    listed = ok(client.search("/.search", startIndex=2, count=2))
    assert (listed["totalResults"], listed["startIndex"]) == (3, 2)
    assert ids(listed) == [people["bob"], people["admins"]]
    capped = client.with_limits(Limits(max_page_size=2)).search("/.search", count=9)
    assert ids(ok(capped)) == [people["alice"], people["bob"]]


def test_a_root_filter_on_a_user_only_attribute_returns_only_users(
    client: Client, people: dict[str, str]
) -> None:
    """F12 (§3.4.2.1): a Group has no userName, so it does not match."""
    listed = ok(client.search("/.search", filter='userName sw "a"'))
    assert (listed["totalResults"], ids(listed)) == (1, [people["alice"]])


def test_a_root_filter_on_a_group_only_attribute_returns_only_groups(
    client: Client, people: dict[str, str]
) -> None:
    listed = ok(client.search("/.search", filter="members pr"))
    assert (listed["totalResults"], ids(listed)) == (1, [people["admins"]])


def test_root_search_sorted_by_a_user_only_attribute_keeps_the_groups(
    client: Client, people: dict[str, str]
) -> None:
    """A Group's userName is unassigned (§3.4.2.3): the groups are kept, after the
    users, since a root search sorts within each type."""
    listed = ok(client.search("/.search", sortBy="userName", sortOrder="descending"))
    assert listed["totalResults"] == 3
    assert ids(listed) == [people["bob"], people["alice"], people["admins"]]


def test_root_search_attributes_apply_to_the_types_that_have_them(
    client: Client, people: dict[str, str]
) -> None:
    listed = ok(client.search("/.search", attributes=["userName"]))
    assert listed["totalResults"] == 3
    assert listed["Resources"] == [
        {
            "schemas": [CORE_USER],
            "id": people["alice"],
            "userName": "alice@example.com",
        },
        {"schemas": [CORE_USER], "id": people["bob"], "userName": "bob@example.com"},
        {"schemas": [CORE_GROUP], "id": people["admins"]},
    ]
    excluded = ok(client.search("/.search", excludedAttributes=["members", "emails"]))
    assert [set(r) & {"members", "emails"} for r in excluded["Resources"]] == [
        set()
    ] * 3


@pytest.mark.parametrize(
    "parameters",
    [{"sortBy": "shoeSize"}, {"attributes": ["shoeSize"]}, {"filter": "shoeSize pr"}],
    ids=["sortBy", "attributes", "filter"],
)
@pytest.mark.usefixtures("people")
def test_root_search_on_an_attribute_no_type_has_is_400(
    client: Client, parameters: dict[str, Any]
) -> None:
    scim_type = "invalidFilter" if "filter" in parameters else "invalidPath"
    error(client.search("/.search", **parameters), 400, scim_type)


@pytest.mark.parametrize("path", ["/.search", "/Users/.search", "/Groups/.search"])
def test_get_on_search_is_405(client: Client, path: str) -> None:
    response = client.get(path)
    error(response, 405)
    assert response.header("allow") == "POST"


# -- filters ---------------------------------------------------------------------------


def test_a_malformed_filter_is_invalid_filter_with_its_position(client: Client) -> None:
    """F13."""
    body = error(
        client.get("/Users", query={"filter": "userName eq"}), 400, "invalidFilter"
    )
    assert "line 1, column 12" in body["detail"]


def test_a_filter_longer_than_the_limit_is_refused(client: Client) -> None:
    short = client.with_limits(Limits(max_filter_length=30))
    text = 'userName eq "' + "a" * 20 + '"'
    body = error(short.get("/Users", query={"filter": text}), 400, "invalidFilter")
    assert "limit is 30" in body["detail"]
    error(short.search("/.search", filter=text), 400, "invalidFilter")
    ok(short.get("/Users", query={"filter": 'userName eq "a"'}))


def test_a_filter_nested_deeper_than_the_limit_is_refused(client: Client) -> None:
    text = "(" * 40 + 'userName eq "a"' + ")" * 40
    body = error(client.get("/Users", query={"filter": text}), 400, "invalidFilter")
    assert "40 levels deep; the limit is 32" in body["detail"]
    brackets = 'emails[value eq "a"' + " or (" * 40 + 'type eq "b"' + ")" * 40 + "]"
    error(client.get("/Users", query={"filter": brackets}), 400, "invalidFilter")
    at_the_limit = "(" * 32 + 'userName eq "a"' + ")" * 32
    ok(client.get("/Users", query={"filter": at_the_limit}))


@pytest.mark.usefixtures("alice")
def test_parentheses_inside_a_quoted_string_do_not_count(client: Client) -> None:
    quoted = 'userName eq "\\"' + "(" * 40 + '" or userName eq "' + "[" * 40 + '"'
    listed = ok(client.get("/Users", query={"filter": quoted}))
    assert listed["totalResults"] == 0


@pytest.mark.parametrize(
    "path", ["/Schemas", "/ResourceTypes", "/ServiceProviderConfig"]
)
def test_a_filter_on_a_discovery_endpoint_is_403(client: Client, path: str) -> None:
    """D4: SHOULD be 403."""
    error(client.get(path, query={"filter": 'id eq "User"'}), 403)


# -- PATCH (RFC 7644 §3.5.2) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "remove"}, "noTarget"),
        (
            {"op": "replace", "path": 'emails[type eq "home"].value', "value": "x@y"},
            "noTarget",
        ),
        ({"op": "replace", "path": "emails[", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "shoeSize", "value": 44}, "invalidPath"),
        ({"op": "replace", "path": "id", "value": "mine"}, "mutability"),
        ({"op": "remove", "path": "userName"}, "mutability"),
        ({"op": "add", "path": "groups", "value": [{"value": "id-9"}]}, "mutability"),
        ({"op": "merge", "path": "title", "value": "x"}, "invalidSyntax"),
    ],
    ids=[
        "remove without path",
        "value path matching nothing",
        "malformed path",
        "unknown attribute",
        "replace id",
        "remove userName",
        "add groups",
        "unknown op",
    ],
)
def test_a_refused_patch_is_400_and_changes_nothing(
    client: Client, alice: dict[str, Any], operation: dict[str, Any], scim_type: str
) -> None:
    """P6-P9."""
    before = client.snapshot()
    error(client.patch(at(alice), operation), 400, scim_type)
    assert client.snapshot() == before


def test_entra_capitalised_ops_and_string_booleans_work(
    client: Client, alice: dict[str, Any]
) -> None:
    """P11: Entra sends ``"Replace"`` and ``"False"``."""
    changed = ok(
        client.patch(
            at(alice),
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "nickName", "value": "Al"},
        )
    )
    assert (changed["active"], changed["nickName"]) == (False, "Al")


def test_okta_replace_without_path_works(client: Client, alice: dict[str, Any]) -> None:
    """P11: Okta deactivates with ``{"op": "replace", "value": {"active": false}}``."""
    changed = ok(client.patch(at(alice), {"op": "replace", "value": {"active": False}}))
    assert changed["active"] is False


def test_a_patch_whose_last_operation_fails_changes_nothing(
    client: Client, alice: dict[str, Any]
) -> None:
    """P2: the whole request is atomic."""
    before = client.snapshot()
    response = client.patch(
        at(alice),
        {"op": "replace", "path": "title", "value": "CTO"},
        {"op": "add", "path": "nickName", "value": "Al"},
        {"op": "replace", "path": "id", "value": "mine"},
    )
    body = error(response, 400, "mutability")
    assert "Operations[2]" in body["detail"]
    assert client.snapshot() == before
    assert ok(client.get(at(alice)))["title"] == "Engineer"


def test_group_members_are_added_and_removed_by_value_path(client: Client) -> None:
    """P10."""
    alice = client.create_user("alice@example.com")["id"]
    bob = client.create_user("bob@example.com")["id"]
    admins = client.create_group("admins", alice)
    # A Group PATCH answers 204 with the new ETag, as ZPA does ...
    added = client.patch(
        at(admins), {"op": "add", "path": "members", "value": [{"value": bob}]}
    )
    assert (added.status, added.body) == (204, b"")
    group = ok(client.get(at(admins)))
    assert [m["value"] for m in group["members"]] == [alice, bob]
    assert added.header("etag") == group["meta"]["version"]
    # ... and 200 with the group when `attributes` or `excludedAttributes` ask.
    removed = ok(
        client.patch(
            at(admins),
            {"op": "remove", "path": f'members[value eq "{alice}"]'},
            query={"attributes": "members"},
        )
    )
    assert [m["value"] for m in removed["members"]] == [bob]
    assert ok(client.get(f"/Users/{alice}")).get("groups", []) == []
    assert [g["value"] for g in ok(client.get(f"/Users/{bob}"))["groups"]] == [
        admins["id"]
    ]


# -- request bodies --------------------------------------------------------------------


def test_malformed_json_is_invalid_syntax_with_line_and_column(client: Client) -> None:
    before = client.snapshot()
    response = client.post("/Users", body=b'{\n  "userName": "x",\n}')
    body = error(response, 400, "invalidSyntax")
    assert "line 3 column 1" in body["detail"]
    assert client.snapshot() == before


class Refused(NamedTuple):
    """A request body the server refuses, and how."""

    body: bytes
    content_type: str | None
    status: int
    scim_type: str | None


REFUSED_BODIES: Final = {
    "array": Refused(b'[{"userName": "x"}]', None, 400, "invalidSyntax"),
    "string": Refused(b'"userName"', None, 400, "invalidSyntax"),
    "empty": Refused(b"", None, 400, "invalidSyntax"),
    "not UTF-8": Refused(b'{"userName": "\xff"}', None, 400, "invalidSyntax"),
    "text/plain": Refused(b'{"userName": "x"}', "text/plain", 415, None),
    "xml": Refused(b"<User/>", "application/xml; charset=utf-8", 415, None),
    "too large": Refused(b'{"userName": "' + b"x" * 200 + b'"}', None, 413, None),
}


@pytest.mark.parametrize("refused", REFUSED_BODIES.values(), ids=REFUSED_BODIES.keys())
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_refused_body_is_an_error_and_changes_nothing(
    client: Client, alice: dict[str, Any], method: str, refused: Refused
) -> None:
    """Bodies are checked in a service whose limit is 100 bytes."""
    small = client.with_limits(Limits(max_body_bytes=100))
    before = client.snapshot()
    path = "/Users" if method == "POST" else at(alice)
    headers = {"content-type": refused.content_type} if refused.content_type else {}
    response = small.request(method, path, body=refused.body, headers=headers)
    error(response, refused.status, refused.scim_type)
    assert client.snapshot() == before


def test_a_non_utf8_body_names_the_byte(client: Client) -> None:
    body = error(
        client.post("/Users", body=b'{"userName": "\xff"}'), 400, "invalidSyntax"
    )
    assert "byte 14" in body["detail"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/scim+json; charset=utf-8", "APPLICATION/JSON"],
)
def test_json_media_types_are_accepted(client: Client, content_type: str) -> None:
    """M7: application/scim+json MUST, application/json SHOULD be accepted."""
    response = client.post(
        "/Users", user("dave@example.com"), headers={"content-type": content_type}
    )
    assert ok(response, 201)["userName"] == "dave@example.com"


def test_a_body_of_exactly_the_limit_is_accepted(client: Client) -> None:
    payload = b'{"schemas": ["%s"], "userName": "dave"}' % CORE_USER.encode()
    exact = client.with_limits(Limits(max_body_bytes=len(payload)))
    ok(exact.post("/Users", body=payload), 201)


# -- group membership ------------------------------------------------------------------


def test_groups_in_a_posted_user_are_ignored(client: Client) -> None:
    """A9: User.groups is read-only; membership changes only through Groups."""
    admins = client.create_group("admins")
    payload = user("dave@example.com", groups=[{"value": admins["id"]}])
    created = ok(client.post("/Users", payload), 201)
    assert created.get("groups", []) == []
    assert ok(client.get(at(admins))) == admins


def test_groups_in_a_put_user_are_ignored(
    client: Client, alice: dict[str, Any]
) -> None:
    admins = client.create_group("admins")
    payload = user("alice@example.com", title="CTO", groups=[{"value": admins["id"]}])
    payload[f"{CORE_USER}:groups"] = [{"value": admins["id"]}]
    replaced = ok(client.put(at(alice), payload))
    assert replaced["title"] == "CTO"
    assert replaced.get("groups", []) == []
    assert ok(client.get(at(admins))) == admins


def test_deleting_a_user_removes_it_from_its_groups(client: Client) -> None:
    """SPEC §3: no dangling members; the group gets a new version."""
    alice = client.create_user("alice@example.com")["id"]
    bob = client.create_user("bob@example.com")["id"]
    admins = client.create_group("admins", alice, bob)
    response = client.delete(f"/Users/{alice}")
    assert response.status == 204
    error(client.get(f"/Users/{alice}"), 404)
    after = ok(client.get(at(admins)))
    assert [m["value"] for m in after["members"]] == [bob]
    assert after["meta"]["version"] != admins["meta"]["version"]


# -- discovery (RFC 7644 §4) -----------------------------------------------------------


def test_service_provider_config_advertises_what_is_supported(client: Client) -> None:
    """D1: filter.maxResults is the page limit."""
    config = ok(
        client.with_limits(Limits(max_page_size=7)).get("/ServiceProviderConfig")
    )
    assert config["patch"]["supported"] is True
    assert config["filter"] == {"supported": True, "maxResults": 7}
    assert config["sort"]["supported"] is True
    assert config["etag"]["supported"] is True
    assert config["bulk"]["supported"] is False
    assert config["changePassword"]["supported"] is False  # no password is kept
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken"]


def test_resource_types_and_schemas_are_listed(client: Client) -> None:
    """D2/D3."""
    types = ok(client.get("/ResourceTypes"))
    assert types["schemas"] == [LIST_RESPONSE]
    assert [t["id"] for t in types["Resources"]] == ["User", "Group"]
    schemas = ok(client.get("/Schemas"))
    assert [s["id"] for s in schemas["Resources"]] == [
        CORE_USER,
        ENTERPRISE,
        CORE_GROUP,
    ]


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("/ResourceTypes/User", "User"),
        ("/ResourceTypes/Group", "Group"),
        (f"/Schemas/{ENTERPRISE}", ENTERPRISE),
        (f"/Schemas/{CORE_USER}", CORE_USER),
    ],
)
def test_one_resource_type_or_schema_by_id(
    client: Client, path: str, found: str
) -> None:
    body = ok(client.get(path))
    assert body["id"] == found
    assert body["meta"]["location"] == f"http://localhost/scim/{IDP}/v2{path}"


@pytest.mark.parametrize(
    "path",
    [
        "/ResourceTypes/Device",
        "/Schemas/urn:example:nothing",
        "/Users/no-such-id",
        "/Groups/no-such-id",
        "/Devices",
        "/",
        "/Users/id-1/extra",
    ],
)
def test_an_unknown_endpoint_or_resource_is_404(client: Client, path: str) -> None:
    error(client.get(path), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path",
    ["/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/Schemas"],
)
def test_discovery_endpoints_are_read_only(
    client: Client, method: str, path: str
) -> None:
    """D5."""
    response = client.request(method, path, {"schemas": [CORE_USER]})
    error(response, 405)
    assert response.header("allow") == "GET"


@pytest.mark.parametrize("path", ["/Me", "/Bulk"])
def test_me_and_bulk_are_not_implemented(client: Client, path: str) -> None:
    """D6/D7."""
    error(client.get(path), 501)
    error(client.post(path, {"schemas": []}), 501)


def test_another_scim_version_is_404_after_authentication(client: Client) -> None:
    """D9: the version is checked only once the token is."""
    path = f"/scim/{IDP}/v1/Users"
    error(client.get(path, headers={"authorization": None}), 401)
    body = error(client.get(path), 404)
    assert f"/scim/{IDP}/v2/" in body["detail"]


def test_a_method_a_resource_does_not_take_is_405(
    client: Client, alice: dict[str, Any]
) -> None:
    response = client.request("POST", at(alice), user("x"))
    error(response, 405)
    assert response.header("allow") == "GET, PUT, PATCH, DELETE"
    response = client.request("DELETE", "/Users")
    error(response, 405)
    assert response.header("allow") == "GET, POST"


# -- unexpected errors -----------------------------------------------------------------


def _fail(*_: object, **__: object) -> Any:
    raise RuntimeError("disk on fire at /secret/path")


@pytest.mark.parametrize(
    ("method", "operation"),
    [
        ("search_users", lambda c: c.get("/Users")),
        ("create_user", lambda c: c.post("/Users", user("dave@example.com"))),
    ],
    ids=["read", "write"],
)
def test_an_unexpected_exception_is_a_500_that_reveals_nothing(
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    method: str,
    operation: Callable[[Client], HttpResponse],
) -> None:
    before = client.snapshot()
    monkeypatch.setattr(client.service.store.directory(IDP), method, _fail)
    with caplog.at_level(logging.ERROR, logger="scimpolicy.server"):
        response = operation(client)
    body = error(response, 500)
    assert body["detail"] == "internal error; the request was not applied"
    assert b"fire" not in response.body
    assert b"secret" not in response.body
    assert b"RuntimeError" not in response.body
    [record] = caplog.records
    assert record.name == "scimpolicy.server"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    monkeypatch.undo()
    assert client.snapshot() == before


# -- every error is a SCIM error -------------------------------------------------------


ERRORS: Final[list[tuple[int, str | None, Callable[[Client], HttpResponse]]]] = [
    (400, "invalidFilter", lambda c: c.get("/Users", query={"filter": "("})),
    (401, None, lambda c: c.get("/Users", headers={"authorization": None})),
    (403, None, lambda c: c.get("/Schemas", query={"filter": "id pr"})),
    (404, None, lambda c: c.get("/Users/nobody")),
    (405, None, lambda c: c.get("/.search")),
    (409, "uniqueness", lambda c: c.post("/Users", user("ALICE@example.com"))),
    (412, None, lambda c: c.delete("/Users/id-1", headers={"if-match": 'W/"99"'})),
    (
        413,
        None,
        lambda c: c.with_limits(Limits(max_body_bytes=10)).post("/Users", user("x")),
    ),
    (
        415,
        None,
        lambda c: c.post("/Users", user("x"), headers={"content-type": "text/csv"}),
    ),
    (501, None, lambda c: c.get("/Bulk")),
]


@pytest.mark.parametrize(
    ("status", "scim_type", "send"), ERRORS, ids=[str(e[0]) for e in ERRORS]
)
@pytest.mark.usefixtures("alice")
def test_every_error_body_is_a_scim_error(
    client: Client,
    status: int,
    scim_type: str | None,
    send: Callable[[Client], HttpResponse],
) -> None:
    """E1: schemas is the Error URN and status is the HTTP status as a string."""
    response = send(client)
    body = error(response, status, scim_type)
    assert set(body) <= {"schemas", "status", "scimType", "detail"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
