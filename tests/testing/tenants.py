"""A tiny tenant folder for the testing tests, written wherever a test wants it.

One IdP, Okta (SCIM Sync on, SCIM Attributes for Policy on since ``ENABLED``), two
segments and a policy with all three sections:

=================  ==========  ========  =======
user               userType    groups    active
=================  ==========  ========  =======
alice@example.com  Employee    Finance   yes
carl@example.com   Contractor  Finance   yes
dana@example.com   Employee    Finance   no
mona@example.com   Employee    -         yes
=================  ==========  ========  =======

Access: a contractor is denied Payroll, Finance reaches it, a manager (SAML role)
needs approval, everyone reaches the wiki; a disabled rule freezes the wiki.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

ENABLED: Final = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
NOW: Final = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

TENANT_TOML: Final = """\
policy = "tiny.policy"
now = 2026-11-23T09:00:00Z

[[idp]]
name = "Okta"
directory = "okta"
scim_sync = true
scim_attributes_for_policy = true
scim_attributes_enabled_at = 2026-11-20T09:00:00Z

[[segment]]
name = "Payroll"
domains = ["payroll.example.com"]
ports = [443]
segment_group = "Finance Apps"

[[segment]]
name = "Wiki"
domains = ["wiki.example.com"]
ports = [443]
"""

POLICY: Final = """\
access:
  rule "Contractors: no payroll": deny
    when app == "Payroll" and scim.userType == "Contractor"
  rule "Finance to payroll": allow
    when app == "Payroll" and "Finance" in scim.groups
  disabled rule "Wiki freeze": deny
    when app == "Wiki"
  rule "Managers: payroll on approval": require_approval
    when app == "Payroll" and "manager" in saml.role
  rule "Everyone to the wiki": allow
    when app == "Wiki"
  default: deny

forwarding:
  rule "Contractors: allowed apps only": intercept_accessible
    when scim.userType == "Contractor"
  default: intercept

timeout:
  rule "Contractors daily": reauth every 1d idle 30m
    when scim.userType == "Contractor"
  default: reauth every 7d idle never
"""

USERS: Final = [
    ("u-alice", "alice@example.com", "Employee", True),
    ("u-carl", "carl@example.com", "Contractor", True),
    ("u-dana", "dana@example.com", "Employee", False),
    ("u-mona", "mona@example.com", "Employee", True),
]


def _users() -> list[dict[str, Any]]:
    return [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": user_id,
            "userName": name,
            "userType": user_type,
            "active": active,
        }
        for user_id, name, user_type, active in USERS
    ]


def _groups() -> list[dict[str, Any]]:
    return [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "g-finance",
            "displayName": "Finance",
            "members": [{"value": v} for v in ("u-alice", "u-carl", "u-dana")],
        }
    ]


def write_tenant(folder: Path, policy: str = POLICY) -> Path:
    """Write the tiny tenant into *folder* (made if missing); return *folder*."""
    (folder / "okta").mkdir(parents=True, exist_ok=True)
    (folder / "tenant.toml").write_text(TENANT_TOML, encoding="utf-8")
    (folder / "tiny.policy").write_text(policy, encoding="utf-8")
    (folder / "okta" / "users.json").write_text(json.dumps(_users()), "utf-8")
    (folder / "okta" / "groups.json").write_text(json.dumps(_groups()), "utf-8")
    return folder
