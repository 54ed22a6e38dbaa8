"""Scenarios straight from ZPA's documents (``shared/seeds/``, ``research/zpa.md``),
each a short story: the tenant, the policy, what happens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scimpolicy import (
    AccessAction,
    ApplicationSegment,
    Directory,
    Engine,
    ForwardingAction,
    IdentityProvider,
    ReasonCode,
    Request,
    RuleStatus,
    Tenant,
    load_policy,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENABLED = datetime(
    2026, 11, 20, 9, 0, tzinfo=UTC
)  # SCIM Attributes for Policy turned on
BEFORE = ENABLED - timedelta(hours=2)  # a session from before that
AFTER = ENABLED + timedelta(hours=2)  # a session after re-authenticating
SEGMENTS = (
    ApplicationSegment("Git", ["git.acme.example"], [443, 22], "Engineering"),
    ApplicationSegment("CI", ["ci.acme.example"], [443], "Engineering"),
    ApplicationSegment("Payroll", ["payroll.acme.example"], [443], "Finance"),
    ApplicationSegment("Intranet", ["*.acme.example"], [(80, 443)], "Corporate"),
    ApplicationSegment("Intranet HR", ["*.hr.acme.example"], [443], "Corporate"),
)
POLICY = """
access:
  rule "Block contractors from payroll": deny
    when app == "Payroll" and scim.userType == "Contractor"
  rule "Engineering to source control": allow
    when app in ["Git", "CI"] and (scim.department == "Engineering" or "SRE" in scim.groups)
  rule "Finance by SAML role": allow
    when app == "Payroll" and saml.role == "finance"
  rule "Everyone to the intranet": allow
    when segment_group == "Corporate"
