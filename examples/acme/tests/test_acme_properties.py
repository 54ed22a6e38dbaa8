"""Acme's access policy, stated as properties Hypothesis tries to break.

The Hypothesis style of acme's test suite (next to the case file ``acme.cases.toml``):
each test states something that must hold for *every* request of a kind, and
:mod:`scimpolicy.testing.strategies` draws the requests from the acme tenant itself:
its real users, its applications, and the SAML attributes and client context its
policy and its sessions use. Run with ``pytest examples/acme/tests``.

Okta's SCIM Attributes for Policy is off in ``tenant.toml``; the properties about SCIM
attributes are stated for the tenant as it will be once it is on (three days before
``now``) and users have signed in again, which is when acme's SCIM rules apply.

One property is marked ``xfail``: Hypothesis found a real gap in the policy, described
beside it, and the strict marker fails the suite once the policy closes it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scimpolicy import (
    AccessAction,
    PolicyType,
    ReasonCode,
    Request,
    SetIdp,
    User,
    apply_changes,
    load_workspace,
)
from scimpolicy.testing.strategies import requests

ACME = load_workspace(Path(__file__).parent.parent)
# The tenant once Okta's SCIM Attributes for Policy has been on for three days.
SCIM_ON, _ = apply_changes(
    ACME,
    [SetIdp("Okta", scim_attributes_for_policy=True, at=ACME.now - timedelta(days=3))],
)
ENGINE = SCIM_ON.engine()

FINANCE_APPS = ["Payroll", "Payroll EU", "NetSuite ERP", "Expenses"]
INFRASTRUCTURE = [
    segment.name
    for segment in ACME.tenant.segments
    if segment.segment_group == "Infrastructure"
]
HOME_COUNTRIES = ["US", "DE", "FR", "NL"]  # finance apps are denied anywhere else
# Hypothesis settings for every property: quick, and no deadline (the first example
# of a run pays for warming caches).
FAST = settings(max_examples=60, deadline=None)


def contractor(user: User) -> bool:
    """Acme's contractors, as SCIM says (``userType``)."""
    return (user.user_type or "").casefold() == "contractor"


def active_contractor(user: User) -> bool:
    """Contractors SCIM has not deactivated."""
    return contractor(user) and user.is_active


@FAST
@given(
    requests(
        SCIM_ON,
        users=active_contractor,
        apps=FINANCE_APPS,
        reauthenticated=True,
        countries=HOME_COUNTRIES,
    )
)
def test_no_contractor_reaches_finance_apps(request: Request) -> None:
    """No active contractor who has signed in since SCIM attributes count reaches a
    finance app, whatever the SAML assertion and the device say (from the home
    countries: elsewhere a guard rail denies before the contractor rule is read)."""
    decision = ENGINE.explain_access(request)
    assert decision.outcome is AccessAction.DENY, decision.explain()


# A real gap, found by this property: SCIM deactivated Sofia Costa, a contractor, so
# for policy she has no SCIM attributes at all; Client Connector blocks her (SCIM
# Sync's presence check), but through Browser Access `Contractors: no finance or HR`
# cannot match (no userType) and `Finance to finance apps` lets her in on her SAML
# department alone.
@pytest.mark.xfail(
    reason="deactivated contractors reach finance apps through Browser Access on "
    "SAML alone (acme.policy's finance rule has no SCIM-independent contractor check)",
    strict=True,
)
@FAST
@given(
    requests(
        SCIM_ON,
        users=contractor,
        apps=FINANCE_APPS,
        reauthenticated=True,
        countries=HOME_COUNTRIES,
    )
)
@example(
    Request(
        "sofia.costa@acme.example",
        "Okta",
        authenticated_at=SCIM_ON.now,
        now=SCIM_ON.now,
        app="Payroll",
        saml={"department": "Finance"},
        client_type="web_browser",
        country="US",
    )
)
def test_no_contractor_even_deactivated_reaches_finance_apps(request: Request) -> None:
    """No contractor, active or not, reaches a finance app."""
    assert ENGINE.decide_access(request).outcome is AccessAction.DENY


def _missing(user_name: str) -> bool:
    return all(
        idp.directory.user_by_name(user_name) is None for idp in ACME.tenant.idps
    )


@FAST
@given(
    requests(
        ACME,
        users=st.emails().filter(_missing),
        client_types="client_connector",
        hosts=True,
    )
)
def test_users_missing_from_scim_are_blocked_for_client_connector(
    request: Request,
) -> None:
    """A NameID neither directory has is blocked for Client Connector before any rule
    is read (both IdPs have SCIM Sync on), for every application."""
    engine = ACME.engine()
    decision = engine.decide_access(request)
    assert decision.blocked, decision.explain()
    assert decision.reason_code is ReasonCode.SCIM_INACTIVE
    assert engine.decide_forwarding(request).outcome is None


@FAST
@given(
    requests(
        ACME,
        users=lambda user: not user.is_active,
        client_types="client_connector",
    )
)
def test_deactivated_users_are_blocked_for_client_connector(request: Request) -> None:
    """A user SCIM has deactivated is blocked for Client Connector too."""
    decision = ACME.engine().decide_access(request)
    assert decision.reason_code is ReasonCode.SCIM_INACTIVE, decision.explain()


@FAST
@given(requests(SCIM_ON, apps=INFRASTRUCTURE + FINANCE_APPS, hosts=True))
def test_guard_rails_hold_for_everyone(request: Request) -> None:
    """Whatever SCIM and SAML say: no phone, tablet or device without CrowdStrike
    running reaches infrastructure, and no finance app is reached from outside the
    home countries."""
    decision = ENGINE.decide_access(request)
    infrastructure = decision.application in INFRASTRUCTURE
    unmanaged = request.posture.get("CrowdStrike running") is not True
    phone = request.platform in {"ios", "android"}
    abroad = request.country not in HOME_COUNTRIES
    if (infrastructure and (unmanaged or phone)) or (
        decision.application in FINANCE_APPS and abroad
    ):
        assert decision.outcome is AccessAction.DENY, decision.explain()


@FAST
@given(
    requests(
        SCIM_ON,
        users=lambda user: user.user_type == "Intern" and user.is_active,
        apps=INFRASTRUCTURE,
        reauthenticated=True,
    )
)
def test_interns_never_reach_production(request: Request) -> None:
    """An intern who has signed in since SCIM attributes count reaches no
    infrastructure, whatever the SAML assertion says."""
    assert ENGINE.decide_access(request).outcome is AccessAction.DENY


@FAST
@given(requests(SCIM_ON, users=active_contractor, reauthenticated=True))
def test_contractors_reauthenticate_daily(request: Request) -> None:
    """A contractor's session lasts a day at most once SCIM attributes count."""
    decision = ENGINE.decide_timeout(request)
    assert decision.rule == "Contractors re-authenticate daily", decision.explain()


@FAST
@given(requests(SCIM_ON, idps=["Okta"], reauthenticated=False))
def test_enabling_scim_attributes_changes_nothing_until_users_sign_in_again(
    request: Request,
) -> None:
    """Turning on SCIM Attributes for Policy for Okta changes no decision for a
    session that signed in before it was turned on."""
    for policy_type in PolicyType:
        before = ACME.engine().decide(policy_type, request)
        after = ENGINE.decide(policy_type, request)
        assert (after.outcome, after.rule) == (before.outcome, before.rule)
