"""The ID catalogue: the names behind the IDs ZPA policy rules are written in.

Stage: data. ZPA's rule JSON names nothing: an application segment, a SCIM group, a
SCIM attribute header, an IdP or a posture profile is an ID. The catalogue maps each ID
to its name and back, read from the JSON the ZPA API returns for each kind of object
(a list, or a page ``{"totalPages": ..., "list": [...]}``), one file per kind in a
folder:

=========================  ========================================================
file                       ZPA API (``/mgmtconfig/v1/admin/customers/{id}/...``)
=========================  ========================================================
``idps.json``              ``idp``: ``id``, ``name``
``scim-attributes.json``   ``idp/{idpId}/scimattribute``: ``id``, ``name``, ``idpId``
``scim-groups.json``       ``/userconfig/v1/.../scimgroup/idpId/{idpId}``: ``id``,
                           ``name``, ``idpId``
``saml-attributes.json``   ``samlAttribute``: ``id``, ``samlName``, ``idpId``
``applications.json``      ``application``: ``id``, ``name``
``segment-groups.json``    ``segmentGroup``: ``id``, ``name``
``posture-profiles.json``  ``posture``: ``posture_udid`` (or ``postureUdid``), ``name``
``trusted-networks.json``  ``network``: ``networkId``, ``name``
``machine-groups.json``    ``machineGroup``: ``id``, ``name``
=========================  ========================================================

A missing file is an empty kind. IDs are compared as strings (the API writes some as
numbers). Names of SCIM attributes, SCIM groups and SAML attributes are per IdP.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from scimpolicy._text import read_json
from scimpolicy.errors import DataFileError, Span

__all__ = ["Catalogue", "Entry", "Kind"]


class Kind(enum.StrEnum):
    """The kinds of ZPA object a rule refers to by ID (the catalogue's files)."""

    IDP = "idps"
    SCIM_ATTRIBUTE = "scim-attributes"
    SCIM_GROUP = "scim-groups"
    SAML_ATTRIBUTE = "saml-attributes"
    APPLICATION = "applications"
    SEGMENT_GROUP = "segment-groups"
    POSTURE_PROFILE = "posture-profiles"
    TRUSTED_NETWORK = "trusted-networks"
    MACHINE_GROUP = "machine-groups"

    @property
    def per_idp(self) -> bool:
        """Whether names of this kind belong to one IdP (and repeat across IdPs)."""
        return self in _PER_IDP


_PER_IDP: Final = frozenset({Kind.SCIM_ATTRIBUTE, Kind.SCIM_GROUP, Kind.SAML_ATTRIBUTE})
# The key holding the ID rules use, and the one holding the name, per kind.
_ID_KEYS: Final[dict[Kind, tuple[str, ...]]] = {
    Kind.POSTURE_PROFILE: ("posture_udid", "postureUdid"),
    Kind.TRUSTED_NETWORK: ("networkId", "network_id"),
}
_NAME_KEYS: Final[dict[Kind, tuple[str, ...]]] = {
    Kind.SAML_ATTRIBUTE: ("samlName",),
}


@attrs.frozen
class Entry:
    """One object: its ID, its name, and its IdP's ID for per-IdP kinds."""

    id: str
    name: str
    idp_id: str | None = None


def _text_id(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str) and str(value):
        return str(value)
    return None


@attrs.frozen
class Catalogue:
    """IDs and names of one ZPA tenant's objects, both ways."""

    entries: Mapping[Kind, tuple[Entry, ...]] = attrs.field(factory=dict)
    _by_id: dict[Kind, dict[str, Entry]] = attrs.field(init=False, repr=False)
    _by_name: dict[tuple[Kind, str | None], dict[str, Entry]] = attrs.field(
        init=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        by_id: dict[Kind, dict[str, Entry]] = {}
        by_name: dict[tuple[Kind, str | None], dict[str, Entry]] = {}
        for kind, entries in self.entries.items():
            for entry in entries:
                by_id.setdefault(kind, {})[entry.id] = entry
                scope = entry.idp_id if kind.per_idp else None
                by_name.setdefault((kind, scope), {}).setdefault(entry.name, entry)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_by_name", by_name)

    @classmethod
    def build(cls, **kinds: Iterable[Entry]) -> Catalogue:
        """A catalogue from entries per kind, by the kind's Python name
        (``idp=[Entry("1", "Okta")], application=[...]``)."""
        return cls(
            {Kind[name.upper()]: tuple(entries) for name, entries in kinds.items()}
        )

    @classmethod
    def load(cls, folder: str | Path) -> Catalogue:
        """Read the catalogue files in *folder* (see the module documentation).

        :raises DataFileError: a file that is not JSON, not a list or page of objects,
            or an object without its ID or name (the message names file and index).
        :raises FileNotFoundError: *folder* is not a folder.
        """
        base = Path(folder)
        if not base.is_dir():
            raise FileNotFoundError(f"no catalogue folder at `{base}`")
        entries: dict[Kind, tuple[Entry, ...]] = {}
        for kind in Kind:
            path = base / f"{kind}.json"
            if path.exists():
                text, data = read_json(path)
                entries[kind] = tuple(_entries(kind, data, text, str(path)))
        return cls(entries)

    def name(self, kind: Kind, object_id: object) -> str | None:
        """The name of the object with this ID, or ``None``."""
        text = _text_id(object_id)
        entry = None if text is None else self._by_id.get(kind, {}).get(text)
        return None if entry is None else entry.name

    def entry(self, kind: Kind, object_id: object) -> Entry | None:
        """The entry with this ID, or ``None``."""
        text = _text_id(object_id)
        return None if text is None else self._by_id.get(kind, {}).get(text)

    def id_of(self, kind: Kind, name: str, idp_id: str | None = None) -> str | None:
        """The ID of the object called *name* (of IdP *idp_id*, for per-IdP kinds)."""
        scope = idp_id if kind.per_idp else None
        entry = self._by_name.get((kind, scope), {}).get(name)
        if entry is None and kind is Kind.SCIM_ATTRIBUTE:
            # SCIM attribute names compare ignoring case (RFC 7643 §2.1).
            folded = name.casefold()
            for candidate_name, candidate in self._by_name.get(
                (kind, scope), {}
            ).items():
                if candidate_name.casefold() == folded:
                    return candidate.id
        return None if entry is None else entry.id

    def names(self, kind: Kind, idp_id: str | None = None) -> list[str]:
        """Every name of a kind (of one IdP for per-IdP kinds), for suggestions."""
        scope = idp_id if kind.per_idp else None
        return list(self._by_name.get((kind, scope), {}))

    def idps_with(self, kind: Kind, name: str) -> list[str]:
        """The IDs of the IdPs that have an object of a per-IdP kind called *name*
        (SCIM attribute names compare ignoring case)."""
        fold = kind is Kind.SCIM_ATTRIBUTE
        wanted = name.casefold() if fold else name
        found: list[str] = []
        for entry in self.entries.get(kind, ()):
            same = (entry.name.casefold() if fold else entry.name) == wanted
            if same and entry.idp_id is not None and entry.idp_id not in found:
                found.append(entry.idp_id)
        return found


def _entries(kind: Kind, data: Any, text: str, origin: str) -> list[Entry]:
    items = data
    if isinstance(data, dict):
        # A page; ZPA leaves `list` out of a page with no objects.
        items = data.get("list", [] if "totalPages" in data else None)
    if not isinstance(items, list):
        raise DataFileError(
            'expected a JSON list of objects or a ZPA page {"list": [...]}',
            text,
            Span(0, 1),
            origin=origin,
        )
    found: list[Entry] = []
    for index, item in enumerate(items):
        where = f"list[{index}]"
        if not isinstance(item, dict):
            raise DataFileError(
                f"{where}: expected an object", text, Span(0, 1), origin=origin
            )
        object_id = next(
            (
                _text_id(item.get(key))
                for key in _ID_KEYS.get(kind, ("id",))
                if key in item
            ),
            None,
        )
        name = next(
            (item.get(key) for key in _NAME_KEYS.get(kind, ("name",)) if key in item),
            None,
        )
        if object_id is None or not isinstance(name, str) or not name:
            keys = " and ".join(
                f"`{key[0]}`"
                for key in (
                    _ID_KEYS.get(kind, ("id",)),
                    _NAME_KEYS.get(kind, ("name",)),
                )
            )
            raise DataFileError(
                f"{where}: a {kind} entry needs {keys}", text, Span(0, 1), origin=origin
            )
        idp_id = _text_id(item.get("idpId")) if kind.per_idp else None
        if kind.per_idp and idp_id is None:
            raise DataFileError(
                f"{where}: a {kind} entry needs `idpId`",
                text,
                Span(0, 1),
                origin=origin,
            )
        found.append(Entry(object_id, name, idp_id))
    return found
