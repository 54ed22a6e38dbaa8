"""Requests in, decisions out: the values the engine takes and gives (SPEC §2, §5).

Stage: data. A :class:`Request` is one session asking for one thing; a
:class:`Decision` is the engine's answer with the deciding rule, ZPA's reason code and,
when asked for, the trace of every rule considered. ``Decision.explain()`` renders it
for people, ``Decision.to_json()`` for programs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from scimpolicy.policy.nodes import (
    AccessAction,
    Action,
    Duration,
    PolicyType,
    TimeoutAction,
)

__all__ = [
    "Decision",
    "ReasonCode",
    "Request",
    "RuleStatus",
    "RuleTrace",
    "network_names",
    "posture_values",
    "saml_values",
]


def saml_values(value: Mapping[str, str | Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """SAML attributes as requests hold them: every value a tuple of strings."""
    return {
        key: (item,) if isinstance(item, str) else tuple(item)
        for key, item in value.items()
    }


def posture_values(value: Mapping[str, bool]) -> dict[str, bool]:
    """Posture results as requests hold them (a copy)."""
    return dict(value)


def network_names(value: Iterable[str]) -> frozenset[str]:
    """Trusted network names as requests hold them (a frozenset)."""
    return value if isinstance(value, frozenset) else frozenset(value)


@attrs.frozen
class Request:
    """One session asking for one application (or, for forwarding, connecting).

    ``user`` is the SAML NameID, matched to SCIM ``userName`` ignoring case; ``idp``
    the IdP's name; ``authenticated_at`` when the SAML assertion was issued; ``now``
    when the request is evaluated. The application is ``app`` (a segment name) or
    ``host`` and ``port``, resolved to the most specific segment. SAML attribute
    values may be given as one string or several. ``client_type`` takes short names
    (``client_connector``) or ZPA's ``zpn_client_type_*`` values.
    """

    user: str
    idp: str
    authenticated_at: datetime
    now: datetime
    app: str | None = None
    host: str | None = None
    port: int | None = None
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


class ReasonCode(enum.StrEnum):
    """ZPA's session status codes for the outcomes scimpolicy models."""

    SCIM_INACTIVE = "BRK_MT_SETUP_FAIL_SCIM_INACTIVE"
    REJECTED_BY_POLICY = "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY"
    REJECTED_BY_POLICY_APPROVAL = "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY_APPROVAL"
    SAML_EXPIRED = "BRK_MT_SETUP_FAIL_SAML_EXPIRED"
    NO_POLICY_FOUND = "BRK_MT_SETUP_FAIL_NO_POLICY_FOUND"


class RuleStatus(enum.StrEnum):
    """What happened to one rule."""

    MATCHED = "matched"
    NOT_MATCHED = "not matched"
    UNKNOWN = "unknown"  # criteria neither true nor false: a gate made some unusable
    DISABLED = "disabled"


@attrs.frozen
class RuleTrace:
    """One rule as the engine considered it.

    ``criterion`` is the text of the first criterion that was not true (for a rule
    that did not match) and ``reason`` why it was unknown, when a gate was the cause.
    """

    index: int
    name: str
    status: RuleStatus
    criterion: str | None = None
    reason: str | None = None

    line: str = attrs.field(init=False, eq=False, repr=False)
    """The entry as one line of :meth:`Decision.explain`, made once (the engine
    reuses entries from request to request)."""

    def __attrs_post_init__(self) -> None:
        text = f"  #{self.index + 1} `{self.name}`: {self.status}"
        if self.criterion is not None:
            text += f" at `{self.criterion}`"
        if self.reason is not None:
            text += f" ({self.reason})"
        object.__setattr__(self, "line", text)

    def to_json(self) -> dict[str, Any]:
        """The trace entry as JSON."""
        body: dict[str, Any] = {
            "index": self.index,
            "rule": self.name,
            "status": str(self.status),
        }
        if self.criterion is not None:
            body["criterion"] = self.criterion
        if self.reason is not None:
            body["reason"] = self.reason
        return body


_NONE: Final[tuple[str, ...]] = ()