"""


class World:
    """One Okta IdP, its directory, and an engine over a policy."""

    def __init__(self, policy: str = POLICY, **settings: Any) -> None:
        self.directory = Directory()
        defaults: dict[str, Any] = {
            "scim_sync": True,
            "scim_attributes_for_policy": True,
            "scim_attributes_enabled_at": ENABLED,
        }
        self.idp = IdentityProvider("okta", self.directory, **(defaults | settings))
        self.tenant = Tenant([self.idp], SEGMENTS)
        self.engine = Engine(self.tenant, load_policy(policy, self.tenant))

    def add(self, name: str, **attributes: Any) -> str:
        enterprise = {k: attributes.pop(k) for k in ("department",) if k in attributes}
        payload: dict[str, Any] = {"userName": name, **attributes}
        if enterprise:
            payload[ENTERPRISE] = enterprise
        return str(self.directory.create_user(payload)["id"])

    def request(self, user: str, *, at: datetime = AFTER, **fields: Any) -> Request:
        fields.setdefault("now", at + timedelta(minutes=5))
        return Request(user, "okta", authenticated_at=at, **fields)

    def access(self, user: str, app: str, **fields: Any) -> AccessAction | None:
        decision = self.engine.decide_access(self.request(user, app=app, **fields))
        assert isinstance(decision.outcome, AccessAction)
        return decision.outcome


def test_unsynced_user_is_blocked_only_when_scim_sync_is_on() -> None:
    """A user the IdP has not synced yet is blocked with SCIM Sync on, not with it off."""
    world = World()
    decision = world.engine.explain_access(
        world.request("new@acme.example", app="Intranet")
    )
    assert decision.blocked
    assert decision.outcome is AccessAction.DENY
    assert decision.reason_code is ReasonCode.SCIM_INACTIVE
    assert decision.trace == ()  # no rule was read
    assert (
        "SCIM Sync is on, so ZPA blocks the user before reading any rule"
        in decision.notes
    )
    off = World(scim_sync=False)
    assert off.access("new@acme.example", "Intranet") is AccessAction.ALLOW


def test_presence_gate_applies_to_client_connector_only_by_default() -> None:
    """Browser Access sessions are not blocked by the SCIM presence check (zpa.md §3.3)."""
    world = World()
    browser = world.request(
        "new@acme.example", app="Intranet", client_type="web_browser"
    )
    assert not world.engine.decide_access(browser).blocked


def test_presence_client_types_take_short_names() -> None:
    """The tenant's presence client types may be short names or ZPA's values."""
    world = World()
    tenant = Tenant([world.idp], SEGMENTS, presence_client_types={"web_browser"})
    engine = Engine(tenant, load_policy(POLICY, tenant))
    browser = world.request(
        "new@acme.example", app="Intranet", client_type="web_browser"
    )
    assert engine.decide_access(browser).blocked
    assert not engine.decide_access(
        world.request("new@acme.example", app="Intranet")
    ).blocked


def test_deactivation_blocks_and_reactivation_restores() -> None:
    """Okta deactivates (active=false): blocked; reactivated: access is back."""
    world = World()
    user_id = world.add("ann@acme.example", department="Engineering")
    assert world.access("ann@acme.example", "Git") is AccessAction.ALLOW
    deactivate = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    world.directory.patch_user(user_id, deactivate)
    decision = world.engine.decide_access(world.request("ann@acme.example", app="Git"))
    assert (decision.blocked, decision.reason_code) == (True, ReasonCode.SCIM_INACTIVE)
    assert (
        "`ann@acme.example` is inactive in SCIM (active=false): absent for policy"
        in (decision.notes)
    )
    world.directory.patch_user(
        user_id,
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Replace", "path": "active", "value": "True"}],
        },
    )
    assert world.access("ann@acme.example", "Git") is AccessAction.ALLOW


def test_deleted_user_is_blocked() -> None:
    """Deleting a user in the IdP removes them from ZPA: blocked at once."""
    world = World()
    user_id = world.add("ann@acme.example", department="Engineering")
    world.directory.delete_user(user_id)
    assert world.engine.decide_access(
        world.request("ann@acme.example", app="Git")
    ).blocked


def test_scim_criteria_count_only_when_attributes_for_policy_is_on() -> None:
    """SCIM criteria are ignored while SCIM Attributes for Policy is off."""
    off = World(scim_attributes_for_policy=False)
    off.add("ann@acme.example", department="Engineering")
    decision = off.engine.explain_access(off.request("ann@acme.example", app="Git"))
    assert (
        decision.outcome is AccessAction.DENY
    )  # the default: the SCIM allow is unknown
    assert decision.rule is None
    second = decision.trace[1]
    assert second.status is RuleStatus.UNKNOWN
    assert second.reason == "SCIM Attributes for Policy is off for IdP `okta`"


def test_scim_criteria_need_re_authentication_after_enabling() -> None:
    """A session from before SCIM Attributes for Policy was enabled ignores SCIM criteria;
    after the user re-authenticates they count. SAML criteria work throughout."""
    world = World()
    world.add("ann@acme.example", department="Engineering")
    world.add("fin@acme.example", department="Finance")
    assert world.access("ann@acme.example", "Git", at=BEFORE) is AccessAction.DENY
    stale = world.engine.explain_access(
        world.request("ann@acme.example", app="Git", at=BEFORE)
    )
    assert stale.trace[1].reason == (
        "user has not re-authenticated since 2026-11-20T09:00:00Z (SCIM Attributes for "
        "Policy enabled); last authenticated 2026-11-20T07:00:00Z"
    )
    assert world.access("ann@acme.example", "Git", at=AFTER) is AccessAction.ALLOW
    for moment in (BEFORE, AFTER):
        assert (
            world.access(
                "fin@acme.example", "Payroll", at=moment, saml={"role": "finance"}
            )
            is AccessAction.ALLOW
        )


def test_or_block_keeps_deciding_on_saml_when_scim_is_unusable() -> None:
    """zpa.md §4: an OR block skips the unusable SCIM criteria and evaluates SAML."""
    policy = (
        'access:\n  rule "r": allow when "SRE" in scim.groups or saml.role == "sre"\n'
    )
    world = World(policy, scim_attributes_for_policy=False)
    world.add("ann@acme.example")
    assert (
        world.access("ann@acme.example", "Git", saml={"role": "sre"})
        is AccessAction.ALLOW
    )
    assert (
        world.access("ann@acme.example", "Git", saml={"role": "dev"})
        is AccessAction.DENY
    )


def test_and_block_with_unusable_scim_is_not_evaluated() -> None:
    """zpa.md §4: an AND block with unusable SCIM criteria never matches, even when the
    SAML part is true; with SCIM usable it matches."""
    policy = 'access:\n  rule "r": allow when scim.department == "SRE" and saml.role == "sre"\n'
    off = World(policy, scim_attributes_for_policy=False)
    off.add("ann@acme.example", department="SRE")
    assert (
        off.access("ann@acme.example", "Git", saml={"role": "sre"}) is AccessAction.DENY
    )
    on = World(policy)
    on.add("ann@acme.example", department="SRE")
    assert (
        on.access("ann@acme.example", "Git", saml={"role": "sre"}) is AccessAction.ALLOW
    )


def test_saml_gate_is_symmetric() -> None:
    """With SAML Attributes for Policy off, SAML criteria are unknown and SCIM decides."""
    policy = 'access:\n  rule "r": allow when saml.role == "sre" or scim.department == "SRE"\n'
    world = World(policy, saml_attributes_for_policy=False)
    world.add("ann@acme.example", department="SRE")
    world.add("bob@acme.example", department="Sales")
    assert world.access("ann@acme.example", "Git") is AccessAction.ALLOW
    assert (
        world.access("bob@acme.example", "Git", saml={"role": "sre"})
        is AccessAction.DENY
    )


def test_a_block_rule_after_a_broader_allow_never_fires() -> None:
    """zpa.md §1.3: first match wins, so a deny placed after a broader allow is dead."""
    policy = (
        "access:\n"
        '  rule "Everyone to Payroll": allow when app == "Payroll"\n'
        '  rule "Block contractors": deny when app == "Payroll" and scim.userType == "Contractor"\n'
    )
    world = World(policy)
    world.add("con@acme.example", userType="Contractor")
    decision = world.engine.explain_access(
        world.request("con@acme.example", app="Payroll")
    )
    assert (decision.outcome, decision.rule) == (
        AccessAction.ALLOW,
        "Everyone to Payroll",
    )
    assert [entry.name for entry in decision.trace] == ["Everyone to Payroll"]


def test_contractor_block_cannot_fire_before_re_authentication() -> None:
    """SPEC §5.4: a deny rule with SCIM criteria cannot apply until the user's SCIM
    criteria are usable; until then a later rule decides."""
    world = World()
    world.add("con@acme.example", userType="Contractor")
    stale = world.engine.decide_access(
        world.request(
            "con@acme.example", host="payroll.acme.example", port=443, at=BEFORE
        )
    )
    assert stale.outcome is AccessAction.DENY
    assert stale.rule is None  # the default, not the contractor rule
    fresh = world.engine.decide_access(
        world.request("con@acme.example", host="payroll.acme.example", port=443)
    )
    assert fresh.rule == "Block contractors from payroll"
    assert fresh.reason_code is ReasonCode.REJECTED_BY_POLICY


def test_each_default() -> None:
    """With no rule matching (or no rules), ZPA's defaults: deny, intercept, 7 days."""
    world = World("")
    world.add("ann@acme.example")
    request = world.request("ann@acme.example", app="Git")
    access = world.engine.decide_access(request)
    assert (access.outcome, access.rule, access.reason_code) == (
        AccessAction.DENY,
        None,
        ReasonCode.REJECTED_BY_POLICY,
    )
    assert world.engine.decide_forwarding(request).outcome is ForwardingAction.INTERCEPT
    timeout = world.engine.decide_timeout(request)
    assert timeout.expires_at == AFTER + timedelta(days=7)
    assert not timeout.expired
    own = World("access:\n  default: allow\nforwarding:\n  default: bypass\n")
    own.add("ann@acme.example")
    assert (
        own.engine.decide_access(own.request("ann@acme.example")).outcome
        is AccessAction.ALLOW
    )
    assert own.engine.decide_forwarding(own.request("ann@acme.example")).outcome is (
        ForwardingAction.BYPASS
    )


