"""SCIM JSON in and out: the only module that knows the wire format.

Stage: edge. Input is a SCIM JSON payload as identity providers send it; output of
:func:`normalize` is a *canonical document*: a dict whose keys are the schema's own
spelling (``userName``, ``name.givenName``), with extension attributes under their
schema URN, types checked, Entra's string booleans (``"False"``) coerced, read-only
input dropped (RFC 7644 §3.3) and unassigned values (``null``, ``[]``, ``{}``) removed
(RFC 7643 §2.5). One cattrs converter turns canonical documents into models and back;
:func:`to_json` adds ``schemas``, ``id`` and ``meta`` for responses.

Invariants: attribute keys are matched case-insensitively (RFC 7643 §2.1); two keys that
differ only in case are an error, not a silent overwrite; a payload that fails is
reported with its location (``emails[1].primary``) and nothing is returned.
"""

from __future__ import annotations

import contextlib
import functools
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from scimpolicy.errors import InvalidSyntaxError, InvalidValueError
from scimpolicy.scim.models import (
    Address,
    EnterpriseUser,
    Group,
    Manager,
    Member,
    Meta,
    MultiValue,
    Name,
    User,
)
from scimpolicy.scim.schema import (
    COMMON_ATTRIBUTES,
    ENTERPRISE_USER,
    GROUP,
    USER,
    Attribute,
    AttrType,
    Mutability,
    ResourceType,
    Returned,
    Schema,
)

__all__ = [
    "CanonicalDoc",
    "check_value",
    "format_datetime",
    "normalize",
    "structure_group",
    "structure_record",
    "structure_user",
    "to_canonical",
    "to_json",
]

CanonicalDoc = dict[str, Any]
"""A validated SCIM document keyed by the schema's attribute names (see module doc)."""

_BOOLEAN_STRINGS: Final = {"true": True, "false": False}


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


_TEXT_TYPES: Final = frozenset(
    {AttrType.STRING, AttrType.REFERENCE, AttrType.BINARY, AttrType.DATETIME}
)


class _Invalid(Exception):  # noqa: N818  internal signal, never escapes this module
    """A value problem found below *where*; the caller adds the location."""

    def __init__(
        self,
        error: type[InvalidSyntaxError | InvalidValueError],
        what: str,
        path: str = "",
    ) -> None:
        super().__init__(what)
        self.error = error
        self.what = what
        self.path = path