def _duration(duration: Duration) -> str:
    if duration.minutes is None:
        return "never"
    minutes = duration.minutes
    parts = []
    for unit, size in (("d", 1440), ("h", 60), ("m", 1)):
        if minutes >= size:
            parts.append(f"{minutes // size}{unit}")
            minutes %= size
    return "".join(parts) or "0m"


def _action(action: Action | None) -> str | None:
    if action is None:
        return None
    if isinstance(action, TimeoutAction):
        return f"reauth every {_duration(action.reauth)} idle {_duration(action.idle)}"
    return str(action)


@attrs.frozen
class Decision:
    """What ZPA would decide for one request, and why.

    ``outcome`` is the action (``None`` when the request was blocked before any rule
    was read); ``rule`` the deciding rule's name (``None`` for the default, or when
    blocked); ``reason_code`` ZPA's status code where one exists; ``notes`` the facts
    that shaped the decision (gates, the user's directory state); ``trace`` every rule
    considered, filled by the engine's ``explain_*`` methods.

    Timeout decisions also give ``expires_at`` and ``expired`` (at ``now``);
    forwarding decisions with ``intercept_accessible`` give ``allowed_apps``.
    """

    policy_type: PolicyType
    outcome: Action | None
    rule: str | None = None
    rule_index: int | None = None
    reason_code: ReasonCode | None = None
    blocked: bool = False
    notes: tuple[str, ...] = _NONE
    trace: tuple[RuleTrace, ...] = ()
    application: str | None = None
    expires_at: datetime | None = None
    expired: bool = False
    allowed_apps: tuple[str, ...] | None = None

    @property
    def allowed(self) -> bool:
        """For access: true when the outcome is ``allow``."""
        return self.outcome is AccessAction.ALLOW

    @property
    def decided_by(self) -> str:
        """What decided: ``rule `name```, ``the default``, ``the SCIM presence check``,
        or the step before any rule that settled it."""
        if self.blocked:
            if self.reason_code is None:
                return "an unknown identity provider"
            return "the SCIM presence check"
        if self.reason_code is ReasonCode.NO_POLICY_FOUND:
            return "application segment resolution"
        return f"rule `{self.rule}`" if self.rule is not None else "the default"

    def explain(self) -> str:
        """A readable account of the decision, one line per fact and per rule."""
        head = f"{self.policy_type} decision: {_action(self.outcome) or 'blocked'}"
        if self.application:
            head += f" for `{self.application}`"
        lines = [head, f"  decided by {self.decided_by}"]
        if self.reason_code is not None:
            lines.append(f"  reason code: {self.reason_code}")
        if self.expires_at is not None:
            state = "expired" if self.expired else "valid"
            lines.append(
                f"  session {state}; re-authentication due "
                f"{self.expires_at.isoformat()}"
            )
        if self.allowed_apps is not None:
            apps = ", ".join(self.allowed_apps) or "none"
            lines.append(f"  applications forwarded: {apps}")
        lines.extend(f"  note: {note}" for note in self.notes)
        lines.extend(entry.line for entry in self.trace)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The decision as a JSON-ready dict."""
        body: dict[str, Any] = {
            "policy": str(self.policy_type),
            "outcome": _action(self.outcome),
            "rule": self.rule,
            "decidedBy": self.decided_by,
            "reasonCode": None if self.reason_code is None else str(self.reason_code),
            "blocked": self.blocked,
            "notes": list(self.notes),
        }
        if self.application is not None:
            body["application"] = self.application
        if self.expires_at is not None:
            body["expiresAt"] = self.expires_at.isoformat()
            body["expired"] = self.expired
        if self.allowed_apps is not None:
            body["allowedApps"] = list(self.allowed_apps)
        if self.trace:
            body["trace"] = [entry.to_json() for entry in self.trace]
        return body


ACCESS_REASONS: Final[dict[AccessAction, ReasonCode | None]] = {
    AccessAction.ALLOW: None,
    AccessAction.DENY: ReasonCode.REJECTED_BY_POLICY,
    AccessAction.REQUIRE_APPROVAL: ReasonCode.REJECTED_BY_POLICY_APPROVAL,
}
"""The reason code a client sees for each access outcome (``allow`` has none)."""
