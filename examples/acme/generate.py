"""Generate the acme example directories: SCIM exports of two identity providers.

Run ``python examples/acme/generate.py`` to rewrite ``okta/`` and ``entra/`` next to
this file. The output depends only on the fixed seed, so the committed files can be
checked against a fresh run (``tests/test_examples.py`` does).

Acme Corp has a US workforce provisioned by Okta (employees, contractors, interns) and
a European subsidiary provisioned by Microsoft Entra ID. Each export is what the IdP
pushed over SCIM: users with core and Enterprise attributes, and groups by department,
team, location and role, some nested.
"""

from __future__ import annotations

import json
import random
import uuid
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


def generate(target: Path = HERE) -> None:
    """Write ``okta/`` and ``entra/`` under *target*."""
    rng = random.Random(SEED)
    exports = {
        "okta": Company(
            rng, "acme.example", ("San Francisco", "New York", "Austin")
        ).build(2400, entra=False, first_number=10000),
        "entra": Company(
            rng, "acme-europe.example", ("Berlin", "Paris", "Amsterdam")
        ).build(800, entra=True, first_number=50000),
    }
    for idp, export in exports.items():
        folder = target / idp
        folder.mkdir(parents=True, exist_ok=True)
        for kind in ("users", "groups"):
            text = json.dumps(list_response(export[kind]), indent=1, ensure_ascii=False)
            (folder / f"{kind}.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    generate()
    print(f"wrote {HERE / 'okta'} and {HERE / 'entra'}")
