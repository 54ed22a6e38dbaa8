"""A small hand-built world for the what-if tests, and helpers to look at worlds.

Acme's Okta (SCIM Sync on, SCIM Attributes for Policy on since ``ENABLED``) and Acme
Europe's Entra (SCIM Sync on, SCIM Attributes for Policy off), three segments, and a
policy with SCIM, SCIM-group and SAML criteria in all three sections:

========================  =====  ==========  ===========  ===================  =====
user                      IdP    userType    department   groups (direct)      signed in
========================  =====  ==========  ===========  ===================  =====
alice@acme.com            Okta   Employee    Engineering  SRE                  after
carl@acme.com             Okta   Contractor  Finance      Finance              BEFORE
fran@acme.com             Okta   Contractor  Finance      Finance              after
dana@acme.com (inactive)  Okta   Employee    Finance      Finance              after
erin@acme.com             Okta   Employee    Finance      Finance              after
zed@acme.com (no SCIM)    Okta   -           -            -                    after
hugo@acme.eu              Entra  Employee    Sales        Sales                before
ines@acme.eu              Entra  Contractor  Finance      Finance              before
========================  =====  ==========  ===========  ===================  =====

Okta's ``SRE`` is nested in ``Engineering``, and ``Engineering`` and ``Finance`` in
``All Staff``. Carl and Ines (finance contractors) reach Payroll on their SAML role
while their SCIM criteria are unknown; Fran, signed in after ``ENABLED``, is denied.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from scimpolicy import (
    ApplicationSegment,
    Decision,
    Directory,
    Group,
    IdentityProvider,
    PolicyType,
    Tenant,
    User,
    format_policy,
    load_policy,
)
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World

CORE_USER: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

NOW: Final = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ENABLED: Final = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
"""When Okta's SCIM Attributes for Policy was turned on."""
BEFORE: Final = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
"""A sign-in from before ``ENABLED``."""
AFTER: Final = NOW - timedelta(hours=2)
"""A sign-in from after ``ENABLED`` (07:00 on the day of ``NOW``)."""

POLICY: Final = """
access:
  rule "Block contractors from payroll": deny
    when app == "Payroll" and scim.userType == "Contractor"
  rule "Engineering to Git": allow
    when app == "Git" and (scim.department == "Engineering"
      or "Engineering" in scim.groups or saml.department == "Engineering")
  rule "Finance to Payroll": allow
    when app == "Payroll" and ("Finance" in scim.groups
      or "Payroll Admins" in scim.groups or saml.role == "finance")
  rule "Everyone to the intranet": allow
    when app == "Intranet"
  default: deny

forwarding:
  rule "Contractors: allowed apps only": intercept_accessible
    when scim.userType == "Contractor" or saml.role == "contractor"
  rule "SRE bypass": bypass
    when "SRE" in scim.groups
  default: intercept

timeout:
  rule "Contractors re-auth daily": reauth every 1d idle 30m
    when scim.userType == "Contractor"
  rule "Administrators: 12 hours": reauth every 12h idle 1h
    when "SRE" in scim.groups or saml.role == "admin"
  default: reauth every 7d idle never
"""

SEGMENTS: Final = (
    ApplicationSegment("Git", ["git.acme.com"], [443, 22], "Engineering Apps"),
    ApplicationSegment("Payroll", ["payroll.acme.com"], [443], "Finance Apps"),
    ApplicationSegment("Intranet", ["*.acme.com"], [80, 443], "Corporate Apps"),
)


def add_user(
    directory: Directory,
    user_name: str,
    user_type: str,
    department: str,
    *,
    active: bool = True,
) -> str:
    """Provision a user as an IdP would; its id."""
    created = directory.create_user(
        {
            "schemas": [CORE_USER, ENTERPRISE],
            "userName": user_name,
            "userType": user_type,
            "active": active,
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            ENTERPRISE: {"department": department},
        }
    )
    return str(created["id"])


def add_group(directory: Directory, name: str, members: Iterable[str]) -> str:
    """Provision a group of users or groups (by id); its id."""
    created = directory.create_group(
        {"displayName": name, "members": [{"value": m} for m in members]}
    )
    return str(created["id"])


def okta_directory() -> Directory:
    directory = Directory()
    alice = add_user(directory, "alice@acme.com", "Employee", "Engineering")
    finance = [
        add_user(directory, "carl@acme.com", "Contractor", "Finance"),
        add_user(directory, "fran@acme.com", "Contractor", "Finance"),
        add_user(directory, "dana@acme.com", "Employee", "Finance", active=False),
        add_user(directory, "erin@acme.com", "Employee", "Finance"),
    ]
    sre = add_group(directory, "SRE", [alice])
    engineering = add_group(directory, "Engineering", [sre])
    finance_group = add_group(directory, "Finance", finance)
    add_group(directory, "All Staff", [engineering, finance_group])
    return directory


