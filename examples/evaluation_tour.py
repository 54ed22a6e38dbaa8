"""A tour of the engine: a contractor before and after re-authenticating, forwarding
of allowed applications, the SCIM presence gate (docs/evaluation.md, worked example).

Run: ``python examples/evaluation_tour.py``
"""

from __future__ import annotations

from datetime import UTC, datetime

from scimpolicy import (
    ApplicationSegment,
    Decision,
    Directory,
    Engine,
    IdentityProvider,
    Request,
    Tenant,
    load_policy,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ENABLED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # SCIM Attributes for Policy on
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

POLICY = """
access:
  rule "Block contractors": deny
    when scim.userType == "Contractor"
  rule "Engineering to source control": allow
    when app == "Git" and ("SRE" in scim.groups or saml.department == "Engineering")
  rule "Everyone to the intranet": allow
    when app == "Intranet"
  default: deny

forwarding:
  rule "Client Connector: allowed apps only": intercept_accessible
    when client_type == "client_connector"
  default: intercept

timeout:
  rule "Contractors re-auth daily": reauth every 1d idle 30m
    when scim.userType == "Contractor"
  default: reauth every 7d idle never
"""


def okta_directory() -> Directory:
    """Alice (employee), Carl (contractor), both in SRE; Dana deactivated."""
    directory = Directory()
    ids: dict[str, str] = {}
    for user_name, user_type, active in [
        ("alice@acme.com", "Employee", True),
        ("carl@acme.com", "Contractor", True),
        ("dana@acme.com", "Employee", False),
    ]:
        created = directory.create_user(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "userName": user_name,
                "userType": user_type,
                "active": active,
                ENTERPRISE: {"department": "Engineering"},
            }
        )
        ids[user_name] = created["id"]
    members = [{"value": ids["alice@acme.com"]}, {"value": ids["carl@acme.com"]}]
    directory.create_group({"displayName": "SRE", "members": members})
    return directory


def show(title: str, decision: Decision) -> None:
    print(f"== {title}")
    print(decision.explain())
    print()


def main() -> None:
    okta = IdentityProvider(
        "Okta",
        okta_directory(),
        scim_sync=True,
        scim_attributes_for_policy=True,
        scim_attributes_enabled_at=ENABLED,
    )
    tenant = Tenant(
        [okta],
        [
            ApplicationSegment("Git", ["git.acme.com"], [443, 22], "Engineering Apps"),
            ApplicationSegment("Payroll", ["payroll.acme.com"], [443], "Finance Apps"),
            ApplicationSegment("Intranet", ["*.acme.com"], segment_group="General"),
        ],
    )
    engine = Engine(tenant, load_policy(POLICY, tenant))

    # Carl signed in before SCIM Attributes for Policy was enabled: his SCIM criteria
    # are unknown, so the contractor block cannot fire and SAML lets him into Git.
    def carl(authenticated_at: datetime) -> Request:
        return Request(
            "carl@acme.com",
            "Okta",
            authenticated_at,
            NOW,
            host="git.acme.com",
            port=22,
            saml={"department": "Engineering"},
        )

    before = carl(datetime(2026, 11, 19, 17, 0, tzinfo=UTC))
    show("Carl, before re-authenticating: access", engine.explain_access(before))
    show("Carl, before re-authenticating: timeout", engine.explain_timeout(before))

    # After signing in again his SCIM attributes count: denied, one-day sessions.
    after = carl(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    show("Carl, after re-authenticating: access", engine.explain_access(after))
    show("Carl, after re-authenticating: timeout", engine.explain_timeout(after))

    # Client Connector forwards only what the access policy allows.
    alice = Request(
        "alice@acme.com", "Okta", datetime(2026, 11, 20, 9, 5, tzinfo=UTC), NOW
    )
    show("Alice: forwarding", engine.explain_forwarding(alice))
    show("Carl (re-authenticated): forwarding", engine.explain_forwarding(after))

    # SCIM Sync is on: users missing from SCIM, or inactive, are blocked on Client
    # Connector before any rule is read; Browser Access is not gated.
    erin = Request("erin@acme.com", "Okta", alice.authenticated_at, NOW, app="Intranet")
    show("Erin (not in SCIM), Client Connector", engine.explain_access(erin))
    browser = Request(
        "erin@acme.com",
        "Okta",
        alice.authenticated_at,
        NOW,
        app="Intranet",
        client_type="web_browser",
    )
    show("Erin (not in SCIM), Browser Access", engine.explain_access(browser))
    dana = Request("dana@acme.com", "Okta", alice.authenticated_at, NOW, app="Git")
    show("Dana (deactivated)", engine.explain_access(dana))

    # A host no segment covers: NO_POLICY_FOUND.
    lost = Request(
        "alice@acme.com", "Okta", alice.authenticated_at, NOW, host="vpn.example.net"
    )
    show("Alice, unknown host", engine.explain_access(lost))


if __name__ == "__main__":
    main()
