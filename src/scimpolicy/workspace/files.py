"""Load a tenant folder: ``tenant.toml``, the policy, the SCIM exports, the sessions.

Stage: files → :class:`~scimpolicy.workspace.world.World`. The layout and every key
are documented in ``docs/tenant-files.md``. Errors are
:class:`~scimpolicy.errors.DataFileError` (TOML and JSON files: file, line, column,
field), :class:`~scimpolicy.errors.PolicySyntaxError` or
:class:`~scimpolicy.errors.PolicyCheckError` (the policy file), or ``OSError`` (a file
that is not there); nothing is returned half-loaded.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from scimpolicy._text import read_utf8
from scimpolicy.errors import DataFileError, Span, StoreError
from scimpolicy.policy.facts import CLIENT_TYPES, is_client_type
from scimpolicy.policy.loader import load_policy
from scimpolicy.policy.tenant import (
    ApplicationSegment,
    IdentityProvider,
    PortRange,
    Tenant,
)
from scimpolicy.scim.directory import Directory
from scimpolicy.scim.loader import load_directory
from scimpolicy.server.store import DATABASE_NAME, read_directory
from scimpolicy.workspace.sessions import load_sessions, parse_timestamp
from scimpolicy.workspace.world import World

__all__ = ["TENANT_FILE", "TomlText", "load_workspace", "read_toml"]

TENANT_FILE: Final = "tenant.toml"

_TOP: Final = ("policy", "sessions", "now", "presence_client_types", "idp", "segment")
_IDP: Final = (
    "name",
    "directory",
    "scim_sync",
    "scim_attributes_for_policy",
    "scim_attributes_enabled_at",
    "saml_attributes_for_policy",
)
_SEGMENT: Final = ("name", "domains", "ports", "segment_group")
_HEADER: Final = re.compile(r"\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_MAX_PORT: Final = 65535
_TOML_POSITION: Final = re.compile(
    r"\((?:at line (\d+), column (\d+)|at end of document)\)"
)


class TomlText:
    """A TOML file's text, able to point at a key of a table for error messages."""

    def __init__(self, text: str, origin: str) -> None:
        self.text = text
        self.origin = origin

    def _lines(self) -> Iterator[tuple[int, str]]:
        offset = 0
        for line in self.text.splitlines(keepends=True):
            yield offset, line
            offset += len(line)

    def span(self, table: str | None, index: int, key: str | None) -> Span:
        """Where ``key`` of the *index*-th ``[[table]]`` is (``table=None``: a top-level
        key); the table's header when the key is not written there."""
        seen: dict[str, int] = {}
        current: tuple[str, int] | None = None
        header = Span(0, min(1, len(self.text)))
        inside = table is None
        for offset, line in self._lines():
            match = _HEADER.match(line)
            if match is not None and line.lstrip().startswith("["):
                name = match.group(1)
                seen[name] = seen.get(name, -1) + 1
                current = (name, seen[name])
                inside = current == (table, index)
                if inside:
                    start = offset + len(line) - len(line.lstrip())
                    header = Span(start, start + len(line.strip()))
                elif table is None:
                    break
                continue
            if inside and key is not None:
                stripped = line.lstrip()
                if re.match(rf"{re.escape(key)}\s*=", stripped):
                    start = offset + len(line) - len(stripped)
                    return Span(start, start + len(key))
        return header

    def error(
        self,
        message: str,
        table: str | None = None,
        index: int = 0,
        key: str | None = None,
    ) -> DataFileError:
        """A :class:`DataFileError` at that key (or table)."""
        return DataFileError(
            message, self.text, self.span(table, index, key), origin=self.origin
        )


def read_toml(path: Path) -> tuple[TomlText, dict[str, Any]]:
    """Read a TOML file: its text (for error positions) and its data.

    :raises DataFileError: not valid TOML (with the line and column).
    """
    text = read_utf8(path)
    source = TomlText(text, str(path))
    try:
        return source, tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_POSITION.search(message)
        offset = 0
        if found is not None:
            if found.group(1) is None:  # at end of document
                offset = len(text)
            else:
                # tomllib counts lines by "\n" only (not splitlines' other breaks).
                line, column = int(found.group(1)), int(found.group(2))
                lines = text.split("\n")
                offset = sum(len(x) + 1 for x in lines[: line - 1]) + column - 1
            message = message[: found.start()].rstrip()
        message = message[0].lower() + message[1:]
        raise DataFileError(
            message, text, Span(offset, offset + 1), origin=str(path)
        ) from None


class _Reader:
    """Typed reads of one table of a TOML document, errors pointing at the key."""

    def __init__(
        self,
        source: TomlText,
        data: Mapping[str, Any],
        table: str | None,
        index: int,
        known: tuple[str, ...],
    ) -> None:
        self.source, self.data, self.table, self.index = source, data, table, index
        where = "the top level" if table is None else f"[[{table}]] {index + 1}"
        for key in data:
            if key not in known:
                raise self.error(
                    key, f"unknown key `{key}` in {where} (known: {', '.join(known)})"
                )

    def error(self, key: str | None, message: str) -> DataFileError:
        return self.source.error(message, self.table, self.index, key)

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(None, f"`{key}` is required")
            return None
        if not isinstance(value, str) or not value:
            raise self.error(key, f"`{key}`: expected a non-empty string")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"`{key}`: expected true or false")
        return value

    def moment(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return parse_timestamp(value)
            except ValueError as error:
                raise self.error(key, f"`{key}`: {error}") from None
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value
        if isinstance(value, date):
            raise self.error(
                key,
                f"`{key}`: expected a date and time with an offset, such as "
                "2026-11-23T09:00:00Z",
            )
        raise self.error(key, f"`{key}`: expected a date and time with an offset")

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"`{key}`: expected an array of strings")
        return tuple(value)


