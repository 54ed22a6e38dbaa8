"""Generate the acme example tenant: SCIM exports of two identity providers, the
tenant file, the policy and the SAML sessions seen.

Run ``python examples/acme/generate.py`` to rewrite, next to this file:

- ``okta/`` and ``entra/``: ``users.json`` and ``groups.json``, what each IdP pushed
  over SCIM;
- ``tenant.toml``: the identity providers, their SCIM/SAML settings and the
  application segments (docs/tenant-files.md);
- ``acme.policy``: the access, forwarding and timeout policies
  (docs/policy-language.md);
- ``sessions.json``: the SAML sessions seen, the what-if population.

The output depends only on the fixed seed, so the committed files can be checked
against a fresh run (``tests/test_examples.py`` does). ``tenant.toml`` and
``acme.policy`` are hand-written text kept here verbatim; the exports and the sessions
are drawn at random. The sessions use their own generator (``SEED + 1``), drawn after
the exports are built, so adding to them never changes the exports.

Acme Corp has a US workforce provisioned by Okta (employees, contractors, interns) and
a European subsidiary provisioned by Microsoft Entra ID. Each export is what the IdP
pushed over SCIM: users with core and Enterprise attributes, and groups by department,
team, location and role, some nested.

The sessions are about one per active user, signed in over the ten days before the
tenant's ``now`` (so Entra has sessions from before and after it enabled SCIM
Attributes for Policy), with SAML attributes that mostly agree with SCIM. A few are
deliberately not ready for SCIM-based policy: NameIDs no export knows, NameIDs that
differ from the ``userName`` only in case (fine: ZPA ignores case), aliases on another
domain (a NameID/``userName`` mismatch), and users SCIM has deactivated.
"""

from __future__ import annotations

import json
import random
import tomllib
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

SEED: Final = 20261123
HERE: Final = Path(__file__).parent
ENTERPRISE: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_USER: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"

GIVEN: Final = [
    "Ada",
    "Alan",
    "Alice",
    "Amara",
    "Ana",
    "Arjun",
    "Ben",
    "Bianca",
    "Carla",
    "Chen",
    "Chloe",
    "Daniel",
    "Dara",
    "Diego",
    "Elena",
    "Emeka",
    "Emma",
    "Farah",
    "Felix",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jack",
    "Jana",
    "Jonas",
    "Julia",
    "Kai",
    "Kenji",
    "Lara",
    "Leo",
    "Lina",
    "Lucas",
    "Maya",
    "Mei",
    "Mateo",
    "Mia",
    "Nadia",
    "Nina",
    "Noah",
    "Omar",
    "Priya",
    "Rafael",
    "Rosa",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Theo",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
]
FAMILY: Final = [
    "Adams",
    "Bauer",
    "Becker",
    "Chen",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Gupta",
    "Hansen",
    "Ito",
    "Jensen",
    "Kim",
    "Kowalski",
    "Larsen",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Muller",
    "Nakamura",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Torres",
    "Varga",
    "Wagner",
    "Walsh",
    "Weber",
    "Wong",
    "Yilmaz",
    "Zhang",
]

