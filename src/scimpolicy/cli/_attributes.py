"""``scimpolicy attributes``: ZPA's read-only SCIM Attributes page of one IdP.

ZPA lists, per IdP, the SCIM attributes policy criteria can use (its attribute
headers: data type, schema, multi-valued, required, case sensitive) and fills the
criteria drop-downs with the distinct values its synced users have
(``GET .../scimattribute/idpId/{idpId}/attributeId/{attributeId}``). Users with
``active=false`` are not there: ZPA deletes them. Values are distinct ignoring case,
as ZPA compares them (every header says ``caseSensitive: false``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

import attrs

from scimpolicy._text import did_you_mean, format_table
from scimpolicy.cli._common import (
    EXIT_FOUND,
    EXIT_OK,
    Command,
    UsageError,
    print_json,
    world,
)
from scimpolicy.scim.directory import Directory
from scimpolicy.scim.loader import GROUPS_FILE, USERS_FILE, load_directory
from scimpolicy.scim.models import User
from scimpolicy.scim.schema import (
    USER,
    ZPA_POLICY_ATTRIBUTES,
    Attribute,
    AttrType,
    PolicyAttribute,
    Schema,
)
from scimpolicy.workspace.files import TENANT_FILE

__all__ = ["COMMAND", "AttributeRow", "attribute_table", "attribute_values"]

_EXAMPLES: Final = """\
examples:
  scimpolicy attributes examples/acme --idp Okta
  scimpolicy attributes examples/acme --idp Entra --search name
  scimpolicy attributes examples/acme --idp Entra --values department
  scimpolicy attributes examples/acme/okta --values userType --json
"""


@attrs.frozen
class AttributeRow:
    """One row of the SCIM Attributes page: a ZPA policy attribute, its header and
    how many distinct values the IdP's active users have for it."""

    attribute: PolicyAttribute
    schema_name: str
    required: bool
    values: int

    def to_json(self) -> dict[str, Any]:
        """The row with the field names of ZPA's attribute-header API."""
        return {
            "name": self.attribute.name,
            "dataType": _data_type(self.attribute),
            "schemaURI": self.attribute.schema,
            "multivalued": self.attribute.multi_valued,
            "required": self.required,
            "caseSensitive": False,
            "values": self.values,
        }


def _data_type(attribute: PolicyAttribute) -> str:
    return "Boolean" if attribute.type is AttrType.BOOLEAN else "String"


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _header(attribute: PolicyAttribute) -> tuple[Schema, Attribute, Attribute | None]:
    """The schema, the attribute and the sub-attribute *attribute* names."""
    top, _, sub_name = attribute.path.partition(".")
    found = USER.resolve(top, attribute.schema)
    assert found is not None  # noqa: S101  ZPA's attributes are in the schema
    schema, definition = found
    return schema, definition, definition.sub(sub_name) if sub_name else None


def _reader(attribute: PolicyAttribute) -> Callable[[User], list[str]]:
    """A function giving a user's values of *attribute*, as text."""
    schema, definition, sub = _header(attribute)
    in_core = schema is USER.schema

    def read(user: User) -> list[str]:
        holder = user if in_core else user.enterprise
        value = None if holder is None else getattr(holder, definition.python_name)
        if sub is None:
            items = [value]
        else:
            records = value if definition.multi_valued else (value,)
            items = [getattr(r, sub.python_name) for r in records or () if r]
        return [text for item in items if (text := _text(item)) is not None]

    return read


def attribute_values(
    users: Iterable[User], attribute: PolicyAttribute
) -> tuple[tuple[str, int], ...]:
    """The distinct values (ignoring case) the active *users* have for *attribute*,
    each with the number of users having it, most common first.

    A value is shown as most of its users spell it.
    """
    read = _reader(attribute)
    users_with: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for user in users:
        if not user.is_active:
            continue
        seen: set[str] = set()
        for value in read(user):
            key = value.casefold()
            spellings.setdefault(key, Counter())[value] += 1
            if key not in seen:
                seen.add(key)
                users_with[key] += 1
    rows = [
        (spellings[key].most_common(1)[0][0], count)
        for key, count in users_with.items()
    ]
    return tuple(sorted(rows, key=lambda row: (-row[1], row[0].casefold(), row[0])))


def attribute_table(users: Iterable[User]) -> tuple[AttributeRow, ...]:
    """The SCIM Attributes page for a directory's *users*: ZPA's 14 policy
    attributes in ZPA's order, each with its number of distinct values."""
    active = [user for user in users if user.is_active]
    rows = []
    for attribute in ZPA_POLICY_ATTRIBUTES:
        schema, definition, sub = _header(attribute)
        required = definition.required and (sub is None or sub.required)
        values = len(attribute_values(active, attribute))
        rows.append(AttributeRow(attribute, schema.name, required, values))
    return tuple(rows)


