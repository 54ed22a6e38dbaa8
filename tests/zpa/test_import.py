"""``import_zpa``: ZPA policy-rule JSON (v1 and v2) into a policy, checked as text,
then evaluated on a small tenant; and the diagnostics for what does not carry over.

ZPA facts: ``research/zpa.md`` §1 and §2.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scimpolicy import (
    AccessAction,
    ApplicationSegment,
    Decision,
    Directory,
    Duration,
    Engine,
    ForwardingAction,
    IdentityProvider,
    Request,
    Severity,
    Tenant,
    TimeoutAction,
    load_policy,
)
from scimpolicy.errors import Diagnostic
from scimpolicy.policy.formatter import format_policy
from scimpolicy.zpa import Catalogue, ZpaImport, import_zpa

FIXTURES = Path(__file__).parent / "fixtures"
OKTA = "216196257331281920"
ENTRA = "216196257331281921"
GIT = "216196257331291969"
USER_TYPE = "216196257331285826"  # Okta's SCIM attribute userType
ACTIVE = "216196257331285827"  # Okta's SCIM attribute active
CONTRACTORS = "295020"  # Okta's SCIM group

ACCESS = """\
access:
  rule "Block contractors from finance": deny
    when segment_group == "Finance Apps" and idp == "Okta" and ("Contractors" in scim.groups or scim.userType == "Contractor")
  rule "Engineering to Git": allow
    when app == "Git" and idp == "Okta" and (saml.department == "Engineering" or "SRE" in scim.groups) and client_type == "client_connector" and posture["CrowdStrike running"] == true
  rule "Finance team to payroll (Entra, AND)": allow
    when app == "Payroll" and idp == "Entra" and saml.department == "Finance" and "Finance" in scim.groups
  rule "Everyone to the intranet from HQ": allow
    when app == "Intranet" and "HQ" in trusted_network and (platform == "mac" or platform == "windows")
  disabled rule "Build servers (disabled)": allow
    when machine_group == "Build Servers"
"""
FORWARDING = """\
forwarding:
  rule "Bypass for Entra users abroad": bypass
    when idp == "Entra" and country == "FR"
  rule "Client Connector: allowed apps only": intercept_accessible
    when client_type == "client_connector"
  default: intercept
"""
TIMEOUT = """\
timeout:
  rule "Contractors re-auth daily": reauth every 1d idle 30m
    when idp == "Okta" and "Contractors" in scim.groups
  default: reauth every 7d idle never
"""


@cache
def catalogue() -> Catalogue:
    return Catalogue.load(FIXTURES / "catalogue")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def imported(*names: str) -> ZpaImport:
    return import_zpa([fixture(name) for name in names], catalogue(), origins=names)


def read(*sources: Any) -> ZpaImport:
    """Import rule JSON written in the test."""
    return import_zpa(sources, catalogue())


def rule(name: str | None, action: str, *conditions: Any, **fields: Any) -> Any:
    """A v1 rule whose conditions are each a list of operands (OR)."""
    body: dict[str, Any] = {} if name is None else {"name": name}
    body["action"] = action
    body["conditions"] = [{"operator": "OR", "operands": c} for c in conditions]
    return body | fields


def operand(object_type: str, lhs: Any, rhs: Any, **fields: Any) -> Any:
    return {"objectType": object_type, "lhs": lhs, "rhs": rhs} | fields


def app(app_id: str = GIT) -> Any:
    return operand("APP", "id", app_id)


def codes(result: ZpaImport) -> list[tuple[str, Severity, str | None]]:
    return [(d.code, d.severity, d.rule) for d in result.diagnostics]


def only(result: ZpaImport) -> Diagnostic:
    assert len(result.diagnostics) == 1, result.diagnostics
    return result.diagnostics[0]


# -- the fixtures as text ---------------------------------------------------------


def test_the_three_policy_sets_together() -> None:
    result = imported("access-v1.json", "forwarding-v1.json", "timeout-v1.json")
    assert result.diagnostics == ()
    assert result.ok
    assert format_policy(result.policy) == f"{ACCESS}\n{FORWARDING}\n{TIMEOUT}"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("access-v1.json", ACCESS),
        ("forwarding-v1.json", FORWARDING),
        ("timeout-v1.json", TIMEOUT),
    ],
)
def test_each_policy_set_alone(name: str, text: str) -> None:
    result = imported(name)
    assert result.diagnostics == ()
    assert format_policy(result.policy) == text


def test_the_order_of_the_sources_does_not_matter() -> None:
    """Each rule's type follows from its action, not from where it was read."""
    forward = imported("access-v1.json", "forwarding-v1.json", "timeout-v1.json")
    backward = imported("timeout-v1.json", "forwarding-v1.json", "access-v1.json")
    assert backward.policy == forward.policy


