"""Filter and sort edge cases (RFC 7644 §3.4.2.2-3): rows F5-F13 and L4 beyond the basics.

docs/directory.md: strings compare by the attribute's ``caseExact``; ``ne`` is the
negation of ``eq``; ``pr`` is true for a complex value with a non-empty sub-attribute;
a value path on a single-valued complex attribute reads as the attribute itself;
``groups`` is filterable on users; ``sortBy`` on a multi-valued attribute uses the
primary value, else the first; unassigned values sort last ascending.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from scimpolicy import Directory, FilterSyntaxError, PathSyntaxError, Span
from scimpolicy.scim.filter_match import bind_record_filter
from scimpolicy.scim.filter_nodes import AttrPath, Compare, CompareOp, ValuePath
from scimpolicy.scim.filter_parser import parse_filter
from scimpolicy.scim.schema import USER, Attribute, AttrType
from tests.scim.support import ENTERPRISE, group, new_directory, user


@pytest.fixture(scope="module")
def directory() -> Directory:
    """alice (W/"1"), Bob (W/"2"), carol (W/"3"); groups G ⊇ {alice, Bob}, Nested ⊇ {G}."""
    directory = new_directory()
    alice = directory.create_user(
        {
            **user("alice@x.com", title="Dev", active=True),
            "externalId": "abc",
            "name": {"givenName": "Ann"},
            "addresses": [{"locality": "Berlin", "type": "work"}],
            "x509Certificates": [{"value": "MIIa"}],
            "emails": [{"value": "z@x"}, {"value": "m@x"}],
        }
    )
    bob = directory.create_user(
        {
            **user("Bob@x.com", active=False),
            "externalId": "ABC",
            "emails": [{"value": "c@x"}, {"value": "a@x", "primary": True}],
        }
    )
    directory.create_user({**user("carol@x.com"), "externalId": "Abd"})
    inner = directory.create_group(group("G", alice["id"], bob["id"]))
    directory.create_group(group("Nested", inner["id"]))
    return directory


def users(directory: Directory, text: str | None = None, **options: Any) -> list[str]:
    options.setdefault("sort_by", "userName")
    response = directory.search_users(text, **options)
    return [resource["userName"].split("@")[0] for resource in response["Resources"]]


def groups(directory: Directory, text: str) -> list[str]:
    response = directory.search_groups(text, sort_by="displayName")
    return [resource["displayName"] for resource in response["Resources"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # meta.version and meta.resourceType are caseExact strings
        ('meta.version eq "W/\\"1\\""', ["alice"]),
        ('meta.version gt "W/\\"1\\""', ["Bob", "carol"]),
        ('meta.version co "3"', ["carol"]),
        ('meta.version eq "w/\\"1\\""', []),
        ('meta.resourceType eq "User"', ["alice", "Bob", "carol"]),
        ('meta.resourceType eq "user"', []),
        # id is caseExact and orders lexicographically
        ('id eq "ID-1"', []),
        ('id gt "id-1"', ["Bob", "carol"]),
        ('id le "id-2"', ["alice", "Bob"]),
        # externalId is caseExact for every operator
        ('externalId gt "ABC"', ["alice", "carol"]),
        ('externalId lt "abc"', ["Bob", "carol"]),
        ('externalId ge "abc"', ["alice"]),
        ('externalId sw "A"', ["Bob", "carol"]),
        ('externalId co "b"', ["alice", "carol"]),
        ('externalId ew "C"', ["Bob"]),
        ('externalId ne "abc"', ["Bob", "carol"]),
        # dateTimes compare as instants, whatever the offset
        ('meta.created eq "2026-11-23T09:00:00.000+00:00"', ["alice"]),
        ('meta.created le "2026-11-23T10:00:01+01:00"', ["alice", "Bob"]),
        ('meta.created lt "2026-11-23T10:00:01+01:00"', ["alice"]),
        # pr on complex attributes and on value paths of a single-valued one
        ("name pr", ["alice"]),
        ("not (name pr)", ["Bob", "carol"]),
        ("addresses pr", ["alice"]),
        ('name[givenName eq "ann"]', ["alice"]),
        ("name[givenName pr]", ["alice"]),
        ('not (name[givenName eq "ann"])', ["Bob", "carol"]),
        # ne on multi-valued attributes: no value equals (absent included)
        ('emails ne "z@x"', ["Bob", "carol"]),
        ('emails.value ne "Z@X"', ["Bob", "carol"]),
        ("emails[primary ne true]", ["alice", "Bob"]),
        # not inside a value path is per record; outside it, per user
        ('emails[not (value eq "z@x")]', ["alice", "Bob"]),
        ('not (emails[value eq "z@x"])', ["Bob", "carol"]),
        ('emails[not (value sw "z") and not (value sw "m")]', ["Bob"]),
        # binary values compare exactly
        ('x509Certificates eq "MIIa"', ["alice"]),
        ('x509Certificates.value eq "miia"', []),
        # derived groups: direct and indirect
        ('groups[display eq "nested" and type eq "indirect"]', ["alice", "Bob"]),
        ('groups.type eq "direct"', ["alice", "Bob"]),
    ],
)
def test_filter_edges(directory: Directory, text: str, expected: list[str]) -> None:
    """F5-F9/F12: each filter selects exactly the expected users."""
    assert users(directory, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('members[type eq "User"]', ["G"]),
        ('members[type eq "group"]', ["Nested"]),
        ('members.type eq "Group"', ["Nested"]),
        ('not (members[type eq "User"])', ["Nested"]),
        ('members ne "id-1"', ["Nested"]),
        ("members.display pr", []),
        ('schemas eq "urn:ietf:params:scim:schemas:core:2.0:Group"', ["G", "Nested"]),
        (f'schemas eq "{ENTERPRISE}"', []),
        ('meta.resourceType eq "Group"', ["G", "Nested"]),
    ],
)
def test_group_filter_edges(
    directory: Directory, text: str, expected: list[str]
) -> None:
    """F8/F9/F12: member value paths, `ne` and `schemas` on groups."""
    assert groups(directory, text) == expected


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        (
            'x509Certificates.value gt "a"',
            "`gt` cannot order `value` (binary values)",
            1,
        ),
        (
            'meta.created co "2026"',
            "`co` cannot compare dateTimes: use `gt`, `lt`, ...",
            1,
        ),
        (
            'meta.lastModified ew "Z"',
            "`ew` cannot compare dateTimes: use `gt`, `lt`, ...",
            1,
        ),
        (
            'addresses co "Berlin"',
            (
                "`addresses` is complex: compare one of its sub-attributes, such as "
                "`addresses.formatted`"
            ),
            1,
        ),
        (
            'emails.value[type eq "work"]',
            "expected `[` right after the attribute name",
            1,
        ),
        (
            'emails[value.x eq "a"]',
            "inside `emails[...]` name a sub-attribute of `emails`",
            8,
        ),
        (
            f'emails[{ENTERPRISE}:value eq "a"]',
            "inside `emails[...]` name a sub-attribute of `emails`",
            8,
        ),
        (
            "emails[primary gt true]",
            "`gt` cannot compare booleans: `primary` is true or false",
            8,
        ),
        ("schemas.value pr", "unknown attribute `schemas.value`", 1),
        (
            'schemas[value eq "x"]',
            "`schemas` has no sub-attributes to filter with `[...]`",
            1,
        ),
        (
            'manager eq "x"',
            "`manager` is complex: compare one of its sub-attributes, such as `manager.value`",
            1,
        ),
    ],
)
def test_invalid_filter_edges(
    directory: Directory, text: str, message: str, column: int
) -> None:
    """F7/F13: comparisons the schema forbids are invalidFilter, pointing at the culprit."""
    with pytest.raises(FilterSyntaxError) as caught:
        directory.search_users(text)
    assert caught.value.message == message
    assert caught.value.scim_type == "invalidFilter"
    assert caught.value.colno == column


@pytest.mark.parametrize(
    "text", ["groups pr", 'groups.display eq "G"', 'groups[type eq "direct"]']
)
def test_groups_is_unknown_on_groups(directory: Directory, text: str) -> None:
    """F12/A9: `groups` is a User attribute; on a Group search it is unknown."""
    with pytest.raises(FilterSyntaxError) as caught:
        directory.search_groups(text)
    assert caught.value.message == "unknown attribute `groups` for a Group"


# -- sorting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort_by", "order", "expected"),
    [
        ("externalId", "ascending", ["Bob", "carol", "alice"]),
        ("externalId", "descending", ["alice", "carol", "Bob"]),
        ("active", "ascending", ["Bob", "alice", "carol"]),
        ("active", "descending", ["carol", "alice", "Bob"]),
        ("meta.created", "descending", ["carol", "Bob", "alice"]),
        ("emails", "ascending", ["Bob", "alice", "carol"]),
        ("emails.value", "descending", ["carol", "alice", "Bob"]),
        ("name.givenName", "ascending", ["alice", "Bob", "carol"]),
    ],
)
def test_sort_edges(
    directory: Directory, sort_by: str, order: str, expected: list[str]
) -> None:
    """L4: caseExact strings sort by code point, booleans false first, unassigned last."""
    assert users(directory, sort_by=sort_by, sort_order=order) == expected


def test_sorting_by_schemas_is_invalid_path(directory: Directory) -> None:
    """L4: `schemas` has no single value to sort by: 400 invalidPath."""
    with pytest.raises(PathSyntaxError) as caught:
        directory.search_users(sort_by="schemas")
    assert (
        caught.value.detail == "sortBy: cannot sort by `schemas` (at line 1, column 1)"
    )


# -- numbers and nesting, through the record binder -------------------------------------

RECORD = Attribute(
    "counts",
    AttrType.COMPLEX,
    sub_attributes=(Attribute("n", AttrType.INTEGER), Attribute("d", AttrType.DECIMAL)),
)
RECORDS = [
    SimpleNamespace(n=1, d=1.0),
    SimpleNamespace(n=3, d=1.2),
    SimpleNamespace(n=None, d=None),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n gt 2", [False, True, False]),
        ("n ge 2 and d lt 1.5", [False, True, False]),
        ("d le 2", [True, True, False]),
        ("n eq null", [False, False, True]),
        ("n ne 3", [True, False, True]),
    ],
)
def test_numbers_compare_numerically(text: str, expected: list[bool]) -> None:
    """F7: integer and decimal sub-attributes order numerically; unassigned never matches."""
    predicate = bind_record_filter(parse_filter(text), text, RECORD)
    assert [predicate(record) for record in RECORDS] == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('n eq "3"', "`n` is a number: compare it with a number"),
        ("n eq true", "`n` is a number: compare it with a number"),
        ("d co 3", "`co` needs a string attribute; `d` is a number"),
    ],
)
def test_numbers_need_numeric_comparisons(text: str, message: str) -> None:
    """F7/F13: a number compared with a string, a boolean or `co` is invalidFilter."""
    with pytest.raises(FilterSyntaxError) as caught:
        bind_record_filter(parse_filter(text), text, RECORD)
    assert caught.value.message == message


def test_a_value_path_cannot_hold_another() -> None:
    """F9: erratum 4690 is enforced by the binder too, not only by the grammar."""
    emails = USER.schema.attribute("emails")
    assert emails is not None
    nested = ValuePath(AttrPath("emails"), Compare(AttrPath("type"), CompareOp.EQ, "w"))
    with pytest.raises(FilterSyntaxError) as caught:
        bind_record_filter(nested, "emails[...]", emails)
    assert caught.value.message == "a `[...]` filter cannot hold another `[...]`"
    assert caught.value.span == Span(0, len("emails[...]"))


# -- fixed problems (regression tests) ---------------------------------------------


def test_meta_location_is_filterable() -> None:
    """F8/M1: `meta.location` is a meta sub-attribute like `meta.version`."""
    directory = new_directory(base_url="https://scim.example/v2")
    directory.create_user(user("a@x.com"))
    found = directory.search_users(
        'meta.location eq "https://scim.example/v2/Users/id-1"'
    )
    assert [r["userName"] for r in found["Resources"]] == ["a@x.com"]


@pytest.mark.parametrize("sort_by", ["name", "meta", "addresses"])
def test_sorting_by_a_complex_attribute_is_invalid_path(sort_by: str) -> None:
    """L4: RFC 7644 §3.4.2.3: a complex sortBy must name a sub-attribute; else invalidPath."""
    directory = new_directory()
    for name in ("a", "b"):
        directory.create_user(
            {
                **user(f"{name}@x.com"),
                "name": {"givenName": name},
                "addresses": [{"locality": name}],
            }
        )
    with pytest.raises(PathSyntaxError):
        directory.search_users(sort_by=sort_by)


def test_urn_qualified_groups_is_filterable(directory: Directory) -> None:
    """F10/A9: `<core User URN>:groups.display` means the same as `groups.display`."""
    qualified = 'urn:ietf:params:scim:schemas:core:2.0:User:groups.display eq "G"'
    assert users(directory, qualified) == users(directory, 'groups.display eq "G"')


def test_a_core_attribute_under_the_extension_urn_does_not_suggest_itself(
    directory: Directory,
) -> None:
    """F13: `<enterprise URN>:userName` is unknown; `did you mean userName` would not help."""
    with pytest.raises(FilterSyntaxError) as caught:
        directory.search_users(f'{ENTERPRISE}:userName eq "x"')
    assert "did you mean `userName`" not in caught.value.message
