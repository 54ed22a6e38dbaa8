"""SCIM PATCH (RFC 7644 §3.5.2): read a PatchOp request, apply it to a document.

Stage: a PatchOp JSON body → :func:`parse_patch` → :class:`PatchOperation` values →
:func:`apply_patch` on a canonical document (``serde``) → a new canonical document.

:func:`member_changes` recognises the PATCH identity providers send most, a Group's
``members`` added or removed, so the directory can apply it in time proportional to
the change rather than to the group (a 10,000-member group gets one member at a time
from Okta): the same result, the same errors, as :func:`apply_patch`.

Invariants: :func:`apply_patch` never mutates the document or the request it is given
(it works on a private copy), so a failing operation leaves nothing half-applied; the
directory validates and commits the result as a whole (RFC 7644 §3.5.2: atomic).

Identity-provider quirks accepted on purpose (``docs/directory.md``): ``op`` in any case
(Entra sends ``Replace``); string booleans (``"False"``) for boolean attributes and in
path filters (``[primary eq "True"]``); Okta's path-less ``replace`` of ``active``;
Entra's member removal with the members in ``value`` instead of a path filter; and
``add`` on ``emails[type eq "work"].value`` with no work email creates that email.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Final

import attrs

from scimpolicy.errors import (
    FilterSyntaxError,
    InvalidSyntaxError,
    InvalidValueError,
    MutabilityError,
    NoTargetError,
    PathSyntaxError,
    Span,
)
from scimpolicy.scim.filter_match import bind_record_filter
from scimpolicy.scim.filter_nodes import And, Compare, CompareOp, Filter, PatchPath
from scimpolicy.scim.filter_parser import parse_patch_path
from scimpolicy.scim.schema import Attribute, Mutability, ResourceType, Schema
from scimpolicy.scim.serde import CanonicalDoc, check_value, structure_record

__all__ = [
    "PATCH_SCHEMA",
    "MemberChange",
    "PatchOp",
    "PatchOperation",
    "apply_patch",
    "member_changes",
    "parse_patch",
]

PATCH_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class PatchOp(enum.StrEnum):
    """The three PATCH operations (wire spelling, lowercase)."""

    ADD = "add"
    REMOVE = "remove"
    REPLACE = "replace"


@attrs.frozen
class PatchOperation:
    """One operation of a PatchOp request; ``where`` locates it for messages."""

    op: PatchOp
    path: PatchPath | None
    value: Any
    where: str
    path_text: str | None = None


def parse_patch(body: object) -> tuple[PatchOperation, ...]:
    """Read a PatchOp request body (RFC 7644 §3.5.2) into operations.

    :raises InvalidSyntaxError: not a PatchOp message, or an operation without a valid
        ``op``.
    :raises InvalidValueError: ``add``/``replace`` without a ``value``.
    :raises PathSyntaxError: a malformed ``path`` (``invalidPath``), with its position.
    :raises NoTargetError: ``remove`` without a ``path`` (RFC 7644 §3.5.2.2).
    """
    if not isinstance(body, dict):
        raise InvalidSyntaxError("a PATCH request must be a JSON object")
    fields = {
        key.casefold(): value for key, value in body.items() if isinstance(key, str)
    }
    schemas = fields.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA.casefold() not in (
        urn.casefold() for urn in schemas if isinstance(urn, str)
    ):
        raise InvalidSyntaxError(
            f'a PATCH request must list `schemas: ["{PATCH_SCHEMA}"]`'
        )
    operations = fields.get("operations")
    if not isinstance(operations, list) or not operations:
        raise InvalidSyntaxError("a PATCH request needs a non-empty `Operations` list")
    return tuple(_parse_operation(item, index) for index, item in enumerate(operations))


def _parse_operation(item: object, index: int) -> PatchOperation:
    where = f"Operations[{index}]"
    if not isinstance(item, dict):
        raise InvalidSyntaxError(f"`{where}`: expected an object with `op`")
    fields = {
        key.casefold(): value for key, value in item.items() if isinstance(key, str)
    }
    raw_op = fields.get("op")
    try:
        op = PatchOp(raw_op.casefold()) if isinstance(raw_op, str) else None
    except ValueError:
        op = None
    if op is None:
        raise InvalidSyntaxError(
            f"`{where}`: `op` must be `add`, `remove` or `replace`, got `{raw_op}`"
        )
    raw_path = fields.get("path")
    path: PatchPath | None = None
    if raw_path is not None and raw_path != "":
        if not isinstance(raw_path, str):
            raise InvalidSyntaxError(f"`{where}`: `path` must be a string")
        try:
            path = parse_patch_path(raw_path)
        except PathSyntaxError as error:
            raise PathSyntaxError(
                error.message, error.source, error.span, origin=f"{where}.path"
            ) from None
    if "value" not in fields and op is not PatchOp.REMOVE:
        raise InvalidValueError(f"`{where}`: `{op}` needs a `value`")
    if path is None and op is PatchOp.REMOVE:
        raise NoTargetError(f"`{where}`: `remove` needs a `path` (RFC 7644 §3.5.2.2)")
    return PatchOperation(op, path, fields.get("value"), where, raw_path or None)


@attrs.frozen
class MemberChange:
    """One operation of a members-only Group PATCH.

    :meth:`added` checks and returns the member records to append (checked when the
    operation is applied, in order, as :func:`apply_patch` does); ``remove`` holds the
    ids to drop, compared ignoring case when ``fold`` (a ``members[value eq "..."]``
    filter: ``value`` is not caseExact); ``target`` is set when a match is required
    (a filter that matches nothing is ``noTarget``), for the message.
    """

    where: str
    members: Attribute
    add: list[Any] | None = None
    remove: frozenset[str] = frozenset()
    fold: bool = False
    target: str | None = None

    def added(self) -> list[dict[str, Any]]:
        """The records to add, checked (:class:`InvalidValueError` if malformed)."""
        if self.add is None:
            return []
        records: list[dict[str, Any]] | None = check_value(
            self.members, self.add, f"{self.where}.value"
        )  # type: ignore[assignment]
        return records or []


def member_changes(
    operations: tuple[PatchOperation, ...], resource_type: ResourceType
) -> list[MemberChange] | None:
    """The operations as member changes, or ``None`` if any is something else.

    Recognised: ``add`` on ``members`` with a list of records; ``remove`` on
    ``members[value eq "<id>"]``; Entra's ``remove`` on ``members`` with the members
    in ``value``. Everything else takes :func:`apply_patch`.
    """
    found = resource_type.resolve("members")
    if found is None:
        return None
    schema, members = found
    changes: list[MemberChange] = []
    for operation in operations:
        path = operation.path
        if (
            path is None
            or path.sub is not None
            or path.attr.sub is not None
            or path.attr.attr.casefold() != "members"
            or (
                path.attr.urn is not None
                and path.attr.urn.casefold() != schema.id.casefold()
            )
        ):
            return None
        value = operation.value
        if operation.op is PatchOp.ADD and path.filter is None:
            if not isinstance(value, list):
                return None
            changes.append(MemberChange(operation.where, members, add=value))
        elif operation.op is PatchOp.REMOVE and path.filter is None:
            if not isinstance(value, list) or not value:
                return None
            listed = [
                item.get("value") if isinstance(item, dict) else item for item in value
            ]
            ids = [item for item in listed if isinstance(item, str)]
            if len(ids) != len(listed):
                return None
            changes.append(
                MemberChange(operation.where, members, remove=frozenset(ids))
            )
        elif operation.op is PatchOp.REMOVE and _is_value_eq(path.filter):
            assert isinstance(path.filter, Compare)  # noqa: S101  checked just above
            assert isinstance(path.filter.value, str)  # noqa: S101
            changes.append(
                MemberChange(
                    operation.where,
                    members,
                    remove=frozenset({path.filter.value}),
                    fold=True,
                    target=operation.path_text,
                )
            )
        else:
            return None
    return changes


def _is_value_eq(node: Filter | None) -> bool:
    return (
        isinstance(node, Compare)
        and node.op is CompareOp.EQ
        and isinstance(node.value, str)
        and node.path.urn is None
        and node.path.sub is None
        and node.path.attr.casefold() == "value"
    )


def _copy(value: Any) -> Any:
    """Copy a JSON-like value (dicts, lists, scalars) deeply and quickly."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def apply_patch(
    doc: CanonicalDoc,
    operations: tuple[PatchOperation, ...],
    resource_type: ResourceType,
) -> CanonicalDoc:
    """Apply *operations* in order to a copy of *doc* and return the copy.

    :raises PathSyntaxError: a path naming an attribute the schema lacks (invalidPath).
    :raises NoTargetError: a path filter that matches no value.
    :raises MutabilityError: a change to a read-only, immutable or required attribute.
    :raises InvalidValueError: a value of the wrong type.
    """
    result: CanonicalDoc = _copy(doc)
    for operation in operations:
        _Applier(result, operation, resource_type).run()
    for schema in resource_type.extensions:
        if result.get(schema.id) == {}:
            del result[schema.id]
    return result


