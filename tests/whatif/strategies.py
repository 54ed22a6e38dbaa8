"""Hypothesis strategies for what-if tests: small worlds and changes that fit them.

A world has 1-2 IdPs with small directories (users from a pool of four, groups from a
pool of three, some nested), 1-3 segments, a policy of a few rules per section whose
criteria mix SCIM attributes, SCIM groups, SAML attributes and the request's context,
and 1-5 sessions (of known users, of users SCIM does not know, of an IdP the tenant
does not have). ``changes(world)`` draws one change of any kind that applies to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hypothesis import strategies as st

from scimpolicy import (
    ApplicationSegment,
    Directory,
    IdentityProvider,
    Policy,
    PolicyType,
    Severity,
    Tenant,
    check_policy,
    parse_policy,
)
from scimpolicy.whatif.changes import (
    AddGroup,
    AddRule,
    AddToGroup,
    AddUser,
    AdvanceTime,
    Change,
    MoveRule,
    MoveUser,
    PatchGroup,
    PatchUser,
    Reauthenticate,
    RemoveFromGroup,
    RemoveGroup,
    RemoveRule,
    RemoveUser,
    ReplaceRule,
    ReplaceUser,
    SetIdp,
    SetRuleDisabled,
    SetTime,
    UsePolicy,
)
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World

__all__ = ["T0", "changes", "policies", "worlds"]

T0: Final = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ENTERPRISE: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
IDP_NAMES: Final = ("Okta", "Entra")
USER_NAMES: Final = ("ann@acme.com", "bob@acme.com", "cy@acme.com", "dee@acme.com")
STRANGERS: Final = ("zed@acme.com", "ANN@ACME.COM")
GROUP_NAMES: Final = ("SRE", "Finance", "All Staff")
SEGMENTS: Final = {
    "Git": ApplicationSegment("Git", ["git.acme.com"], [443], "Engineering Apps"),
    "Payroll": ApplicationSegment("Payroll", ["payroll.acme.com"], [443], "Finance"),
    "Intranet": ApplicationSegment("Intranet", ["*.acme.com"], [], "Corporate"),
}
USER_TYPES: Final = ("Employee", "Contractor")
DEPARTMENTS: Final = ("Engineering", "Finance")
ROLES: Final = ("dev", "finance", "admin")
MINUTES: Final = (-2880, -60, -1, 0, 1, 60, 1440)
"""Moments around T0 (sign-ins, the enabling of SCIM Attributes for Policy, now)."""


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


_MOMENTS: Final = st.sampled_from(MINUTES).map(_at)


# -- directories ----------------------------------------------------------------------------


def _user_payload(
    user_name: str, user_type: str | None, department: str | None, active: bool | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"userName": user_name}
    if user_type is not None:
        payload["userType"] = user_type
    if department is not None:
        payload["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]
        payload[ENTERPRISE] = {"department": department}
    if active is not None:
        payload["active"] = active
    return payload


_USER_FIELDS: Final = st.tuples(
    st.none() | st.sampled_from(USER_TYPES),
    st.none() | st.sampled_from(DEPARTMENTS),
    st.sampled_from((None, True, True, False)),
)


@st.composite
def _directory(draw: st.DrawFn) -> Directory:
    directory = Directory()
    user_ids: list[str] = []
    for user_name in draw(st.lists(st.sampled_from(USER_NAMES), unique=True)):
        payload = _user_payload(user_name, *draw(_USER_FIELDS))
        user_ids.append(directory.create_user(payload)["id"])
    group_ids: list[str] = []
    for name in draw(st.lists(st.sampled_from(GROUP_NAMES), unique=True)):
        members = [m for m in user_ids + group_ids if draw(st.booleans())]
        created = directory.create_group(
            {"displayName": name, "members": [{"value": m} for m in members]}
        )
        group_ids.append(created["id"])
    return directory


@st.composite
def _idp(draw: st.DrawFn, name: str) -> IdentityProvider:
    mostly_on = st.sampled_from((True, True, False))
    return IdentityProvider(
        name,
        draw(_directory()),
        scim_sync=draw(mostly_on),
        scim_attributes_for_policy=draw(mostly_on),
        scim_attributes_enabled_at=draw(st.none() | _MOMENTS),
        saml_attributes_for_policy=draw(mostly_on),
    )


# -- policies --------------------------------------------------------------------------------


def _atoms(apps: tuple[str, ...], idps: tuple[str, ...]) -> tuple[str, ...]:
    return (
        'scim.userType == "Contractor"',
        'scim.department in ["Engineering", "Finance"]',
        "scim.active == true",
        '"SRE" in scim.groups',
        '"All Staff" in scim.groups',
        '"Finance" not in scim.groups',
        'saml.role == "finance"',
        'saml.role != "admin"',
        'client_type == "web_browser"',
        *(f'app == "{app}"' for app in apps),
        *(f'idp == "{idp}"' for idp in idps),
    )


def _criteria(atoms: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.recursive(
        st.sampled_from(atoms),
        lambda inner: (
            st.tuples(inner, st.sampled_from(("and", "or")), inner).map(
                lambda t: f"({t[0]}) {t[1]} ({t[2]})"
            )
            | inner.map(lambda c: f"not ({c})")
        ),
        max_leaves=3,
    )


_ACTIONS: Final = {
    PolicyType.ACCESS: ("allow", "deny", "require_approval"),
    PolicyType.FORWARDING: ("intercept", "intercept_accessible", "bypass"),
    PolicyType.TIMEOUT: (
        "reauth every 1d idle 30m",
        "reauth every 12h idle never",
        "reauth every 10m idle 10m",
        "reauth every never idle 1h",
    ),
}


@st.composite
def rule_texts(
    draw: st.DrawFn, policy_type: PolicyType, name: str, tenant: Tenant
) -> str:
    """One rule of *policy_type* called *name*, over *tenant*'s names."""
    atoms = _atoms(
        tuple(s.name for s in tenant.segments), tuple(i.name for i in tenant.idps)
    )
    action = draw(st.sampled_from(_ACTIONS[policy_type]))
    disabled = "disabled " if draw(st.integers(0, 4)) == 0 else ""
    criteria = draw(st.none() | _criteria(atoms))
    when = "" if criteria is None else f" when {criteria}"
    return f'{disabled}rule "{name}": {action}{when}'