def test_v2_rules_read_as_their_v1_form() -> None:
    """access-v2.json holds access-v1.json's first two rules in the v2 write shape."""
    v2 = imported("access-v2.json")
    assert v2.diagnostics == ()
    v1 = imported("access-v1.json").policy.access
    assert v2.policy.access.rules == v1.rules[:2]
    assert format_policy(v2.policy) == "\n".join(ACCESS.splitlines()[:5]) + "\n"


def test_the_imported_text_loads_against_a_tenant() -> None:
    result = imported("access-v1.json", "forwarding-v1.json", "timeout-v1.json")
    policy = load_policy(format_policy(result.policy), TENANT)
    assert policy.diagnostics == ()


def test_a_page_a_list_and_a_single_rule_are_read_alike() -> None:
    rules = fixture("access-v1.json")["rules"]
    as_set = imported("access-v1.json").policy
    assert read(rules).policy == as_set
    assert read({"totalPages": "1", "list": rules}).policy == as_set
    single = read(rules[0]).policy
    assert single.access.rules == as_set.access.rules[:1]


# -- evaluating the imported policy ------------------------------------------------

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ENABLED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # SCIM Attributes for Policy on
SIGNED_IN = ENABLED + timedelta(hours=1)
NOW = SIGNED_IN + timedelta(minutes=5)


def directory(
    users: dict[str, dict[str, Any]], groups: dict[str, list[str]]
) -> Directory:
    found = Directory()
    ids = {
        name: found.create_user(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "userName": name,
                **attributes,
            }
        )["id"]
        for name, attributes in users.items()
    }
    for group, members in groups.items():
        found.create_group(
            {"displayName": group, "members": [{"value": ids[m]} for m in members]}
        )
    return found


def idp(name: str, users: Directory) -> IdentityProvider:
    return IdentityProvider(
        name,
        users,
        scim_sync=True,
        scim_attributes_for_policy=True,
        scim_attributes_enabled_at=ENABLED,
    )