def test_timeout_expiry_at_now() -> None:
    """A session older than the matched interval has expired (SAML_EXPIRED)."""
    policy = (
        'timeout:\n  rule "Contractors daily": reauth every 1d idle 30m '
        'when scim.userType == "Contractor"\n'
    )
    world = World(policy)
    world.add("con@acme.example", userType="Contractor")
    request = world.request(
        "con@acme.example", app="Git", now=AFTER + timedelta(hours=25)
    )
    decision = world.engine.decide_timeout(request)
    assert decision.rule == "Contractors daily"
    assert decision.expires_at == AFTER + timedelta(days=1)
    assert decision.expired
    assert decision.reason_code is ReasonCode.SAML_EXPIRED
    early = world.engine.decide_timeout(
        world.request("con@acme.example", app="Git", now=AFTER + timedelta(hours=23))
    )
    assert not early.expired
    assert early.reason_code is None
    # Before re-authentication the contractors' rule cannot apply: 7-day default.
    stale = world.engine.decide_timeout(
        world.request("con@acme.example", app="Git", at=BEFORE)
    )
    assert stale.rule is None
    assert stale.expires_at == BEFORE + timedelta(days=7)


def test_intercept_accessible_lists_the_allowed_applications() -> None:
    """SPEC §5.6: `intercept_accessible` forwards only what the access policy allows."""
    policy = POLICY + 'forwarding:\n  rule "Only allowed": intercept_accessible\n'
    world = World(policy)
    world.add("ann@acme.example", department="Engineering")
    world.add("con@acme.example", userType="Contractor")
    engineer = world.engine.decide_forwarding(world.request("ann@acme.example"))
    assert engineer.outcome is ForwardingAction.INTERCEPT_ACCESSIBLE
    assert engineer.allowed_apps == ("Git", "CI", "Intranet", "Intranet HR")
    contractor = world.engine.decide_forwarding(world.request("con@acme.example"))
    assert contractor.allowed_apps == ("Intranet", "Intranet HR")


