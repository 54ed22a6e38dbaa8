"""Payload validation and the wire format (``scimpolicy.scim.serde``): rows A1-A13, E4.

docs/directory.md: keys ignore case but two spellings of one key are an error; bare
extension names resolve to the Enterprise extension; custom extension schemas are
rejected unless ``ignore_unknown_extensions``; ``schemas`` may be omitted but must list
the core schema when present; read-only input is ignored; ``null``, ``[]`` and ``{}``
mean unassigned.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from scimpolicy import (
    Address,
    Directory,
    InvalidSyntaxError,
    InvalidValueError,
    Manager,
    Member,
    MultiValue,
    Name,
)
from scimpolicy.scim.schema import ENTERPRISE_USER, GROUP, USER, Attribute, AttrType
from scimpolicy.scim.serde import (
    check_value,
    format_datetime,
    normalize,
    structure_record,
)
from tests.scim.support import CORE_GROUP, CORE_USER, ENTERPRISE, new_directory, user

CUSTOM = "urn:acme:custom:1.0:User"


def attribute_of(name: str) -> Attribute:
    """A top-level attribute of the User, Group or Enterprise schema, by name."""
    for schema in (USER.schema, GROUP.schema, ENTERPRISE_USER):
        found = schema.attribute(name)
        if found is not None:
            return found
    raise LookupError(name)


# -- the payload as a whole ------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "described"),
    [
        ([{"userName": "a"}], "a list"),
        ("a@x.com", "a string"),
        (7, "a number"),
        (True, "a boolean"),
        (None, "null"),
    ],
)
def test_a_payload_that_is_not_an_object_is_invalid_syntax(
    payload: object, described: str
) -> None:
    """E4: a payload must be a JSON object; the error says what it was instead."""
    with pytest.raises(InvalidSyntaxError) as caught:
        normalize(payload, USER)
    assert caught.value.detail == f"expected a JSON object for a User, got {described}"


def test_attribute_names_must_be_strings() -> None:
    """E4: a non-string key (possible from Python callers) is invalidSyntax."""
    with pytest.raises(InvalidSyntaxError) as caught:
        normalize({"userName": "a", 1: "x"}, USER)
    assert caught.value.detail == "attribute names must be strings, got `1`"


# -- sub-attributes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "detail"),
    [
        ({"name": {"nickName": "x"}}, "`name`: unknown sub-attribute `nickName`"),
        ({"name": {1: "x"}}, "`name`: unknown sub-attribute `1`"),
        (
            {"emails": [{"value": "a@x"}, {"value": "b@x", "kind": "work"}]},
            "`emails[1]`: unknown sub-attribute `kind`",
        ),
        (
            {"name": {"givenName": "A", "GIVENNAME": "B"}},
            "`name`: sub-attribute `givenName` given twice",
        ),
        (
            {ENTERPRISE: {"manager": {"value": "m", "VALUE": "n"}}},
            (
                "`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`: "
                "sub-attribute `value` given twice"
            ),
        ),
    ],
)
def test_unknown_or_repeated_sub_attributes_are_invalid_syntax(
    directory: Directory, extra: dict[Any, Any], detail: str
) -> None:
    """A/E4: sub-attributes must exist; two spellings of one sub-attribute are refused."""
    with pytest.raises(InvalidSyntaxError) as caught:
        directory.create_user({**user("a@x.com"), **extra})
    assert caught.value.detail == detail


def test_sub_attribute_names_ignore_case(directory: Directory) -> None:
    """A: sub-attribute keys match in any case and come back in the schema's spelling."""
    created = directory.create_user(
        {
            **user("a@x.com"),
            "EMAILS": [{"VALUE": "a@x", "Primary": "TRUE", "tYpE": "work"}],
        }
    )
    assert created["emails"] == [{"value": "a@x", "primary": True, "type": "work"}]


def test_a_member_needs_a_value(directory: Directory) -> None:
    """A11: a Group member record without `value` is 400 invalidValue, with its index."""
    with pytest.raises(InvalidValueError) as caught:
        directory.create_group({"displayName": "G", "members": [{"display": "Ann"}]})
    assert caught.value.detail == "`members[0]`: missing required `value`"


def test_read_only_sub_attributes_are_dropped(directory: Directory) -> None:
    """A6: `manager.displayName` is readOnly: ignored on input, a lone one unassigns."""
    created = directory.create_user(user("a@x.com", manager={"displayName": "Boss"}))
    assert ENTERPRISE not in created
    assert created["schemas"] == [CORE_USER]


# -- schemas ---------------------------------------------------------------------------


