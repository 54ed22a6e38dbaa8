"""``analyze`` and ``diff`` on hand-made policies: each kind of finding and of
difference, and every example decided with the reference interpreter to show that the
claim holds on it."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

import attrs

from scimpolicy.analysis import (
    Difference,
    Example,
    Finding,
    Kind,
    analyze,
    decide,
    diff,
)
from scimpolicy.policy.facts import ALL_USABLE, Gates
from scimpolicy.policy.interpreter import interpret
from scimpolicy.policy.nodes import (
    AccessAction,
    Action,
    Duration,
    ForwardingAction,
    Policy,
    PolicyType,
    Ref,
    RuleSet,
    TimeoutAction,
)
from scimpolicy.policy.parser import parse_policy
from scimpolicy.policy.tenant import ApplicationSegment, IdentityProvider, Tenant
from scimpolicy.scim.directory import Directory

NO_SCIM: Final = Gates(scim=False, saml=True)
APP: Final = Ref("app")
USER_TYPE: Final = Ref("scim", ("userType",))
SAML_DEPARTMENT: Final = Ref("saml", ("department",))
DAY: Final = TimeoutAction(Duration(24 * 60), Duration(30))
WEEK: Final = TimeoutAction(Duration(7 * 24 * 60), Duration(None))


def request(gates: Gates = ALL_USABLE, **values: tuple[Any, ...]) -> Example:
    """An example request: ``request(app=("Git",), platform=("mac",))``."""
    return Example(gates, MappingProxyType({Ref(k): v for k, v in values.items()}))


def findings(policy: Policy) -> list[tuple[Kind, str, tuple[str, ...]]]:
    return [(f.kind, f.rule, f.related) for f in analyze(policy)]


def without(rule_set: RuleSet, name: str) -> RuleSet:
    return attrs.evolve(
        rule_set, rules=tuple(r for r in rule_set.rules if r.name != name)
    )


def check_hazard(policy: Policy, finding: Finding) -> tuple[Action, str | None]:
    """The hazard's example: with SCIM criteria usable the rule decides; as it is
    (SCIM criteria not usable) another rule or the default decides, differently."""
    assert finding.example is not None
    assert not finding.example.gates.scim
    rule_set = policy.rule_set(finding.policy_type)
    rule = next(r for r in rule_set.rules if r.name == finding.rule)
    usable = attrs.evolve(finding.example, gates=ALL_USABLE)
    assert decide(rule_set, usable) == (rule.action, rule.name)
    decided = decide(rule_set, finding.example)
    assert decided[1] == (finding.related[0] if finding.related else None)
    assert decided[0] != rule.action
    return decided


def check_difference(before: Policy, after: Policy, difference: Difference) -> None:
    """The example is decided as the difference says by each policy."""
    kind = difference.policy_type
    assert decide(before.rule_set(kind), difference.example) == difference.before
    assert decide(after.rule_set(kind), difference.example) == difference.after
    assert difference.before[0] != difference.after[0]


# -- analyze ---------------------------------------------------------------------------


def test_a_contradictory_rule() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "git and wiki": allow when app == "Git" and app == "Wiki"\n'
        '  rule "wiki": allow when app == "Wiki"\n'
    )
    [finding] = analyze(policy)
    assert (finding.kind, finding.rule, finding.related) == (
        Kind.CONTRADICTORY,
        "git and wiki",
        (),
    )
    assert finding.example is None
    assert finding.render() == (
        "access: rule `git and wiki`: contradictory: its criteria can never be true"
    )
    criteria = policy.access.rules[0].criteria
    for app in ("Git", "Wiki", "CI"):
        facts = request(app=(app,)).facts()
        assert interpret(criteria, facts, ALL_USABLE).value is False


def test_a_rule_shadowed_by_one_earlier_rule() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "engineering": allow when scim.department in ["Eng", "SRE"]\n'
        '  rule "mac": require_approval when platform == "mac"\n'
        '  rule "eng on git": deny when scim.department == "eng" and app == "Git"\n'
    )
    [finding] = analyze(policy)
    assert (finding.kind, finding.rule, finding.related) == (
        Kind.UNREACHABLE,
        "eng on git",
        ("engineering",),
    )
    assert finding.example is None
    assert finding.render() == (
        "access: rule `eng on git`: unreachable: `engineering` always decides first"
    )
    # What the rule asks for goes to the earlier rule, whatever the gates.
    for gates in (ALL_USABLE, NO_SCIM):
        eng_on_git = Example(
            gates,
            MappingProxyType({Ref("scim", ("department",)): ("eng",), APP: ("Git",)}),
        )
        assert decide(policy.access, eng_on_git)[1] != "eng on git"


def test_a_rule_shadowed_by_two_earlier_rules_together() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "git": allow when app == "Git"\n'
        '  rule "not git": deny when app != "Git"\n'
        '  rule "mac": require_approval when platform == "mac"\n'
    )
    [finding] = analyze(policy)
    assert (finding.kind, finding.rule, finding.related) == (
        Kind.UNREACHABLE,
        "mac",
        ("git", "not git"),
    )
    assert finding.message == "earlier rules together always decide first"
    for app in ((), ("Git",), ("Wiki",)):
        decided = decide(policy.access, request(app=app, platform=("mac",)))
        assert decided[1] in ("git", "not git")


def test_a_rule_reached_only_while_scim_criteria_are_unusable_is_reachable() -> None:
    """The first rule matches every user whose SCIM criteria are usable and no one
    else (for the others it is unknown): the second still decides for them."""
    policy = parse_policy(
        "access:\n"
        '  rule "staff": allow\n'
        '    when scim.userType == "Employee" or scim.userType != "Employee"\n'
        '  rule "kiosks": deny when machine_group == "Kiosks"\n'
        "  default: allow\n"
    )
    assert analyze(policy) == []
    kiosk = request(NO_SCIM, machine_group=("Kiosks",))
    assert decide(policy.access, kiosk) == (AccessAction.DENY, "kiosks")
    assert decide(policy.access, attrs.evolve(kiosk, gates=ALL_USABLE)) == (
        AccessAction.ALLOW,
        "staff",
    )


def test_a_deny_before_the_default_deny_is_redundant() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "wiki": allow when app == "Wiki"\n'
        '  rule "kiosks": deny when machine_group == "Kiosks"\n'
    )
    [finding] = analyze(policy)
    assert (finding.kind, finding.rule, finding.related) == (
        Kind.REDUNDANT,
        "kiosks",
        (),
    )
    assert finding.render() == (
        "access: rule `kiosks`: redundant: removing it changes no decision's outcome:"
        " whenever it decides, a later rule or the default gives deny too"
    )
    kiosk = request(machine_group=("Kiosks",), app=("Git",))
    assert decide(policy.access, kiosk) == (AccessAction.DENY, "kiosks")
    assert decide(without(policy.access, "kiosks"), kiosk) == (AccessAction.DENY, None)


def test_a_narrower_rule_before_a_wider_one_with_the_same_action_is_redundant() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "git on macs": allow when app == "Git" and platform == "mac"\n'
        '  rule "git": allow when app == "Git"\n'
    )
    assert findings(policy) == [(Kind.REDUNDANT, "git on macs", ())]


def test_a_deny_before_an_allow_it_overlaps_is_not_redundant() -> None:
    """The near miss: a kiosk on Git would be allowed without the deny rule."""
    policy = parse_policy(
        "access:\n"
        '  rule "kiosks": deny when machine_group == "Kiosks"\n'
        '  rule "git": allow when app == "Git"\n'
    )
    assert analyze(policy) == []
    kiosk_on_git = request(machine_group=("Kiosks",), app=("Git",))
    assert decide(policy.access, kiosk_on_git) == (AccessAction.DENY, "kiosks")
    assert decide(without(policy.access, "kiosks"), kiosk_on_git) == (
        AccessAction.ALLOW,
        "git",
    )


def test_the_spec_gate_hazard_a_contractor_deny_before_a_saml_allow() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "contractors": deny when scim.userType == "Contractor"\n'
        '  rule "engineers": allow when saml.department == "Engineering"\n'
        "  default: deny\n"
    )
    [finding] = analyze(policy)
    assert (finding.kind, finding.rule, finding.related) == (
        Kind.GATE_HAZARD,
        "contractors",
        ("engineers",),
    )
    assert check_hazard(policy, finding) == (AccessAction.ALLOW, "engineers")
    assert finding.example is not None
    assert finding.example.values[USER_TYPE] == ("contractor",)
    assert "Engineering" in finding.example.values[SAML_DEPARTMENT]
    assert finding.render() == (
        "access: rule `contractors`: gate-hazard: its SCIM criteria are unknown until"
        " SCIM Attributes for Policy is on and the user has re-authenticated;"
        " meanwhile `engineers` decides (allow instead of deny)\n"
        '    example: saml.department has "Engineering", scim.userType="contractor"'
        " (SCIM criteria not usable)"
    )
    assert finding.to_json() == {
        "kind": "gate-hazard",
        "policy": "access",
        "rule": "contractors",
        "message": finding.message,
        "related": ["engineers"],
        "example": {
            "values": {
                "saml.department": ["Engineering"],
                "scim.userType": ["contractor"],
            },
            "scim_usable": False,
            "saml_usable": True,
        },
    }


def test_the_timeout_gate_hazard_a_contractors_day_against_the_week_default() -> None:
    policy = parse_policy(
        "timeout:\n"
        '  rule "contractors": reauth every 1d idle 30m\n'
        '    when scim.userType == "Contractor"\n'
        "  default: reauth every 7d idle never\n"
    )
    [finding] = analyze(policy)
    assert (finding.kind, finding.policy_type, finding.rule, finding.related) == (
        Kind.GATE_HAZARD,
        PolicyType.TIMEOUT,
        "contractors",
        (),
    )
    assert check_hazard(policy, finding) == (WEEK, None)
    assert finding.example is not None
    assert finding.example.values[USER_TYPE] == ("contractor",)
    assert "the default decides" in finding.message
    assert "reauth every 7d idle never instead of reauth every 1d idle 30m" in (
        finding.message
    )


def test_a_hazard_needs_a_weaker_outcome() -> None:
    """A contractor deny before the default deny changes nothing while SCIM criteria
    are unusable (the rule is redundant, not a hazard)."""
    policy = parse_policy(
        'access:\n  rule "contractors": deny when scim.userType == "Contractor"\n'
    )
    assert findings(policy) == [(Kind.REDUNDANT, "contractors", ())]


def test_a_clean_policy_has_no_findings() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "engineering": allow\n'
        '    when app in ["Git", "CI"] and "Engineering" in scim.groups\n'
        '  rule "finance": allow when app == "Payroll" and saml.department == "Finance"\n'
        "  default: deny\n"
        "forwarding:\n"
        '  rule "guests bypass": bypass when saml.role == "guest"\n'
        "timeout:\n"
        '  rule "kiosks": reauth every 1h idle 10m when machine_group == "Kiosks"\n'
    )
    assert analyze(policy) == []


def test_disabled_rules_are_ignored() -> None:
    policy = parse_policy(
        "access:\n"
        '  disabled rule "everything": allow\n'
        '  rule "git": allow when app == "Git"\n'
        '  disabled rule "never": allow when app == "Git" and app == "Wiki"\n'
        '  disabled rule "also git": allow when app == "Git"\n'
        '  rule "wiki": allow when app == "Wiki"\n'
    )
    assert analyze(policy) == []


def test_a_rule_with_no_when_makes_every_later_rule_unreachable() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "git": allow when app == "Git"\n'
        '  rule "everyone else": deny\n'
        '  rule "wiki": allow when app == "Wiki"\n'
        '  rule "payroll": require_approval when app == "Payroll"\n'
        '  rule "catch-all": require_approval\n'
        "  default: allow\n"
    )
    assert findings(policy) == [
        (Kind.UNREACHABLE, "wiki", ("everyone else",)),
        (Kind.UNREACHABLE, "payroll", ("everyone else",)),
        (Kind.UNREACHABLE, "catch-all", ("everyone else",)),
    ]
    for app in ((), ("Wiki",), ("Payroll",)):
        decided = decide(policy.access, request(app=app))
        assert decided == (AccessAction.DENY, "everyone else")


def test_findings_in_every_section_in_order() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "all": allow\n'
        '  rule "git": deny when app == "Git"\n'
        "forwarding:\n"
        '  rule "never": bypass when platform == "mac" and platform == "ios"\n'
        "timeout:\n"
        '  rule "week": reauth every 7d idle never\n'
    )
    assert [(f.policy_type, f.kind, f.rule) for f in analyze(policy)] == [
        (PolicyType.ACCESS, Kind.UNREACHABLE, "git"),
        (PolicyType.FORWARDING, Kind.CONTRADICTORY, "never"),
        (PolicyType.TIMEOUT, Kind.REDUNDANT, "week"),
    ]


# -- diff ------------------------------------------------------------------------------

BASE: Final = """\
access:
  rule "contractors": deny when scim.userType == "Contractor"
  rule "engineering": allow when scim.department == "Eng"
  rule "git": allow when app in ["Git", "CI"]