CONTRACTOR = "carl@acme.com"
SRE = "sam@acme.com"
FINANCE = "fiona@acme.com"
TENANT = Tenant(
    [
        idp(
            "Okta",
            directory(
                {
                    CONTRACTOR: {"userType": "Contractor"},
                    SRE: {"userType": "Employee", ENTERPRISE: {"department": "SRE"}},
                },
                {"Contractors": [CONTRACTOR], "SRE": [SRE]},
            ),
        ),
        idp(
            "Entra",
            directory(
                {FINANCE: {ENTERPRISE: {"department": "Finance"}}},
                {"Finance": [FINANCE]},
            ),
        ),
    ],
    [
        ApplicationSegment("Git", ["git.acme.com"], segment_group="Engineering Apps"),
        ApplicationSegment(
            "Payroll", ["payroll.acme.com"], segment_group="Finance Apps"
        ),
        ApplicationSegment("Intranet", ["*.acme.com"], segment_group="General"),
    ],
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    result = imported("access-v1.json", "forwarding-v1.json", "timeout-v1.json")
    return Engine(TENANT, load_policy(format_policy(result.policy), TENANT))


def request(user: str, **fields: Any) -> Request:
    at_idp = "Entra" if user == FINANCE else "Okta"
    return Request(user, at_idp, SIGNED_IN, NOW, **fields)


def decided(decision: Decision) -> tuple[Any, str | None]:
    return decision.outcome, decision.rule


def test_contractor_is_blocked_from_payroll(engine: Engine) -> None:
    decision = engine.decide_access(request(CONTRACTOR, host="payroll.acme.com"))
    assert decided(decision) == (AccessAction.DENY, "Block contractors from finance")


def test_sre_engineer_reaches_git_only_with_posture(engine: Engine) -> None:
    with_posture = request(
        SRE, host="git.acme.com", posture={"CrowdStrike running": True}
    )
    assert decided(engine.decide_access(with_posture)) == (
        AccessAction.ALLOW,
        "Engineering to Git",
    )
    failed = request(SRE, host="git.acme.com", posture={"CrowdStrike running": False})
    assert decided(engine.decide_access(failed)) == (AccessAction.DENY, None)
    without = request(SRE, host="git.acme.com")
    assert decided(engine.decide_access(without)) == (AccessAction.DENY, None)
    # The posture rule is for Client Connector only.
    browser = request(
        SRE,
        host="git.acme.com",
        posture={"CrowdStrike running": True},
        client_type="web_browser",
    )
    assert decided(engine.decide_access(browser)) == (AccessAction.DENY, None)


def test_saml_department_alone_lets_an_okta_engineer_into_git(engine: Engine) -> None:
    """The SAML attribute and the SCIM group are one OR block."""
    contractor = request(
        CONTRACTOR,
        app="Git",
        saml={"department": "Engineering"},
        posture={"CrowdStrike running": True},
    )
    assert decided(engine.decide_access(contractor)) == (
        AccessAction.ALLOW,
        "Engineering to Git",
    )


def test_finance_needs_both_the_saml_attribute_and_the_group(engine: Engine) -> None:
    """The Entra rule's SAML/SCIM block is an AND block."""
    both = request(FINANCE, app="Payroll", saml={"department": "Finance"})
    assert decided(engine.decide_access(both)) == (
        AccessAction.ALLOW,
        "Finance team to payroll (Entra, AND)",
    )
    group_only = request(FINANCE, app="Payroll")
    assert decided(engine.decide_access(group_only)) == (AccessAction.DENY, None)
    wrong_saml = request(FINANCE, app="Payroll", saml={"department": "Sales"})
    assert decided(engine.decide_access(wrong_saml)) == (AccessAction.DENY, None)


def test_the_finance_group_of_another_idp_does_not_count(engine: Engine) -> None:
    """An Okta user with the same SAML value is not in Entra's Finance group."""
    okta = request(SRE, app="Payroll", saml={"department": "Finance"})
    assert decided(engine.decide_access(okta)) == (AccessAction.DENY, None)


def test_intranet_from_hq_on_mac_but_not_on_linux(engine: Engine) -> None:
    def on(platform: str, networks: frozenset[str] = frozenset({"HQ"})) -> Decision:
        return engine.decide_access(
            request(
                SRE,
                host="wiki.acme.com",
                platform=platform,
                trusted_networks=networks,
            )
        )

    assert decided(on("mac")) == (
        AccessAction.ALLOW,
        "Everyone to the intranet from HQ",
    )
    assert decided(on("windows"))[0] is AccessAction.ALLOW
    assert decided(on("linux")) == (AccessAction.DENY, None)
    assert decided(on("mac", frozenset())) == (AccessAction.DENY, None)


def test_the_disabled_rule_never_decides(engine: Engine) -> None:
    build = request(SRE, app="Intranet", machine_group="Build Servers")
    assert decided(engine.decide_access(build)) == (AccessAction.DENY, None)


def test_forwarding(engine: Engine) -> None:
    abroad = request(FINANCE, country="FR")
    assert decided(engine.decide_forwarding(abroad)) == (
        ForwardingAction.BYPASS,
        "Bypass for Entra users abroad",
    )
    okta_abroad = request(SRE, country="FR")
    assert decided(engine.decide_forwarding(okta_abroad)) == (
        ForwardingAction.INTERCEPT_ACCESSIBLE,
        "Client Connector: allowed apps only",
    )
    at_home = request(FINANCE, country="DE")
    assert decided(engine.decide_forwarding(at_home))[1] == (
        "Client Connector: allowed apps only"
    )
    browser = request(SRE, client_type="web_browser")
    assert decided(engine.decide_forwarding(browser)) == (
        ForwardingAction.INTERCEPT,
        None,
    )


def test_timeout(engine: Engine) -> None:
    daily = TimeoutAction(Duration(24 * 60), Duration(30))
    assert decided(engine.decide_timeout(request(CONTRACTOR))) == (
        daily,
        "Contractors re-auth daily",
    )
    weekly = TimeoutAction(Duration(7 * 24 * 60), Duration(None))
    assert decided(engine.decide_timeout(request(SRE))) == (weekly, None)
    assert decided(engine.decide_timeout(request(FINANCE))) == (weekly, None)


# -- diagnostics -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unsupported", "what"),
    [
        ({"objectType": "LOCATION", "values": ["72057594038009855"]}, "ZIA locations"),
        (
            {
                "objectType": "RISK_FACTOR_TYPE",
                "entryValues": [{"lhs": "ZIA", "rhs": "HIGH"}],
            },
            "ZIA risk scores",
        ),
        (operand("USER", "id", "42"), "individual users"),
    ],
)
def test_an_unsupported_object_type_disables_the_rule(
    unsupported: Any, what: str
) -> None:
    result = read([rule("Git from branches", "ALLOW", [app()], [unsupported])])
    assert not result.ok
    error = only(result)
    assert (error.code, error.severity, error.rule) == (
        "unsupported-operand",
        Severity.ERROR,
        "Git from branches",
    )
    object_type = unsupported["objectType"]
    assert error.message == (
        f"`conditions[1].operands[0]`: objectType `{object_type}` ({what}) is not "
        "something scimpolicy evaluates; the rule is imported disabled"
    )
    assert format_policy(result.policy) == (
        'access:\n  disabled rule "Git from branches": allow\n    when app == "Git"\n'
    )


