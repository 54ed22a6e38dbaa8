"""Properties of the public Hypothesis strategies (scimpolicy.testing.strategies).

- Every value is valid by construction: payloads load into a Directory, criteria,
  rules and policies pass check_policy with no error and survive format then parse,
  sessions and requests name the world's IdPs and applications and decide without
  error, worlds decide every session for every application.
- Each knob does what it says: pinned attributes, sizes, users, IdPs, applications,
  hosts, sign-in times around the moment SCIM Attributes for Policy was enabled,
  client context.
- Draws replay: two derandomized runs draw the same requests; a directory's ids count
  up from 1.
- Without Hypothesis, importing the module says how to install it.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scimpolicy import (
    AccessAction,
    AddRule,
    ApplicationSegment,
    Directory,
    Engine,
    IdentityProvider,
    PolicyType,
    Request,
    Session,
    Severity,
    Tenant,
    User,
    World,
    apply_changes,
    check_policy,
    format_policy,
    parse_policy,
)
from scimpolicy.policy.nodes import (
    And,
    Compare,
    Contains,
    Criteria,
    In,
    Not,
    Or,
    Policy,
    Present,
    Ref,
    Rule,
    RuleSet,
)
from scimpolicy.testing.strategies import (
    NOW,
    criteria,
    directories,
    group_payloads,
    policies,
    requests,
    rules,
    sessions,
    tenants,
    user_payloads,
    worlds,
)

# Strategies built from drawn values (st.data) are built per example: fewer examples.
# Health checks stay on: generation must be fast at Hypothesis's defaults.
NESTED: Final = settings(max_examples=25, deadline=None)


def _errors(policy: Policy, tenant: Tenant | None) -> list[str]:
    return [
        d.message for d in check_policy(policy, tenant) if d.severity is Severity.ERROR
    ]


def _leaves(node: Criteria) -> list[Compare | In | Contains | Present]:
    if isinstance(node, (And, Or)):
        return _leaves(node.left) + _leaves(node.right)
    if isinstance(node, Not):
        return _leaves(node.operand)
    return [node]


def _as_policy(node: Criteria) -> Policy:
    rule = Rule("r", AccessAction.ALLOW, node)
    return Policy(RuleSet(PolicyType.ACCESS, (rule,)))


# -- SCIM payloads and directories ------------------------------------------------------


@given(user_payloads())
def test_user_payloads_load_into_a_directory(payload: dict[str, Any]) -> None:
    """A drawn User payload is accepted as is, userName first."""
    created = Directory().create_user(payload)
    assert created["userName"] == payload["userName"]
    assert created.get("userType") == payload.get("userType")


@given(
    user_payloads(
        user_types="Contractor",
        departments=["Finance", "HR"],
        titles=st.none(),
        active=False,
        domain="acme.example",
    )
)
def test_user_payload_knobs_pin_attributes(payload: dict[str, Any]) -> None:
    """A pinned value, values to sample, a strategy of none and a domain all apply."""
    user = _user(payload)
    assert user.user_type == "Contractor"
    assert user.enterprise is not None
    assert user.enterprise.department in {"Finance", "HR"}
    assert user.title is None
    assert user.active is False
    assert user.user_name.endswith("@acme.example")
    assert [e.value for e in user.emails] == [user.user_name]


@given(user_payloads(user_names=st.sampled_from(["a@x.org", "b@x.org"])))
def test_user_names_can_be_given(payload: dict[str, Any]) -> None:
    """userName comes from the given names when there are some."""
    assert _user(payload).user_name in {"a@x.org", "b@x.org"}


def _user(payload: dict[str, Any]) -> User:
    directory = Directory()
    found = directory.user(directory.create_user(payload)["id"])
    assert found is not None
    return found


@given(st.data())
def test_group_payloads_name_given_members_once(data: st.DataObject) -> None:
    """Members are some of the given ids, each once, and the group is created."""
    directory = Directory()
    ids = [directory.create_user({"userName": f"u{n}@x.org"})["id"] for n in range(3)]
    payload = data.draw(group_payloads(ids, names="Payroll Team"))
    values = [member["value"] for member in payload["members"]]
    assert len(set(values)) == len(values)
    assert set(values) <= set(ids)
    group = directory.create_group(payload)
    assert group["displayName"] == "Payroll Team"


@given(directories(min_users=2, max_users=5, max_groups=3))
def test_directories_respect_their_sizes(directory: Directory) -> None:
    """2-5 users of distinct userName, at most 3 groups of distinct names."""
    users = list(directory.users())
    assert 2 <= len(users) <= 5
    assert len({u.user_name.casefold() for u in users}) == len(users)
    names = [g.display_name for g in directory.groups()]
    assert len(names) <= 3
    assert len(set(names)) == len(names)


@given(directories(nested=False, group_names=["A", "B"]))
def test_directories_nest_groups_only_when_asked(directory: Directory) -> None:
    """Without nesting, every member is a user; group names come from the pool."""
    for group in directory.groups():
        assert group.display_name in {"A", "B"}
        assert all(directory.user(m.value) is not None for m in group.members)


@given(directories())
def test_directories_count_their_ids(directory: Directory) -> None:
    """Ids count up from 1 (users, then groups), so a drawn directory replays."""
    ids = [u.id for u in directory.users()] + [g.id for g in directory.groups()]
    assert ids == [f"00000000-0000-4000-8000-{n:012x}" for n in range(1, len(ids) + 1)]


@given(directories())
def test_directories_export_and_load_back(directory: Directory) -> None:
    """A drawn directory survives its own SCIM export (users, groups, members)."""
    users = [
        directory.get_user(u.id, excluded_attributes="groups")
        for u in directory.users()
    ]
    groups = [directory.get_group(g.id) for g in directory.groups()]
    again = Directory()
    again.import_resources(users, groups)
    assert sorted(u.user_name for u in again.users()) == sorted(
        u.user_name for u in directory.users()
    )


@given(tenants(idp_names=["Okta"]))
def test_tenants_keep_segment_order_and_enabled_times(tenant: Tenant) -> None:
    """Segments keep the catalogue's order; SCIM Attributes for Policy on has a time."""
    assert [idp.name for idp in tenant.idps] == ["Okta"]
    order = ["Git", "CI", "Payroll", "Expenses", "Wiki"]
    names = [segment.name for segment in tenant.segments]
    assert names == sorted(names, key=order.index)
    for idp in tenant.idps:
        if idp.scim_attributes_for_policy:
            assert idp.scim_attributes_enabled_at is not None
            assert idp.scim_attributes_enabled_at <= NOW


