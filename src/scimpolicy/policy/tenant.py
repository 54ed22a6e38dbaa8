"""The tenant: identity providers with their SCIM directories and settings, and
application segments in segment groups (SPEC §2).

Stage: data for the engine. A :class:`Tenant` answers which IdP a request names,
whether SCIM and SAML criteria are usable for a session (:meth:`IdentityProvider.gates`,
SPEC §5.2), and which application segment a host and port belong to
(:meth:`Tenant.resolve`, the most specific one). It also provides the names the policy
checker validates against (applications, segment groups, SCIM groups, IdPs).

The engine reads users through :class:`UserSource`, a small protocol that
:class:`scimpolicy.Directory` satisfies; nothing here imports the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Final, Protocol

import attrs

from scimpolicy._text import stamp
from scimpolicy.policy.facts import CLIENT_TYPES
from scimpolicy.scim.models import Group, User

__all__ = [
    "CLIENT_CONNECTOR",
    "ApplicationSegment",
    "GateReport",
    "IdentityProvider",
    "PortRange",
    "Tenant",
    "UserSource",
]

CLIENT_CONNECTOR: Final = "zpn_client_type_zapp"
"""ZPA's client type of Client Connector, the traffic the SCIM presence check covers."""


class UserSource(Protocol):
    """What the engine needs from a SCIM directory."""

    def user_by_name(self, user_name: str, *, active_only: bool = False) -> User | None:
        """The user whose ``userName`` equals *user_name*, ignoring case."""
        ...

    def group_names_of(self, member_id: str) -> frozenset[str]:
        """Display names of the user's groups, nested ones included."""
        ...

    def groups(self) -> Iterator[Group]:
        """Every group (for the checker's list of SCIM group names)."""
        ...


@attrs.frozen
class GateReport:
    """Whether SCIM and SAML criteria are usable for one session, and why not."""

    scim: bool
    saml: bool
    scim_reason: str | None = None
    saml_reason: str | None = None


_ALL_USABLE: Final = GateReport(scim=True, saml=True)


@attrs.frozen
class IdentityProvider:
    """One IdP (ZPA allows up to ten): its SCIM directory and its policy settings.

    :param scim_sync: ZPA's SCIM Sync; when on, a Client Connector user missing from
        the directory (or inactive) is blocked before any rule is read.
    :param scim_attributes_for_policy: ZPA's "SCIM Attributes for Policy".
    :param scim_attributes_enabled_at: when that setting was last enabled; SCIM criteria
        count only for sessions authenticated at or after it (SPEC §5.2).
    :param saml_attributes_for_policy: ZPA's "SAML Attributes for Policy" (default on).
    """

    name: str
    directory: UserSource
    scim_sync: bool = False
    scim_attributes_for_policy: bool = False
    scim_attributes_enabled_at: datetime | None = None
    saml_attributes_for_policy: bool = True

    def gates(self, authenticated_at: datetime) -> GateReport:
        """SPEC §5.2: are SCIM and SAML criteria usable for a session that
        authenticated at *authenticated_at*?"""
        scim_reason = None
        if not self.scim_sync:
            scim_reason = f"SCIM Sync is off for IdP `{self.name}`"
        elif not self.scim_attributes_for_policy:
            scim_reason = f"SCIM Attributes for Policy is off for IdP `{self.name}`"
        elif self.scim_attributes_enabled_at is None:
            scim_reason = (
                f"IdP `{self.name}` does not say when SCIM Attributes for Policy was "
                "enabled"
            )
        elif authenticated_at < self.scim_attributes_enabled_at:
            scim_reason = (
                "user has not re-authenticated since "
                f"{stamp(self.scim_attributes_enabled_at)} (SCIM Attributes for "
                f"Policy enabled); last authenticated {stamp(authenticated_at)}"
            )
        if scim_reason is None and self.saml_attributes_for_policy:
            return _ALL_USABLE
        saml_reason = (
            None
            if self.saml_attributes_for_policy
            else f"SAML Attributes for Policy is off for IdP `{self.name}`"
        )
        return GateReport(
            scim_reason is None, saml_reason is None, scim_reason, saml_reason
        )


@attrs.frozen
class PortRange:
    """Ports ``low`` to ``high``, both included."""

    low: int
    high: int

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.low <= port <= self.high


