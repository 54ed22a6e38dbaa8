"""Typed SCIM resources: User (with the Enterprise extension), Group and their parts.

Stage: data. Models are frozen ``attrs`` classes with slots: compact, hashable, safe to
share between directory snapshots. They know nothing about JSON; ``serde`` converts SCIM
JSON in and out. Field names are the snake_case of the SCIM names (``schema`` tables
record the mapping); multi-valued attributes are tuples, unassigned values ``None`` or
``()``.
"""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = [
    "Address",
    "EnterpriseUser",
    "Group",
    "Manager",
    "Member",
    "Meta",
    "MultiValue",
    "Name",
    "User",
]


@attrs.frozen
class Meta:
    """Resource metadata kept by the directory (RFC 7643 §3.1)."""

    resource_type: str
    created: datetime
    last_modified: datetime
    version: str
    location: str | None = None


@attrs.frozen
class Name:
    """The components of a user's name."""

    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None


@attrs.frozen
class MultiValue:
    """One value of ``emails``, ``phoneNumbers``, ``ims``, ``photos``, ``roles``, ..."""

    value: str | None = None
    display: str | None = None
    type: str | None = None
    primary: bool | None = None


@attrs.frozen
class Address:
    """One value of ``addresses``."""

    formatted: str | None = None
    street_address: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    type: str | None = None
    primary: bool | None = None


@attrs.frozen
class Manager:
    """The Enterprise extension's ``manager``."""

    value: str | None = None
    ref: str | None = None
    display_name: str | None = None


@attrs.frozen
class EnterpriseUser:
    """The Enterprise User extension (RFC 7643 §4.3)."""

    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager: Manager | None = None


@attrs.frozen
class User:
    """A SCIM User. ``groups`` is not stored: the directory derives it from Groups."""

    id: str
    user_name: str
    external_id: str | None = None
    name: Name | None = None
    display_name: str | None = None
    nick_name: str | None = None
    profile_url: str | None = None
    title: str | None = None
    user_type: str | None = None
    preferred_language: str | None = None
    locale: str | None = None
    timezone: str | None = None
    active: bool | None = None
    password: str | None = None
    emails: tuple[MultiValue, ...] = ()
    phone_numbers: tuple[MultiValue, ...] = ()
    ims: tuple[MultiValue, ...] = ()
    photos: tuple[MultiValue, ...] = ()
    addresses: tuple[Address, ...] = ()
    entitlements: tuple[MultiValue, ...] = ()
    roles: tuple[MultiValue, ...] = ()
    x509_certificates: tuple[MultiValue, ...] = ()
    enterprise: EnterpriseUser | None = None
    meta: Meta = attrs.field(kw_only=True)

    @property
    def is_active(self) -> bool:
        """False only for ``active=false``: such users count as absent for policy."""
        return self.active is not False


@attrs.frozen
class Member:
    """One value of a Group's ``members``: a User or a nested Group."""

    value: str
    type: str | None = None
    ref: str | None = None
    display: str | None = None


@attrs.frozen
class Group:
    """A SCIM Group."""

    id: str
    display_name: str
    external_id: str | None = None
    members: tuple[Member, ...] = ()
    meta: Meta = attrs.field(kw_only=True)