class _Applier:
    """Applies one operation to a working document."""

    def __init__(
        self, doc: CanonicalDoc, operation: PatchOperation, resource_type: ResourceType
    ) -> None:
        self.doc = doc
        self.operation = operation
        self.op = operation.op
        self.where = operation.where
        self.resource_type = resource_type
        # Where a bad path came from, for messages: the `path`, or a key of `value`.
        self.origin = f"{operation.where}.path"

    def run(self) -> None:
        path = self.operation.path
        if path is None:
            self.without_path(self.operation.value)
            return
        text = self.operation.path_text or ""
        extension = self.resource_type.schema_by_urn(text)
        if extension is not None and extension is not self.resource_type.schema:
            if self.op is PatchOp.REMOVE:
                self.doc.pop(extension.id, None)  # the whole extension
            else:
                self.without_path({extension.id: self.operation.value})
            return
        self.at_path(path, self.operation.value, text)

    # -- no path: the value names the attributes (RFC 7644 §3.5.2.1, §3.5.2.3) --------

    def without_path(self, value: object) -> None:
        if not isinstance(value, dict):
            raise InvalidValueError(
                f"`{self.where}`: without a `path`, `value` must be an object of "
                "attributes"
            )
        self.origin = f"{self.where}.value"
        for key, item in value.items():
            schema = (
                self.resource_type.schema_by_urn(key) if isinstance(key, str) else None
            )
            if schema is not None and schema is not self.resource_type.schema:
                if not isinstance(item, dict):
                    raise InvalidValueError(
                        f"`{self.where}`: `{key}` must be an object"
                    )
                for name, sub_value in item.items():
                    if name == "schemas":
                        # A whole extension object as a client model serialises it
                        # (scim2-tester does): `schemas` is not an attribute.
                        continue
                    qualified = f"{schema.id}:{name}"
                    self.at_path(self.parse_key(qualified), sub_value, qualified)
                continue
            self.at_path(self.parse_key(str(key)), item, str(key))

    def parse_key(self, key: str) -> PatchPath:
        """A key of a path-less ``value`` read as a path (``name.givenName``)."""
        try:
            return parse_patch_path(key)
        except PathSyntaxError as error:
            raise PathSyntaxError(
                error.message, error.source, error.span, origin=self.origin
            ) from None

    # -- with a path -----------------------------------------------------------------

    def resolve(self, path: PatchPath, text: str) -> tuple[Schema, Attribute]:
        resolved = self.resource_type.resolve(path.attr.attr, path.attr.urn)
        if resolved is None:
            raise PathSyntaxError(
                f"unknown attribute `{path.attr.attr}` for a {self.resource_type.name}",
                text,
                path.attr.span or Span(0, len(text)),
                origin=self.origin,
            )
        schema, attribute = resolved
        if attribute.mutability is Mutability.READ_ONLY:
            raise MutabilityError(f"`{self.where}`: `{attribute.name}` is read-only")
        return schema, attribute

    def container(self, schema: Schema) -> dict[str, Any]:
        if schema is self.resource_type.schema:
            return self.doc
        extension: dict[str, Any] = self.doc.setdefault(schema.id, {})
        return extension

    def at_path(self, path: PatchPath, value: object, text: str) -> None:
        schema, attribute = self.resolve(path, text)
        container = self.container(schema)
        sub_name = path.sub if path.sub is not None else path.attr.sub
        sub = None
        if sub_name is not None:
            sub = attribute.sub(sub_name)
            if sub is None:
                raise PathSyntaxError(
                    f"unknown sub-attribute `{sub_name}` of `{attribute.name}`",
                    text,
                    Span(0, len(text)),
                    origin=self.origin,
                )
            if sub.mutability is Mutability.READ_ONLY:
                raise MutabilityError(
                    f"`{self.where}`: `{attribute.name}.{sub.name}` is read-only"
                )
        if path.filter is not None:
            self.filtered(
                container, attribute, path.filter, sub, value=value, text=text
            )
        elif sub is not None:
            self.sub_attribute(container, attribute, sub, value)
        elif self.op is PatchOp.REMOVE:
            self.remove_attribute(container, attribute, value)
        else:
            self.set_attribute(container, attribute, value)

    def check(self, attribute: Attribute, value: object, name: str) -> Any:
        return check_value(attribute, value, f"{self.where}.value{name}")

    def set_attribute(
        self, container: dict[str, Any], attribute: Attribute, value: object
    ) -> None:
        name = attribute.name
        if attribute.multi_valued:
            values = self.check(
                attribute, value if isinstance(value, list) else [value], ""
            )
            new = values or []
            if self.op is PatchOp.REPLACE:
                if not new:
                    self.require_optional(attribute)
                container[name] = new
            else:
                existing = container.setdefault(name, [])
                for record in new:
                    if record not in existing:
                        existing.append(record)
                        self.settle_primary(existing, record)
            if not container[name]:
                del container[name]
            return
        checked = self.check(attribute, value, "")
        if attribute.is_complex and isinstance(checked, dict):
            # add and replace both merge a complex value: given sub-attributes are set,
            # the others are kept (RFC 7644 §3.5.2.1, §3.5.2.3).
            container.setdefault(name, {}).update(checked)
        elif checked is None:
            self.require_optional(attribute)
            container.pop(name, None)
        else:
            container[name] = checked

    def remove_attribute(
        self, container: dict[str, Any], attribute: Attribute, value: object
    ) -> None:
        self.require_optional(attribute)
        if attribute.multi_valued and isinstance(value, list) and value:
            # Entra: `{"op": "Remove", "path": "members", "value": [{"value": "id"}]}`
            # removes those members only.
            listed = [
                item.get("value") if isinstance(item, dict) else item for item in value
            ]
            if not all(isinstance(item, str) for item in listed):
                raise InvalidValueError(
                    f"`{self.where}`: `value` must list the values to remove, each "
                    'a string or an object with a string `"value"`'
                )
            doomed = set(listed)
            kept = [
                r
                for r in container.get(attribute.name, [])
                if r.get("value") not in doomed
            ]
            if kept:
                container[attribute.name] = kept
            else:
                container.pop(attribute.name, None)
            return
        container.pop(attribute.name, None)

    def sub_attribute(
        self,
        container: dict[str, Any],
        attribute: Attribute,
        sub: Attribute,
        value: object,
    ) -> None:
        """``name.givenName`` (complex) or ``emails.value`` (every record)."""
        name = attribute.name
        if not attribute.multi_valued:
            record = container.setdefault(name, {})
            self.set_sub(record, sub, value)
            if not record:
                del container[name]
            return
        records = container.get(name, [])
        if not records:
            if self.op is PatchOp.ADD:
                record = {}
                self.set_sub(record, sub, value)
                if record:
                    container[name] = [record]
                return
            if self.op is PatchOp.REPLACE:
                raise NoTargetError(f"`{self.where}`: `{name}` has no values")
            return
        for record in records:
            self.set_sub(record, sub, value)
        container[name] = [record for record in records if record]

    def set_sub(self, record: dict[str, Any], sub: Attribute, value: object) -> None:
        if sub.mutability is Mutability.IMMUTABLE and sub.name in record:
            raise MutabilityError(
                f"`{self.where}`: `{sub.name}` cannot change once set"
            )
        if self.op is PatchOp.REMOVE:
            record.pop(sub.name, None)
            return
        checked = self.check(sub, value, "")
        if checked is None:
            record.pop(sub.name, None)
        else:
            record[sub.name] = checked

    def filtered(
        self,
        container: dict[str, Any],
        attribute: Attribute,
        where: Filter,
        sub: Attribute | None,
        *,
        value: object,
        text: str,
    ) -> None:
        """``emails[type eq "work"]`` or ``emails[type eq "work"].value``."""
        if not attribute.is_complex:
            raise PathSyntaxError(
                f"`{attribute.name}` has no sub-attributes to filter with `[...]`",
                text,
                Span(0, len(text)),
                origin=self.origin,
            )
        matches = self.matcher(attribute, where, text)
        records = container.get(attribute.name, [])
        if isinstance(records, dict):
            records = [records]
        chosen = [record for record in records if matches(record)]
        if not chosen:
            new = None
            # A new value is created, but an existing single value (`name`) is never
            # rewritten to match the filter.
            creatable = attribute.multi_valued or not records
            if self.op is PatchOp.ADD and sub is not None and creatable:
                new = self.record_from_filter(attribute, where)
            if new is None or sub is None:
                raise NoTargetError(f"`{self.where}`: no value matches `{text}`")
            self.set_sub(new, sub, value)
            self.set_attribute(
                container, attribute, [new] if attribute.multi_valued else new
            )
            return
        if sub is not None:
            for record in chosen:
                self.set_sub(record, sub, value)
                if sub.name == "primary" and record.get("primary") is True:
                    self.settle_primary(records, record)
        elif self.op is PatchOp.REMOVE:
            kept = [
                record for record in records if not any(record is c for c in chosen)
            ]
            if not kept:
                self.require_optional(attribute)
            self.store(container, attribute, kept)
            return
        else:
            if isinstance(value, list) and len(value) == 1:
                value = value[0]  # some clients wrap the one record in a list
            replacement = self.check(
                attribute, [value] if attribute.multi_valued else value, ""
            )
            new_record = (
                (replacement or [None])[0] if attribute.multi_valued else replacement
            )
            if not new_record:
                raise InvalidValueError(
                    f"`{self.where}`: `{self.op}` needs a record for `{text}`"
                )
            for record in chosen:
                self.replace_record(attribute, record, new_record)
                if record.get("primary") is True:
                    self.settle_primary(records, record)
        self.store(container, attribute, [record for record in records if record])

    def store(
        self, container: dict[str, Any], attribute: Attribute, records: list[Any]
    ) -> None:
        if not records:
            container.pop(attribute.name, None)
        elif attribute.multi_valued:
            container[attribute.name] = records
        else:
            container[attribute.name] = records[0]

    def replace_record(
        self, attribute: Attribute, record: dict[str, Any], new: dict[str, Any]
    ) -> None:
        for sub in attribute.sub_attributes:
            if (
                sub.mutability is Mutability.IMMUTABLE
                and sub.name in record
                and new.get(sub.name, record[sub.name]) != record[sub.name]
            ):
                raise MutabilityError(
                    f"`{self.where}`: `{sub.name}` cannot change once set"
                )
        if self.op is PatchOp.REPLACE and attribute.multi_valued:
            # A matching value is replaced whole; a single-valued complex attribute
            # (`name[...]`) is the attribute itself, whose replace merges.
            record.clear()
        record.update(new)

    def matcher(
        self, attribute: Attribute, where: Filter, text: str
    ) -> Callable[[dict[str, Any]], bool]:
        try:
            predicate = bind_record_filter(where, text, attribute)
        except FilterSyntaxError as error:
            raise PathSyntaxError(
                error.message, text, error.span, origin=self.origin
            ) from None
        return lambda record: predicate(structure_record(attribute, record))

    @staticmethod
    def record_from_filter(
        attribute: Attribute, where: Filter
    ) -> dict[str, Any] | None:
        """For ``add`` on ``emails[type eq "work"].value`` with no work email: the new
        record ``{"type": "work"}``, when the filter is a conjunction of ``eq``."""
        if isinstance(where, And):
            left = _Applier.record_from_filter(attribute, where.left)
            right = _Applier.record_from_filter(attribute, where.right)
            if left is None or right is None:
                return None
            return {**left, **right}
        if isinstance(where, Compare) and where.op is CompareOp.EQ:
            sub = attribute.sub(where.path.attr)
            if sub is not None and where.path.sub is None:
                return {sub.name: where.value}
        return None

    def require_optional(self, attribute: Attribute) -> None:
        if attribute.required:
            raise MutabilityError(f"`{self.where}`: `{attribute.name}` is required")

    @staticmethod
    def settle_primary(records: list[dict[str, Any]], primary: dict[str, Any]) -> None:
        """RFC 7643 §2.4: setting a primary value unsets the others."""
        if primary.get("primary") is True:
            for record in records:
                if record is not primary and record.get("primary") is True:
                    record["primary"] = False