@pytest.mark.parametrize(
    ("host", "port", "segment"),
    [
        ("git.acme.example", 443, "Git"),  # exact beats the wildcard
        ("GIT.acme.example.", 22, "Git"),  # case and a trailing dot do not matter
        ("git.acme.example", 8080, None),  # no segment has that port
        ("wiki.acme.example", 80, "Intranet"),  # the wildcard, within its port range
        ("portal.hr.acme.example", 443, "Intranet HR"),  # the longer wildcard wins
        ("portal.hr.acme.example", 80, "Intranet"),  # ...unless its ports exclude it
        ("acme.example", 443, None),  # a wildcard does not cover the bare domain
    ],
)
def test_most_specific_segment(host: str, port: int, segment: str | None) -> None:
    """SPEC §2: a host and port belong to the most specific segment only."""
    world = World()
    found = world.tenant.resolve(host, port)
    assert (None if found is None else found.name) == segment


def test_unresolvable_host_is_denied_with_no_policy_found() -> None:
    """A host no segment covers is not forwarded to any app: NO_POLICY_FOUND."""
    world = World()
    world.add("ann@acme.example")
    decision = world.engine.decide_access(
        world.request("ann@acme.example", host="unknown.example", port=443)
    )
    assert (decision.outcome, decision.reason_code) == (
        AccessAction.DENY,
        ReasonCode.NO_POLICY_FOUND,
    )
    assert decision.notes == ("no application segment covers `unknown.example:443`",)
    assert decision.decided_by == "application segment resolution"


def test_user_name_matches_name_id_ignoring_case() -> None:
    """The SAML NameID links to SCIM userName ignoring case (SPEC §2)."""
    world = World()
    world.add("Ann@Acme.Example", department="Engineering")
    assert world.access("ann@acme.example", "Git") is AccessAction.ALLOW


def test_unknown_idp_is_blocked_with_a_note() -> None:
    """A request naming an IdP the tenant does not have is blocked, not an exception."""
    world = World()
    decision = world.engine.decide_access(
        Request(
            "ann@acme.example", "entra", authenticated_at=AFTER, now=AFTER, app="Git"
        )
    )
    assert decision.blocked
    assert decision.decided_by == "an unknown identity provider"
    assert decision.notes == (
        "no IdP named `entra` in the tenant: the request is blocked",
    )