# -- criteria, rules and policies ---------------------------------------------------------


@given(criteria())
def test_criteria_check_and_round_trip(node: Criteria) -> None:
    """Criteria over the default pools pass the checker and format then parse back."""
    policy = _as_policy(node)
    assert _errors(policy, None) == []
    assert parse_policy(format_policy(policy)) == policy


@NESTED
@given(tenants(), st.data())
def test_criteria_of_a_tenant_use_its_names(
    tenant: Tenant, data: st.DataObject
) -> None:
    """Against their tenant, criteria have no error and no unknown-name warning."""
    node = data.draw(criteria(tenant, extensions=True))
    found = check_policy(_as_policy(node), tenant)
    assert found == ()


@given(criteria(scim=False, saml=False))
def test_criteria_can_leave_scim_and_saml_out(node: Criteria) -> None:
    """scim=False and saml=False leave those namespaces out."""
    assert not any(leaf.ref.is_scim or leaf.ref.is_saml for leaf in _leaves(node))


@given(criteria(values={"saml.role": ["admin"], 'posture["EDR on"]': [True]}))
def test_criteria_values_pin_pools(node: Criteria) -> None:
    """A pinned reference compares with its pinned values only."""
    pinned: dict[Ref, set[object]] = {
        Ref("saml", ("role",)): {"admin"},
        Ref("posture", ("EDR on",)): {True},
    }
    for leaf in _leaves(node):
        values: set[object]
        if isinstance(leaf, In):
            values = set(leaf.values)
        elif isinstance(leaf, (Compare, Contains)):
            values = {leaf.value}
        else:
            continue
        assert values <= pinned.get(leaf.ref, values)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"scim.departmnt": ["x"]},
            "`values`: unknown SCIM attribute `scim.departmnt`",
        ),
        ({"platform": ["windos"]}, "`values`: unknown platform `windos`"),
        ({"scim.active": ["yes"]}, "`values`: `scim.active` is true or false"),
        ({"saml.role": []}, "`values`: no values for `saml.role`"),
    ],
)
def test_criteria_reject_values_the_checker_rejects(
    values: dict[str, list[str]], message: str
) -> None:
    """Pinned values the checker would reject raise ValueError up front."""
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        criteria(values=values)


