"""Properties of the engine: its fast path agrees with a brute-force reference
evaluator written from SPEC §5, and the SCIM gates matter only to SCIM criteria.

The reference below shares nothing with the engine except the criteria oracle
(:func:`scimpolicy.policy.interpreter.interpret`) and the tenant's data: it finds users
and group memberships by scanning the directory, resolves hosts by ranking every
domain of every segment, and works out the gates, reason codes and expiry itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimpolicy import (
    AccessAction,
    ApplicationSegment,
    Decision,
    Directory,
    Duration,
    Engine,
    Facts,
    ForwardingAction,
    Gates,
    IdentityProvider,
    Policy,
    PolicyType,
    ReasonCode,
    Request,
    RuleStatus,
    Tenant,
    TimeoutAction,
    User,
    interpret,
    load_policy,
    parse_criteria,
)
from scimpolicy.policy.nodes import Action
from tests.policy.engine_strategies import (
    GROUP_NAMES,
    T0,
    Mix,
    Scenario,
    idp_settings,
    scenarios,
)

# -- the reference evaluator (SPEC §5) ------------------------------------------------

ZPA_DEFAULT: Final[dict[PolicyType, Action]] = {
    PolicyType.ACCESS: AccessAction.DENY,
    PolicyType.FORWARDING: ForwardingAction.INTERCEPT,
    PolicyType.TIMEOUT: TimeoutAction(Duration(7 * 24 * 60), Duration(None)),
}
ACCESS_REASON: Final[dict[AccessAction, ReasonCode | None]] = {
    AccessAction.ALLOW: None,
    AccessAction.DENY: ReasonCode.REJECTED_BY_POLICY,
    AccessAction.REQUIRE_APPROVAL: ReasonCode.REJECTED_BY_POLICY_APPROVAL,
}
API_CLIENT_TYPE: Final = {
    "client_connector": "zpn_client_type_zapp",
    "web_browser": "zpn_client_type_exporter",
}

STATUS: Final = {
    True: RuleStatus.MATCHED,
    False: RuleStatus.NOT_MATCHED,
    None: RuleStatus.UNKNOWN,
}

TraceRow = tuple[int, str, RuleStatus]


@attrs.frozen
class Expected:
    """The parts of a decision the reference predicts (``trace``: explain only)."""

    outcome: Action | None
    rule: str | None = None
    rule_index: int | None = None
    reason_code: ReasonCode | None = None
    blocked: bool = False
    application: str | None = None
    expires_at: datetime | None = None
    expired: bool = False
    allowed_apps: tuple[str, ...] | None = None
    trace: tuple[TraceRow, ...] = ()


def observed(decision: Decision, *, trace: bool) -> Expected:
    """The engine's decision in the reference's shape."""
    return Expected(
        decision.outcome,
        decision.rule,
        decision.rule_index,
        decision.reason_code,
        decision.blocked,
        decision.application,
        decision.expires_at,
        decision.expired,
        decision.allowed_apps,
        tuple((e.index, e.name, e.status) for e in decision.trace) if trace else (),
    )


def scan_user(directory: Directory, name: str) -> User | None:
    """The user whose userName is *name* ignoring case, by scanning every user."""
    found = [u for u in directory.users() if u.user_name.casefold() == name.casefold()]
    assert len(found) <= 1
    return found[0] if found else None


def scan_groups(directory: Directory, user_id: str) -> frozenset[str]:
    """Names of the groups reaching *user_id*, directly or through nested groups."""
    groups = list(directory.groups())
    reached = {user_id}
    grew = True
    while grew:
        grew = False
        for group in groups:
            if group.id not in reached and any(
                m.value in reached for m in group.members
            ):
                reached.add(group.id)
                grew = True
    return frozenset(g.display_name for g in groups if g.id in reached)


def claims(segment: ApplicationSegment, host: str, port: int | None) -> list[int]:
    """Ranks (bigger is more specific) of each domain of *segment* matching *host*."""
    listed = [range(r.low, r.high + 1) for r in segment.ports]
    if port is not None and listed and not any(port in r for r in listed):
        return []
    host = host.casefold().rstrip(".")
    ranks = []
    for raw in segment.domains:
        domain = raw.casefold().rstrip(".")
        if domain.startswith("*."):
            parent = domain[2:]
            if host.endswith("." + parent) and len(host) > len(parent) + 1:
                ranks.append(len(parent))  # wildcards: longer beats shorter
        elif host == domain:
            ranks.append(10_000 + len(domain))  # exact beats every wildcard
    return ranks


def scan_segments(
    tenant: Tenant, host: str, port: int | None
) -> ApplicationSegment | None:
    """The most specific segment for host and port; the first defined on a tie."""
    candidates = [
        (-rank, position, segment)
        for position, segment in enumerate(tenant.segments)
        for rank in claims(segment, host, port)
    ]
    return min(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None


def context(
    tenant: Tenant, policy_type: PolicyType, request: Request, app_name: str | None
) -> Expected | tuple[Facts, Gates]:
    """SPEC §5 up to the rules: a decision made before any rule is read, or the facts
    and gates the rules see (*app_name* overrides the request's application)."""
    # the application: named, else the most specific segment for host and port
    name = app_name or request.app
    segment = None
    unresolved = False
    if name is not None:
        segment = next((s for s in tenant.segments if s.name == name), None)
    elif request.host is not None:
        segment = scan_segments(tenant, request.host, request.port)
        unresolved = segment is None
        name = None if segment is None else segment.name
    blocked = Expected(
        AccessAction.DENY if policy_type is PolicyType.ACCESS else None,
        blocked=True,
        application=name,
    )
    # the IdP: an unknown one blocks the request (SPEC §5 names no reason code)
    idp = next((idp for idp in tenant.idps if idp.name == request.idp), None)
    if idp is None:
        return blocked
    directory = idp.directory
    assert isinstance(directory, Directory)
    # §5.1 the presence gate, before anything else is read
    user = scan_user(directory, request.user)
    present = user is not None and user.active is not False
    client_type = request.client_type.casefold()
    client_type = API_CLIENT_TYPE.get(client_type, client_type)
    if idp.scim_sync and client_type in tenant.presence_client_types and not present:
        return attrs.evolve(blocked, reason_code=ReasonCode.SCIM_INACTIVE)
    if unresolved and policy_type is PolicyType.ACCESS:
        return Expected(AccessAction.DENY, reason_code=ReasonCode.NO_POLICY_FOUND)
    # §5.2 usable criteria
    enabled_at = idp.scim_attributes_enabled_at
    gates = Gates(
        scim=idp.scim_sync
        and idp.scim_attributes_for_policy
        and enabled_at is not None
        and request.authenticated_at >= enabled_at,
        saml=idp.saml_attributes_for_policy,
    )
    # an inactive user is absent for policy (SPEC §3)
    known, groups = None, frozenset[str]()
    if present and user is not None:
        known, groups = user, scan_groups(directory, user.id)
    facts = Facts(
        user=known,
        scim_groups=groups,
        saml=request.saml,
        app=name,
        segment_group=None if segment is None else segment.segment_group,
        idp=request.idp,
        client_type=client_type,
        platform=request.platform,
        country=request.country,
        posture=request.posture,
        trusted_networks=request.trusted_networks,
        machine_group=request.machine_group,
    )
    return facts, gates


def reference(
    tenant: Tenant,
    policy: Policy,
    policy_type: PolicyType,
    request: Request,
    app_name: str | None = None,
) -> Expected:
    """SPEC §5 for one request, step by step (*app_name* overrides the application)."""
    found = context(tenant, policy_type, request, app_name)
    if isinstance(found, Expected):
        return found
    facts, gates = found
    # §5.3-5.4 three-valued criteria, first match wins, disabled rules skipped
    rule_set = policy.rule_set(policy_type)
    trace: list[TraceRow] = []
    decided: Expected | None = None
    for index, rule in enumerate(rule_set.rules):
        if rule.disabled:
            trace.append((index, rule.name, RuleStatus.DISABLED))
            continue
        value = interpret(rule.criteria, facts, gates).value
        trace.append((index, rule.name, STATUS[value]))
        if value is True:
            decided = Expected(rule.action, rule.name, index)
            break
    if decided is None:
        decided = Expected(rule_set.default or ZPA_DEFAULT[policy_type])
    decided = attrs.evolve(decided, application=facts.app, trace=tuple(trace))
    # §5.5-5.6 reason codes, expiry, forwarded applications
    action = decided.outcome
    if isinstance(action, AccessAction):
        return attrs.evolve(decided, reason_code=ACCESS_REASON[action])
    if isinstance(action, TimeoutAction) and action.reauth.minutes is not None:
        due = request.authenticated_at + timedelta(minutes=action.reauth.minutes)
        expired = request.now >= due
        return attrs.evolve(
            decided,
            expires_at=due,
            expired=expired,
            reason_code=ReasonCode.SAML_EXPIRED if expired else None,
        )
    if action is ForwardingAction.INTERCEPT_ACCESSIBLE:
        allowed = tuple(
            s.name
            for s in tenant.segments
            if reference(tenant, policy, PolicyType.ACCESS, request, s.name).outcome
            is AccessAction.ALLOW
        )
        return attrs.evolve(decided, allowed_apps=allowed)
    return decided


# -- (a) the engine agrees with the reference -------------------------------------------


def check_culprits(tenant: Tenant, explained: Decision, request: Request) -> None:
    """Each rule that did not match names a criterion (read back from its text) that
    is itself false, or unknown with the gate's reason (SPEC §5: the trace says
    which criterion failed)."""
    found = context(tenant, explained.policy_type, request, None)
    if isinstance(found, Expected):
        assert explained.trace == ()
        return
    facts, gates = found
    for entry in explained.trace:
        if entry.status in {RuleStatus.MATCHED, RuleStatus.DISABLED}:
            assert (entry.criterion, entry.reason) == (None, None)
            continue
        assert entry.criterion is not None, explained.explain()
        assert (entry.reason is not None) is (entry.status is RuleStatus.UNKNOWN)
        value = interpret(parse_criteria(entry.criterion), facts, gates).value
        assert STATUS[value] is entry.status, (entry, explained.explain())


def check_agreement(scenario: Scenario) -> None:
    """Every request of *scenario*, every policy type: engine == reference."""
    engine = Engine(scenario.tenant, scenario.policy)
    methods = {
        PolicyType.ACCESS: (engine.decide_access, engine.explain_access),
        PolicyType.FORWARDING: (engine.decide_forwarding, engine.explain_forwarding),
        PolicyType.TIMEOUT: (engine.decide_timeout, engine.explain_timeout),
    }
    for request in scenario.requests:
        for policy_type, (decide, explain) in methods.items():
            expected = reference(scenario.tenant, scenario.policy, policy_type, request)
            fast = decide(request)
            explained = explain(request)
            assert observed(fast, trace=False) == attrs.evolve(expected, trace=()), (
                fast.explain()
            )
            assert observed(explained, trace=True) == expected, explained.explain()
            if expected.rule_index is not None:
                last = explained.trace[-1]
                assert (last.index, last.status) == (
                    expected.rule_index,
                    RuleStatus.MATCHED,
                )
            check_culprits(scenario.tenant, explained, request)
            assert explained.explain().startswith(f"{policy_type} decision: ")
            assert explained.to_json()["blocked"] is expected.blocked


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_engine_agrees_with_the_reference_evaluator(scenario: Scenario) -> None:
    """decide_* and explain_* give the reference's decision on generated scenarios."""
    check_agreement(scenario)


# One criterion each, so that nothing but the user's own data decides.
SINGLE_CRITERIA: Final = [
    *(f'"{group}" in scim.groups' for group in GROUP_NAMES),
    'scim.userType == "contractor"',
    'scim.department == "ENGINEERING"',
    "scim.title is present",
    "scim.active is present",
]
SINGLE_CRITERION_POLICIES: Final = [
    load_policy(f'access:\n  rule "single": allow when {text}\n').policy
    for text in SINGLE_CRITERIA
]


@settings(max_examples=150, deadline=None)
@given(scenarios(Mix.ONLY_SCIM, usable=True))
def test_engine_agrees_on_scim_criteria_when_usable(scenario: Scenario) -> None:
    """With SCIM criteria usable, users, attributes and nested groups read the same."""
    check_agreement(scenario)
    for policy in SINGLE_CRITERION_POLICIES:
        check_agreement(attrs.evolve(scenario, policy=policy))


# -- (b) without SCIM criteria, the SCIM gates change nothing but the presence gate -----


def with_settings(tenant: Tenant, settings_: list[dict[str, Any]]) -> Tenant:
    """*tenant* with each IdP's SCIM settings replaced (same directories)."""
    idps = [
        attrs.evolve(idp, **changes)
        for idp, changes in zip(tenant.idps, settings_, strict=False)
    ]
    return attrs.evolve(tenant, idps=idps)


@settings(max_examples=200, deadline=None)
@given(scenarios(Mix.NO_SCIM), st.lists(idp_settings(), min_size=3, max_size=3))
def test_scim_gates_only_matter_through_presence_without_scim_criteria(
    scenario: Scenario, changed: list[dict[str, Any]]
) -> None:
    """Toggling SCIM settings leaves every decision of a SCIM-free policy unchanged."""
    before = Engine(scenario.tenant, scenario.policy)
    after = Engine(with_settings(scenario.tenant, changed), scenario.policy)
    for request in scenario.requests:
        idp_before = before.tenant.idp(request.idp)
        idp_after = after.tenant.idp(request.idp)
        sync_changed = (
            idp_before is not None
            and idp_after is not None
            and idp_before.scim_sync != idp_after.scim_sync
        )
        for policy_type in PolicyType:
            old = before.decide(policy_type, request, explain=True)
            new = after.decide(policy_type, request, explain=True)
            if sync_changed and (old.blocked or new.blocked):
                continue  # the presence gate may block on one side only
            # everything but the notes (which name the gates)
            assert observed(old, trace=True) == observed(new, trace=True), (
                old.explain(),
                new.explain(),
            )
            assert observed(before.decide(policy_type, request), trace=False) == (
                observed(after.decide(policy_type, request), trace=False)
            )


# -- examples the properties rest on ---------------------------------------------------

_DIRECTORY = Directory()
_DIRECTORY.create_user({"userName": "carl@acme.com", "userType": "Contractor"})
_TENANT = Tenant(
    [
        IdentityProvider(
            "Okta",
            _DIRECTORY,
            scim_sync=True,
            scim_attributes_for_policy=True,
            scim_attributes_enabled_at=T0,
        )
    ],
    [
        ApplicationSegment("Apps", ["*.acme.com"]),
        ApplicationSegment("Git", ["git.acme.com"], [443]),
        ApplicationSegment("Git too", ["git.acme.com"]),
        ApplicationSegment("Eng", ["*.eng.acme.com"]),
    ],
)


@pytest.mark.parametrize(
    ("host", "port", "segment"),
    [
        ("git.acme.com", 443, "Git"),  # exact beats wildcard; first of two exact
        ("git.acme.com", 22, "Git too"),  # Git lists ports, 22 is not one
        ("ci.eng.acme.com", None, "Eng"),  # the longer wildcard
        ("wiki.acme.com", 80, "Apps"),
        ("acme.com", None, None),  # a wildcard needs a label before it
    ],
)
def test_reference_resolution_examples(
    host: str, port: int | None, segment: str | None
) -> None:
    """The reference's brute-force resolution and the engine's pick the same segment."""
    found = scan_segments(_TENANT, host, port)
    resolved = _TENANT.resolve(host, port)
    assert (None if found is None else found.name) == segment
    assert (None if resolved is None else resolved.name) == segment


def test_reference_deny_rule_waits_for_reauthentication() -> None:
    """A contractor deny rule is unknown before re-authentication, decides after."""
    policy = load_policy(
        'access:\n  rule "contractors": deny when scim.userType == "Contractor"\n'
        '  rule "all": allow\n'
    )
    engine = Engine(_TENANT, policy)
    for minutes, rule, status in (
        (-1, "all", RuleStatus.UNKNOWN),
        (0, "contractors", RuleStatus.MATCHED),
    ):
        request = Request(
            "CARL@acme.com", "Okta", T0 + timedelta(minutes=minutes), T0, app="Git"
        )
        expected = reference(_TENANT, policy.policy, PolicyType.ACCESS, request)
        explained = engine.explain_access(request)
        assert observed(explained, trace=True) == expected
        assert (explained.rule, explained.trace[0].status) == (rule, status)


def test_trace_names_the_culprit_under_not() -> None:
    """A rule false only through `not` names the `not` criterion as the culprit."""
    policy = load_policy('access:\n  rule "not git": deny when not app == "Git"\n')
    request = Request("carl@acme.com", "Okta", T0, T0, app="Git")
    entry = Engine(_TENANT, policy).explain_access(request).trace[0]
    assert (entry.status, entry.criterion) == (
        RuleStatus.NOT_MATCHED,
        'not app == "Git"',
    )


def test_recurring_traces_are_reused_and_can_be_forgotten() -> None:
    """The same failures give the same trace value; clearing rebuilds an equal one."""
    policy = load_policy(
        "access:\n"
        '  rule "git": allow when app == "Git"\n'
        '  rule "ci": allow when app == "CI"\n'
    )
    engine = Engine(_TENANT, policy)
    first = engine.explain_access(Request("carl@acme.com", "Okta", T0, T0, app="Wiki"))
    again = engine.explain_access(Request("carl@acme.com", "Okta", T0, T0, app="Wiki"))
    assert [e.status for e in first.trace] == [RuleStatus.NOT_MATCHED] * 2
    assert again.trace is first.trace
    other = engine.explain_access(Request("carl@acme.com", "Okta", T0, T0, app="CI"))
    assert [e.status for e in other.trace] == [
        RuleStatus.NOT_MATCHED,
        RuleStatus.MATCHED,
    ]
    engine.clear_trace_cache()
    rebuilt = engine.explain_access(
        Request("carl@acme.com", "Okta", T0, T0, app="Wiki")
    )
    assert rebuilt.trace == first.trace
    assert rebuilt.trace is not first.trace