DEPARTMENTS: Final = {
    "Engineering": (
        "Software Engineer",
        "Senior Software Engineer",
        "Staff Engineer",
        "Engineering Manager",
        "Director of Engineering",
    ),
    "SRE": ("Site Reliability Engineer", "Senior SRE", "SRE Manager"),
    "Security": ("Security Engineer", "Security Analyst", "CISO"),
    "IT": ("IT Support Specialist", "Systems Administrator", "IT Manager"),
    "Sales": ("Account Executive", "Sales Engineer", "Sales Manager", "VP Sales"),
    "Marketing": ("Marketing Specialist", "Content Strategist", "Marketing Manager"),
    "Finance": ("Accountant", "Financial Analyst", "Payroll Specialist", "Controller"),
    "HR": ("HR Generalist", "Recruiter", "HR Business Partner", "Director of People"),
    "Legal": ("Paralegal", "Counsel", "General Counsel"),
    "Support": ("Support Engineer", "Customer Success Manager", "Support Lead"),
}
WEIGHTS: Final = (30, 8, 5, 6, 14, 7, 7, 6, 3, 14)
DIVISIONS: Final = {
    "Engineering": "Product",
    "SRE": "Product",
    "Security": "Product",
    "IT": "Operations",
    "Sales": "Go-to-Market",
    "Marketing": "Go-to-Market",
    "Finance": "Operations",
    "HR": "Operations",
    "Legal": "Operations",
    "Support": "Go-to-Market",
}
TEAMS: Final = {
    "Engineering": (
        "Platform",
        "Payments",
        "Mobile",
        "Web",
        "Data",
        "Identity",
        "Search",
    ),
    "SRE": ("Observability", "Infrastructure"),
    "Sales": ("Enterprise", "Mid-Market", "Channel"),
    "Support": ("Tier 1", "Tier 2"),
}
PROJECTS: Final = (
    "Apollo",
    "Borealis",
    "Cascade",
    "Delta",
    "Ember",
    "Falcon",
    "Gemini",
    "Helix",
    "Ion",
    "Juniper",
    "Kestrel",
    "Lumen",
)


class Company:
    """Builds one IdP's export with a shared random generator."""

    def __init__(
        self, rng: random.Random, domain: str, locations: tuple[str, ...]
    ) -> None:
        self.rng = rng
        self.domain = domain
        self.locations = locations
        self.names: set[str] = set()

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def user_name(self, given: str, family: str) -> str:
        base = f"{given}.{family}".lower()
        name, n = f"{base}@{self.domain}", 1
        while name in self.names:
            n += 1
            name = f"{base}{n}@{self.domain}"
        self.names.add(name)
        return name

    def user(self, employee_number: int, *, entra: bool) -> dict[str, Any]:
        rng = self.rng
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        department = rng.choices(list(DEPARTMENTS), weights=WEIGHTS)[0]
        user_type = rng.choices(
            ("Employee", "Contractor", "Intern"), weights=(85, 12, 3)
        )[0]
        user_name = self.user_name(given, family)
        location = rng.choice(self.locations)
        user: dict[str, Any] = {
            "schemas": [CORE_USER, ENTERPRISE],
            "id": self.uid(),
            "externalId": (
                f"00u{rng.getrandbits(40):010x}" if not entra else self.uid()
            ),
            "userName": user_name,
            "name": {
                "givenName": given,
                "familyName": family,
                "formatted": f"{given} {family}",
            },
            "displayName": f"{given} {family}",
            "title": rng.choice(DEPARTMENTS[department]),
            "userType": user_type,
            "active": rng.random() > 0.04,
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "addresses": [{"locality": location, "type": "work"}],
            ENTERPRISE: {
                "employeeNumber": str(employee_number),
                "costCenter": f"CC-{100 + list(DEPARTMENTS).index(department) * 10}",
                "organization": "Acme Corp" if not entra else "Acme Europe GmbH",
                "division": DIVISIONS[department],
                "department": department,
            },
        }
        if user_type != "Employee":
            user["nickName"] = given
        if entra:
            # Entra sends `active` as a string boolean in some tenants.
            user["active"] = "True" if user["active"] else "False"
            user["preferredLanguage"] = rng.choice(("de-DE", "fr-FR", "en-GB", "nl-NL"))
        return user

    def build(self, users: int, *, entra: bool, first_number: int) -> dict[str, Any]:
        people = [self.user(first_number + i, entra=entra) for i in range(users)]
        groups: list[dict[str, Any]] = []

        def group(name: str, members: list[str], nested: list[str] = ()) -> str:  # type: ignore[assignment]
            group_id = self.uid()
            records = [{"value": m, "type": "User"} for m in members]
            records += [{"value": g, "type": "Group"} for g in nested]
            groups.append(
                {
                    "schemas": [CORE_GROUP],
                    "id": group_id,
                    "externalId": self.uid(),
                    "displayName": name,
                    "members": records,
                }
            )
            return group_id

        by_department: dict[str, list[dict[str, Any]]] = {}
        for person in people:
            by_department.setdefault(person[ENTERPRISE]["department"], []).append(
                person
            )
        department_groups = []
        for department, members in by_department.items():
            team_groups = []
            for team in TEAMS.get(department, ()):
                chosen = [p["id"] for p in members if self.rng.random() < 0.3]
                team_groups.append(group(f"{department} - {team}", chosen))
            department_groups.append(
                group(department, [p["id"] for p in members], team_groups)
            )
        for location in self.locations:
            group(
                f"Office {location}",
                [p["id"] for p in people if p["addresses"][0]["locality"] == location],
            )
        group("Contractors", [p["id"] for p in people if p["userType"] == "Contractor"])
        group("Interns", [p["id"] for p in people if p["userType"] == "Intern"])
        group(
            "Managers",
            [
                p["id"]
                for p in people
                if any(
                    w in p["title"]
                    for w in (
                        "Manager",
                        "Director",
                        "VP",
                        "Chief",
                        "CISO",
                        "Counsel",
                        "Controller",
                    )
                )
            ],
        )
        group("All Staff", [], department_groups)
        for project in PROJECTS:
            for phase in ("Core", "Reviewers", "Stakeholders"):
                chosen = [
                    p["id"] for p in self.rng.sample(people, k=min(len(people), 25))
                ]
                group(f"Project {project} {phase}", chosen)
        for n in range(1, 61 if not entra else 21):
            chosen = [p["id"] for p in self.rng.sample(people, k=min(len(people), 12))]
            group(f"Distribution List {n:03d}", chosen)
        return {"users": people, "groups": groups}