@NESTED
@given(tenants(), st.data())
def test_policies_check_against_their_tenant_and_round_trip(
    tenant: Tenant, data: st.DataObject
) -> None:
    """A drawn policy has no checker error against its tenant and round-trips."""
    policy = data.draw(policies(tenant))
    assert _errors(policy, tenant) == []
    assert parse_policy(format_policy(policy)) == policy
    for rule_set in policy.rule_sets():
        names = [rule.name for rule in rule_set.rules]
        assert len(set(names)) == len(names)


@given(policies(max_rules=2).map(format_policy))
def test_policy_texts_parse(text: str) -> None:
    """policies(...).map(format_policy) draws policy text that parses and checks."""
    assert _errors(parse_policy(text), None) == []


@NESTED
@given(worlds(), st.data())
def test_rules_fit_add_rule(world: World, data: st.DataObject) -> None:
    """A drawn rule is accepted by AddRule on its world (checked against the tenant)."""
    policy_type = data.draw(st.sampled_from(PolicyType))
    rule = data.draw(rules(policy_type, world, names=["brand new", "another"]))
    assert rule.name in {"brand new", "another"}
    changed, _ = apply_changes(world, [AddRule(policy_type, rule, 0)])
    assert changed.policy.rule_set(policy_type).rules[0] == rule


# -- sessions, requests and worlds -------------------------------------------------------


def _decides(engine: Engine, request: Request) -> None:
    for policy_type in PolicyType:
        engine.decide(policy_type, request)
        engine.decide(policy_type, request, explain=True)


@NESTED
@given(worlds())
def test_worlds_decide_every_session_for_every_application(world: World) -> None:
    """A drawn world's sessions name its IdPs and decide without error everywhere."""
    engine = world.engine()
    assert _errors(world.policy, world.tenant) == []
    idps = {idp.name for idp in world.tenant.idps}
    for session in world.sessions:
        assert session.idp in idps
        for app in world.applications():
            _decides(engine, session.request(world.now, app=app))


@NESTED
@given(worlds(), st.data())
def test_requests_name_the_world_and_decide(world: World, data: st.DataObject) -> None:
    """Requests name the world's IdPs and segments (by name or by a host they claim)
    and decide without error; a request is never evaluated before its sign-in."""
    request = data.draw(requests(world, hosts=True))
    assert world.tenant.idp(request.idp) is not None
    if request.app is not None:
        assert world.tenant.segment(request.app) is not None
    else:
        assert request.host is not None
        assert world.tenant.resolve(request.host, request.port) is not None
    assert request.now >= request.authenticated_at
    assert request.now >= world.now
    _decides(world.engine(), request)


@NESTED
@given(worlds(), st.data(), st.booleans())
def test_reauthenticated_places_sign_ins_around_the_enabling(
    world: World, data: st.DataObject, after: bool
) -> None:
    """reauthenticated=True signs in at or after SCIM Attributes for Policy was
    enabled (so SCIM criteria count), False before it."""
    request = data.draw(requests(world, reauthenticated=after))
    idp = world.tenant.idp(request.idp)
    assert idp is not None
    if idp.scim_sync and idp.scim_attributes_for_policy:
        assert idp.gates(request.authenticated_at).scim is after
    else:
        assert world.now - timedelta(days=14) <= request.authenticated_at <= world.now


@NESTED
@given(worlds(), st.data())
def test_requests_of_chosen_users_and_apps(world: World, data: st.DataObject) -> None:
    """A users predicate draws only users it picks, from their own IdP; apps and
    client context are pinned."""
    users = [u for idp in world.tenant.idps for u in _directory(idp.directory).users()]
    if not users:
        return
    target = data.draw(st.sampled_from(users))
    strategy = requests(
        world,
        users=lambda user: user.user_name == target.user_name,
        apps=next(world.applications()),
        vary_case=False,
        client_types="web_browser",
        platforms=["linux"],
        countries=st.just("NL"),
        saml={"team": ["blue"]},
        posture=["EDR"],
        trusted_networks=["Lab"],
    )
    request = data.draw(strategy)
    assert request.user == target.user_name
    assert _directory(world.idp(request.idp).directory).user_by_name(request.user)
    assert request.app == next(world.applications())
    assert (request.client_type, request.platform, request.country) == (
        "web_browser",
        "linux",
        "NL",
    )
    assert set(request.saml) <= {"team"}
    assert set(request.posture) <= {"EDR"}
    assert request.trusted_networks <= {"Lab"}