def test_an_unknown_object_type_disables_the_rule() -> None:
    result = read([rule("r", "ALLOW", [app(), operand("NEW_THING", "id", "1")])])
    error = only(result)
    assert (error.code, error.rule) == ("unsupported-operand", "r")
    assert error.message == (
        "`conditions[0].operands[1]`: unknown objectType `NEW_THING`; the rule is "
        "imported disabled"
    )
    assert result.policy.access.rules[0].disabled


@pytest.mark.parametrize(
    ("bad", "message", "file"),
    [
        (app("1"), "no application has ID `1`", "applications.json"),
        (
            operand("SCIM", "2", "Eng", idpId=OKTA),
            "no scim attribute has ID `2`",
            "scim-attributes.json",
        ),
        (
            operand("SCIM_GROUP", OKTA, "3"),
            "no scim group has ID `3`",
            "scim-groups.json",
        ),
        (
            operand("SAML", "4", "Eng"),
            "no saml attribute has ID `4`",
            "saml-attributes.json",
        ),
        (operand("IDP", "id", "5"), "no idp has ID `5`", "idps.json"),
        (operand("SCIM_GROUP", "6", CONTRACTORS), "no idp has ID `6`", "idps.json"),
        (
            operand("SCIM", USER_TYPE, "Contractor", idpId="7"),
            "no idp has ID `7`",
            "idps.json",
        ),
        (
            operand("POSTURE", "8", "true"),
            "no posture profile has ID `8`",
            "posture-profiles.json",
        ),
    ],
)
def test_an_unknown_id_disables_the_rule(bad: Any, message: str, file: str) -> None:
    result = read([rule("Contractors", "DENY", [bad]), rule("Git", "ALLOW", [app()])])
    assert not result.ok
    error = only(result)
    assert (error.code, error.severity, error.rule) == (
        "unknown-id",
        Severity.ERROR,
        "Contractors",
    )
    assert error.message == (
        f"`conditions[0].operands[0]`: {message} in the catalogue; the rule is "
        "imported disabled"
    )
    assert error.help == f"add it to {file}"
    contractors, git = result.policy.access.rules
    assert contractors.disabled
    assert not git.disabled  # only the rule with the unknown ID