def list_response(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap resources the way a SCIM endpoint returns them."""
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


TENANT_TOML: Final = """\
# Acme Corp's ZPA tenant: identity providers, application segments, settings.
#
# Hand-written (examples/acme/generate.py keeps a verbatim copy and writes it here).
# Format: docs/tenant-files.md. Paths are relative to this file.

policy = "acme.policy"
sessions = "sessions.json"      # the SAML sessions seen: the what-if population
now = 2026-11-23T09:00:00Z      # decisions are made for this moment

# -- Identity providers ----------------------------------------------------------

# Acme Corp (US): employees, contractors and interns, provisioned by Okta. SCIM Sync
# is on, so a Client Connector user Okta has not provisioned (or has deactivated) is
# blocked before any rule is read. SCIM attributes are not used in policy yet: rules
# decide on the SAML assertion for Okta users.
[[idp]]
name = "Okta"
directory = "okta"
scim_sync = true
scim_attributes_for_policy = false
saml_attributes_for_policy = true

# Acme Europe GmbH (Berlin, Paris, Amsterdam), provisioned by Microsoft Entra ID.
# SCIM Attributes for Policy was turned on on Monday morning: sessions that signed in
# before then still see every scim.* criterion as unknown.
[[idp]]
name = "Entra"
directory = "entra"
scim_sync = true
scim_attributes_for_policy = true
scim_attributes_enabled_at = 2026-11-16T08:00:00Z
saml_attributes_for_policy = true

# -- Application segments --------------------------------------------------------
# A host resolves to the most specific segment that claims it on that port: an exact
# domain beats a wildcard, a longer wildcard beats a shorter one. No `ports`: every
# port.

# Engineering Apps

[[segment]]
name = "GitLab"
domains = ["gitlab.acme.example", "gitlab.acme-europe.example"]
ports = [443, 22]
segment_group = "Engineering Apps"

[[segment]]
name = "CI"
domains = ["ci.acme.example", "*.ci.acme.example"]   # the runners live under ci.
ports = [443, "8000-8100"]
segment_group = "Engineering Apps"

[[segment]]
name = "Staging"
domains = ["*.staging.acme.example", "*.staging.acme-europe.example"]
segment_group = "Engineering Apps"

# Infrastructure

[[segment]]
name = "Production SSH"
domains = ["*.prod.acme.example", "*.prod.acme-europe.example"]
ports = [22]
segment_group = "Infrastructure"

[[segment]]
name = "Kubernetes API"
domains = ["k8s.prod.acme.example", "k8s.prod.acme-europe.example"]
ports = [6443]
segment_group = "Infrastructure"

# db.prod.acme.example:22 is still Production SSH (this segment does not claim port
# 22); on 443 and the Postgres ports the exact domain here wins over *.prod.
[[segment]]
name = "Database Console"
domains = ["db.prod.acme.example"]
ports = [443, "5432-5439"]
segment_group = "Infrastructure"

[[segment]]
name = "Vault"
domains = ["vault.acme.example"]
ports = [8200]
segment_group = "Infrastructure"

[[segment]]
name = "Grafana"
domains = ["grafana.acme.example", "*.grafana.acme.example"]
ports = [443, 3000]
segment_group = "Infrastructure"

[[segment]]
name = "Bastion EU"
domains = ["bastion.acme-europe.example"]
ports = [22]
segment_group = "Infrastructure"

# Finance Apps

[[segment]]
name = "Payroll"
domains = ["payroll.acme.example", "*.payroll.acme.example"]
ports = [443, "8000-8100"]
segment_group = "Finance Apps"

[[segment]]
name = "Payroll EU"
domains = ["payroll.acme-europe.example"]
ports = [443]
segment_group = "Finance Apps"

[[segment]]
name = "NetSuite ERP"
domains = ["erp.acme.example"]
ports = [443]
segment_group = "Finance Apps"

[[segment]]
name = "Expenses"
domains = ["expenses.acme.example", "expenses.acme-europe.example"]
ports = [443]
segment_group = "Finance Apps"

# Sales Apps

[[segment]]
name = "CRM"
domains = ["crm.acme.example", "crm.acme-europe.example"]
ports = [443]
segment_group = "Sales Apps"

[[segment]]
name = "Sales Demo"
domains = ["demo.acme.example", "*.demo.acme.example"]
ports = [443, "8000-8100"]
segment_group = "Sales Apps"

[[segment]]
name = "Support Desk"
domains = ["support.acme.example", "*.support.acme.example"]
ports = [443]
segment_group = "Sales Apps"

# Corporate Apps

[[segment]]
name = "Intranet"
domains = ["intranet.acme.example", "wiki.acme.example"]
ports = [443]
segment_group = "Corporate Apps"

[[segment]]
name = "Intranet EU"
domains = ["intranet.acme-europe.example", "*.intranet.acme-europe.example"]
ports = [443]
segment_group = "Corporate Apps"

[[segment]]
name = "HR Portal"
domains = ["hr.acme.example", "people.acme-europe.example"]
ports = [443]
segment_group = "Corporate Apps"

[[segment]]
name = "Contract Repository"
domains = ["contracts.acme.example"]
ports = [443]
segment_group = "Corporate Apps"

[[segment]]
name = "Facilities Berlin"
domains = ["facilities.berlin.acme-europe.example"]
ports = [80, 443]
segment_group = "Corporate Apps"

# The catch-all: any other acme.example web host. Every segment above with an exact
# or longer domain wins over it, so this only gets what nothing else claims.
[[segment]]
name = "Acme Web"
domains = ["*.acme.example"]
ports = [80, 443]
segment_group = "Corporate Apps"
"""
"""The tenant file, verbatim (its ``now`` also dates the sessions)."""

POLICY: Final = """\
# Acme Corp: Zscaler Private Access policies (access, client forwarding, timeout).
#
# Hand-written (examples/acme/generate.py keeps a verbatim copy and writes it here).
# Language: docs/policy-language.md. Names are checked against tenant.toml and the
# SCIM exports. In each section the first matching rule decides: denies come first.
#
# Two identity providers, two states of readiness:
#   Okta   SCIM Attributes for Policy is OFF: every scim.* criterion is unknown for
#          Okta users, so their rules decide on SAML attributes alone.
#   Entra  SCIM Attributes for Policy is on since 2026-11-16T08:00Z; a session that
#          signed in before then still sees scim.* as unknown.
# Rules meant for both say the same thing in SAML and in SCIM, joined by `or`. A deny
# whose criteria are SCIM only cannot fire while SCIM is unknown: the contractor rules
# below then fall through to the broader allows after them. Run a what-if before
# turning SCIM attributes on for Okta.

access:
  # -- Guard rails --------------------------------------------------------------
  rule "Unmanaged devices: no infrastructure": deny
    when segment_group == "Infrastructure"
      and posture["CrowdStrike running"] != true
  rule "Browser access: no shells or secrets": deny
    when client_type == "web_browser"
      and app in ["Production SSH", "Bastion EU", "Kubernetes API", "Vault"]
  rule "Phones and tablets: no infrastructure": deny
    when platform in ["ios", "android"] and segment_group == "Infrastructure"
  rule "Finance apps from home countries only": deny
    when segment_group == "Finance Apps" and country not in ["US", "DE", "FR", "NL"]

  # -- Contractors and interns ----------------------------------------------------
  # SCIM only: unknown for Okta users and for Entra sessions from before
  # 2026-11-16T08:00Z, which then reach the department allows below.
  rule "Contractors: no finance or HR": deny
    when (segment_group == "Finance Apps" or app == "HR Portal")
      and scim.userType == "Contractor"
  rule "Contractors: source and staging only": deny
    when segment_group == "Engineering Apps" and app not in ["GitLab", "Staging"]
      and "Contractors" in scim.groups
  rule "Interns: no production": deny
    when segment_group == "Infrastructure"
      and (scim.userType == "Intern" or "intern" in saml.role)

  # -- Infrastructure ---------------------------------------------------------------
  rule "SRE and Platform to infrastructure": allow
    when segment_group == "Infrastructure"
      and ("SRE" in scim.groups or "Engineering - Platform" in scim.groups
        or saml.groups in ["SRE", "Engineering - Platform"])
  rule "IT administrators to the bastions": allow
    when app in ["Production SSH", "Bastion EU"]
      and (scim.title in ["Systems Administrator", "IT Manager"]
        or "admin" in saml.role)
  rule "Engineers: database console on approval": require_approval
    when app == "Database Console"
      and (scim.department == "Engineering" or saml.department == "Engineering")
  rule "Security to monitoring and secrets": allow
    when app in ["Grafana", "Vault"]
      and (scim.department == "Security" or saml.department == "Security")
  rule "Engineering and Support read dashboards": allow
    when app == "Grafana"
      and (scim.department in ["Engineering", "Support"]
        or saml.department in ["Engineering", "Support"])

  # -- Engineering ------------------------------------------------------------------
  rule "Product division to engineering apps": allow
    when segment_group == "Engineering Apps"
      and (scim.division == "Product"
        or saml.department in ["Engineering", "SRE", "Security"])
  rule "Project Apollo and Helix to staging": allow
    when app == "Staging"
      and ("Project Apollo Reviewers" in scim.groups
        or "Project Helix Core" in scim.groups
        or saml.groups in ["Project Apollo Reviewers", "Project Helix Core"])
  rule "IT to CI": allow
    when app == "CI" and (scim.costCenter == "CC-130" or saml.department == "IT")

  # -- Finance and HR -----------------------------------------------------------------
  rule "Finance to finance apps": allow
    when segment_group == "Finance Apps"
      and ("Finance" in scim.groups or saml.department == "Finance")
  rule "European HR runs payroll": allow
    when app == "Payroll EU" and idp == "Entra"
      and (scim.department == "HR" or saml.department == "HR")
  rule "Managers: ERP on approval": require_approval
    when app == "NetSuite ERP" and ("Managers" in scim.groups or "manager" in saml.role)
  rule "Employees file expenses": allow
    when app == "Expenses" and (scim.userType == "Employee" or "employee" in saml.role)
  rule "HR to the HR portal": allow
    when app == "HR Portal" and (scim.department == "HR" or "HR" in saml.groups)
  rule "Employees see their own HR record": allow
    when app == "HR Portal"
      and (scim.userType == "Employee" or "employee" in saml.role)

  # -- Sales, support and legal -------------------------------------------------------
  rule "Go-to-market to sales apps": allow
    when segment_group == "Sales Apps"
      and (scim.division == "Go-to-Market"
        or saml.department in ["Sales", "Marketing", "Support"])
  rule "Sales engineers to demo environments": allow
    when app == "Sales Demo"
      and (scim.title == "Sales Engineer" or "Engineering - Web" in saml.groups)
  disabled rule "Legal hold: contracts read-only for Legal": deny
    when app == "Contract Repository" and saml.department != "Legal"
  rule "Legal and managers to contracts": allow
    when app == "Contract Repository"
      and (scim.costCenter == "CC-180" or saml.department == "Legal"
        or "Managers" in scim.groups or "manager" in saml.role)

  # -- Corporate ----------------------------------------------------------------------
  rule "Berlin office to Berlin facilities": allow
    when app == "Facilities Berlin"
      and ("Office Berlin" in scim.groups or "Office Berlin" in saml.groups)
  rule "Europe to the EU intranet": allow
    when app == "Intranet EU" and idp == "Entra"
  rule "Everyone to the intranet and the web": allow
    when app in ["Intranet", "Acme Web"]
  default: deny

forwarding:
  rule "Office network: bypass on managed devices": bypass
    when trusted_network in ["Acme Office US", "Acme Office EU"]
      and posture["CrowdStrike running"] == true
  rule "Contractors: allowed apps only": intercept_accessible
    when scim.userType == "Contractor" or "contractor" in saml.role
  rule "Interns: allowed apps only": intercept_accessible
    when "Interns" in scim.groups or "intern" in saml.role
  rule "Phones and tablets: allowed apps only": intercept_accessible
    when platform in ["ios", "android"]
  rule "Unmanaged devices: allowed apps only": intercept_accessible
    when posture["CrowdStrike running"] != true
  default: intercept

timeout:
  # SCIM only: Okta contractors keep the default until SCIM attributes count for Okta.
  rule "Contractors re-authenticate daily": reauth every 1d idle 30m
    when scim.userType == "Contractor"
  rule "Interns re-authenticate twice a day": reauth every 12h idle 1h
    when scim.userType == "Intern" or "intern" in saml.role
  rule "Browser access: 8 hours": reauth every 8h idle 30m
    when client_type == "web_browser"
  rule "Administrators: 12 hours": reauth every 12h idle 2h
    when "admin" in saml.role or "SRE" in scim.groups
  rule "Unmanaged devices: daily": reauth every 1d idle 1h
    when posture["CrowdStrike running"] == false
  default: reauth every 14d idle never
"""
"""The policy file, verbatim."""

COUNTRIES: Final = {
    "San Francisco": "US",
    "New York": "US",
    "Austin": "US",
    "Berlin": "DE",
    "Paris": "FR",
    "Amsterdam": "NL",
}
TRAVEL: Final = ("GB", "CA", "ES", "IT", "JP", "IN", "MX", "CH")
ADMIN_TITLES: Final = frozenset(
    {
        "Systems Administrator",
        "IT Manager",
        "Site Reliability Engineer",
        "Senior SRE",
        "SRE Manager",
    }
)
SAML_GROUP_SKIP: Final = ("Project ", "Distribution List ", "All Staff")
IDP_NAMES: Final = {"okta": "Okta", "entra": "Entra"}
DOMAINS: Final = {"okta": "acme.example", "entra": "acme-europe.example"}
LOCATIONS: Final = {
    "okta": ("San Francisco", "New York", "Austin"),
    "entra": ("Berlin", "Paris", "Amsterdam"),
}
SERVICE_ACCOUNTS: Final = (
    ("svc-ci@acme.example", "okta"),
    ("svc-monitoring@acme.example", "okta"),
    ("svc-backup@acme-europe.example", "entra"),
)
"""Machine identities signing in through the IdP: never provisioned over SCIM."""
ALIAS_DOMAINS: Final = {"acme.example": "acme.com", "acme-europe.example": "acme.eu"}
WINDOW: Final = timedelta(days=10)
"""Sessions signed in over the ten days before ``now``."""
MISSING, CASE, ALIAS, INACTIVE = 25, 15, 10, 20
"""How many sessions of each deliberate readiness problem."""


def stamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_active(user: dict[str, Any]) -> bool:
    """Okta sends ``active`` as a boolean, Entra as ``"True"``/``"False"``."""
    return user["active"] not in (False, "False")


class Sessions:
    """Draws the SAML sessions seen, from their own random generator."""

    def __init__(
        self,
        rng: random.Random,
        exports: dict[str, dict[str, Any]],
        now: datetime,
    ) -> None:
        self.rng = rng
        self.exports = exports
        self.now = now
        self.taken = {
            user["userName"].casefold()
            for export in exports.values()
            for user in export["users"]
        }
        self.groups: dict[str, list[str]] = {}
        for export in exports.values():
            for group in export["groups"]:
                for member in group["members"]:
                    if member["type"] == "User":
                        self.groups.setdefault(member["value"], []).append(
                            group["displayName"]
                        )

    def moment(self) -> str:
        """A sign-in time in the window before ``now``."""
        seconds = self.rng.randrange(int(WINDOW.total_seconds()))
        return stamp(self.now - timedelta(seconds=seconds))

    def saml(self, user: dict[str, Any]) -> dict[str, Any]:
        """SAML attributes that agree with SCIM, but for a few stale or missing
        departments (the IdP's SAML mapping lags behind a move between teams)."""
        rng = self.rng
        department = user[ENTERPRISE]["department"]
        groups = self.groups.get(user["id"], [])
        roles = [user["userType"].lower()]
        if "Managers" in groups:
            roles.append("manager")
        if user["title"] in ADMIN_TITLES:
            roles.append("admin")
        claims = [g for g in groups if not g.startswith(SAML_GROUP_SKIP)]
        teams = [g for g in claims if " - " in g]
        if len(teams) > 2:  # the groups claim carries two teams at most
            kept = rng.sample(teams, 2)
            claims = [g for g in claims if " - " not in g or g in kept]
        projects = [g for g in groups if g.startswith("Project ")]
        if projects:
            claims.append(rng.choice(projects))
        saml: dict[str, Any] = {}
        draw = rng.random()
        if draw < 0.04:
            saml["department"] = rng.choice([d for d in DEPARTMENTS if d != department])
        elif draw >= 0.06:
            saml["department"] = department
        saml["role"] = roles
        if claims:
            saml["groups"] = claims
        return saml

    def session(
        self, name: str, idp: str, location: str, saml: dict[str, Any], *, tech: bool
    ) -> dict[str, Any]:
        """One session, its keys in the order docs/tenant-files.md lists them."""
        rng = self.rng
        browser = rng.random() < 0.12
        platforms = ("mac", "linux", "windows", "ios", "android")
        weights = (60, 15, 20, 3, 2) if tech else (38, 1, 53, 5, 3)
        country = COUNTRIES[location] if rng.random() > 0.03 else rng.choice(TRAVEL)
        session: dict[str, Any] = {
            "user": name,
            "idp": IDP_NAMES[idp],
            "authenticated_at": self.moment(),
        }
        if saml:
            session["saml"] = saml
        session["client_type"] = "web_browser" if browser else "client_connector"
        session["platform"] = rng.choices(platforms, weights=weights)[0]
        session["country"] = country
        if not browser:
            session["posture"] = {"CrowdStrike running": rng.random() > 0.06}
            if country == COUNTRIES[location] and rng.random() < 0.3:
                office = "Acme Office US" if idp == "okta" else "Acme Office EU"
                session["trusted_networks"] = [office]
        return session

    def of(
        self, idp: str, user: dict[str, Any], name: str | None = None
    ) -> dict[str, Any]:
        """The session of a user in an export (signed in as *name*, if given)."""
        department = user[ENTERPRISE]["department"]
        return self.session(
            name or user["userName"],
            idp,
            user["addresses"][0]["locality"],
            self.saml(user),
            tech=department in ("Engineering", "SRE", "Security"),
        )

    def recased(self, user_name: str) -> str:
        """The same address in another case (ZPA matches NameIDs ignoring case)."""
        local, domain = user_name.split("@")
        if self.rng.random() < 0.5:
            return f"{local.title()}@{domain}"
        return user_name.upper()

    def alias(self, user: dict[str, Any]) -> str:
        """The user's address on the company's other mail domain: not the userName."""
        domain = user["userName"].split("@")[1]
        name = user["name"]
        return (
            f"{name['givenName']}.{name['familyName']}@{ALIAS_DOMAINS[domain]}".lower()
        )

    def stranger(self, idp: str) -> dict[str, Any]:
        """A session of someone no SCIM export knows: a new hire not provisioned yet,
        or a leaver already deleted."""
        rng = self.rng
        domain = DOMAINS[idp]
        name = ""
        while not name or name.casefold() in self.taken:
            name = f"{rng.choice(GIVEN)}.{rng.choice(FAMILY)}@{domain}".lower()
        self.taken.add(name.casefold())
        department = rng.choices(list(DEPARTMENTS), weights=WEIGHTS)[0]
        saml = {"department": department, "role": ["employee"], "groups": [department]}
        return self.session(
            name,
            idp,
            rng.choice(LOCATIONS[idp]),
            saml,
            tech=department in ("Engineering", "SRE", "Security"),
        )

    def build(self) -> list[dict[str, Any]]:
        """About one session per active user, plus the readiness problems."""
        rng = self.rng
        people = [
            (idp, user)
            for idp, export in self.exports.items()
            for user in export["users"]
        ]
        signed_in = [p for p in people if is_active(p[1]) and rng.random() < 0.95]
        inactive = [p for p in people if not is_active(p[1])]
        renamed = rng.sample(range(len(signed_in)), CASE + ALIAS)
        recased, aliased = set(renamed[:CASE]), set(renamed[CASE:])
        sessions = []
        for n, (idp, user) in enumerate(signed_in):
            name = user["userName"]
            if n in recased:
                name = self.recased(name)
            elif n in aliased:
                name = self.alias(user)
            sessions.append(self.of(idp, user, name))
        sessions += [self.of(idp, user) for idp, user in rng.sample(inactive, INACTIVE)]
        sessions += [
            self.stranger(rng.choices(("okta", "entra"), weights=(2, 1))[0])
            for _ in range(MISSING - len(SERVICE_ACCOUNTS))
        ]
        for name, idp in SERVICE_ACCOUNTS:
            sessions.append(
                self.session(
                    name, idp, LOCATIONS[idp][0], {"role": ["service"]}, tech=True
                )
            )
        sessions.sort(key=lambda s: (s["authenticated_at"], s["user"]))
        return sessions


def generate(target: Path = HERE) -> None:
    """Write ``okta/``, ``entra/``, ``tenant.toml``, ``acme.policy`` and
    ``sessions.json`` under *target*."""
    rng = random.Random(SEED)
    exports = {
        "okta": Company(rng, DOMAINS["okta"], LOCATIONS["okta"]).build(
            2400, entra=False, first_number=10000
        ),
        "entra": Company(rng, DOMAINS["entra"], LOCATIONS["entra"]).build(
            800, entra=True, first_number=50000
        ),
    }
    for idp, export in exports.items():
        folder = target / idp
        folder.mkdir(parents=True, exist_ok=True)
        for kind in ("users", "groups"):
            text = json.dumps(list_response(export[kind]), indent=1, ensure_ascii=False)
            (folder / f"{kind}.json").write_text(text + "\n", encoding="utf-8")
    # New data from here on draws from its own generator, after the exports are
    # built: the exports never change when the sessions do.
    tenant = tomllib.loads(TENANT_TOML)
    sessions = Sessions(random.Random(SEED + 1), exports, tenant["now"]).build()
    (target / "tenant.toml").write_text(TENANT_TOML, encoding="utf-8")
    (target / tenant["policy"]).write_text(POLICY, encoding="utf-8")
    text = json.dumps(sessions, indent=1, ensure_ascii=False)
    (target / tenant["sessions"]).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    generate()
    print(f"wrote the acme tenant under {HERE}")