# -- the command ----------------------------------------------------------------------


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        metavar="TENANT",
        help="a tenant folder (or its tenant.toml), or a SCIM directory folder "
        "with users.json and groups.json",
    )
    parser.add_argument(
        "--idp",
        metavar="IDP",
        help="the IdP whose attributes to show (needed when the tenant has several)",
    )
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--search",
        metavar="TEXT",
        help="show only attributes whose name contains TEXT, ignoring case (exit 1 "
        "if none does)",
    )
    shown.add_argument(
        "--values",
        metavar="ATTRIBUTE",
        help="list the distinct values of one attribute with their user counts",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _directory(source: str, idp: str | None) -> tuple[str | None, Directory]:
    """The IdP's name (``None`` for a SCIM directory folder) and its directory."""
    place = Path(source)
    if place.is_dir() and not (place / TENANT_FILE).exists():
        if not ((place / USERS_FILE).exists() or (place / GROUPS_FILE).exists()):
            raise UsageError(
                f"`{source}` is neither a tenant folder ({TENANT_FILE}) nor a SCIM "
                f"directory folder ({USERS_FILE}, {GROUPS_FILE})"
            )
        if idp is not None:
            raise UsageError(
                f"--idp applies to a tenant folder; `{source}` is one IdP's SCIM "
                "directory folder"
            )
        return None, load_directory(place)
    tenant = world(source)
    if idp is None:
        names = [provider.name for provider in tenant.tenant.idps]
        if len(names) > 1:
            listed = ", ".join(f"`{name}`" for name in names)
            raise UsageError(
                f"the tenant has several IdPs: pick one with --idp ({listed})"
            )
        idp = names[0]
    directory = tenant.idp(idp).directory  # an unknown IdP: KeyError listing them
    assert isinstance(directory, Directory)  # noqa: S101  what load_workspace makes
    return idp, directory


def _attribute(name: str) -> PolicyAttribute:
    for attribute in ZPA_POLICY_ATTRIBUTES:
        if attribute.name.casefold() == name.casefold():
            return attribute
    names = [attribute.name for attribute in ZPA_POLICY_ATTRIBUTES]
    raise UsageError(
        f"`{name}` is not one of ZPA's SCIM policy attributes"
        + (did_you_mean(name, names) or f" ({', '.join(names)})")
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _whose(idp: str | None, active: int) -> str:
    owner = "the directory's" if idp is None else f"IdP `{idp}`'s"
    return f"{owner} {active} active users"


def _show_values(
    idp: str | None, users: list[User], name: str, *, as_json: bool
) -> int:
    attribute = _attribute(name)
    values = attribute_values(users, attribute)
    active = sum(user.is_active for user in users)
    if as_json:
        print_json(
            {
                "idp": idp,
                "attribute": attribute.name,
                "schemaURI": attribute.schema,
                "activeUsers": active,
                "values": [{"value": value, "users": count} for value, count in values],
            }
        )
    elif values:
        rows = [[value, str(count)] for value, count in values]
        print(format_table([attribute.name, "users"], rows))
        print(
            f"\n{len(values)} distinct values (ignoring case) among "
            f"{_whose(idp, active)}"
        )
    else:
        print(f"none of {_whose(idp, active)} has a value for `{attribute.name}`")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    idp, directory = _directory(args.source, args.idp)
    users = list(directory.users())
    if args.values is not None:
        return _show_values(idp, users, args.values, as_json=args.json)
    rows = attribute_table(users)
    if args.search is not None:
        rows = tuple(
            row
            for row in rows
            if args.search.casefold() in row.attribute.name.casefold()
        )
    active = sum(user.is_active for user in users)
    if args.json:
        print_json(
            {
                "idp": idp,
                "activeUsers": active,
                "attributes": [row.to_json() for row in rows],
            }
        )
    elif rows:
        table = [
            [
                row.attribute.name,
                _data_type(row.attribute),
                row.schema_name,
                _yes(row.attribute.multi_valued),
                _yes(row.required),
                "no",
                str(row.values),
            ]
            for row in rows
        ]
        headers = [
            "attribute",
            "data type",
            "schema",
            "multi-valued",
            "required",
            "case sensitive",
            "values",
        ]
        print(format_table(headers, table))
        total = len(ZPA_POLICY_ATTRIBUTES)
        shown = f"{len(rows)} of {total}" if len(rows) < total else str(total)
        print(
            f"\n{shown} attributes; values: distinct values among {_whose(idp, active)}"
        )
    else:
        print(f"no attribute name contains `{args.search}`")
    return EXIT_OK if rows else EXIT_FOUND


COMMAND: Final = Command(
    name="attributes",
    help="show an IdP's SCIM attributes for policy, as ZPA's SCIM Attributes page",
    description="Print ZPA's read-only SCIM Attributes page for one IdP: the 14 SCIM "
    "attributes ZPA's policy criteria can use, with their data type, schema, "
    "whether they are multi-valued, required and case sensitive (never, in ZPA), and "
    "how many distinct values (ignoring case) the IdP's active users have, which is "
    "what ZPA's criteria drop-downs offer. --values lists those values with their "
    "user counts. TENANT is a tenant folder or one IdP's SCIM directory folder. "
    "Exit 0; 1 when --search matches no attribute; 2 on bad usage or input.",
    examples=_EXAMPLES,
    arguments=_arguments,
    run=_run,
)