def _ports(reader: _Reader) -> tuple[PortRange, ...]:
    items = reader.data.get("ports", [])
    if not isinstance(items, list):
        raise reader.error("ports", "`ports`: expected an array")
    found: list[PortRange] = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            low = high = item
        elif isinstance(item, str) and re.fullmatch(r"\d+\s*-\s*\d+", item):
            low, high = (int(part) for part in item.split("-"))
        else:
            raise reader.error(
                "ports",
                f'`ports`: expected port numbers or "low-high" ranges, got `{item}`',
            )
        if not 1 <= low <= high <= _MAX_PORT:
            raise reader.error(
                "ports", f"`ports`: `{item}` is not a port or range within 1-65535"
            )
        found.append(PortRange(low, high))
    return tuple(found)


def _tables(
    source: TomlText, data: Mapping[str, Any], name: str
) -> list[Mapping[str, Any]]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise source.error(f"`{name}`: expected [[{name}]] tables", None, 0, name)
    return value


def _idps(
    source: TomlText, data: Mapping[str, Any], base: Path
) -> list[IdentityProvider]:
    idps: list[IdentityProvider] = []
    names: set[str] = set()
    for index, table in enumerate(_tables(source, data, "idp")):
        reader = _Reader(source, table, "idp", index, _IDP)
        name = reader.text("name", required=True)
        folder = reader.text("directory", required=True)
        assert name is not None  # noqa: S101  required above
        assert folder is not None  # noqa: S101  required above
        if name in names:
            raise reader.error("name", f"a second IdP named `{name}`")
        names.add(name)
        enabled = reader.flag("scim_attributes_for_policy", default=False)
        enabled_at = reader.moment("scim_attributes_enabled_at")
        if enabled and enabled_at is None:
            raise reader.error(
                "scim_attributes_for_policy",
                "`scim_attributes_enabled_at` is required when "
                "`scim_attributes_for_policy` is true (SCIM criteria count only for "
                "sessions authenticated after it)",
            )
        directory = _directory(reader, base / folder, name)
        idps.append(
            IdentityProvider(
                name,
                directory,
                scim_sync=reader.flag("scim_sync", default=False),
                scim_attributes_for_policy=enabled,
                scim_attributes_enabled_at=enabled_at,
                saml_attributes_for_policy=reader.flag(
                    "saml_attributes_for_policy", default=True
                ),
            )
        )
    if not idps:
        raise source.error("the tenant has no [[idp]] table; add one per IdP")
    return idps


def _directory(reader: _Reader, folder: Path, idp: str) -> Directory:
    """SCIM exports (``users.json``, ``groups.json``), or the data folder of
    ``scimpolicy serve``: then the IdP's directory as it was synced."""
    if (folder / DATABASE_NAME).is_file():
        try:
            return read_directory(folder, idp)
        except StoreError as error:
            raise reader.error("directory", str(error)) from None
    return load_directory(folder)


def _segments(source: TomlText, data: Mapping[str, Any]) -> list[ApplicationSegment]:
    segments: list[ApplicationSegment] = []
    names: set[str] = set()
    for index, table in enumerate(_tables(source, data, "segment")):
        reader = _Reader(source, table, "segment", index, _SEGMENT)
        name = reader.text("name", required=True)
        assert name is not None  # noqa: S101  required above
        if name in names:
            raise reader.error("name", f"a second segment named `{name}`")
        names.add(name)
        segments.append(
            ApplicationSegment(
                name,
                domains=reader.strings("domains"),
                ports=_ports(reader),
                segment_group=reader.text("segment_group"),
            )
        )
    return segments


def load_workspace(path: str | Path) -> World:
    """Load a tenant folder (or its ``tenant.toml``) as a :class:`World`.

    The policy is checked against the tenant's names (applications, segment groups,
    SCIM groups, IdPs); its warnings are on ``world.compiled.diagnostics``. ``now`` is
    the tenant file's, or the current time.
    """
    file = Path(path)
    if file.is_dir():
        file = file / TENANT_FILE
    source, data = read_toml(file)
    top = _Reader(source, data, None, 0, _TOP)
    base = file.parent
    policy_name = top.text("policy", required=True)
    assert policy_name is not None  # noqa: S101  required above
    # An empty array is kept: the presence check applies to no client type.
    types = (
        top.strings("presence_client_types")
        if "presence_client_types" in data
        else ("client_connector",)
    )
    for value in types:
        if not is_client_type(value):
            raise top.error(
                "presence_client_types",
                f"`presence_client_types`: unknown client type `{value}` (known: "
                f"{', '.join(CLIENT_TYPES)})",
            )
    now = top.moment("now") or datetime.now(UTC)
    tenant = Tenant(
        idps=_idps(source, data, base),
        segments=_segments(source, data),
        presence_client_types=types,
    )
    policy_file = base / policy_name
    compiled = load_policy(read_utf8(policy_file), tenant, origin=str(policy_file))
    sessions_name = top.text("sessions")
    sessions = (
        ()
        if sessions_name is None
        else load_sessions(base / sessions_name, idps=tenant.idp_names)
    )
    world = World(tenant, compiled.policy, now, sessions, origin=file)
    world._cache["compiled"] = compiled  # noqa: SLF001  seed the cache: checked already
    return world