def entra_directory() -> Directory:
    directory = Directory()
    hugo = add_user(directory, "hugo@acme.eu", "Employee", "Sales")
    ines = add_user(directory, "ines@acme.eu", "Contractor", "Finance")
    add_group(directory, "Sales", [hugo])
    add_group(directory, "Finance", [ines])
    return directory


def small_sessions() -> tuple[Session, ...]:
    return (
        Session(
            "alice@acme.com",
            "Okta",
            AFTER,
            saml={"department": "Engineering", "role": ["admin", "employee"]},
            platform="mac",
            country="US",
        ),
        Session("carl@acme.com", "Okta", BEFORE, saml={"role": "finance"}),
        Session("fran@acme.com", "Okta", AFTER, saml={"role": "finance"}),
        Session("dana@acme.com", "Okta", AFTER, saml={"role": "finance"}),
        Session("erin@acme.com", "Okta", AFTER, saml={"role": "finance"}),
        Session("zed@acme.com", "Okta", AFTER, saml={"role": "employee"}),
        Session(
            "hugo@acme.eu",
            "Entra",
            BEFORE,
            saml={"department": "Sales"},
            client_type="web_browser",
        ),
        Session("ines@acme.eu", "Entra", BEFORE, saml={"role": "finance"}),
    )


def small_world() -> World:
    """A fresh small world (its directories are its own)."""
    okta = IdentityProvider(
        "Okta",
        okta_directory(),
        scim_sync=True,
        scim_attributes_for_policy=True,
        scim_attributes_enabled_at=ENABLED,
    )
    entra = IdentityProvider("Entra", entra_directory(), scim_sync=True)
    tenant = Tenant([okta, entra], SEGMENTS)
    policy = load_policy(POLICY, tenant).policy
    return World(tenant, policy, NOW, small_sessions())


class Lookups:
    """A directory that answers the engine's lookups (users by name, with no groups)
    but is no scimpolicy ``Directory``: it cannot list users or take SCIM writes."""

    def __init__(self, *users: User) -> None:
        self._users = {user.user_name.casefold(): user for user in users}

    def user_by_name(self, user_name: str, *, active_only: bool = False) -> User | None:
        user = self._users.get(user_name.casefold())
        return None if user is None or (active_only and not user.is_active) else user

    def group_names_of(self, member_id: str) -> frozenset[str]:
        assert any(user.id == member_id for user in self._users.values())
        return frozenset()

    def groups(self) -> Iterator[Group]:
        return iter(())


# -- looking at worlds ------------------------------------------------------------------


def session_of(world: World, user: str) -> Session:
    """The (first) session of *user* in *world*."""
    folded = user.casefold()
    return next(s for s in world.sessions if s.user.casefold() == folded)


def decide(
    world: World,
    user: str,
    app: str | None = None,
    policy_type: PolicyType = PolicyType.ACCESS,
) -> Decision:
    """What *world* decides for *user*'s session asking for *app* at its ``now``."""
    request = session_of(world, user).request(world.now, app=app)
    return world.engine().decide(policy_type, request)


def rule_of(world: World, user: str, app: str | None = None) -> str:
    """Who decides *user*'s access to *app*: ``rule `name```, ``the default``, ..."""
    return decide(world, user, app).decided_by


def directory_of(world: World, idp: str) -> Directory:
    directory = world.idp(idp).directory
    assert isinstance(directory, Directory)
    return directory


def groups_of(world: World, idp: str, user: str) -> set[str]:
    """The names of the groups *user* is in (transitively)."""
    directory = directory_of(world, idp)
    found = directory.user_by_name(user)
    assert found is not None, user
    return set(directory.group_names_of(found.id))


def _without_meta(resource: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in resource.items() if k != "meta"}
    for key in ("members", "groups"):
        if key in body:
            body[key] = sorted(body[key], key=lambda m: (m["value"], m.get("type")))
    return body


def snapshot(world: World) -> dict[str, Any]:
    """Everything a decision in *world* depends on, comparable with ``==``: the IdP
    settings, every user and group as SCIM JSON (without ``meta``, whose version a
    restore moves on), the policy, the sessions and ``now``."""
    idps = []
    for idp in world.tenant.idps:
        directory = directory_of(world, idp.name)
        users = sorted(
            (_without_meta(directory.get_user(u.id)) for u in directory.users()),
            key=lambda u: str(u["userName"]),
        )
        groups = sorted(
            (_without_meta(directory.get_group(g.id)) for g in directory.groups()),
            key=lambda g: str(g["id"]),
        )
        idps.append(
            {
                "name": idp.name,
                "settings": (
                    idp.scim_sync,
                    idp.scim_attributes_for_policy,
                    idp.scim_attributes_enabled_at,
                    idp.saml_attributes_for_policy,
                ),
                "users": users,
                "groups": groups,
            }
        )
    return {
        "idps": idps,
        "segments": world.tenant.segments,
        "policy": format_policy(world.policy),
        "sessions": world.sessions,
        "now": world.now,
    }