def test_decision_renders_for_people_and_programs() -> None:
    """explain() reads like a report; to_json() carries the same facts."""
    world = World()
    world.add("con@acme.example", userType="Contractor")
    decision = world.engine.explain_access(
        world.request("con@acme.example", app="Payroll")
    )
    assert decision.explain() == (
        "access decision: deny for `Payroll`\n"
        "  decided by rule `Block contractors from payroll`\n"
        "  reason code: BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY\n"
        "  #1 `Block contractors from payroll`: matched"
    )
    assert decision.to_json() == {
        "policy": "access",
        "outcome": "deny",
        "rule": "Block contractors from payroll",
        "decidedBy": "rule `Block contractors from payroll`",
        "reasonCode": "BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
        "blocked": False,
        "notes": [],
        "application": "Payroll",
        "trace": [
            {"index": 0, "rule": "Block contractors from payroll", "status": "matched"}
        ],
    }


def test_timeout_and_forwarding_decisions_render() -> None:
    """explain() and to_json() show re-authentication due times and forwarded apps."""
    policy = (
        POLICY
        + 'forwarding:\n  rule "Only allowed": intercept_accessible\n'
        + "timeout:\n  default: reauth every 1d12h idle 30m\n"
    )
    world = World(policy)
    world.add("ann@acme.example", department="Engineering")
    request = world.request(
        "ann@acme.example", app="Git", now=AFTER + timedelta(days=2)
    )
    timeout = world.engine.explain_timeout(request)
    assert timeout.explain() == (
        "timeout decision: reauth every 1d12h idle 30m for `Git`\n"
        "  decided by the default\n"
        "  reason code: BRK_MT_SETUP_FAIL_SAML_EXPIRED\n"
        "  session expired; re-authentication due 2026-11-21T23:00:00+00:00"
    )
    assert timeout.to_json()["expiresAt"] == "2026-11-21T23:00:00+00:00"
    assert timeout.to_json()["expired"] is True
    forwarding = world.engine.explain_forwarding(request)
    assert forwarding.explain() == (
        "forwarding decision: intercept_accessible for `Git`\n"
        "  decided by rule `Only allowed`\n"
        "  applications forwarded: Git, CI, Intranet, Intranet HR\n"
        "  #1 `Only allowed`: matched"
    )
    assert forwarding.to_json()["allowedApps"] == [
        "Git",
        "CI",
        "Intranet",
        "Intranet HR",
    ]
    never = World("timeout:\n  default: reauth every never idle never\n")
    never.add("ann@acme.example")
    endless = never.engine.decide_timeout(never.request("ann@acme.example"))
    assert (endless.expires_at, endless.expired) == (None, False)
    assert endless.explain() == (
        "timeout decision: reauth every never idle never\n  decided by the default"
    )


def test_blocked_forwarding_and_timeout_have_no_outcome() -> None:
    """Blocked before any rule is read: forwarding and timeout decisions have no action."""
    world = World()
    request = world.request("ghost@acme.example")
    for decision in (
        world.engine.decide_forwarding(request),
        world.engine.explain_timeout(request),
    ):
        assert decision.outcome is None
        assert decision.decided_by == "the SCIM presence check"
        assert decision.explain().startswith(
            f"{decision.policy_type} decision: blocked\n"
        )
        assert decision.to_json()["outcome"] is None


def test_trace_shows_disabled_rules_and_unknown_gates_with_saml() -> None:
    """The trace marks disabled rules, and names the SAML gate for unknown SAML criteria."""
    policy = (
        "access:\n"
        '  disabled rule "Old": allow\n'
        '  rule "SAML": allow when saml.role == "x"\n'
        '  rule "Catch-all": deny\n'
    )
    world = World(policy, saml_attributes_for_policy=False)
    world.add("ann@acme.example")
    decision = world.engine.explain_access(world.request("ann@acme.example", app="Git"))
    assert [(e.name, e.status, e.reason) for e in decision.trace] == [
        ("Old", RuleStatus.DISABLED, None),
        (
            "SAML",
            RuleStatus.UNKNOWN,
            "SAML Attributes for Policy is off for IdP `okta`",
        ),
        ("Catch-all", RuleStatus.MATCHED, None),
    ]
    assert "  #1 `Old`: disabled" in decision.explain()
    assert decision.to_json()["trace"][1] == {
        "index": 1,
        "rule": "SAML",
        "status": "unknown",
        "criterion": 'saml.role == "x"',
        "reason": "SAML Attributes for Policy is off for IdP `okta`",
    }
