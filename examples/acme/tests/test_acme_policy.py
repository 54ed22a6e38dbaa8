"""Acme's ZPA policy, unit-tested the way Acme's security team would: with the
scimpolicy pytest plugin's fixtures and assertion helpers.

``pyproject.toml`` sets ``scimpolicy_tenant = "examples/acme"``, so the fixtures
decide in Acme's tenant at its ``now`` (2026-11-23T09:00Z). Entra has had SCIM
Attributes for Policy on since 2026-11-16T08:00Z; Okta has not turned it on yet, so
Okta users are decided on their SAML attributes alone. A failing helper shows the
decision's whole explanation.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from scimpolicy import CompiledPolicy, Engine, ReasonCode, RuleStatus, World
from scimpolicy.testing import (
    DirectoryFactory,
    RequestFactory,
    assert_allowed,
    assert_blocked,
    assert_decided_by,
    assert_denied,
    assert_outcome,
)

MANAGED = {"CrowdStrike running": True}
CONTRACTOR = "nadia.wagner@acme-europe.example"  # Entra, userType Contractor
SRE = "kai.fischer@acme-europe.example"  # Entra, in the SRE group
FINANCE_APPS = ["Payroll", "Payroll EU", "NetSuite ERP", "Expenses"]
SHELLS_AND_SECRETS = ["Production SSH", "Bastion EU", "Kubernetes API", "Vault"]


@pytest.fixture(scope="module")
def okta_with_scim_attributes(scimpolicy_world: World) -> World:
    """Acme once SCIM Attributes for Policy is on for Okta (since 2026-11-20T09:00Z)."""
    okta = attrs.evolve(
        scimpolicy_world.idp("Okta"),
        scim_attributes_for_policy=True,
        scim_attributes_enabled_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    )
    return scimpolicy_world.with_idp(okta)


@pytest.mark.parametrize("app", FINANCE_APPS)
def test_contractors_never_reach_finance_apps_once_signed_in_again(
    scimpolicy_engine: Engine, scimpolicy_request: RequestFactory, app: str
) -> None:
    """A contractor who signed in after SCIM attributes counted is denied every
    finance app by the contractor rule, whatever their SAML department says."""
    request = scimpolicy_request(
        CONTRACTOR,
        app=app,
        saml={"department": "Finance"},
        country="DE",
        posture=MANAGED,
    )
    assert_denied(scimpolicy_engine, request)
    assert_decided_by(scimpolicy_engine, request, "Contractors: no finance or HR")


def test_before_signing_in_again_the_contractor_rule_cannot_fire(
    scimpolicy_engine: Engine, scimpolicy_request: RequestFactory
) -> None:
    """A session from before SCIM attributes counted sees `scim.userType` as
    unknown: the contractor rule is skipped and the finance rule decides on SAML."""
    request = scimpolicy_request(
        CONTRACTOR,
        app="Payroll EU",
        authenticated_at=datetime(2026, 11, 15, 8, 0, tzinfo=UTC),
        saml={"department": "Finance"},
        country="DE",
        posture=MANAGED,
    )
    decision = assert_decided_by(scimpolicy_engine, request, "Finance to finance apps")
    (skipped,) = [
        e for e in decision.trace if e.name == "Contractors: no finance or HR"
    ]
    assert skipped.status is RuleStatus.UNKNOWN
    assert skipped.reason is not None
    assert "has not re-authenticated since 2026-11-16T08:00:00Z" in skipped.reason


def test_scim_attributes_for_okta_keep_okta_contractors_out_of_payroll(
    scimpolicy_world: World,
    okta_with_scim_attributes: World,
    scimpolicy_request: RequestFactory,
) -> None:
    """Today an Okta contractor claiming the Finance department reaches Payroll;
    with SCIM Attributes for Policy on for Okta, the contractor rule stops them."""
    request = scimpolicy_request(
        "mia.lopez@acme.example",
        app="Payroll",
        saml={"department": "Finance"},
        country="US",
        posture=MANAGED,
    )
    assert_allowed(scimpolicy_world, request)
    assert_decided_by(
        okta_with_scim_attributes, request, "Contractors: no finance or HR"
    )


def test_no_entra_contractor_reaches_payroll(
    scimpolicy_world: World,
    scimpolicy_directory: DirectoryFactory,
    scimpolicy_request: RequestFactory,
) -> None:
    """Every active contractor Entra provisions is denied Payroll EU."""
    directory = scimpolicy_directory("Entra")
    contractors = [
        user.user_name
        for user in directory.users()
        if user.user_type == "Contractor" and user.active
    ]
    assert len(contractors) > 50
    for user in contractors:
        request = scimpolicy_request(
            user, idp="Entra", app="Payroll EU", country="DE", posture=MANAGED
        )
        assert_denied(scimpolicy_world, request)


@pytest.mark.parametrize("app", [*SHELLS_AND_SECRETS, "Grafana"])
def test_sre_reaches_infrastructure(
    scimpolicy_engine: Engine, scimpolicy_request: RequestFactory, app: str
) -> None:
    """Members of the SRE group reach every infrastructure segment from a managed
    laptop."""
    request = scimpolicy_request(
        SRE, app=app, platform="linux", country="DE", posture=MANAGED
    )
    assert_allowed(scimpolicy_engine, request)
    assert_decided_by(scimpolicy_engine, request, "SRE and Platform to infrastructure")


@pytest.mark.parametrize("app", SHELLS_AND_SECRETS)
def test_browser_access_gets_no_shells_or_secrets(
    scimpolicy_engine: Engine, scimpolicy_request: RequestFactory, app: str
) -> None:
    """Even an SRE gets no shell or secret through Browser Access."""
    request = scimpolicy_request(
        SRE, app=app, client_type="web_browser", country="DE", posture=MANAGED
    )
    assert_decided_by(
        scimpolicy_engine, request, "Browser access: no shells or secrets"
    )


def test_a_user_missing_from_scim_is_blocked(
    scimpolicy_engine: Engine, scimpolicy_request: RequestFactory
) -> None:
    """Okta has SCIM Sync on: Client Connector traffic of a user it has not
    provisioned is blocked before any rule; Browser Access is evaluated normally."""
    connector = scimpolicy_request("nobody@acme.example", idp="Okta", app="Intranet")
    decision = assert_blocked(scimpolicy_engine, connector)
    assert decision.reason_code is ReasonCode.SCIM_INACTIVE

    browser = scimpolicy_request(
        "nobody@acme.example", idp="Okta", app="Intranet", client_type="web_browser"
    )
    assert_decided_by(
        scimpolicy_engine, browser, "Everyone to the intranet and the web"
    )


def test_contractors_forward_only_what_they_may_reach(
    scimpolicy_engine: Engine, scimpolicy_request: RequestFactory
) -> None:
    """Client Connector forwards a contractor's allowed applications only, and
    Payroll is not among them."""
    request = scimpolicy_request(CONTRACTOR, country="DE", posture=MANAGED)
    decision = assert_outcome(scimpolicy_engine, request, "intercept_accessible")
    assert decision.rule == "Contractors: allowed apps only"
    assert decision.allowed_apps == ("Intranet", "Intranet EU", "Acme Web")


def test_contractors_reauthenticate_daily(
    scimpolicy_engine: Engine, scimpolicy_request: RequestFactory
) -> None:
    """A contractor's session lasts one day from the sign-in, with 30 minutes idle."""
    request = scimpolicy_request(CONTRACTOR, app="GitLab", country="DE")
    decision = assert_outcome(scimpolicy_engine, request, "reauth every 24h idle 30m")
    assert decision.expires_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert not decision.expired


def test_the_policy_checks_clean(scimpolicy_policy: CompiledPolicy) -> None:
    """The policy has no warnings against the tenant, and the legal hold stays
    disabled."""
    assert scimpolicy_policy.diagnostics == ()
    (legal_hold,) = [
        rule
        for rule in scimpolicy_policy.policy.access.rules
        if rule.name.startswith("Legal hold")
    ]
    assert legal_hold.disabled
