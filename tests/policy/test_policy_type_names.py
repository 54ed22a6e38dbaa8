"""A policy type given by name ("access") is the policy type, everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from scimpolicy import (
    AccessAction,
    Directory,
    Engine,
    Gates,
    IdentityProvider,
    PolicyType,
    Request,
    Tenant,
    load_policy,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RULES = """
access:
  rule "Engineers": allow when scim.department == "Engineering"
  default: deny
timeout:
  rule "Everyone": reauth every 1d idle never
"""


def test_decide_by_name_is_decide_by_member_and_leaves_the_cache_alone() -> None:
    """Regression: `decide("access", ...)` used to decide the timeout policy and
    to cache that rule chain under the access key, so later `decide(PolicyType.ACCESS,
    ...)` calls went wrong too."""
    directory = Directory()
    directory.create_user(
        {
            "userName": "ada@example.com",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "department": "Engineering"
            },
        }
    )
    idp = IdentityProvider(
        "okta",
        directory,
        scim_sync=True,
        scim_attributes_for_policy=True,
        scim_attributes_enabled_at=NOW,
    )
    tenant = Tenant([idp])
    engine = Engine(tenant, load_policy(RULES, tenant))
    request = Request("ada@example.com", "okta", NOW, NOW)
    by_name = engine.decide("access", request)  # type: ignore[arg-type]
    assert by_name.outcome is AccessAction.ALLOW
    assert by_name.policy_type is PolicyType.ACCESS
    assert engine.decide(PolicyType.ACCESS, request) == by_name
    assert engine.decide_access(request).rule == "Engineers"
    policy = engine.policy
    assert policy.matcher("timeout", Gates()) is policy.matcher(  # type: ignore[arg-type]
        PolicyType.TIMEOUT, Gates()
    )
    assert policy.policy.rule_set("access") is policy.policy.access  # type: ignore[arg-type]