def test_diagnostics_name_their_source() -> None:
    result = import_zpa(
        [[rule("a", "ALLOW", [app()])], [rule("b", "ALLOW", [app("1")])]],
        catalogue(),
        origins=["first.json", "second.json"],
    )
    assert only(result).origin == "second.json"
    assert only(result).rule == "b"


def test_a_negated_condition_is_read_as_not() -> None:
    """zpa.md §2.8: `negated` is undocumented, so the reading is a warning."""
    platforms = [
        operand("PLATFORM", "linux", "true"),
        operand("PLATFORM", "ios", "true"),
    ]
    raw = rule("Not on linux or iOS", "ALLOW", [app()], platforms)
    raw["conditions"][1]["negated"] = True
    result = read([raw])
    assert result.ok
    warning = only(result)
    assert (warning.code, warning.severity, warning.rule) == (
        "negated-condition",
        Severity.WARNING,
        "Not on linux or iOS",
    )
    assert warning.message.startswith("`conditions[1]` is negated;")
    assert format_policy(result.policy) == (
        'access:\n  rule "Not on linux or iOS": allow\n'
        '    when app == "Git" and not (platform == "linux" or platform == "ios")\n'
    )


def test_negated_false_is_not_a_negation() -> None:
    raw = rule("r", "ALLOW", [app()])
    raw["conditions"][0]["negated"] = "false"
    assert read([raw]).diagnostics == ()


def test_duplicate_rule_names_are_renamed() -> None:
    """The policy language wants names unique ignoring case (first one keeps it)."""
    result = read(
        [
            rule("Git", "ALLOW", [app()], ruleOrder="1"),
            rule("git", "DENY", ruleOrder="2"),
            rule("Git", "DENY", ruleOrder="3"),
            rule("Git (2)", "ALLOW", ruleOrder="4"),
        ]
    )
    assert result.ok
    assert [r.name for r in result.policy.access.rules] == [
        "Git",
        "git (3)",
        "Git (4)",
        "Git (2)",
    ]
    assert codes(result) == [
        ("duplicate-rule-name", Severity.WARNING, "git"),
        ("duplicate-rule-name", Severity.WARNING, "Git"),
    ]
    assert result.diagnostics[0].message == (
        "a second rule with this name is imported as `git (3)`"
    )
    load_policy(format_policy(result.policy))  # the checker accepts the names


def test_names_are_unique_per_policy_type() -> None:
    result = read(
        [
            rule("Contractors", "DENY"),
            rule(
                "Contractors", "RE_AUTH", reauthTimeout="86400", reauthIdleTimeout="-1"
            ),
        ]
    )
    assert result.diagnostics == ()


def test_a_rule_without_a_name_is_named_after_its_order() -> None:
    result = read([rule(None, "ALLOW", [app()], ruleOrder="7"), rule("", "DENY")])
    assert [r.name for r in result.policy.access.rules] == ["Rule 7", "Rule 2"]
    assert codes(result) == [
        ("unnamed-rule", Severity.WARNING, "Rule 7"),
        ("unnamed-rule", Severity.WARNING, "Rule 2"),
    ]
    assert result.ok


def timeout(reauth: Any, idle: Any = "-1") -> Any:
    return rule("Re-auth", "RE_AUTH", reauthTimeout=reauth, reauthIdleTimeout=idle)


def test_timeouts_are_seconds_and_minus_one_is_never() -> None:
    result = read([timeout("172800", 600)])
    assert result.diagnostics == ()
    assert format_policy(result.policy) == (
        'timeout:\n  rule "Re-auth": reauth every 2d idle 10m\n'
    )


