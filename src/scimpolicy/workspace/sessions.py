"""SAML sessions seen: who signed in, through which IdP, when, and with what.

Stage: data. A :class:`Session` is a :class:`~scimpolicy.policy.decisions.Request`
without the application and the evaluation time: the population a what-if or a bulk
run evaluates against every application. :func:`load_sessions` reads the
``sessions.json`` of a tenant folder (``docs/tenant-files.md``); its errors name the
file, the line and the field.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import attrs

from scimpolicy._text import read_json, stamp
from scimpolicy.errors import DataFileError, Span
from scimpolicy.policy.decisions import (
    Request,
    network_names,
    posture_values,
    saml_values,
)

__all__ = ["SESSION_FIELDS", "Session", "load_sessions", "parse_timestamp"]

SESSION_FIELDS: Final = (
    "user",
    "idp",
    "authenticated_at",
    "saml",
    "client_type",
    "platform",
    "country",
    "posture",
    "trusted_networks",
    "machine_group",
)


@attrs.frozen
class Session:
    """One SAML session: a user of an IdP, authenticated at a moment, with its SAML
    attributes and client context. ``request()`` makes it a request."""

    user: str
    idp: str
    authenticated_at: datetime
    saml: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict, converter=saml_values
    )
    client_type: str = "client_connector"
    platform: str | None = None
    country: str | None = None
    posture: Mapping[str, bool] = attrs.field(factory=dict, converter=posture_values)
    trusted_networks: frozenset[str] = attrs.field(
        default=frozenset(), converter=network_names
    )
    machine_group: str | None = None

    def request(
        self,
        now: datetime,
        *,
        app: str | None = None,
        host: str | None = None,
        port: int | None = None,
        client_type: str | None = None,
    ) -> Request:
        """This session asking for *app* (or *host* and *port*) at *now*."""
        return Request(
            user=self.user,
            idp=self.idp,
            authenticated_at=self.authenticated_at,
            now=now,
            app=app,
            host=host,
            port=port,
            saml=self.saml,
            client_type=client_type or self.client_type,
            platform=self.platform,
            country=self.country,
            posture=self.posture,
            trusted_networks=self.trusted_networks,
            machine_group=self.machine_group,
        )

    def to_json(self) -> dict[str, Any]:
        """The session as ``sessions.json`` writes it (empty fields left out)."""
        body: dict[str, Any] = {
            "user": self.user,
            "idp": self.idp,
            "authenticated_at": stamp(self.authenticated_at),
        }
        if self.saml:
            body["saml"] = {
                k: v[0] if len(v) == 1 else list(v) for k, v in self.saml.items()
            }
        body["client_type"] = self.client_type
        for name in ("platform", "country"):
            if (value := getattr(self, name)) is not None:
                body[name] = value
        if self.posture:
            body["posture"] = dict(self.posture)
        if self.trusted_networks:
            body["trusted_networks"] = sorted(self.trusted_networks)
        if self.machine_group is not None:
            body["machine_group"] = self.machine_group
        return body


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 timestamp with an offset (``Z`` or ``+01:00``).

    :raises ValueError: not a timestamp, or one without an offset.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 timestamp such as 2026-11-23T09:00:00Z, got `{text}`"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"`{text}` has no offset: add `Z` (UTC) or `+HH:MM`")
    return moment


class _BadFieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _text(data: Mapping[str, Any], field: str, *, required: bool = False) -> Any:
    value = data.get(field)
    if value is None:
        if required:
            raise _BadFieldError(field, "required field is missing")
        return None
    if not isinstance(value, str) or (required and not value):
        raise _BadFieldError(field, f"expected a string, got {json.dumps(value)}")
    return value


def _strings(value: Any) -> bool:
    """A string, or an array of strings."""
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(item, str) for item in value)
    )


def _or(value: Any, empty: Any) -> Any:
    return empty if value is None else value


def _session(data: Any, idps: Collection[str] | None) -> Session:
    if not isinstance(data, dict):
        raise _BadFieldError("", "expected a JSON object for each session")
    unknown = sorted(set(data) - set(SESSION_FIELDS))
    if unknown:
        raise _BadFieldError(
            unknown[0], f"unknown field (known: {', '.join(SESSION_FIELDS)})"
        )
    stamp = _text(data, "authenticated_at", required=True)
    try:
        authenticated_at = parse_timestamp(stamp)
    except ValueError as error:
        raise _BadFieldError("authenticated_at", str(error)) from None
    # `null` is an empty value; any other value must have the right type.
    saml = _or(data.get("saml"), {})
    if not isinstance(saml, dict) or not all(map(_strings, saml.values())):
        raise _BadFieldError(
            "saml", "expected an object of strings or arrays of strings"
        )
    posture = _or(data.get("posture"), {})
    if not isinstance(posture, dict) or not all(
        isinstance(v, bool) for v in posture.values()
    ):
        raise _BadFieldError("posture", "expected an object of true/false values")
    networks = _or(data.get("trusted_networks"), [])
    if not isinstance(networks, list) or not all(isinstance(v, str) for v in networks):
        raise _BadFieldError("trusted_networks", "expected an array of strings")
    idp = _text(data, "idp", required=True)
    if idps is not None and idp not in idps:
        known = ", ".join(f"`{name}`" for name in sorted(idps))
        raise _BadFieldError("idp", f"no IdP named `{idp}` (IdPs: {known})")
    return Session(
        user=_text(data, "user", required=True),
        idp=idp,
        authenticated_at=authenticated_at,
        saml=saml,
        client_type=_text(data, "client_type") or "client_connector",
        platform=_text(data, "platform"),
        country=_text(data, "country"),
        posture=posture,
        trusted_networks=frozenset(networks),
        machine_group=_text(data, "machine_group"),
    )


def _offsets(text: str, data: Any, origin: str) -> list[tuple[Any, int, int]]:
    """Each session with the offsets where it starts and ends in *text*."""
    decoder = json.JSONDecoder()
    items: Any = data.get("sessions") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise DataFileError(
            'expected a JSON array of sessions or an object with a "sessions" array',
            text,
            Span(0, min(1, len(text))),
            origin=origin,
        )
    start = (
        text.index("[")
        if isinstance(data, list)
        else _members(text, text.index("{"), decoder)["sessions"][2]
    )
    position, found = start + 1, []
    for item in items:
        while text[position] in " \t\r\n,":
            position += 1
        _, end = decoder.raw_decode(text, position)
        found.append((item, position, end))
        position = end
    return found


def _members(
    text: str, start: int, decoder: json.JSONDecoder
) -> dict[str, tuple[int, int, int]]:
    """The keys of the JSON object at offset *start*: where each key starts and ends
    and where its value starts (the last of a repeated key, as json.loads)."""
    position = start + 1
    found: dict[str, tuple[int, int, int]] = {}
    while True:
        while text[position] in " \t\r\n,":
            position += 1
        if text[position] == "}":
            return found
        key, key_end = decoder.raw_decode(text, position)
        value = text.index(":", key_end) + 1
        while text[value] in " \t\r\n":
            value += 1
        found[key] = (position, key_end, value)
        _, position = decoder.raw_decode(text, value)


def load_sessions(
    path: str | Path, *, idps: Collection[str] | None = None
) -> tuple[Session, ...]:
    """Read a ``sessions.json`` file (``docs/tenant-files.md``); with *idps*, every
    session's ``idp`` must be one of them.

    :raises DataFileError: malformed JSON or an invalid session, with the file, the
        line of that session and the field.
    :raises OSError: the file cannot be read.
    """
    file = Path(path)
    origin = str(file)
    text, data = read_json(file)
    sessions = []
    found = _offsets(text, data, origin)
    for number, (item, start, _) in enumerate(found, start=1):
        try:
            sessions.append(_session(item, idps))
        except _BadFieldError as bad:
            # Point at the field's key (of this session, not of a nested object) when
            # it is there, else at the session.
            keys = _members(text, start, json.JSONDecoder()) if bad.field else {}
            at = keys.get(bad.field)
            span = Span(start, start + 1) if at is None else Span(at[0], at[1])
            field = f"`{bad.field}`: " if bad.field else ""
            raise DataFileError(
                f"session {number}: {field}{bad.message}", text, span, origin=origin
            ) from None
    return tuple(sessions)