def _simple_value(attribute: Attribute, value: object) -> object:
    kind = attribute.type
    if kind in _TEXT_TYPES:
        if type(value) is not str:
            raise _Invalid(
                InvalidValueError, f"expected a string, got {_describe(value)}"
            )
        if kind is AttrType.DATETIME:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise _Invalid(
                    InvalidValueError,
                    "expected a dateTime such as `2026-11-23T09:00:00Z`",
                ) from None
        return value
    if kind is AttrType.BOOLEAN:
        if type(value) is bool:
            return value
        if isinstance(value, str) and value.casefold() in _BOOLEAN_STRINGS:
            return _BOOLEAN_STRINGS[value.casefold()]
        raise _Invalid(
            InvalidValueError, f"expected true or false, got {_describe(value)}"
        )
    if kind is AttrType.INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Invalid(
            InvalidValueError, f"expected an integer, got {_describe(value)}"
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise _Invalid(InvalidValueError, f"expected a number, got {_describe(value)}")


def _complex_value(attribute: Attribute, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(InvalidValueError, f"expected an object, got {_describe(value)}")
    out: dict[str, Any] = {}
    exact = attribute.sub_table  # the schema's own spellings, the usual case
    for key, sub_value in value.items():
        sub = exact.get(key) or (attribute.sub(key) if isinstance(key, str) else None)
        if sub is None:
            raise _Invalid(InvalidSyntaxError, f"unknown sub-attribute `{key}`")
        name = sub.name
        if name in out:
            raise _Invalid(InvalidSyntaxError, f"sub-attribute `{name}` given twice")
        if sub_value is None or sub.read_only:
            continue
        if sub.plain_text and type(sub_value) is str:
            out[name] = sub_value
            continue
        try:
            out[name] = _simple_value(sub, sub_value)
        except _Invalid as problem:
            raise _Invalid(problem.error, problem.what, f".{name}") from None
    if out and attribute.required_subs:
        for sub in attribute.required_subs:
            if sub.name not in out:
                raise _Invalid(InvalidValueError, f"missing required `{sub.name}`")
    return out


def check_value(attribute: Attribute, value: object, where: str) -> object:
    """Validate one attribute's value as :func:`normalize` does; ``None`` = unassigned.

    :raises InvalidSyntaxError: an unknown sub-attribute.
    :raises InvalidValueError: a value of the wrong type.
    """
    try:
        return _value(attribute, value)
    except _Invalid as problem:
        raise problem.error(f"`{where}{problem.path}`: {problem.what}") from None


def _value(attribute: Attribute, value: object) -> object:
    if value is None:
        return None
    if not attribute.multi_valued:
        if attribute.is_complex:
            return _complex_value(attribute, value) or None
        return _simple_value(attribute, value)
    if not isinstance(value, list):
        raise _Invalid(
            InvalidValueError, f"expected a list of values, got {_describe(value)}"
        )
    items: list[Any] = []
    primaries = 0
    for index, item in enumerate(value):
        if item is None:
            continue
        try:
            if attribute.is_complex:
                record = _complex_value(attribute, item)
                if record:
                    primaries += record.get("primary") is True
                    items.append(record)
            else:
                items.append(_simple_value(attribute, item))
        except _Invalid as problem:
            raise _Invalid(
                problem.error, problem.what, f"[{index}]{problem.path}"
            ) from None
    if primaries > 1:
        raise _Invalid(InvalidValueError, "more than one value is marked primary")
    return items or None


def _check_schemas(
    value: object, resource_type: ResourceType, *, ignore_unknown_extensions: bool
) -> None:
    if type(value) is list and value and value[0] == resource_type.schema.id:
        with contextlib.suppress(TypeError):  # an unhashable item: checked below
            if _known_urns(resource_type).issuperset(value):
                return  # the usual, exactly spelled list
    if not isinstance(value, list) or not all(isinstance(urn, str) for urn in value):
        raise InvalidSyntaxError("`schemas`: expected a list of schema URNs")
    core = resource_type.schema.id.casefold()
    if not any(urn.casefold() == core for urn in value):
        raise InvalidSyntaxError(
            f"`schemas` must include `{resource_type.schema.id}` for a "
            f"{resource_type.name}"
        )
    for urn in value:
        if resource_type.schema_by_urn(urn) is None and not ignore_unknown_extensions:
            raise InvalidSyntaxError(_unsupported_schema(urn))


_ALL_SCHEMAS: Final = {
    schema.id.casefold(): schema for kind in (USER, GROUP) for schema in kind.schemas
}


@functools.cache
def _known_urns(resource_type: ResourceType) -> frozenset[str]:
    return frozenset(schema.id for schema in resource_type.schemas)


def _unsupported_schema(urn: str) -> str:
    return (
        f"unsupported schema `{urn}`: only the core schemas and the Enterprise User "
        "extension are accepted (ZPA takes no custom attributes)"
    )


_SCHEMAS: Final = "schemas"
_SKIP: Final = "skip"
_Entry = str | Schema | tuple[Schema, Attribute]


@functools.cache
def _key_table(resource_type: ResourceType) -> dict[str, _Entry]:
    """Every top-level key spelling a payload may use, exact and case-folded.

    An entry is ``"schemas"``, ``"skip"`` (``id``, ``meta``), an extension schema (a
    URN-keyed object) or ``(schema, attribute)``. Bare extension names resolve to the
    extension (see :meth:`ResourceType.resolve`).
    """
    table: dict[str, _Entry] = {"schemas": _SCHEMAS, "id": _SKIP, "meta": _SKIP}
    for schema in reversed(resource_type.schemas):
        attributes = schema.attributes
        if schema is resource_type.schema:
            attributes += tuple(a for a in COMMON_ATTRIBUTES if a.name not in table)
        else:
            table[schema.id] = schema
        for attribute in attributes:
            table[attribute.name] = (schema, attribute)
            table[f"{schema.id}:{attribute.name}"] = (schema, attribute)
    table.update({key.casefold(): entry for key, entry in table.items()})
    return table


def normalize(
    payload: object,
    resource_type: ResourceType,
    *,
    ignore_unknown_extensions: bool = False,
) -> tuple[CanonicalDoc, tuple[str, ...]]:
    """Validate a SCIM JSON payload and return ``(canonical document, ignored)``.

    ``ignored`` names read-only attributes that were sent with a value and dropped
    (``groups`` in a User payload: membership changes only through Groups, RFC 7643
    §4.1.2). ``id`` and ``meta`` are dropped silently, as RFC 7644 §3.3 says.

    :raises InvalidSyntaxError: not an object, an unknown attribute, an unsupported
        extension schema (unless *ignore_unknown_extensions*), a duplicate key.
    :raises InvalidValueError: a value of the wrong type, a missing required attribute.
    """
    if not isinstance(payload, dict):
        raise InvalidSyntaxError(
            f"expected a JSON object for a {resource_type.name}, "
            f"got {_describe(payload)}"
        )
    table = _key_table(resource_type)
    core = resource_type.schema
    doc: CanonicalDoc = {}
    ignored: list[str] = []
    for key, value in payload.items():
        entry = table.get(key) if isinstance(key, str) else None
        if entry is None:
            entry = _slow_entry(
                table,
                key,
                resource_type,
                ignore_unknown_extensions=ignore_unknown_extensions,
                is_object=isinstance(value, dict),
            )
        if type(entry) is tuple:
            schema, attribute = entry
            if schema is core:
                if (
                    type(value) is str
                    and attribute.plain_text
                    and attribute.name not in doc
                ):
                    doc[attribute.name] = value  # the common case, inlined
                else:
                    _put(doc, attribute, value, attribute.name, ignored)
            else:
                _put(
                    doc.setdefault(schema.id, {}),
                    attribute,
                    value,
                    attribute.name,
                    ignored,
                )
        elif isinstance(entry, Schema):
            _put_schema_object(doc, entry, value, ignored)
        elif entry == _SCHEMAS:
            _check_schemas(
                value,
                resource_type,
                ignore_unknown_extensions=ignore_unknown_extensions,
            )
    for attribute in core.attributes:
        if attribute.required:
            given = doc.get(attribute.name)
            if given is None:
                raise InvalidValueError(
                    f"missing required attribute `{attribute.name}`"
                )
            if given == "":
                raise InvalidValueError(f"`{attribute.name}` cannot be empty")
    return _drop_unassigned(doc, resource_type), tuple(ignored)


def _slow_entry(
    table: dict[str, _Entry],
    key: object,
    resource_type: ResourceType,
    *,
    ignore_unknown_extensions: bool,
    is_object: bool,
) -> _Entry:
    if not isinstance(key, str):
        raise InvalidSyntaxError(f"attribute names must be strings, got `{key!r}`")
    folded = key.casefold()
    entry = table.get(folded)
    if entry is not None:
        return entry
    if folded.startswith("urn:"):
        foreign = _ALL_SCHEMAS.get(folded)
        if foreign is not None:
            raise InvalidSyntaxError(
                f"schema `{foreign.id}` does not apply to a {resource_type.name}"
            )
        urn = key.rpartition(":")[0]
        if resource_type.schema_by_urn(urn) is None:
            if ignore_unknown_extensions:
                return _SKIP
            # An object value is a whole extension keyed by its URN; anything else
            # is one attribute, `<URN>:<name>`.
            raise InvalidSyntaxError(_unsupported_schema(key if is_object else urn))
    raise InvalidSyntaxError(f"unknown attribute `{key}` for a {resource_type.name}")


def _put(
    target: dict[str, Any],
    attribute: Attribute,
    value: object,
    where: str,
    ignored: list[str],
) -> None:
    if attribute.mutability is Mutability.READ_ONLY:
        if value not in (None, [], {}):
            ignored.append(attribute.name)
        return
    name = attribute.name
    if name in target:
        raise InvalidSyntaxError(f"attribute `{where}` given twice")
    # An unassigned value is recorded too, so that a second spelling of the same key
    # is still caught as a duplicate; _drop_unassigned removes it.
    if type(value) is str and attribute.plain_text:
        target[name] = value
    else:
        target[name] = check_value(attribute, value, where)


def _put_schema_object(
    doc: CanonicalDoc, schema: Schema, value: object, ignored: list[str]
) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise InvalidValueError(
            f"`{schema.id}`: expected an object, got {_describe(value)}"
        )
    target = doc.setdefault(schema.id, {})
    for key, sub_value in value.items():
        attribute = schema.attribute(key) if isinstance(key, str) else None
        if attribute is None:
            raise InvalidSyntaxError(f"unknown attribute `{key}` in `{schema.id}`")
        if (
            attribute.plain_text
            and type(sub_value) is str
            and attribute.name not in target
        ):
            target[attribute.name] = sub_value  # the common case, inlined
        else:
            _put(target, attribute, sub_value, f"{schema.id}:{attribute.name}", ignored)


def _drop_unassigned(doc: CanonicalDoc, resource_type: ResourceType) -> CanonicalDoc:
    out = (
        doc
        if None not in doc.values()
        else {key: value for key, value in doc.items() if value is not None}
    )
    for schema in resource_type.extensions:
        extension = out.get(schema.id)
        if extension is not None:
            kept = (
                extension
                if None not in extension.values()
                else {
                    key: value for key, value in extension.items() if value is not None
                }
            )
            if kept:
                out[schema.id] = kept
            else:
                del out[schema.id]
    return out


# --- models <-> canonical documents (cattrs) ----------------------------------------


def _renames(cls: type, schema_attributes: tuple[Attribute, ...]) -> dict[str, Any]:
    """cattrs overrides renaming each Python field to its SCIM attribute name."""
    by_python = {
        attribute.python_name: attribute.name for attribute in schema_attributes
    }
    fields = cls.__attrs_attrs__  # type: ignore[attr-defined]
    return {
        field.name: override(rename=by_python[field.name])
        for field in fields
        if field.name in by_python
    }


def _passthrough(value: Any, _: type) -> Any:
    return value


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=False)
    # Canonical documents are validated by `normalize` before they are structured, so
    # scalar values need no second check or conversion (that halves structuring time).
    for scalar in (str, bool, str | None, bool | None):
        converter.register_structure_hook(scalar, _passthrough)
    user_attributes = {a.name: a for a in USER.schema.attributes}
    parts: list[tuple[type, tuple[Attribute, ...]]] = [
        (Name, user_attributes["name"].sub_attributes),
        (MultiValue, user_attributes["emails"].sub_attributes),
        (Address, user_attributes["addresses"].sub_attributes),
        (Manager, ENTERPRISE_USER.attributes[-1].sub_attributes),
        (EnterpriseUser, ENTERPRISE_USER.attributes),
        (Member, GROUP.schema.attributes[1].sub_attributes),
    ]
    for cls, attributes in parts:
        renames = _renames(cls, attributes)
        converter.register_structure_hook(
            cls, make_dict_structure_fn(cls, converter, **renames)
        )
        unstructure: Callable[[Any], dict[str, Any]] = (
            _unstructure_member
            if cls is Member
            else make_dict_unstructure_fn(
                cls, converter, _cattrs_omit_if_default=True, **renames
            )
        )
        converter.register_unstructure_hook(cls, unstructure)
        converter.register_unstructure_hook_func(
            functools.partial(operator.eq, tuple[cls, ...]),  # type: ignore[valid-type]
            functools.partial(_unstructure_records, unstructure),
        )
    for cls in (Name, EnterpriseUser, Manager):
        converter.register_structure_hook(
            cls | None,
            functools.partial(_structure_optional, converter.get_structure_hook(cls)),
        )
    for cls in (MultiValue, Address, Member):
        converter.register_structure_hook_func(
            functools.partial(operator.eq, tuple[cls, ...]),  # type: ignore[valid-type]
            functools.partial(
                _structure_records, converter.get_structure_hook(cls), cls
            ),
        )
    # The directory owns id and meta: passed through on the way in, formatted by
    # to_json on the way out.
    converter.register_structure_hook(Meta, lambda value, _: value)
    for cls, resource_type in ((User, USER), (Group, GROUP)):
        renames = _renames(cls, resource_type.schema.attributes + COMMON_ATTRIBUTES)
        if cls is User:
            renames["enterprise"] = override(rename=ENTERPRISE_USER.id)
        converter.register_structure_hook(
            cls, make_dict_structure_fn(cls, converter, **renames)
        )
        renames["id"] = renames["meta"] = override(omit=True)
        converter.register_unstructure_hook(
            cls,
            make_dict_unstructure_fn(
                cls, converter, _cattrs_omit_if_default=True, **renames
            ),
        )
    return converter


def _unstructure_member(member: Member) -> dict[str, Any]:
    """A member as SCIM JSON, written out by hand: groups hold thousands of members,
    and this is three times faster than the generated function (same output)."""
    body: dict[str, Any] = {"value": member.value}
    if member.type is not None:
        body["type"] = member.type
    if member.ref is not None:
        body["$ref"] = member.ref
    if member.display is not None:
        body["display"] = member.display
    return body


def _structure_optional(
    structure: Callable[[Any, type], Any], value: Any, cls: type
) -> Any:
    return None if value is None else structure(value, cls)


def _structure_records(
    structure: Callable[[Any, type], Any], cls: type, values: list[Any], _: type
) -> tuple[Any, ...]:
    return tuple([structure(value, cls) for value in values])


def _unstructure_records(
    unstructure: Callable[[Any], dict[str, Any]], records: tuple[Any, ...]
) -> list[dict[str, Any]]:
    return [unstructure(record) for record in records]


_CONVERTER: Final = _make_converter()
_structure_user: Final[Callable[[Any, type], User]] = _CONVERTER.get_structure_hook(
    User
)
_structure_group: Final[Callable[[Any, type], Group]] = _CONVERTER.get_structure_hook(
    Group
)


def structure_user(doc: CanonicalDoc, id: str, meta: Meta) -> User:  # noqa: A002  SCIM's name
    """Build a :class:`User` from a canonical document."""
    return _structure_user({**doc, "id": id, "meta": meta}, User)


def structure_group(doc: CanonicalDoc, id: str, meta: Meta) -> Group:  # noqa: A002  SCIM's name
    """Build a :class:`Group` from a canonical document."""
    return _structure_group({**doc, "id": id, "meta": meta}, Group)


_RECORD_CLASSES: Final[dict[str, type]] = {
    "name": Name,
    "addresses": Address,
    "manager": Manager,
    "members": Member,
}


def structure_record(attribute: Attribute, record: dict[str, Any]) -> Any:
    """Build the model of one canonical record of a complex attribute (for filters)."""
    cls = _RECORD_CLASSES.get(attribute.name, MultiValue)
    return _CONVERTER.structure(record, cls)


def to_canonical(resource: User | Group) -> CanonicalDoc:
    """Return the canonical document of a model (no ``schemas``, ``id``, ``meta``)."""
    doc: CanonicalDoc = _CONVERTER.unstructure(resource)
    return doc


def format_datetime(moment: datetime) -> str:
    """Format a datetime as RFC 3339 with milliseconds, ``Z`` for UTC.

    A naive datetime is taken to be UTC (the directory's clock returns UTC).
    """
    if moment.tzinfo is None:
        return moment.isoformat(timespec="milliseconds") + "Z"
    text = moment.isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def to_json(
    resource: User | Group,
    *,
    groups: list[dict[str, Any]] | None = None,
    doc: CanonicalDoc | None = None,
) -> dict[str, Any]:
    """Return the SCIM JSON of a resource: ``schemas``, ``id``, attributes, ``meta``.

    Attributes returned ``never`` (``password``) are left out. *groups* is the
    read-only ``groups`` attribute of a User, which the directory derives. *doc* is
    the resource's canonical document when the caller already has one (a write has
    just validated it), which saves unstructuring the model; the body may share its
    lists and dicts, so the caller must not keep using it.
    """
    resource_type = USER if isinstance(resource, User) else GROUP
    if doc is None:
        doc = to_canonical(resource)
    schemas = [resource_type.schema.id]
    schemas.extend(ext.id for ext in resource_type.extensions if ext.id in doc)
    body: dict[str, Any] = {"schemas": schemas, "id": resource.id}
    if _NEVER_RETURNED.isdisjoint(doc):
        body.update(doc)
    else:
        body.update((k, v) for k, v in doc.items() if k not in _NEVER_RETURNED)
    if groups:
        body["groups"] = groups
    meta = resource.meta
    created = format_datetime(meta.created)
    body["meta"] = {
        "resourceType": meta.resource_type,
        "created": created,
        "lastModified": created
        if meta.last_modified is meta.created
        else format_datetime(meta.last_modified),
        "version": meta.version,
    }
    if meta.location is not None:
        body["meta"]["location"] = meta.location
    return body


_NEVER_RETURNED: Final = frozenset(
    attribute.name
    for resource_type in (USER, GROUP)
    for attribute in resource_type.schema.attributes
    if attribute.returned is Returned.NEVER
)
