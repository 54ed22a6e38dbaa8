"""Load a directory from SCIM JSON files (``GET /Users`` and ``GET /Groups`` exports).

Stage: files → :meth:`Directory.import_resources`. A file holds either a SCIM
ListResponse (``{"Resources": [...]}``, as a SCIM endpoint or an IdP export returns it)
or a plain JSON array of resources. Errors name the file, the line and column, and the
field: a JSON syntax error points at the character; a rejected resource points at the
start of that resource in the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

from scimpolicy.errors import DataFileError, LoadError, Span
from scimpolicy.scim.directory import Directory

__all__ = ["GROUPS_FILE", "USERS_FILE", "load_directory", "read_resources"]

USERS_FILE: Final = "users.json"
GROUPS_FILE: Final = "groups.json"

_RESOURCES_KEY: Final = re.compile(r'"Resources"\s*:\s*\[', re.IGNORECASE)


def _resource_offsets(
    text: str, data: Any, origin: str
) -> list[tuple[dict[str, Any], int]]:
    """The resources of a file, each with the offset where it starts."""
    resources: Any
    if isinstance(data, dict):
        resources = next(
            (v for k, v in data.items() if k.casefold() == "resources"), []
        )
        match = _RESOURCES_KEY.search(text)
        start = match.end() - 1 if match else 0
    else:
        resources, start = data, text.find("[")
    if not isinstance(resources, list):
        raise DataFileError(
            "expected a JSON array of resources or a ListResponse with `Resources`",
            text,
            Span(0, min(1, len(text))),
            origin=origin,
        )
    decoder = json.JSONDecoder()
    offsets: list[tuple[dict[str, Any], int]] = []
    position = start + 1
    for resource in resources:
        position = _skip(text, position)
        _, end = decoder.raw_decode(text, position)
        if not isinstance(resource, dict):
            raise DataFileError(
                "expected a JSON object for each resource",
                text,
                Span(position, end),
                origin=origin,
            )
        offsets.append((resource, position))
        position = _skip(text, end)
    return offsets


def _skip(text: str, position: int) -> int:
    """Skip whitespace and one comma."""
    while position < len(text) and text[position] in " \t\r\n,":
        position += 1
    return position


def read_resources(path: Path) -> tuple[str, list[tuple[dict[str, Any], int]]]:
    """Read one SCIM JSON file: its text and its resources with their offsets.

    :raises DataFileError: unreadable JSON (with the position) or an unexpected shape.
    """
    origin = str(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        message = error.msg[0].lower() + error.msg[1:]
        raise DataFileError(
            message, text, Span(error.pos, error.pos + 1), origin=origin
        ) from None
    return text, _resource_offsets(text, data, origin)


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