def _directory(directory: object) -> Directory:
    assert isinstance(directory, Directory)
    return directory


@NESTED
@given(worlds(), st.data())
def test_unknown_users_are_drawn_unless_turned_off(
    world: World, data: st.DataObject
) -> None:
    """unknown_users=False draws only users some directory has, in their IdP."""
    if not any(list(_directory(idp.directory).users()) for idp in world.tenant.idps):
        return
    session = data.draw(sessions(world, unknown_users=False))
    assert _directory(world.idp(session.idp).directory).user_by_name(session.user)


@given(sessions(["ann@x.org", "bob@x.org"], ["Okta"], NOW, client_types="vdi"))
def test_sessions_of_user_names(session: Session) -> None:
    """Sessions of plain NameIDs sign in through the given IdPs within two weeks."""
    assert session.user.casefold() in {"ann@x.org", "bob@x.org"}
    assert session.idp == "Okta"
    assert NOW - timedelta(days=14) <= session.authenticated_at <= NOW
    assert session.client_type == "vdi"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: sessions(["ann@x.org"]), "`idps`: expected some of [], got []"),
        (lambda w: requests(w, apps=["Nope"]), "`apps`: expected some of"),
        (lambda w: requests(w, idps=["Ping"]), "`idps`: expected some of ['Okta']"),
        (lambda w: requests(w, users=lambda _: False), "`users`: no user of the world"),
    ],
)
def test_impossible_choices_raise_up_front(
    make: Callable[..., object], message: str
) -> None:
    """Choices nothing can satisfy raise ValueError when the strategy is built."""
    directory = Directory()
    directory.create_user({"userName": "ann@x.org"})
    tenant = Tenant([IdentityProvider("Okta", directory)], [ApplicationSegment("Git")])
    world = World(tenant, Policy(), NOW)
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        make() if make.__code__.co_argcount == 0 else make(world)


# Draws requests and policies over a world whose names sit in sets (SCIM groups,
# segment groups, trusted networks), whose order changes with PYTHONHASHSEED.
REPLAY: Final = """
from datetime import UTC, datetime
from hypothesis import given, settings
from scimpolicy import ApplicationSegment, Directory, IdentityProvider, Tenant, World
from scimpolicy import Policy, Session
from scimpolicy.testing.strategies import policies, requests

directory = Directory()
ids = [directory.create_user({"userName": f"u{n}@x.org"})["id"] for n in range(9)]
for n in range(9):
    directory.create_group({"displayName": f"G{n}", "members": [{"value": ids[n]}]})
now = datetime(2026, 11, 23, tzinfo=UTC)
segments = [ApplicationSegment(f"A{n}", segment_group=f"S{n}") for n in range(9)]
tenant = Tenant([IdentityProvider("Okta", directory, scim_sync=True)], segments)
seen = [Session("u1@x.org", "Okta", now, trusted_networks={f"N{n}" for n in range(9)})]
world = World(tenant, Policy(), now, seen)

@settings(max_examples=20, database=None, derandomize=True)
@given(requests(world), policies(world))
def show(request, policy):
    print(request, policy)

show()
"""


def test_derandomized_runs_draw_the_same_values_in_every_process() -> None:
    """Two processes with different hash seeds draw the same requests and policies:
    pools never follow a set's order."""
    runs = [
        subprocess.run(  # noqa: S603  our own interpreter and script
            [sys.executable, "-c", REPLAY],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1]
    assert runs[0].count("Request(") == 20


def test_importing_without_hypothesis_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without Hypothesis, the import fails with `pip install hypothesis`."""
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    monkeypatch.delitem(sys.modules, "scimpolicy.testing.strategies")
    with pytest.raises(ImportError, match="pip install hypothesis"):
        importlib.import_module("scimpolicy.testing.strategies")