forwarding:
  rule "guests": bypass when saml.role == "guest"
timeout:
  rule "contractors": reauth every 1d idle 30m when scim.userType == "Contractor"
"""


def edited(old: str, new: str) -> Policy:
    assert BASE.count(old) == 1
    return parse_policy(BASE.replace(old, new))


def test_identical_policies_have_no_differences() -> None:
    assert diff(parse_policy(BASE), parse_policy(BASE)) == []


def test_same_outcomes_by_other_rules_are_no_difference() -> None:
    before = parse_policy('access:\n  rule "git": allow when app == "Git"\n')
    after = parse_policy(
        "access:\n"
        '  rule "git on macs": allow when app == "Git" and platform == "mac"\n'
        '  rule "git": allow when app == "Git"\n'
        '  rule "kiosks": deny when machine_group == "Kiosks"\n'
    )
    assert diff(before, after) == []


def test_an_attribute_spelled_by_its_urn_is_no_difference() -> None:
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    before = parse_policy(BASE)
    after = edited('scim.department == "Eng"', f'scim["{urn}:department"] == "ENG"')
    assert before != after
    assert diff(before, after) == []


def test_a_changed_action() -> None:
    before = parse_policy(BASE)
    after = edited('"git": allow', '"git": require_approval')
    [difference] = diff(before, after)
    assert difference.policy_type is PolicyType.ACCESS
    assert difference.before == (AccessAction.ALLOW, "git")
    assert difference.after == (AccessAction.REQUIRE_APPROVAL, "git")
    check_difference(before, after, difference)
    assert difference.example.values[APP][0] in ("Git", "CI")


def test_a_renamed_rule_with_another_action_names_both_rules() -> None:
    before = parse_policy('access:\n  rule "git": allow when app == "Git"\n')
    after = parse_policy('access:\n  rule "no git": deny when app == "Git"\n')
    [difference] = diff(before, after)
    assert (difference.before, difference.after) == (
        (AccessAction.ALLOW, "git"),
        (AccessAction.DENY, "no git"),
    )
    check_difference(before, after, difference)
    assert difference.render() == (
        'access: allow by `git` -> deny by `no git`\n    example: app="Git"'
    )
    assert difference.to_json() == {
        "policy": "access",
        "before": {"action": "allow", "rule": "git"},
        "after": {"action": "deny", "rule": "no git"},
        "example": {
            "values": {"app": ["Git"]},
            "scim_usable": True,
            "saml_usable": True,
        },
    }


def test_a_reordered_pair_of_overlapping_rules() -> None:
    before = parse_policy(BASE)
    after = parse_policy(
        BASE.replace(
            '  rule "contractors": deny when scim.userType == "Contractor"\n'
            '  rule "engineering": allow when scim.department == "Eng"\n',
            '  rule "engineering": allow when scim.department == "Eng"\n'
            '  rule "contractors": deny when scim.userType == "Contractor"\n',
        )
    )
    assert before != after
    [difference] = diff(before, after)
    assert (difference.before, difference.after) == (
        (AccessAction.DENY, "contractors"),
        (AccessAction.ALLOW, "engineering"),
    )
    check_difference(before, after, difference)
    assert difference.example.gates.scim
    assert difference.example.values[USER_TYPE] == ("contractor",)
    assert difference.example.values[Ref("scim", ("department",))] == ("eng",)


def test_a_reordered_pair_of_disjoint_rules_is_no_difference() -> None:
    before = parse_policy(
        "access:\n"
        '  rule "git": allow when app == "Git"\n'
        '  rule "wiki": deny when app == "Wiki"\n'
    )
    after = parse_policy(
        "access:\n"
        '  rule "wiki": deny when app == "Wiki"\n'
        '  rule "git": allow when app == "Git"\n'
    )
    assert diff(before, after) == []


def test_an_added_in_value() -> None:
    before = parse_policy(BASE)
    after = edited('app in ["Git", "CI"]', 'app in ["Git", "CI", "Wiki"]')
    [difference] = diff(before, after)
    assert (difference.before, difference.after) == (
        (AccessAction.DENY, None),
        (AccessAction.ALLOW, "git"),
    )
    check_difference(before, after, difference)
    assert difference.example.values[APP] == ("Wiki",)
    assert difference.render().startswith(
        "access: deny by the default -> allow by `git`\n    example: "
    )
    assert difference.to_json()["before"] == {"action": "deny", "rule": None}


def test_a_forwarding_difference() -> None:
    before = parse_policy(BASE)
    after = edited('"guests": bypass', '"guests": intercept_accessible')
    [difference] = diff(before, after)
    assert difference.policy_type is PolicyType.FORWARDING
    assert (difference.before, difference.after) == (
        (ForwardingAction.BYPASS, "guests"),
        (ForwardingAction.INTERCEPT_ACCESSIBLE, "guests"),
    )
    check_difference(before, after, difference)
    assert "guest" in difference.example.values[Ref("saml", ("role",))]
    assert difference.render().startswith(
        "forwarding: bypass by `guests` -> intercept_accessible by `guests`"
    )


def test_a_timeout_difference() -> None:
    before = parse_policy(BASE)
    after = edited("reauth every 1d idle 30m", "reauth every 12h idle 30m")
    [difference] = diff(before, after)
    assert difference.policy_type is PolicyType.TIMEOUT
    half_day = TimeoutAction(Duration(12 * 60), Duration(30))
    assert (difference.before, difference.after) == (
        (DAY, "contractors"),
        (half_day, "contractors"),
    )
    check_difference(before, after, difference)
    assert difference.to_json()["before"] == {
        "action": "reauth every 1d idle 30m",
        "rule": "contractors",
    }


def test_a_new_default() -> None:
    before = parse_policy(BASE)
    after = parse_policy(BASE + "  default: reauth every 7d idle 1h\n")
    differences = diff(before, after)
    assert [(d.before[1], d.after[1]) for d in differences] == [(None, None)]
    for difference in differences:
        check_difference(before, after, difference)


def test_a_difference_only_where_the_gates_let_it_show() -> None:
    """Moving a SAML allow before a SCIM deny changes the outcome only for users
    whose SCIM criteria are usable: for the others the allow decided already."""
    before = parse_policy(
        "access:\n"
        '  rule "contractors": deny when scim.userType == "Contractor"\n'
        '  rule "finance": allow when saml.department == "Finance"\n'
    )
    after = parse_policy(
        "access:\n"
        '  rule "finance": allow when saml.department == "Finance"\n'
        '  rule "contractors": deny when scim.userType == "Contractor"\n'
    )
    differences = diff(before, after)
    assert [(d.before, d.after) for d in differences] == [
        ((AccessAction.DENY, "contractors"), (AccessAction.ALLOW, "finance")),
    ]
    for difference in differences:
        check_difference(before, after, difference)
        assert difference.example.gates.scim


# -- a tenant restricts the requests considered -----------------------------------


def _tenant(*, scim_attributes: bool) -> Tenant:
    okta = IdentityProvider(
        "Okta",
        Directory(),
        scim_sync=True,
        scim_attributes_for_policy=scim_attributes,
        scim_attributes_enabled_at=datetime(2026, 11, 1, tzinfo=UTC)
        if scim_attributes
        else None,
    )
    git = ApplicationSegment("Git", ["git.acme.com"], segment_group="Engineering")
    return Tenant([okta], [git])


def test_a_tenant_leaves_out_requests_it_cannot_have() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "Entra users": allow when idp == "Entra"\n'
        '  rule "Wiki": allow when app == "Wiki"\n'
        '  rule "Git outside engineering": deny when app == "Git" and '
        'segment_group != "Engineering"\n'
    )
    # Any request at all: each rule can decide (the deny changes no outcome).
    assert [(f.rule, f.kind) for f in analyze(policy)] == [
        ("Git outside engineering", Kind.REDUNDANT)
    ]
    found = {(f.rule, f.kind) for f in analyze(policy, _tenant(scim_attributes=True))}
    assert found == {
        ("Entra users", Kind.CONTRADICTORY),
        ("Wiki", Kind.CONTRADICTORY),
        ("Git outside engineering", Kind.CONTRADICTORY),
    }


def test_with_scim_attributes_off_everywhere_scim_criteria_never_hold() -> None:
    policy = parse_policy(
        "access:\n"
        '  rule "Contractors": deny when scim.userType == "Contractor"\n'
        '  rule "Git": allow when app == "Git"\n'
    )
    on = analyze(policy, _tenant(scim_attributes=True))
    assert [(f.rule, f.kind) for f in on] == [("Contractors", Kind.GATE_HAZARD)]
    off = analyze(policy, _tenant(scim_attributes=False))
    assert [(f.rule, f.kind) for f in off] == [("Contractors", Kind.CONTRADICTORY)]


def test_diff_within_a_tenant_ignores_applications_it_does_not_have() -> None:
    before = parse_policy('access:\n  rule "Git": allow when app == "Git"\n')
    after = parse_policy(
        'access:\n  rule "Git": allow when app == "Git"\n'
        '  rule "Wiki": allow when app == "Wiki"\n'
    )
    assert len(diff(before, after)) == 1
    assert diff(before, after, _tenant(scim_attributes=True)) == []