def _domains(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(domain.casefold().rstrip(".") for domain in value)


def _ports(value: Iterable[PortRange | int | tuple[int, int]]) -> tuple[PortRange, ...]:
    ranges: list[PortRange] = []
    for item in value:
        if isinstance(item, PortRange):
            ranges.append(item)
        elif isinstance(item, int):
            ranges.append(PortRange(item, item))
        else:
            ranges.append(PortRange(*item))
    return tuple(ranges)


@attrs.frozen
class ApplicationSegment:
    """An application segment: domains (exact or ``*.wildcard``), ports, segment group.

    No ports means every port.
    """

    name: str
    domains: tuple[str, ...] = attrs.field(default=(), converter=_domains)
    ports: tuple[PortRange, ...] = attrs.field(default=(), converter=_ports)
    segment_group: str | None = None

    def specificity(self, host: str, port: int | None) -> tuple[int, int] | None:
        """How specifically this segment claims *host* and *port*: ``(2, length)`` for
        an exact domain, ``(1, length)`` for a wildcard, ``None`` when it does not."""
        if port is not None and self.ports and not any(port in r for r in self.ports):
            return None
        host = host.casefold().rstrip(".")
        best: tuple[int, int] | None = None
        for domain in self.domains:
            if domain.startswith("*."):
                suffix = domain[1:]
                if host.endswith(suffix) and len(host) > len(suffix):
                    found = (1, len(suffix))
                else:
                    continue
            elif host == domain:
                found = (2, len(domain))
            else:
                continue
            best = found if best is None else max(best, found)
        return best


def _client_types(value: Iterable[str]) -> frozenset[str]:
    """Short names (``client_connector``) or ZPA's values, stored as ZPA's values."""
    return frozenset(CLIENT_TYPES.get(v.casefold(), v.casefold()) for v in value)


def _idps(value: Iterable[IdentityProvider]) -> tuple[IdentityProvider, ...]:
    return tuple(value)


def _segments(value: Iterable[ApplicationSegment]) -> tuple[ApplicationSegment, ...]:
    return tuple(value)


@attrs.frozen
class Tenant:
    """Everything a request is evaluated against, except the policy.

    :param presence_client_types: the client types the SCIM presence gate applies to
        (ZPA: Client Connector; SPEC §5.1), as short names or ZPA's values.
    """

    idps: tuple[IdentityProvider, ...] = attrs.field(converter=_idps)
    segments: tuple[ApplicationSegment, ...] = attrs.field(
        default=(), converter=_segments
    )
    presence_client_types: frozenset[str] = attrs.field(
        default=frozenset({CLIENT_CONNECTOR}), converter=_client_types
    )

    _idp_index: dict[str, IdentityProvider] = attrs.field(
        init=False, repr=False, eq=False
    )
    _segment_index: dict[str, ApplicationSegment] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        # The first of a name wins, as a linear search would find it.
        idps = {idp.name: idp for idp in reversed(self.idps)}
        segments = {segment.name: segment for segment in reversed(self.segments)}
        object.__setattr__(self, "_idp_index", idps)
        object.__setattr__(self, "_segment_index", segments)

    def idp(self, name: str) -> IdentityProvider | None:
        """The IdP called *name*, or ``None``."""
        return self._idp_index.get(name)

    def segment(self, name: str) -> ApplicationSegment | None:
        """The application segment called *name*, or ``None``."""
        return self._segment_index.get(name)

    def resolve(self, host: str, port: int | None = None) -> ApplicationSegment | None:
        """The most specific segment for *host* and *port* (exact domain beats wildcard,
        a longer wildcard beats a shorter one; on a tie, the first defined)."""
        best: tuple[tuple[int, int], ApplicationSegment] | None = None
        for segment in self.segments:
            found = segment.specificity(host, port)
            if found is not None and (best is None or found > best[0]):
                best = (found, segment)
        return None if best is None else best[1]

    # -- names, for the policy checker (scimpolicy.policy.checker.Catalog) --------

    @property
    def applications(self) -> frozenset[str]:
        """Application segment names."""
        return frozenset(segment.name for segment in self.segments)

    @property
    def segment_groups(self) -> frozenset[str]:
        """Segment group names."""
        return frozenset(s.segment_group for s in self.segments if s.segment_group)

    @property
    def scim_groups(self) -> frozenset[str]:
        """SCIM group names across the IdPs' directories."""
        return frozenset(
            group.display_name for idp in self.idps for group in idp.directory.groups()
        )

    @property
    def idp_names(self) -> frozenset[str]:
        """IdP names."""
        return frozenset(idp.name for idp in self.idps)