@st.composite
def policies(draw: st.DrawFn, tenant: Tenant) -> Policy:
    """A policy of 0-3 rules per section (with or without a default) that checks
    against *tenant*."""
    sections = []
    for policy_type in PolicyType:
        lines = [f"{policy_type}:"]
        for index in range(draw(st.integers(0, 3))):
            name = f"{policy_type} {index + 1}"
            lines.append("  " + draw(rule_texts(policy_type, name, tenant)))
        if draw(st.booleans()):
            lines.append(f"  default: {draw(st.sampled_from(_ACTIONS[policy_type]))}")
        sections.append("\n".join(lines))
    policy = parse_policy("\n\n".join(sections) + "\n")
    errors = [d for d in check_policy(policy, tenant) if d.severity is Severity.ERROR]
    assert not errors, errors
    return policy


def _names(tenant: Tenant) -> tuple[str, ...]:
    return tuple(idp.name for idp in tenant.idps)


# -- worlds ------------------------------------------------------------------------------------


@st.composite
def _session(draw: st.DrawFn, tenant: Tenant) -> Session:
    idp = draw(st.sampled_from([*_names(tenant)] * 4 + ["Ping"]))
    user = draw(st.sampled_from(USER_NAMES + STRANGERS))
    roles = draw(st.lists(st.sampled_from(ROLES), max_size=2, unique=True))
    return Session(
        user,
        idp,
        draw(_MOMENTS),
        saml={"role": roles} if roles else {},
        client_type=draw(st.sampled_from(("client_connector", "web_browser"))),
    )


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A small world: 1-2 IdPs, 1-3 segments, a policy, 1-5 sessions, ``now``."""
    names = draw(st.lists(st.sampled_from(IDP_NAMES), min_size=1, unique=True))
    segments = draw(
        st.lists(st.sampled_from(tuple(SEGMENTS)), min_size=1, max_size=3, unique=True)
    )
    tenant = Tenant(
        [draw(_idp(name)) for name in names],
        [SEGMENTS[name] for name in segments],
    )
    sessions = draw(st.lists(_session(tenant), min_size=1, max_size=5))
    now = draw(st.sampled_from((60, 600, 1440, 20160)).map(_at))
    return World(tenant, draw(policies(tenant)), now, sessions)


# -- changes --------------------------------------------------------------------------------

KINDS: Final = (
    "set idp",
    "reauthenticate",
    "set time",
    "advance time",
    "add rule",
    "remove rule",
    "move rule",
    "replace rule",
    "disable rule",
    "use policy",
    "add user",
    "patch user",
    "replace user",
    "remove user",
    "add group",
    "remove group",
    "patch group",
    "add to group",
    "remove from group",
    "move user",
)
"""Every kind of change ``changes()`` draws."""


def _directory_of(world: World, idp: str) -> Directory:
    directory = world.idp(idp).directory
    assert isinstance(directory, Directory)
    return directory


def _users(world: World) -> list[tuple[str, str]]:
    """(IdP, userName) of every user."""
    return [
        (idp.name, user.user_name)
        for idp in world.tenant.idps
        for user in _directory_of(world, idp.name).users()
    ]


def _groups(world: World) -> list[tuple[str, str]]:
    """(IdP, displayName) of every group."""
    return [
        (idp.name, group.display_name)
        for idp in world.tenant.idps
        for group in _directory_of(world, idp.name).groups()
    ]


def _memberships(world: World) -> list[tuple[str, str, str]]:
    """(IdP, userName, group) of every direct membership of a user."""
    found = []
    for idp in world.tenant.idps:
        directory = _directory_of(world, idp.name)
        for group in directory.groups():
            for member in group.members:
                user = directory.user(member.value)
                if user is not None:
                    found.append((idp.name, user.user_name, group.display_name))
    return found


def _outside(world: World) -> list[tuple[str, str, str]]:
    """(IdP, userName, group) of every group of its IdP a user is not directly in."""
    inside = set(_memberships(world))
    return [
        (idp, user, group)
        for idp, user in _users(world)
        for other, group in _groups(world)
        if other == idp and (idp, user, group) not in inside
    ]


def _moves(world: World) -> list[tuple[str, str, str, str]]:
    """(IdP, userName, from group, to group) of every possible move."""
    outside = _outside(world)
    return [
        (idp, user, group, to)
        for idp, user, group in _memberships(world)
        for other, someone, to in outside
        if (other, someone) == (idp, user)
    ]


def _free_users(world: World) -> list[tuple[str, str]]:
    """(IdP, userName) of every user an IdP could provision."""
    taken = {(idp, user.casefold()) for idp, user in _users(world)}
    return [
        (idp, name)
        for idp in _names(world.tenant)
        for name in (*USER_NAMES, "new@acme.com")
        if (idp, name) not in taken
    ]


def _ruled(world: World) -> list[PolicyType]:
    return [t for t in PolicyType if world.policy.rule_set(t).rules]


_FITS: Final = {
    "remove rule": _ruled,
    "move rule": _ruled,
    "replace rule": _ruled,
    "disable rule": _ruled,
    "add user": _free_users,
    "patch user": _users,
    "replace user": _users,
    "remove user": _users,
    "remove group": _groups,
    "patch group": _groups,
    "add to group": _outside,
    "remove from group": _memberships,
    "move user": _moves,
}


def fits(kind: str, world: World) -> bool:
    """Whether a change of *kind* can apply to *world*."""
    found = _FITS.get(kind)
    return found is None or bool(found(world))


_PATCHES: Final = (
    [{"op": "replace", "path": "userType", "value": "Contractor"}],
    [{"op": "replace", "path": "userType", "value": "Employee"}],
    [{"op": "replace", "path": "department", "value": "Engineering"}],
    [{"op": "remove", "path": "department"}],
    [{"op": "replace", "path": "active", "value": False}],
    [{"op": "replace", "path": "active", "value": "True"}],
    [{"op": "add", "value": {"title": "Boss", "nickName": "b"}}],
    [{"op": "replace", "path": "userName", "value": "renamed@acme.com"}],
)


def _free_name(world: World, policy_type: PolicyType) -> str:
    taken = {rule.name for rule in world.policy.rule_set(policy_type).rules}
    return next(f"new rule {n}" for n in range(1, 99) if f"new rule {n}" not in taken)


@st.composite
def _rule_change(draw: st.DrawFn, kind: str, world: World) -> Change:
    if kind == "add rule":
        policy_type = draw(st.sampled_from(PolicyType))
        count = len(world.policy.rule_set(policy_type).rules)
        name = _free_name(world, policy_type)
        text = draw(rule_texts(policy_type, name, world.tenant))
        return AddRule(policy_type, text, draw(st.none() | st.integers(0, count)))
    policy_type = draw(st.sampled_from(_ruled(world)))
    rules = world.policy.rule_set(policy_type).rules
    name = draw(st.sampled_from([rule.name for rule in rules])).upper()
    if kind == "remove rule":
        return RemoveRule(policy_type, name)
    if kind == "move rule":
        return MoveRule(policy_type, name, draw(st.integers(0, len(rules) - 1)))
    if kind == "replace rule":
        # The replacement keeps the name or takes a free one.
        new_name = draw(st.sampled_from((name, _free_name(world, policy_type))))
        text = draw(rule_texts(policy_type, new_name, world.tenant))
        return ReplaceRule(policy_type, name, text)
    return SetRuleDisabled(policy_type, name, draw(st.booleans()))


@st.composite
def _directory_change(draw: st.DrawFn, kind: str, world: World) -> Change:
    idps = _names(world.tenant)
    if kind == "add user":
        idp, name = draw(st.sampled_from(_free_users(world)))
        return AddUser(idp, _user_payload(name, *draw(_USER_FIELDS)))
    if kind in {"patch user", "replace user", "remove user"}:
        idp, user = draw(st.sampled_from(_users(world)))
        if kind == "patch user":
            return PatchUser(idp, user.upper(), draw(st.sampled_from(_PATCHES)))
        if kind == "replace user":
            return ReplaceUser(idp, user, _user_payload(user, *draw(_USER_FIELDS)))
        return RemoveUser(idp, user)
    if kind == "add group":
        idp = draw(st.sampled_from(idps))
        directory = _directory_of(world, idp)
        # Display names may repeat: another group's name is fair game.
        name = draw(st.sampled_from((*GROUP_NAMES, "New")))
        members = [u.id for u in directory.users()] + [g.id for g in directory.groups()]
        chosen = (
            draw(st.lists(st.sampled_from(members), unique=True)) if members else []
        )
        return AddGroup(
            idp, {"displayName": name, "members": [{"value": m} for m in chosen]}
        )
    if kind == "remove group":
        return RemoveGroup(*draw(st.sampled_from(_groups(world))))
    if kind == "patch group":
        idp, group = draw(st.sampled_from(_groups(world)))
        new = draw(st.sampled_from((*GROUP_NAMES, "Renamed")))
        return PatchGroup(
            idp, group, [{"op": "replace", "path": "displayName", "value": new}]
        )
    if kind == "add to group":
        return AddToGroup(*draw(st.sampled_from(_outside(world))))
    if kind == "remove from group":
        return RemoveFromGroup(*draw(st.sampled_from(_memberships(world))))
    return MoveUser(*draw(st.sampled_from(_moves(world))))


def _session_change(world: World) -> st.SearchStrategy[Change]:
    users = sorted({s.user for s in world.sessions if s.idp in _names(world.tenant)})
    who = st.lists(st.sampled_from(users), max_size=2) if users else st.just([])
    return st.builds(Reauthenticate, who, st.none(), st.none() | _MOMENTS) | st.builds(
        Reauthenticate, st.just(()), st.sampled_from(_names(world.tenant))
    )


def change(kind: str, world: World) -> st.SearchStrategy[Change]:
    """A change of *kind* that applies to *world* (``fits(kind, world)``)."""
    if kind == "set idp":
        maybe = st.none() | st.booleans()
        return st.builds(
            SetIdp,
            st.sampled_from(_names(world.tenant)),
            scim_sync=maybe,
            scim_attributes_for_policy=maybe,
            saml_attributes_for_policy=maybe,
            at=st.none() | _MOMENTS,
        )
    if kind == "reauthenticate":
        return _session_change(world)
    if kind == "set time":
        return st.builds(SetTime, _MOMENTS)
    if kind == "advance time":
        minutes = st.sampled_from(MINUTES).map(lambda m: timedelta(minutes=m))
        return st.builds(AdvanceTime, minutes)
    if kind == "use policy":
        return policies(world.tenant).map(lambda p: UsePolicy(p, "a generated policy"))
    if kind.endswith("rule"):
        return _rule_change(kind, world)
    return _directory_change(kind, world)


@st.composite
def changes(draw: st.DrawFn, world: World) -> Change:
    """A change of any kind that applies to *world*."""
    kind = draw(st.sampled_from([k for k in KINDS if fits(k, world)]))
    return draw(change(kind, world))
