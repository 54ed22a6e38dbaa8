"""Load a directory from SCIM JSON files (``GET /Users`` and ``GET /Groups`` exports).

Stage: files → :meth:`Directory.import_resources`. A file holds either a SCIM
ListResponse (``{"Resources": [...]}``, as a SCIM endpoint or an IdP export returns it)
or a plain JSON array of resources. Errors name the file, the line and column, and the
field: a JSON syntax error points at the character; a rejected resource points at the
start of that resource in the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from scimpolicy._text import read_json
from scimpolicy.errors import DataFileError, LoadError, Span
from scimpolicy.scim.directory import Directory

__all__ = ["GROUPS_FILE", "USERS_FILE", "load_directory", "read_resources"]

USERS_FILE: Final = "users.json"
GROUPS_FILE: Final = "groups.json"

_SHAPE: Final = "expected a JSON array of resources or a ListResponse with `Resources`"
_WHITESPACE: Final = " \t\r\n"
_DECODER: Final = json.JSONDecoder()


def _skip(text: str, position: int, also: str = "") -> int:
    """Skip JSON whitespace (and the characters in *also*)."""
    while position < len(text) and text[position] in _WHITESPACE + also:
        position += 1
    return position


def _array_start(text: str, data: Any) -> int | None:
    """The offset of the resource array's ``[`` in *text* (already valid JSON).

    For a ListResponse this walks the top-level object's keys, so a ``Resources``
    key nested in another member is not mistaken for the real one; as in
    ``json.loads``, the last of duplicate keys wins.
    """
    position = _skip(text, 0)
    if isinstance(data, list):
        return position
    found = None
    position += 1  # past "{"
    while True:
        position = _skip(text, position, ",")
        if text[position] == "}":
            return found
        key, position = _DECODER.raw_decode(text, position)
        position = _skip(text, _skip(text, position) + 1)  # past ":"
        if isinstance(key, str) and key.casefold() == "resources":
            found = position
        _, position = _DECODER.raw_decode(text, position)


def _resource_offsets(
    text: str, data: Any, origin: str
) -> list[tuple[dict[str, Any], int]]:
    """The resources of a file, each with the offset where it starts."""
    resources: Any = data
    if isinstance(data, dict):
        keys = [k for k in data if k.casefold() == "resources"]
        if not keys and "totalResults" in data:
            return []  # RFC 7644 §3.4.2: an empty ListResponse may omit Resources
        resources = data[keys[-1]] if keys else None
    start = _array_start(text, data) if isinstance(resources, list) else None
    if start is None:
        raise DataFileError(_SHAPE, text, Span(0, min(1, len(text))), origin=origin)
    offsets: list[tuple[dict[str, Any], int]] = []
    position = start + 1  # past "["
    for resource in resources:
        position = _skip(text, position, ",")
        _, end = _DECODER.raw_decode(text, position)
        if not isinstance(resource, dict):
            raise DataFileError(
                "expected a JSON object for each resource",
                text,
                Span(position, end),
                origin=origin,
            )
        offsets.append((resource, position))
        position = end
    return offsets


def read_resources(path: Path) -> tuple[str, list[tuple[dict[str, Any], int]]]:
    """Read one SCIM JSON file: its text and its resources with their offsets.

    :raises DataFileError: unreadable JSON (with the position) or an unexpected shape.
    """
    text, data = read_json(path)
    return text, _resource_offsets(text, data, str(path))


def load_directory(
    folder: str | Path, *, directory: Directory | None = None
) -> Directory:
    """Load ``users.json`` and ``groups.json`` from *folder* into a directory.

    Either file may be missing. Resource ids are kept, so group members resolve.

    :raises DataFileError: a file that cannot be read, or a rejected resource (the
        message names the file, line, column and field; nothing is loaded).
    """
    base = Path(folder)
    if not base.is_dir():
        raise FileNotFoundError(f"no directory folder at `{base}`")
    target = directory if directory is not None else Directory()
    files = {name: base / name for name in (USERS_FILE, GROUPS_FILE)}
    loaded = {
        name: read_resources(path) if path.exists() else ("", [])
        for name, path in files.items()
    }
    users = [resource for resource, _ in loaded[USERS_FILE][1]]
    groups = [resource for resource, _ in loaded[GROUPS_FILE][1]]
    try:
        target.import_resources(users, groups)
    except LoadError as error:
        name = USERS_FILE if error.kind == "users" else GROUPS_FILE
        text, resources = loaded[name]
        offset = resources[error.index][1]
        raise DataFileError(
            f"resource {error.index + 1}: {error.cause.detail}",
            text,
            Span(offset, offset + 1),
            origin=str(files[name]),
        ) from error
    return target