def test_a_timeout_that_is_not_whole_minutes_is_rounded_up() -> None:
    result = read([timeout("3601", "600")])
    assert result.ok
    warning = only(result)
    assert (warning.code, warning.severity, warning.rule) == (
        "timeout-not-minutes",
        Severity.WARNING,
        "Re-auth",
    )
    assert warning.message == (
        "`reauthTimeout` is 3601 s, not whole minutes; read as 61 min"
    )
    assert format_policy(result.policy) == (
        'timeout:\n  rule "Re-auth": reauth every 1h1m idle 10m\n'
    )


@pytest.mark.parametrize(
    ("reauth", "idle", "key", "shown"),
    [
        ("1 day", "-1", "reauthTimeout", "1 day"),
        (None, "-1", "reauthTimeout", "None"),
        ("86400", 36.5, "reauthIdleTimeout", "36.5"),
        ("86400", True, "reauthIdleTimeout", "True"),
    ],
)
def test_a_bad_timeout_is_an_error(
    reauth: Any, idle: Any, key: str, shown: str
) -> None:
    raw = timeout(reauth, idle)
    if reauth is None:
        del raw["reauthTimeout"]
    result = read(
        [raw, rule("Others", "RE_AUTH", reauthTimeout="600", reauthIdleTimeout="-1")]
    )
    assert not result.ok
    error = only(result)
    assert (error.code, error.rule) == ("bad-timeout", "Re-auth")
    assert error.message == (
        f"`{key}` must be seconds (or -1 for never), got `{shown}`"
    )
    assert [r.name for r in result.policy.timeout.rules] == ["Others"]


@pytest.mark.parametrize("action", ["INTERCEPT_ACCESSIBLE", "INTERCEPT_ACCESIBLE"])
def test_intercept_accessible_in_both_spellings(action: str) -> None:
    """ZPA's API reference writes `INTERCEPT_ACCESIBLE` (zpa.md §1.2)."""
    result = read([rule("Allowed apps", action)])
    assert result.diagnostics == ()
    assert format_policy(result.policy) == (
        'forwarding:\n  rule "Allowed apps": intercept_accessible\n'
    )


def test_actions_are_read_ignoring_case() -> None:
    assert format_policy(read([rule("r", "bypass")]).policy) == (
        'forwarding:\n  rule "r": bypass\n'
    )


@pytest.mark.parametrize(
    ("value", "disabled"),
    [
        ("1", True),
        ("0", False),
        (True, True),
        (False, False),
        ("true", True),
        (None, False),
    ],
)
def test_disabled_flags(value: Any, disabled: bool) -> None:
    result = read([rule("r", "ALLOW", disabled=value)])
    assert result.policy.access.rules[0].disabled is disabled


def test_rules_are_sorted_by_rule_order() -> None:
    """Numerically; rules without an order come last, in the order read."""
    result = read(
        [
            rule("ten", "ALLOW", ruleOrder="10"),
            rule("unordered", "ALLOW"),
            rule("two", "ALLOW", ruleOrder="2"),
            rule("three", "ALLOW", ruleOrder=3),
            rule("also unordered", "ALLOW", ruleOrder="soon"),
        ]
    )
    assert [r.name for r in result.policy.access.rules] == [
        "two",
        "three",
        "ten",
        "unordered",
        "also unordered",
    ]


def test_the_default_rule_gives_the_default_wherever_it_is() -> None:
    result = read(
        {
            "policyType": "TIMEOUT_POLICY",
            "rules": [
                {
                    "name": "Default_Rule",
                    "action": "RE_AUTH",
                    "defaultRule": "true",
                    "reauthTimeout": "604800",
                    "reauthIdleTimeout": "-1",
                },
                timeout("86400"),
            ],
        }
    )
    assert format_policy(result.policy) == (
        "timeout:\n"
        '  rule "Re-auth": reauth every 1d idle never\n'
        "  default: reauth every 7d idle never\n"
    )


