"""Hypothesis strategies for the engine: small tenants, policies over their names and
requests against them (used by ``test_engine_properties.py``).

Everything is drawn from small pools of names so that criteria, users, segments and
requests meet often: a policy's ``scim.userType == "contractor"`` finds contractors, a
request's host is claimed by an exact domain, a wildcard, both or neither, and times
sit on the boundaries that matter (the moment SCIM Attributes for Policy was enabled,
the moment a session expires).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs
from hypothesis import strategies as st

from scimpolicy import (
    AccessAction,
    ApplicationSegment,
    Directory,
    Duration,
    ForwardingAction,
    IdentityProvider,
    Policy,
    PolicyType,
    Request,
    Rule,
    RuleSet,
    Tenant,
    TimeoutAction,
)
from scimpolicy.policy.nodes import (
    Action,
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    In,
    Literal,
    Not,
    Or,
    Present,
    Ref,
)

__all__ = [
    "ENTERPRISE",
    "GROUP_NAMES",
    "T0",
    "Mix",
    "Scenario",
    "criteria",
    "idp_settings",
    "policies",
    "requests",
    "scenarios",
    "tenants",
]

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
"""When SCIM Attributes for Policy was enabled, for IdPs that say so."""

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ZAPP = "zpn_client_type_zapp"
EXPORTER = "zpn_client_type_exporter"

IDP_NAMES = ("Okta", "Entra", "Ping")
USER_NAMES = ("ann@acme.com", "bob@acme.com", "cy@acme.com", "dee@acme.com")
STRANGER = "zed@acme.com"  # in no directory
USER_TYPES = ("Employee", "Contractor")
DEPARTMENTS = ("Engineering", "Sales", "Finance")
TITLES = ("Engineer", "Manager")
GROUP_NAMES = ("SRE", "Payroll", "All Staff")
SEGMENT_NAMES = ("Git", "CI", "Payroll", "Wiki")
SEGMENT_GROUPS = ("Engineering Apps", "Finance Apps")
DOMAINS = (
    "git.acme.com",
    "ci.eng.acme.com",
    "payroll.acme.com",
    "Wiki.Acme.com.",
    "*.acme.com",
    "*.eng.acme.com",
    "*.example.org",
)
HOSTS = (
    "git.acme.com",
    "GIT.acme.com.",
    "ci.eng.acme.com",
    "x.eng.acme.com",
    "payroll.acme.com",
    "wiki.acme.com",
    "acme.com",
    "a.b.example.org",
    "other.net",
)
PORT_SPECS: tuple[int | tuple[int, int], ...] = (443, 22, (8000, 8100))
REQUEST_PORTS = (None, 443, 22, 8080, 80)
ROLES = ("dev", "guest", "admin")
CLIENT_TYPES = ("client_connector", "web_browser", "ZPN_CLIENT_TYPE_ZAPP")
PLATFORMS = ("mac", "windows", "Linux")
PRESENCE_CLIENT_TYPES = (
    frozenset({ZAPP}),
    frozenset({ZAPP, EXPORTER}),
    frozenset[str](),
)
ENABLED_AT = (None, T0, T0, T0 - timedelta(days=1))
# minutes: before, at and after T0; session ages on each side of every interval below
AUTH_OFFSETS = (-2880, -1, 0, 1, 60, 1440)
AGES = (0, 9, 10, 59, 60, 1439, 1440, 10079, 10080, 20000)
REAUTH = (10, 60, 1440, 10080, None)
IDLE = (10, 30, None)

# Each reference that resolves, with values that hit (in several cases) and miss.
_STRING_REFS: tuple[tuple[Ref, tuple[str, ...]], ...] = (
    (Ref("scim", ("userType",)), (*USER_TYPES, "contractor", "Intern")),
    (Ref("scim", ("department",)), (*DEPARTMENTS, "ENGINEERING")),
    (Ref("scim", ("title",)), (*TITLES, "engineer")),
    (Ref("scim", ("groups",)), (*GROUP_NAMES, "sre")),
    (Ref("saml", ("role",)), (*ROLES, "Dev")),
    (Ref("app"), (*SEGMENT_NAMES, "Unknown App")),
    (Ref("segment_group"), SEGMENT_GROUPS),
    (Ref("client_type"), ("client_connector", "web_browser", ZAPP)),
    (Ref("platform"), (*PLATFORMS, "ios")),
)
_BOOLEAN_REFS: tuple[tuple[Ref, tuple[bool, ...]], ...] = (
    (Ref("scim", ("active",)), (True, False)),
)


@st.composite
def _string_leaf(
    draw: st.DrawFn, refs: Sequence[tuple[Ref, tuple[str, ...]]]
) -> Criteria:
    ref, pool = draw(st.sampled_from(refs))
    values = st.sampled_from(pool)
    kind = draw(st.sampled_from(("compare", "text", "in", "contains", "present")))
    if kind == "compare":
        op = draw(st.sampled_from((CompareOp.EQ, CompareOp.NE)))
        return Compare(ref, op, draw(values))
    if kind == "text":
        op = draw(
            st.sampled_from(
                (CompareOp.STARTSWITH, CompareOp.ENDSWITH, CompareOp.CONTAINS)
            )
        )
        value = draw(values)
        start = draw(st.integers(0, len(value)))
        return Compare(ref, op, value[start : draw(st.integers(start, len(value)))])
    if kind == "in":
        listed = draw(st.lists(values, min_size=1, max_size=3, unique=True))
        return In(ref, tuple[Literal, ...](listed), draw(st.booleans()))
    if kind == "contains":
        return Contains(draw(values), ref, draw(st.booleans()))
    return Present(ref, draw(st.booleans()))


@st.composite
def _boolean_leaf(draw: st.DrawFn) -> Criteria:
    ref, pool = draw(st.sampled_from(_BOOLEAN_REFS))
    if draw(st.booleans()):
        op = draw(st.sampled_from((CompareOp.EQ, CompareOp.NE)))
        return Compare(ref, op, draw(st.sampled_from(pool)))
    return Present(ref, draw(st.booleans()))


class Mix(enum.Enum):
    """Which references criteria use."""

    ANY = "any"
    NO_SCIM = "no scim.*"
    ONLY_SCIM = "only scim.*"


def criteria(mix: Mix = Mix.ANY) -> st.SearchStrategy[Criteria]:
    """Criteria over references that resolve, of the namespaces *mix* allows."""
    refs = [
        item
        for item in _STRING_REFS
        if mix is Mix.ANY or item[0].is_scim is (mix is Mix.ONLY_SCIM)
    ]
    if mix is not Mix.NO_SCIM:  # memberships (nested groups too) get more draws
        refs += [item for item in _STRING_REFS if item[0].path == ("groups",)] * 2
    leaves = _string_leaf(refs)
    if mix is not Mix.NO_SCIM:
        leaves |= _boolean_leaf()
    return st.recursive(
        leaves,
        lambda inner: (
            st.builds(And, inner, inner)
            | st.builds(Or, inner, inner)
            | st.builds(Not, inner)
        ),
        max_leaves=5,
    )


def _durations(minutes: Sequence[int | None]) -> st.SearchStrategy[Duration]:
    return st.builds(Duration, st.sampled_from(minutes))


def _actions(policy_type: PolicyType) -> st.SearchStrategy[Action]:
    if policy_type is PolicyType.ACCESS:
        return st.sampled_from(AccessAction)
    if policy_type is PolicyType.FORWARDING:
        return st.sampled_from(ForwardingAction)
    return st.builds(TimeoutAction, _durations(REAUTH), _durations(IDLE))


# Strategies are built once: building one (a recursive one above all) costs more
# than drawing from it.
_ACTIONS: Final = {policy_type: _actions(policy_type) for policy_type in PolicyType}
_CRITERIA: Final = {mix: st.none() | criteria(mix) for mix in Mix}


@st.composite
def _rule_set(draw: st.DrawFn, policy_type: PolicyType, mix: Mix) -> RuleSet:
    actions = _ACTIONS[policy_type]
    rules = tuple(
        Rule(
            f"{policy_type} rule {index + 1}",
            draw(actions),
            draw(_CRITERIA[mix]),
            disabled=draw(st.booleans()),
        )
        for index in range(draw(st.integers(0, 6)))
    )
    return RuleSet(policy_type, rules, draw(st.none() | actions))


def policies(mix: Mix = Mix.ANY) -> st.SearchStrategy[Policy]:
    """Policies of 0-6 rules per type (some disabled), with or without defaults."""
    return st.builds(
        Policy,
        _rule_set(PolicyType.ACCESS, mix),
        _rule_set(PolicyType.FORWARDING, mix),
        _rule_set(PolicyType.TIMEOUT, mix),
    )


@st.composite
def _directory(draw: st.DrawFn) -> Directory:
    directory = Directory()
    user_ids: list[str] = []
    group_ids: list[str] = []
    for user_name in draw(st.lists(st.sampled_from(USER_NAMES), unique=True)):
        payload: dict[str, Any] = {"userName": user_name}
        for key, pool in (("userType", USER_TYPES), ("title", TITLES)):
            if (value := draw(st.none() | st.sampled_from(pool))) is not None:
                payload[key] = value
        department = draw(st.none() | st.sampled_from(DEPARTMENTS))
        if department is not None:
            payload["schemas"] = [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                ENTERPRISE,
            ]
            payload[ENTERPRISE] = {"department": department}
        active = draw(st.sampled_from((None, True, False)))
        if active is not None:
            payload["active"] = active
        user_ids.append(directory.create_user(payload)["id"])
    for group_name in draw(st.lists(st.sampled_from(GROUP_NAMES), unique=True)):
        # members: some users, and some groups made before (nested groups)
        members = [m for m in user_ids if draw(st.booleans())]
        members += [g for g in group_ids if draw(st.booleans())]
        created = directory.create_group(
            {"displayName": group_name, "members": [{"value": m} for m in members]}
        )
        group_ids.append(created["id"])
    return directory


def idp_settings() -> st.SearchStrategy[dict[str, Any]]:
    """The SCIM settings of one IdP (SAML Attributes for Policy left alone), on more
    often than not so that SCIM criteria are often usable."""
    mostly_on = st.sampled_from((True, True, False))
    return st.fixed_dictionaries(
        {
            "scim_sync": mostly_on,
            "scim_attributes_for_policy": mostly_on,
            "scim_attributes_enabled_at": st.sampled_from(ENABLED_AT),
        }
    )


# SCIM criteria usable for every session drawn (all authenticated after this)
_USABLE: Final = {
    "scim_sync": True,
    "scim_attributes_for_policy": True,
    "scim_attributes_enabled_at": T0 - timedelta(days=3),
}


@st.composite
def _idp(draw: st.DrawFn, name: str, *, usable: bool) -> IdentityProvider:
    return IdentityProvider(
        name,
        draw(_directory()),
        saml_attributes_for_policy=draw(st.booleans()),
        **(_USABLE if usable else draw(idp_settings())),
    )


@st.composite
def _segments(draw: st.DrawFn) -> tuple[ApplicationSegment, ...]:
    names = draw(st.lists(st.sampled_from(SEGMENT_NAMES), unique=True))
    return tuple(
        ApplicationSegment(
            name,
            draw(st.lists(st.sampled_from(DOMAINS), min_size=1, max_size=3)),
            draw(st.lists(st.sampled_from(PORT_SPECS), max_size=2)),
            draw(st.none() | st.sampled_from(SEGMENT_GROUPS)),
        )
        for name in names
    )


@st.composite
def tenants(draw: st.DrawFn, *, usable: bool = False) -> Tenant:
    """1-3 IdPs with small directories and random gates (SCIM criteria always usable
    with *usable*); 0-4 segments."""
    names = draw(st.lists(st.sampled_from(IDP_NAMES), min_size=1, unique=True))
    return Tenant(
        [draw(_idp(name, usable=usable)) for name in names],
        draw(_segments()),
        draw(st.sampled_from(PRESENCE_CLIENT_TYPES)),
    )


@st.composite
def requests(draw: st.DrawFn, tenant: Tenant) -> Request:
    """A request against *tenant*: usually a user of a known IdP's directory, else any
    user (of another IdP, of none), sometimes in another case; an application by
    name, by host and port, both or neither."""
    idp = draw(st.sampled_from([*tenant.idps] * 4 + [None]))
    known: list[str] = []
    if idp is not None and isinstance(idp.directory, Directory):
        known = [user.user_name for user in idp.directory.users()]
    if known and draw(st.sampled_from((True, True, False))):
        user = draw(st.sampled_from(known))
    else:
        user = draw(st.sampled_from((*USER_NAMES, STRANGER)))
    if draw(st.booleans()):
        user = user.upper()
    target = draw(st.sampled_from(("app", "host", "both", "none")))
    app = host = port = None
    if target in {"app", "both"}:
        app = draw(st.sampled_from((*SEGMENT_NAMES, "Unknown App")))
    if target in {"host", "both"}:
        host = draw(st.sampled_from(HOSTS))
        port = draw(st.sampled_from(REQUEST_PORTS))
    authenticated_at = T0 + timedelta(minutes=draw(st.sampled_from(AUTH_OFFSETS)))
    roles = draw(st.lists(st.sampled_from(ROLES), max_size=2, unique=True))
    return Request(
        user,
        "Nowhere" if idp is None else idp.name,
        authenticated_at,
        authenticated_at + timedelta(minutes=draw(st.sampled_from(AGES))),
        app=app,
        host=host,
        port=port,
        saml={"role": roles} if roles else {},
        client_type=draw(st.sampled_from(CLIENT_TYPES)),
        platform=draw(st.none() | st.sampled_from(PLATFORMS)),
    )


@attrs.frozen
class Scenario:
    """A tenant, a policy and a few requests against them."""

    tenant: Tenant
    policy: Policy
    requests: tuple[Request, ...]


@st.composite
def scenarios(draw: st.DrawFn, mix: Mix = Mix.ANY, *, usable: bool = False) -> Scenario:
    """A tenant (SCIM criteria usable throughout with *usable*), a policy whose
    criteria use the references *mix* allows, and 1-4 requests."""
    tenant = draw(tenants(usable=usable))
    policy = draw(policies(mix))
    found = draw(st.lists(requests(tenant), min_size=1, max_size=4))
    return Scenario(tenant, policy, tuple(found))