@pytest.mark.parametrize("schemas", [CORE_USER, None, [CORE_USER, 7], {"0": CORE_USER}])
def test_schemas_must_be_a_list_of_urns(directory: Directory, schemas: Any) -> None:
    """A/E4: `schemas`, when present, is a list of URN strings."""
    with pytest.raises(InvalidSyntaxError) as caught:
        directory.create_user({"schemas": schemas, "userName": "a@x.com"})
    assert caught.value.detail == "`schemas`: expected a list of schema URNs"


@pytest.mark.parametrize("schemas", [[], [ENTERPRISE], [CORE_GROUP]])
def test_schemas_must_list_the_core_schema(
    directory: Directory, schemas: list[str]
) -> None:
    """A/E4: a `schemas` list without the core User schema is invalidSyntax."""
    with pytest.raises(InvalidSyntaxError) as caught:
        directory.create_user({"schemas": schemas, "userName": "a@x.com"})
    assert caught.value.detail == (f"`schemas` must include `{CORE_USER}` for a User")


def test_a_user_schema_list_on_a_group_is_invalid_syntax(directory: Directory) -> None:
    """A/E4: the core schema required is the resource type's own."""
    with pytest.raises(InvalidSyntaxError) as caught:
        directory.create_group({"schemas": [CORE_USER], "displayName": "G"})
    assert caught.value.detail == f"`schemas` must include `{CORE_GROUP}` for a Group"


@pytest.mark.parametrize(
    "schemas",
    [[ENTERPRISE, CORE_USER], [CORE_USER.upper()], [CORE_USER, ENTERPRISE.lower()]],
)
def test_schema_urns_are_accepted_in_any_order_and_case(
    directory: Directory, schemas: list[str]
) -> None:
    """A: URNs in `schemas` match ignoring case and order; the response spells them."""
    created = directory.create_user(
        {"schemas": schemas, "userName": "a@x.com", ENTERPRISE: {"department": "Eng"}}
    )
    assert created["schemas"] == [CORE_USER, ENTERPRISE]


def test_an_unknown_schema_in_schemas_is_rejected_unless_ignored() -> None:
    """SPEC §3: a custom URN listed in `schemas` is refused, or ignored when asked to."""
    payload = {"schemas": [CORE_USER, CUSTOM], "userName": "a@x.com"}
    with pytest.raises(InvalidSyntaxError) as caught:
        new_directory().create_user(payload)
    assert caught.value.detail.startswith(f"unsupported schema `{CUSTOM}`: ")
    created = new_directory(ignore_unknown_extensions=True).create_user(payload)
    assert created["schemas"] == [CORE_USER]


# -- top-level keys --------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", [f"{CORE_USER}:userName", f"{CORE_USER.upper()}:USERNAME", "USERNAME"]
)
def test_urn_qualified_core_keys_are_accepted(directory: Directory, key: str) -> None:
    """A/F10: a core attribute may be sent with its schema URN, in any case."""
    assert directory.create_user({key: "a@x.com"})["userName"] == "a@x.com"


def test_urn_qualified_extension_keys_land_in_the_extension(
    directory: Directory,
) -> None:
    """A10/A12: `<enterprise URN>:department` and bare `costCenter` fill the extension."""
    created = directory.create_user(
        {"userName": "a@x.com", f"{ENTERPRISE}:department": "Eng", "costCenter": "7"}
    )
    assert created["schemas"] == [CORE_USER, ENTERPRISE]
    assert created[ENTERPRISE] == {"department": "Eng", "costCenter": "7"}


@pytest.mark.parametrize(
    ("extra", "detail"),
    [
        (
            {f"{ENTERPRISE}:department": "Eng", "department": "Ops"},
            "attribute `department` given twice",
        ),
        (
            {f"{ENTERPRISE}:department": "Eng", ENTERPRISE: {"department": "Ops"}},
            f"attribute `{ENTERPRISE}:department` given twice",
        ),
        (
            {f"{CORE_USER}:title": "A", "TITLE": None},
            "attribute `title` given twice",
        ),
    ],
)
def test_one_attribute_spelled_twice_is_refused(
    directory: Directory, extra: dict[str, Any], detail: str
) -> None:
    """A: bare, qualified and URN-object spellings of one attribute never overwrite."""
    with pytest.raises(InvalidSyntaxError) as caught:
        directory.create_user({"userName": "a@x.com", **extra})
    assert caught.value.detail == detail


