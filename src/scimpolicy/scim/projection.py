"""``attributes`` and ``excludedAttributes`` (RFC 7644 §3.4.2.5, §3.9).

Stage: a response body from ``serde.to_json`` + the requested attribute lists → the
body holding only what was asked for. ``id`` and ``schemas`` are always returned
(``returned: always``); ``password`` never is (``serde`` already leaves it out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from scimpolicy.errors import PathSyntaxError, Span
from scimpolicy.scim.filter_parser import parse_attr_path
from scimpolicy.scim.schema import Attribute, ResourceType, Returned, Schema

__all__ = ["Projection", "make_projection", "split_attributes"]


@attrs.frozen
class _Selection:
    """One resolved entry: the body key path and an optional sub-attribute."""

    schema: Schema | None  # None: the attribute is a core (or common) one
    attribute: Attribute | None  # None: the whole extension object
    sub: str | None


@attrs.frozen
class Projection:
    """A compiled ``attributes`` / ``excludedAttributes`` request; call :meth:`apply`.

    With both lists, the included attributes are kept and then the excluded ones
    removed.
    """

    include: tuple[_Selection, ...] = ()
    exclude: tuple[_Selection, ...] = ()

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """Return a new body limited to the requested attributes."""
        out = body
        if self.include:
            out = {key: body[key] for key in ("schemas", "id") if key in body}
            for (schema, attribute), subs in _grouped(self.include).items():
                _copy_selection(body, out, schema, attribute, subs)
        if self.exclude:
            out = dict(out)
            for selection in self.exclude:
                _drop_selection(out, selection)
        return out


def _grouped(
    selections: tuple[_Selection, ...],
) -> dict[tuple[Schema | None, Attribute | None], set[str] | None]:
    """Selections by attribute; ``None`` means the whole attribute was asked for."""
    grouped: dict[tuple[Schema | None, Attribute | None], set[str] | None] = {}
    for selection in selections:
        key = (selection.schema, selection.attribute)
        if selection.sub is None:
            grouped[key] = None
        elif key not in grouped:
            grouped[key] = {selection.sub}
        elif (subs := grouped[key]) is not None:
            subs.add(selection.sub)
    return grouped


def split_attributes(value: str | Sequence[str] | None) -> list[str]:
    """The paths of an ``attributes`` or ``excludedAttributes`` value (a
    comma-separated string or a list)."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]


def _resolve(text: str, resource_type: ResourceType) -> _Selection:
    extension = resource_type.schema_by_urn(text)
    if extension is not None and extension is not resource_type.schema:
        return _Selection(extension, None, None)
    path = parse_attr_path(text)
    resolved = resource_type.resolve(path.attr, path.urn)
    if resolved is None:
        raise PathSyntaxError(
            f"unknown attribute `{text}` for a {resource_type.name}",
            text,
            path.span or Span(0, len(text)),
        )
    schema, attribute = resolved
    sub = None
    if path.sub is not None:
        found = attribute.sub(path.sub)
        if found is None:
            raise PathSyntaxError(
                f"unknown sub-attribute `{path.sub}` of `{attribute.name}`",
                text,
                path.span or Span(0, len(text)),
            )
        sub = found.name
    return _Selection(
        None if schema is resource_type.schema else schema, attribute, sub
    )


def make_projection(
    resource_type: ResourceType,
    attributes: str | Sequence[str] | None = None,
    excluded_attributes: str | Sequence[str] | None = None,
) -> Projection:
    """Resolve the attribute lists (comma-separated strings or sequences of paths).

    :raises PathSyntaxError: a malformed path or an attribute the schema lacks.
    """
    include = tuple(
        _resolve(text, resource_type)
        for text in split_attributes(attributes)
        if text.casefold() != "schemas"  # returned always, like `id`
    )
    exclude = tuple(
        selection
        for selection in (
            _resolve(text, resource_type)
            for text in split_attributes(excluded_attributes)
            if text.casefold() != "schemas"
        )
        if selection.attribute is None
        or selection.attribute.returned is not Returned.ALWAYS
    )
    return Projection(include, exclude)


def _copy_selection(
    body: dict[str, Any],
    out: dict[str, Any],
    schema: Schema | None,
    attribute: Attribute | None,
    subs: set[str] | None,
) -> None:
    source: Any = body
    target = out
    if schema is not None:
        source = body.get(schema.id)
        if source is None:
            return
        if attribute is None:
            out[schema.id] = source
            return
        target = out.setdefault(schema.id, {})
    if attribute is None or attribute.name not in source:
        return
    value = source[attribute.name]
    if subs is None:
        target[attribute.name] = value
    elif isinstance(value, list):
        records = [{k: v for k, v in item.items() if k in subs} for item in value]
        if any(records):
            target[attribute.name] = [record for record in records if record]
    else:
        record = {k: v for k, v in value.items() if k in subs}
        if record:
            target[attribute.name] = record


def _drop_selection(out: dict[str, Any], selection: _Selection) -> None:
    container: Any = out
    if selection.schema is not None:
        if selection.attribute is None:
            out.pop(selection.schema.id, None)
            return
        if selection.schema.id not in out:
            return
        container = out[selection.schema.id] = dict(out[selection.schema.id])
    if selection.attribute is None or selection.attribute.name not in container:
        return
    name = selection.attribute.name
    if selection.sub is None:
        del container[name]
    elif isinstance(container[name], list):
        records = [
            {k: v for k, v in item.items() if k != selection.sub}
            for item in container[name]
        ]
        container[name] = [record for record in records if record]
    else:
        container[name] = {
            k: v for k, v in container[name].items() if k != selection.sub
        }
    if name in container and not container[name]:
        del container[name]  # unassigned once every part is excluded (RFC 7643 §2.5)
    if selection.schema is not None and not container:
        del out[selection.schema.id]
