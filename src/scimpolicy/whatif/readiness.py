"""The readiness report: what to fix before enabling SCIM Attributes for Policy.

Stage: a world (+ the IdPs and the moment of enabling) → :class:`ReadinessReport`.
For each IdP it lists the sessions whose users SCIM does not know (and, among them,
NameIDs that look like another spelling of a SCIM user: an email address or the same
mailbox at another domain), the sessions of inactive users, the sessions that would
still need to re-authenticate, and — through a what-if — the decisions that would
change once everyone has re-authenticated.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

import attrs

from scimpolicy._text import stamp
from scimpolicy.policy.tenant import IdentityProvider
from scimpolicy.whatif.bulk import Population, Progress
from scimpolicy.whatif.changes import Change, Reauthenticate, SetIdp
from scimpolicy.whatif.diff import WhatIfReport, what_if
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World

__all__ = ["Finding", "IdpReadiness", "ReadinessReport", "readiness"]


@attrs.frozen
class Finding:
    """One session with a problem: the NameID, and what is wrong."""

    user: str
    detail: str

    def to_json(self) -> dict[str, str]:
        """JSON for scripts."""
        return {"user": self.user, "detail": self.detail}


@attrs.frozen
class IdpReadiness:
    """The findings for one IdP."""

    idp: str
    sessions: int
    scim_sync: bool
    enabled_at: datetime
    """When SCIM Attributes for Policy was (``already_enabled``) or would be enabled."""
    already_enabled: bool
    missing: tuple[Finding, ...]
    mismatched: tuple[Finding, ...]
    inactive: tuple[Finding, ...]
    stale: tuple[Finding, ...]
    inactive_in_directory: int

    @property
    def ready(self) -> bool:
        """No session of this IdP has a problem and SCIM Sync is on."""
        return self.scim_sync and not (self.missing or self.mismatched or self.inactive)

    def to_json(self) -> dict[str, Any]:
        """JSON for scripts."""
        return {
            "idp": self.idp,
            "sessions": self.sessions,
            "scimSync": self.scim_sync,
            "scimAttributesEnabledAt": stamp(self.enabled_at),
            "alreadyEnabled": self.already_enabled,
            "ready": self.ready,
            "missingFromScim": [f.to_json() for f in self.missing],
            "nameIdMismatches": [f.to_json() for f in self.mismatched],
            "inactiveUsers": [f.to_json() for f in self.inactive],
            "needReauthentication": [f.to_json() for f in self.stale],
            "inactiveInDirectory": self.inactive_in_directory,
        }


@attrs.frozen
class ReadinessReport:
    """Readiness for SCIM Attributes for Policy on some IdPs; *at* is the moment
    asked about (each IdP says when it was or would be enabled)."""

    at: datetime
    idps: tuple[IdpReadiness, ...]
    decisions: WhatIfReport

    @property
    def ready(self) -> bool:
        """Every IdP is ready (decision changes are for the reader to judge)."""
        return all(idp.ready for idp in self.idps)

    def render(self, *, limit: int = 10) -> str:
        """The report for people: per IdP, each problem with up to *limit* examples,
        then the decisions that would change."""
        lines = [f"Readiness for SCIM Attributes for Policy ({stamp(self.at)})"]
        for idp in self.idps:
            lines.append("")
            state = "ready" if idp.ready else "NOT ready"
            lines.append(f"IdP `{idp.idp}`: {state} ({idp.sessions:,} sessions)")
            when = stamp(idp.enabled_at)
            lines.append(
                f"  SCIM Attributes for Policy on since {when}"
                if idp.already_enabled
                else f"  SCIM Attributes for Policy would be enabled at {when}"
            )
            if not idp.scim_sync:
                lines.append(
                    "  SCIM Sync is off: SCIM Attributes for Policy has no effect "
                    "until it is on (turn it on first and let the IdP sync)"
                )
            for title, found in (
                ("users seen in SAML but missing from SCIM", idp.missing),
                ("NameID and userName mismatches", idp.mismatched),
                ("sessions of inactive users", idp.inactive),
                ("sessions that still need to re-authenticate", idp.stale),
            ):
                lines.append(f"  {title}: {len(found):,}")
                lines.extend(f"    {f.user}: {f.detail}" for f in found[:limit])
                if len(found) > limit:
                    lines.append(f"    ... and {len(found) - limit:,} more")
            lines.append(
                f"  inactive users in the directory: {idp.inactive_in_directory:,}"
            )
        lines.append("")
        lines.append("Decisions once every session has re-authenticated (a what-if):")
        lines.append(self.decisions.render())
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """JSON for scripts."""
        return {
            "at": stamp(self.at),
            "ready": self.ready,
            "idps": [idp.to_json() for idp in self.idps],
            "decisions": self.decisions.to_json(),
        }


def _aliases(idp: IdentityProvider) -> dict[str, str]:
    """Other spellings of each user's NameID → the userName: email addresses, and
    the mailbox (the part before ``@``)."""
    found: dict[str, str] = {}
    mailboxes: dict[str, list[str]] = {}
    for user in _users(idp):
        for email in user.emails:
            if email.value:
                found.setdefault(email.value.casefold(), user.user_name)
        mailbox = user.user_name.casefold().partition("@")[0]
        mailboxes.setdefault(mailbox, []).append(user.user_name)
    for mailbox, names in mailboxes.items():
        if len(names) == 1:
            found.setdefault(mailbox, names[0])
    return found


def _users(idp: IdentityProvider) -> Iterable[Any]:
    users = getattr(idp.directory, "users", None)
    return () if users is None else users()


def _check(
    idp: IdentityProvider, sessions: list[Session], at: datetime, *, already: bool
) -> IdpReadiness:
    aliases = _aliases(idp)
    missing, mismatched, inactive, stale = [], [], [], []
    for session in sessions:
        user = idp.directory.user_by_name(session.user)
        if user is None:
            folded = session.user.casefold()
            alias = aliases.get(folded) or aliases.get(folded.partition("@")[0])
            if alias is not None:
                mismatched.append(
                    Finding(
                        session.user,
                        f"no SCIM userName `{session.user}`; SCIM has `{alias}`: the "
                        "IdP's NameID must be the SCIM userName",
                    )
                )
            else:
                missing.append(
                    Finding(session.user, "not in SCIM: blocked when SCIM Sync is on")
                )
            continue
        if not user.is_active:
            inactive.append(
                Finding(session.user, "active=false in SCIM: absent for policy")
            )
            continue
        if session.authenticated_at < at:
            stale.append(
                Finding(
                    session.user,
                    f"authenticated {stamp(session.authenticated_at)}: SCIM criteria "
                    "do not count until the user signs in again",
                )
            )
    return IdpReadiness(
        idp.name,
        len(sessions),
        idp.scim_sync,
        at,
        already,
        tuple(missing),
        tuple(mismatched),
        tuple(inactive),
        tuple(stale),
        sum(1 for user in _users(idp) if not user.is_active),
    )


def _moment(
    idp: IdentityProvider, at: datetime | None, now: datetime
) -> tuple[datetime, bool]:
    """When the setting counts from for *idp*, and whether it is already on: an IdP
    that has it on keeps its own moment unless *at* is given."""
    enabled_at = idp.scim_attributes_enabled_at
    if at is None and idp.scim_attributes_for_policy and enabled_at is not None:
        return enabled_at, True
    return at or now, False


def readiness(
    world: World,
    idps: Iterable[str] | None = None,
    *,
    at: datetime | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> ReadinessReport:
    """How ready *idps* (default: every IdP with SCIM Attributes for Policy off) are
    for SCIM Attributes for Policy enabled at *at* (default: the world's ``now``; an
    IdP that already has it on is judged from when it was enabled, unless *at* is
    given).

    The decisions part is the what-if "enabled then, and every session of those
    IdPs that authenticated before it signs in again then", over the world's
    sessions and every application.
    """
    names = (
        [idp.name for idp in world.tenant.idps if not idp.scim_attributes_for_policy]
        if idps is None
        else list(idps)
    )
    chosen = [world.idp(name) for name in names]
    results: list[IdpReadiness] = []
    changes: list[Change] = []
    for idp in chosen:
        moment, already = _moment(idp, at, world.now)
        sessions = [s for s in world.sessions if s.idp == idp.name]
        results.append(_check(idp, sessions, moment, already=already))
        if not already:
            changes.append(SetIdp(idp.name, scim_attributes_for_policy=True, at=moment))
        if sessions:
            changes.append(Reauthenticate(idp=idp.name, at=moment))
    decisions = what_if(
        world, changes, Population(), executor=executor, progress=progress
    )
    return ReadinessReport(at or world.now, tuple(results), decisions)