def test_an_unknown_urn_key_is_rejected_unless_ignored() -> None:
    """SPEC §3: a key under a custom schema URN is refused, or dropped when asked to."""
    payload = {"userName": "a@x.com", f"{CUSTOM}:badge": "7", CUSTOM: {"badge": "7"}}
    with pytest.raises(InvalidSyntaxError) as caught:
        new_directory().create_user(payload)
    assert caught.value.detail == (
        f"unsupported schema `{CUSTOM}`: only the core schemas and the Enterprise User "
        "extension are accepted (ZPA takes no custom attributes)"
    )
    created = new_directory(ignore_unknown_extensions=True).create_user(payload)
    assert set(created) == {"schemas", "id", "userName", "meta"}


def test_an_unknown_attribute_of_the_enterprise_extension_is_never_ignored() -> None:
    """A10: ignore_unknown_extensions drops unknown schemas, not typos in a known one."""
    lenient = new_directory(ignore_unknown_extensions=True)
    with pytest.raises(InvalidSyntaxError) as qualified:
        lenient.create_user({"userName": "a@x.com", f"{ENTERPRISE}:departmnt": "Eng"})
    assert qualified.value.detail == (
        f"unknown attribute `{ENTERPRISE}:departmnt` for a User"
    )
    with pytest.raises(InvalidSyntaxError) as nested:
        lenient.create_user({"userName": "a@x.com", ENTERPRISE: {"departmnt": "Eng"}})
    assert nested.value.detail == f"unknown attribute `departmnt` in `{ENTERPRISE}`"


# -- the extension object --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "described"), [("Eng", "a string"), (["Eng"], "a list"), (7, "a number")]
)
def test_the_extension_must_be_an_object(
    directory: Directory, value: Any, described: str
) -> None:
    """A10/E4: the value under the extension URN must be an object (invalidValue)."""
    with pytest.raises(InvalidValueError) as caught:
        directory.create_user({"userName": "a@x.com", ENTERPRISE: value})
    assert caught.value.detail == f"`{ENTERPRISE}`: expected an object, got {described}"


@pytest.mark.parametrize("value", [None, {}, {"department": None, "manager": {}}])
def test_an_unassigned_extension_is_left_out(directory: Directory, value: Any) -> None:
    """A5/A12: a null, empty or all-null extension object is unassigned."""
    created = directory.create_user(
        {"schemas": [CORE_USER, ENTERPRISE], "userName": "a@x.com", ENTERPRISE: value}
    )
    assert ENTERPRISE not in created
    assert created["schemas"] == [CORE_USER]


# -- read-only input -------------------------------------------------------------------