@pytest.mark.parametrize("policy_type", ["INSPECTION_POLICY", "ISOLATION_POLICY"])
def test_a_policy_set_of_an_unsupported_type(policy_type: str) -> None:
    result = read(
        {"policyType": policy_type, "rules": [rule("Inspect", "INSPECT")]},
        [rule("Git", "ALLOW", [app()])],
    )
    assert not result.ok
    error = only(result)
    assert (error.code, error.severity, error.rule) == (
        "unsupported-policy-set",
        Severity.ERROR,
        None,
    )
    assert error.message == (
        f"policy set `{policy_type}` is not one scimpolicy evaluates (access, client "
        "forwarding, timeout)"
    )
    assert [r.name for r in result.policy.access.rules] == ["Git"]


@pytest.mark.parametrize(
    ("policy_type", "action", "message"),
    [
        ("TIMEOUT_POLICY", "ALLOW", "action `ALLOW` in a timeout policy set"),
        ("ACCESS_POLICY", "BYPASS", "action `BYPASS` in a access policy set"),
        ("BYPASS_POLICY", "RE_AUTH", "action `RE_AUTH` in a forwarding policy set"),
    ],
)
def test_an_action_in_the_wrong_policy_set(
    policy_type: str, action: str, message: str
) -> None:
    result = read(
        {
            "policyType": policy_type,
            "rules": [
                rule("Misfiled", action, reauthTimeout="600", reauthIdleTimeout="-1")
            ],
        }
    )
    error = only(result)
    assert (error.code, error.severity, error.rule) == (
        "action-type-mismatch",
        Severity.ERROR,
        "Misfiled",
    )
    assert error.message == message
    assert all(not rule_set.rules for rule_set in result.policy.rule_sets())


def test_a_rule_without_action_takes_its_policy_sets_default_action() -> None:
    result = read(
        {"policyType": "ACCESS_POLICY", "rules": [{"name": "a"}]},
        {"policyType": "CLIENT_FORWARDING_POLICY", "rules": [{"name": "f"}]},
    )
    assert result.diagnostics == ()
    assert format_policy(result.policy) == (
        'access:\n  rule "a": allow\n\nforwarding:\n  rule "f": intercept\n'
    )


def test_a_rule_without_action_outside_a_policy_set() -> None:
    result = read([{"name": "What am I"}])
    assert codes(result) == [("missing-action", Severity.ERROR, "What am I")]


def test_an_action_of_another_policy_type() -> None:
    result = read([rule("Isolate", "ISOLATE")])
    assert codes(result) == [("unsupported-action", Severity.ERROR, "Isolate")]
    assert only(result).message == (
        "action `ISOLATE` is not one of access, client forwarding or timeout policies"
    )


@pytest.mark.parametrize("garbage", [42, "ACCESS_POLICY", None, {"policy": []}, True])
def test_input_that_is_not_zpa_rules(garbage: Any) -> None:
    result = import_zpa([garbage], catalogue(), origins=["rules.json"])
    assert not result.ok
    error = only(result)
    assert (error.code, error.severity, error.origin) == (
        "not-zpa-rules",
        Severity.ERROR,
        "rules.json",
    )
    assert error.message == (
        "expected ZPA rules: a list, a page with `list`, or a policy set with `rules`"
    )
    assert all(not rule_set.rules for rule_set in result.policy.rule_sets())


def test_a_rule_that_is_not_an_object() -> None:
    result = read([rule("Git", "ALLOW", [app()]), "Payroll"])
    assert codes(result) == [("not-a-rule", Severity.ERROR, None)]
    assert only(result).message == "rule #2: expected an object"
    assert [r.name for r in result.policy.access.rules] == ["Git"]


@pytest.mark.parametrize(
    ("rhs", "text"),
    [("true", "true"), ("FALSE", "false"), ("True", "true")],
)
def test_scim_active_operands_become_booleans(rhs: str, text: str) -> None:
    """ZPA writes `active` as a string; the language compares booleans."""
    result = read(
        [rule("Active only", "ALLOW", [operand("SCIM", ACTIVE, rhs, idpId=OKTA)])]
    )
    assert result.diagnostics == ()
    assert format_policy(result.policy) == (
        'access:\n  rule "Active only": allow\n'
        f'    when idp == "Okta" and scim.active == {text}\n'
    )


