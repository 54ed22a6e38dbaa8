"""A tour of the SCIM service provider: provision like Okta does, then decide on exactly
what was synced (docs/scim-server.md).

The server is used in process here (``ScimService.handle``), so nothing listens on a
port; ``scimpolicy serve`` answers the same requests over HTTP.

Run: ``python examples/scim_server_tour.py``
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from scimpolicy import (
    ApplicationSegment,
    Engine,
    IdentityProvider,
    Request,
    Tenant,
    load_policy,
)
from scimpolicy.server import HttpRequest, HttpResponse, ScimService, Store

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

POLICY = """
access:
  rule "SRE to Git": allow when app == "Git" and "SRE" in scim.groups
  default: deny
"""


class Okta:
    """Sends what Okta's provisioning sends, with the IdP's bearer token."""

    def __init__(self, service: ScimService, token: str) -> None:
        self.service = service
        self.token = token

    def call(self, method: str, target: str, body: Any = None) -> HttpResponse:
        path, _, query = target.partition("?")
        request = HttpRequest(
            method,
            f"/scim/Okta/v2{path}",
            query=query,
            headers={
                "authorization": f"Bearer {self.token}",
                "content-type": "application/scim+json",
            },
            body=b"" if body is None else json.dumps(body).encode(),
        )
        response = self.service.handle(request)
        print(f"{method} {path} -> {response.status}")
        return response

    def push_user(self, user_name: str) -> str:
        """Look the user up by userName first, create it if missing (Okta's way)."""
        query = quote(f'userName eq "{user_name}"')
        found = self.call("GET", f"/Users?filter={query}").json()
        if found["totalResults"]:
            return str(found["Resources"][0]["id"])
        body = {"schemas": [USER], "userName": user_name, "active": True}
        return str(self.call("POST", "/Users", body).json()["id"])


def main() -> None:
    numbers = itertools.count(1)  # readable ids for the tour (default: random UUIDs)
    store = Store.open(None, ["Okta"], id_factory=lambda: f"id-{next(numbers)}")
    # Store.open("scim-data", ["Okta"]) would keep every write on disk.
    token = store.new_token("Okta")  # shown once; only its digest is kept
    okta = Okta(ScimService(store), token)

    carl = okta.push_user("carl@acme.com")
    okta.push_user("carl@acme.com")  # pushed again: found, not created twice
    okta.call(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "SRE", "members": [{"value": carl}]},
    )

    intruder = Okta(okta.service, "not-the-token")
    intruder.call("GET", "/Users")

    # Decide on exactly what was synced: the tenant uses the store's directory.
    tenant = Tenant(
        [
            IdentityProvider(
                "Okta",
                store.directory("Okta"),
                scim_sync=True,
                scim_attributes_for_policy=True,
                scim_attributes_enabled_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        ],
        [ApplicationSegment("Git", ["git.acme.com"], [443], "Engineering Apps")],
    )
    engine = Engine(tenant, load_policy(POLICY, tenant))
    signed_in = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    request = Request("carl@acme.com", "Okta", signed_in, NOW, app="Git")
    print("Carl to Git:", engine.decide_access(request).outcome)

    # Okta deactivates rather than deletes: Carl is now absent for policy.
    okta.call(
        "PATCH",
        f"/Users/{carl}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        },
    )
    decision = engine.decide_access(request)
    print("Carl to Git after deactivation:", decision.outcome, decision.reason_code)


if __name__ == "__main__":
    main()