@pytest.mark.parametrize("groups", [[], None, {}])
def test_unassigned_groups_in_a_user_payload_are_not_reported(
    directory: Directory, groups: Any
) -> None:
    """A9: an empty `groups` changes nothing, so no IgnoredAttributeWarning is raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        created = directory.create_user({**user("a@x.com"), "groups": groups})
    assert "groups" not in created


def test_normalize_reports_ignored_read_only_attributes() -> None:
    """A9/M1: `groups` with a value is reported; `id` and `meta` are dropped silently."""
    doc, ignored = normalize(
        {
            "id": "x",
            "meta": {"version": "v"},
            "userName": "a",
            "groups": [{"value": "g"}],
        },
        USER,
    )
    assert doc == {"userName": "a"}
    assert ignored == ("groups",)


# -- values of types the built-in schemas do not use -----------------------------------


@pytest.mark.parametrize(
    ("attribute", "value", "expected"),
    [
        (Attribute("n", AttrType.INTEGER), 3, 3),
        (Attribute("d", AttrType.DECIMAL), 1, 1),
        (Attribute("d", AttrType.DECIMAL), 1.5, 1.5),
        (
            Attribute("t", AttrType.DATETIME),
            "2026-11-23T09:00:00Z",
            "2026-11-23T09:00:00Z",
        ),
        (Attribute("tags", multi_valued=True), ["a", None, "b"], ["a", "b"]),
        (Attribute("tags", multi_valued=True), [], None),
        (Attribute("tags", multi_valued=True), [None], None),
        (Attribute("x", AttrType.BINARY), "AAA=", "AAA="),
    ],
)
def test_check_value_accepts_well_typed_values(
    attribute: Attribute, value: object, expected: object
) -> None:
    """A2: integers, decimals, dateTimes and simple multi-valued values are checked."""
    assert check_value(attribute, value, "x") == expected


@pytest.mark.parametrize(
    ("attribute", "value", "detail"),
    [
        (
            Attribute("n", AttrType.INTEGER),
            True,
            "`n`: expected an integer, got a boolean",
        ),
        (
            Attribute("n", AttrType.INTEGER),
            1.5,
            "`n`: expected an integer, got a number",
        ),
        (
            Attribute("n", AttrType.INTEGER),
            "3",
            "`n`: expected an integer, got a string",
        ),
        (
            Attribute("n", AttrType.DECIMAL),
            False,
            "`n`: expected a number, got a boolean",
        ),
        (
            Attribute("n", AttrType.DECIMAL),
            "1.5",
            "`n`: expected a number, got a string",
        ),
        (
            Attribute("n", AttrType.DATETIME),
            "yesterday",
            "`n`: expected a dateTime such as `2026-11-23T09:00:00Z`",
        ),
        (Attribute("n", AttrType.DATETIME), 5, "`n`: expected a string, got a number"),
        (
            Attribute("n", multi_valued=True),
            ["a", 1],
            "`n[1]`: expected a string, got a number",
        ),
        (
            Attribute("n", multi_valued=True),
            "a",
            "`n`: expected a list of values, got a string",
        ),
        (
            Attribute(
                "n",
                AttrType.COMPLEX,
                sub_attributes=(Attribute("i", AttrType.INTEGER),),
            ),
            {"i": "1"},
            "`n.i`: expected an integer, got a string",
        ),
    ],
)
def test_check_value_rejects_wrongly_typed_values(
    attribute: Attribute, value: object, detail: str
) -> None:
    """A2/E4: a wrongly typed value is invalidValue, located by path and index."""
    with pytest.raises(InvalidValueError) as caught:
        check_value(attribute, value, attribute.name)
    assert caught.value.detail == detail


# -- output ----------------------------------------------------------------------------


def test_format_datetime_writes_utc_with_z_and_milliseconds() -> None:
    """M1: meta times are RFC 3339 in UTC, with `Z` and exactly three decimals."""
    moment = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)
    assert format_datetime(moment) == "2026-11-23T09:00:00.123Z"
    assert format_datetime(moment.replace(tzinfo=timezone(timedelta(0)))) == (
        "2026-11-23T09:00:00.123Z"
    )


def test_format_datetime_keeps_the_instant_of_an_offset_time() -> None:
    """M1: a time with another offset is still RFC 3339 and reads back as the same instant."""
    moment = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    text = format_datetime(moment)
    assert text == "2026-11-23T10:00:00.000+01:00"
    assert datetime.fromisoformat(text) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_meta_times_come_from_the_clock() -> None:
    """M1: created and lastModified are the injected clock's time, formatted with `Z`."""
    directory = Directory(clock=lambda: datetime(2030, 1, 2, 3, 4, 5, 6000, tzinfo=UTC))
    meta = directory.create_user(user("a@x.com"))["meta"]
    assert (meta["created"], meta["lastModified"]) == (
        "2030-01-02T03:04:05.006Z",
        "2030-01-02T03:04:05.006Z",
    )


@pytest.mark.parametrize(
    ("name", "record", "expected"),
    [
        (
            "name",
            {"givenName": "Ann", "familyName": "Lee"},
            Name(given_name="Ann", family_name="Lee"),
        ),
        (
            "emails",
            {"value": "a@x", "primary": True},
            MultiValue(value="a@x", primary=True),
        ),
        (
            "phoneNumbers",
            {"value": "1", "type": "work"},
            MultiValue(value="1", type="work"),
        ),
        (
            "addresses",
            {"streetAddress": "Main 1", "postalCode": "10115"},
            Address(street_address="Main 1", postal_code="10115"),
        ),
        (
            "members",
            {"value": "u1", "$ref": "../Users/u1", "type": "User"},
            Member("u1", type="User", ref="../Users/u1"),
        ),
        (
            "manager",
            {"value": "m", "$ref": "../Users/m"},
            Manager(value="m", ref="../Users/m"),
        ),
    ],
)
def test_structure_record_builds_the_model_of_one_record(
    name: str, record: dict[str, Any], expected: object
) -> None:
    """F9: a canonical record becomes its model, `$ref` and camelCase names renamed."""
    assert structure_record(attribute_of(name), record) == expected


# -- fixed problems (regression tests) ---------------------------------------------


def test_the_enterprise_extension_on_a_group_is_named_in_full(
    directory: Directory,
) -> None:
    """A10/E4: refusing the User extension on a Group names that extension's URN."""
    with pytest.raises(InvalidSyntaxError) as caught:
        directory.create_group({"displayName": "G", ENTERPRISE: {"department": "Eng"}})
    assert f"`{ENTERPRISE}`" in caught.value.detail