def test_scim_active_must_be_true_or_false() -> None:
    result = read([rule("r", "ALLOW", [operand("SCIM", ACTIVE, "yes", idpId=OKTA)])])
    assert codes(result) == [("bad-operand", Severity.ERROR, "r")]
    assert result.policy.access.rules[0].disabled


def test_operands_of_two_idps_in_one_block_are_scoped_to_each() -> None:
    """An OR block of Okta and Entra criteria: each IdP's part names its IdP."""
    block = [
        operand("SCIM_GROUP", OKTA, "295019"),
        operand("SCIM_GROUP", ENTRA, "295101"),
        operand("SCIM", USER_TYPE, "Employee", idpId=OKTA),
    ]
    result = read([rule("Staff", "ALLOW", block)])
    assert result.diagnostics == ()
    assert format_policy(result.policy) == (
        'access:\n  rule "Staff": allow\n'
        '    when idp == "Okta" and ("SRE" in scim.groups or scim.userType == "Employee")'
        ' or idp == "Entra" and "Finance" in scim.groups\n'
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            operand("PLATFORM", "mac", "yes"),
            '`rhs` must be "true" or "false", got `yes`',
        ),
        (operand("PLATFORM", "", "true"), "`lhs` must name the platform"),
        (
            operand("CLIENT_TYPE", "id", "zpn_client_type_fax"),
            "unknown client type `zpn_client_type_fax`",
        ),
        (operand("SAML", "216196257331285101", 7), "`rhs` must be a string, got `7`"),
    ],
)
def test_bad_operand_values(bad: Any, message: str) -> None:
    result = read([rule("r", "ALLOW", [bad])])
    error = only(result)
    assert error.severity is Severity.ERROR
    assert error.message == f"`conditions[0].operands[0]`: {message}"
    assert result.policy.access.rules[0].disabled


@pytest.mark.parametrize(
    ("conditions", "code", "message"),
    [
        ({"operator": "OR"}, "bad-conditions", "`conditions` must be a list"),
        (["APP"], "bad-condition", "`conditions[0]` must be an object"),
        (
            [{"operator": "XOR", "operands": [app()]}],
            "bad-operator",
            "`conditions[0].operator` must be AND or OR",
        ),
        (
            [{"operator": "OR", "operands": app()}],
            "bad-operands",
            "`conditions[0].operands` must be a list of objects",
        ),
        (
            [{"operator": "OR", "operands": [app(), "216196257331291970"]}],
            "bad-operands",
            "`conditions[0].operands` must be a list of objects",
        ),
        (
            [{"operands": [{"objectType": "PLATFORM", "entryValues": ["mac"]}]}],
            "bad-operand",
            '`conditions[0].operands[0]`: `rhs` must be "true" or "false", got `None`',
        ),
    ],
)
def test_malformed_conditions_disable_the_rule(
    conditions: Any, code: str, message: str
) -> None:
    """Nothing is skipped quietly: a rule that lost criteria would match more."""
    result = read([{"name": "Git", "action": "DENY", "conditions": conditions}])
    error = only(result)
    assert (error.code, error.severity, error.rule) == (code, Severity.ERROR, "Git")
    assert error.message == message
    assert result.policy.access.rules[0].disabled


def test_a_timeout_under_ten_minutes_is_raised_and_the_rule_disabled() -> None:
    rule = {
        "name": "Too short",
        "action": "RE_AUTH",
        "ruleOrder": "1",
        "reauthTimeout": "300",
        "reauthIdleTimeout": "-1",
    }
    result = import_zpa([[rule]], Catalogue())
    assert not result.ok
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "timeout-too-short"
    assert "`reauthTimeout` is 300 s; ZPA's minimum is 10 minutes" in diagnostic.message
    text = format_policy(result.policy)
    assert 'disabled rule "Too short": reauth every 10m idle never' in text
    load_policy(text)  # the imported policy loads
