"""Properties of ZPA interop: what ZPA rule JSON says survives export and import.

Three properties over a tenant of two IdPs (Okta and Entra, with small SCIM
directories) and a catalogue naming every object the tenant and the policies use:

1. a policy written in ZPA's shape, exported to v2 rule JSON and imported again,
   decides every request as the original does (outcome and deciding rule, for access,
   forwarding and timeout);
2. an IdP's SAML/SCIM block keeps its operator: an ``or`` block is exported as an
   ``OR`` condition and an ``and`` block as an ``AND`` one, and each still matches
   exactly the requests it matched before;
3. v1 rule JSON (``conditions``/``operands`` with ``objectType``, ``lhs``, ``rhs``,
   ``idpId``) imported, exported and imported again gives the policy the first import
   gave.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import attrs
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
    Rule,
    RuleSet,
    Tenant,
    TimeoutAction,
    World,
    format_criteria,
    format_policy,
    interpret,
    load_policy,
)
from scimpolicy.policy.facts import CLIENT_TYPES, PLATFORMS
from scimpolicy.policy.nodes import (
    Action,
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    In,
    Literal,
    Or,
    Ref,
)
from scimpolicy.testing.strategies import NOW, directories, requests, user_payloads
from scimpolicy.zpa import Catalogue, Entry, Kind, export_zpa, import_zpa

# -- the tenant's vocabulary --------------------------------------------------------

IDPS: Final = ("Okta", "Entra")
DEPARTMENTS: Final = ("Engineering", "Finance", "Sales")
USER_TYPES: Final = ("Employee", "Contractor")
ROLES: Final = ("admin", "developer")
GROUPS: Final = ("SRE", "Finance", "All Staff")
# The SAML and SCIM attributes each IdP offers policies (Entra has fewer, as in the
# fixtures: names are per IdP in ZPA).
SAML_ATTRIBUTES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "Okta": {"department": DEPARTMENTS, "role": ROLES},
    "Entra": {"department": DEPARTMENTS},
}
SCIM_ATTRIBUTES: Final[dict[str, dict[str, tuple[Literal, ...]]]] = {
    "Okta": {
        "department": DEPARTMENTS,
        "userType": USER_TYPES,
        "active": (True, False),
    },
    "Entra": {"department": DEPARTMENTS, "userType": USER_TYPES},
}
SEGMENTS: Final = (
    ApplicationSegment("Git", ["git.acme.com"], [443, 22], "Engineering Apps"),
    ApplicationSegment("CI", ["ci.acme.com"], [443], "Engineering Apps"),
    ApplicationSegment("Payroll", ["payroll.acme.com"], [443], "Finance Apps"),
    ApplicationSegment("Wiki", ["*.acme.com"]),
)
POSTURE_PROFILES: Final = ("CrowdStrike", "Disk Encrypted")
TRUSTED_NETWORKS: Final = ("HQ", "Branch")
MACHINE_GROUPS: Final = ("Kiosks", "Build Servers")
COUNTRIES: Final = ("US", "DE", "IN")
# Client types rules name (short names; `plain_leaves` adds one of the API's values).
RULE_CLIENT_TYPES: Final = ("client_connector", "web_browser", "machine_tunnel")

ACTIONS: Final[dict[PolicyType, st.SearchStrategy[Action]]] = {
    PolicyType.ACCESS: st.sampled_from(AccessAction),
    PolicyType.FORWARDING: st.sampled_from(ForwardingAction),
    PolicyType.TIMEOUT: st.builds(  # ZPA's minimum is ten minutes
        TimeoutAction,
        st.sampled_from((10, 60, 720, 1440, 10080, None)).map(Duration),
        st.sampled_from((10, 30, 60, None)).map(Duration),
    ),
}

# -- tenants and their catalogues ---------------------------------------------------


@st.composite
def tenants(draw: st.DrawFn) -> Tenant:
    """Okta and Entra with a few users (department, userType) and groups each, SCIM
    settings mostly on, SCIM Attributes for Policy enabled up to two weeks before
    :data:`NOW`; some of :data:`SEGMENTS`."""
    users = user_payloads(
        user_types=(*USER_TYPES, None),
        departments=(*DEPARTMENTS, None),
        titles=[None],
        divisions=[None],
        cost_centers=[None],
        organizations=[None],
    )
    mostly = st.sampled_from((True, True, False))
    idps = []
    for name in IDPS:
        attributes = draw(mostly)
        enabled_at = NOW - timedelta(minutes=draw(st.integers(0, 14 * 1440)))
        idps.append(
            IdentityProvider(
                name,
                draw(directories(users=users, max_users=4, group_names=GROUPS)),
                scim_sync=draw(mostly),
                scim_attributes_for_policy=attributes,
                scim_attributes_enabled_at=enabled_at if attributes else None,
                saml_attributes_for_policy=draw(mostly),
            )
        )
    chosen = draw(st.lists(st.sampled_from(SEGMENTS), min_size=1, unique=True))
    return Tenant(idps, [segment for segment in SEGMENTS if segment in chosen])


def catalogue_for(tenant: Tenant) -> Catalogue:
    """IDs for every name a policy over *tenant* may use: its IdPs, segments and
    segment groups, each IdP's SAML and SCIM attributes and every SCIM group name
    (groups a directory lacks too: the catalogue outlives a group's members)."""
    numbers = itertools.count(216196257331281920)

    def new_id() -> str:
        return str(next(numbers))

    idps = [Entry(new_id(), idp.name) for idp in tenant.idps]

    def per_idp(names: Mapping[str, Iterable[str]]) -> list[Entry]:
        return [
            Entry(new_id(), name, idp.id) for idp in idps for name in names[idp.name]
        ]

    return Catalogue.build(
        idp=idps,
        saml_attribute=per_idp(SAML_ATTRIBUTES),
        scim_attribute=per_idp(SCIM_ATTRIBUTES),
        scim_group=per_idp(dict.fromkeys(IDPS, GROUPS)),
        application=[Entry(new_id(), s.name) for s in tenant.segments],
        segment_group=[Entry(new_id(), g) for g in sorted(tenant.segment_groups)],
        posture_profile=[
            Entry(f"ad3b2d8d-4b3f-4a4a-8f0e-{n:012x}", name)
            for n, name in enumerate(POSTURE_PROFILES)
        ],
        trusted_network=[
            Entry(f"c7b4d4c6-2f1a-4e6b-9d3c-{n:012x}", name)
            for n, name in enumerate(TRUSTED_NETWORKS)
        ],
        machine_group=[Entry(new_id(), name) for name in MACHINE_GROUPS],
    )


# -- policies in ZPA's shape ----------------------------------------------------------


def chain(parts: Sequence[Criteria], kind: type[And | Or]) -> Criteria:
    """*parts* joined by ``and`` or ``or``, left to right."""
    node = parts[0]
    for part in parts[1:]:
        node = kind(node, part)
    return node


def idp_is(name: str) -> Criteria:
    return Compare(Ref("idp"), CompareOp.EQ, name)


@st.composite
def scoped_leaves(draw: st.DrawFn, idp: str) -> Criteria:
    """One SAML attribute, SCIM attribute or SCIM group criterion *idp* offers."""
    kind = draw(st.sampled_from(("saml", "scim", "group")))
    if kind == "group":
        return Contains(draw(st.sampled_from(GROUPS)), Ref("scim", ("groups",)))
    pools: dict[str, tuple[Literal, ...]] = dict(
        SAML_ATTRIBUTES[idp] if kind == "saml" else SCIM_ATTRIBUTES[idp]
    )
    name = draw(st.sampled_from(sorted(pools)))
    value = draw(st.sampled_from(pools[name]))
    return Compare(Ref(kind, (name,)), CompareOp.EQ, value)


def leaf_lists(idp: str, *, min_size: int = 1) -> st.SearchStrategy[list[Criteria]]:
    return st.lists(scoped_leaves(idp), min_size=min_size, max_size=3, unique=True)


@st.composite
def blocks(
    draw: st.DrawFn,
    idp: str,
    operator: str | None = None,
    tenant: Tenant | None = None,
) -> Criteria:
    """``idp == "Okta" and (saml.x == "a" or scim.y == "b" or "G" in scim.groups)``:
    one IdP's SAML/SCIM block, ``or`` or (when *operator* allows) ``and``. Given a
    *tenant*, one ``or`` block in four also holds a non-IdP criterion, as a person
    might write it (``idp == "Okta" and (saml.role == "admin" or app == "Git")``)."""
    if operator is None:
        operator = draw(st.sampled_from(("or", "or", "and")))
    leaves = draw(leaf_lists(idp))
    if tenant is not None and operator == "or" and draw(st.integers(0, 3)) == 3:
        extra = draw(plain_leaves(tenant, idp))
        leaves.insert(draw(st.integers(0, len(leaves))), extra)
    return And(idp_is(idp), chain(leaves, Or if operator == "or" else And))


@st.composite
def plain_leaves(draw: st.DrawFn, tenant: Tenant, idp: str | None) -> Criteria:
    """One criterion ZPA has a non-IdP operand for (``idp == ...`` names *idp* when
    given, any IdP when ``None``)."""
    kinds = ["app", "client_type", "platform", "country", "posture", "network"]
    kinds += ["machine_group", "idp"]
    if tenant.segment_groups:
        kinds.append("segment_group")
    kind = draw(st.sampled_from(kinds))
    apps = [segment.name for segment in tenant.segments]
    if kind == "app":
        if len(apps) > 1 and draw(st.booleans()):
            listed = draw(st.lists(st.sampled_from(apps), min_size=2, unique=True))
            return In(Ref("app"), tuple(listed))
        return Compare(Ref("app"), CompareOp.EQ, draw(st.sampled_from(apps)))
    if kind == "segment_group":
        group = draw(st.sampled_from(sorted(tenant.segment_groups)))
        return Compare(Ref("segment_group"), CompareOp.EQ, group)
    if kind == "client_type":
        value = draw(st.sampled_from((*RULE_CLIENT_TYPES, "zpn_client_type_zapp")))
        return Compare(Ref("client_type"), CompareOp.EQ, value)
    if kind in ("platform", "country"):
        pool = PLATFORMS if kind == "platform" else COUNTRIES
        op = draw(st.sampled_from((CompareOp.EQ, CompareOp.EQ, CompareOp.NE)))
        return Compare(Ref(kind), op, draw(st.sampled_from(pool)))
    if kind == "posture":
        profile = draw(st.sampled_from(POSTURE_PROFILES))
        return Compare(Ref("posture", (profile,)), CompareOp.EQ, draw(st.booleans()))
    if kind == "network":
        network = draw(st.sampled_from(TRUSTED_NETWORKS))
        return Contains(network, Ref("trusted_network"), negated=draw(st.booleans()))
    if kind == "machine_group":
        group = draw(st.sampled_from(MACHINE_GROUPS))
        return Compare(Ref("machine_group"), CompareOp.EQ, group)
    return idp_is(idp or draw(st.sampled_from(IDPS)))


@st.composite
def plain_conditions(draw: st.DrawFn, tenant: Tenant, rule_idp: str) -> Criteria:
    """An ``or`` (or now and then an ``and``) of 1-3 non-IdP criteria. An ``idp ==``
    that stands on its own at rule level names the rule's IdP (see
    :func:`conditions`)."""
    operator = draw(st.sampled_from(("or", "or", "or", "and")))
    size = draw(st.integers(1, 3))
    alone = operator == "and" or size == 1
    idp = rule_idp if alone else None
    leaves = [draw(plain_leaves(tenant, idp)) for _ in range(size)]
    return chain(leaves, Or if operator == "or" else And)


@st.composite
def mixed_conditions(draw: st.DrawFn, tenant: Tenant) -> Criteria:
    """One ``OR`` condition holding more than one IdP's block, or a block and
    non-IdP criteria: ``(idp == "Okta" and (...)) or (idp == "Entra" and (...))``,
    ``app == "Git" or (idp == "Entra" and ...)``."""
    idps = draw(st.lists(st.sampled_from(IDPS), min_size=1, unique=True))
    parts = [draw(blocks(idp, "or")) for idp in idps]
    plain = draw(
        st.lists(plain_leaves(tenant, None), min_size=2 - len(parts), max_size=2)
    )
    ordered = draw(st.permutations([*parts, *plain]))
    return chain(ordered, Or)


def conditions(tenant: Tenant, rule_idp: str) -> st.SearchStrategy[Criteria]:
    """One condition of a rule: non-IdP criteria, ``idp == ...`` alone, the rule
    IdP's block, or an ``or`` across IdPs.

    The blocks and the lone ``idp ==`` conditions of one rule name one IdP: a rule
    asking for two IdPs at once never matches, and the exporter refuses the ``and``
    blocks of such a rule (it cannot tell which IdP an attribute is meant for).
    """
    return st.one_of(
        plain_conditions(tenant, rule_idp),
        st.just(idp_is(rule_idp)),
        blocks(rule_idp, tenant=tenant),
        mixed_conditions(tenant),
    )


@st.composite
def zpa_rules(
    draw: st.DrawFn, policy_type: PolicyType, name: str, tenant: Tenant
) -> Rule:
    """A rule: an ``and`` of 0-3 conditions (none: it matches everything), one in six
    disabled."""
    rule_idp = draw(st.sampled_from(IDPS))
    parts = draw(st.lists(conditions(tenant, rule_idp), max_size=3))
    return Rule(
        name,
        draw(ACTIONS[policy_type]),
        chain(parts, And) if parts else None,
        disabled=draw(st.integers(0, 5)) == 5,
    )


@st.composite
def zpa_policies(draw: st.DrawFn, tenant: Tenant) -> Policy:
    """0-4 rules per policy type and perhaps a default."""
    sections = []
    for policy_type in PolicyType:
        count = draw(st.integers(0, 4))
        found = tuple(
            draw(zpa_rules(policy_type, f"{policy_type} {n}", tenant))
            for n in range(1, count + 1)
        )
        default = draw(st.none() | ACTIONS[policy_type])
        sections.append(RuleSet(policy_type, found, default))
    return Policy(*sections)


# -- comparing decisions --------------------------------------------------------------


@attrs.frozen
class Seen:
    """The parts of a decision the round trip must keep."""

    outcome: Action | None
    rule: str | None
    rule_index: int | None
    reason_code: ReasonCode | None
    blocked: bool
    expires_at: datetime | None
    expired: bool
    allowed_apps: tuple[str, ...] | None


def seen(decision: Decision) -> Seen:
    return Seen(
        decision.outcome,
        decision.rule,
        decision.rule_index,
        decision.reason_code,
        decision.blocked,
        decision.expires_at,
        decision.expired,
        decision.allowed_apps,
    )


def expected_after_export(decision: Decision, original: Policy) -> Seen:
    """What the round-tripped policy decides: the original's decision, except that an
    access default other than ``deny`` becomes a last rule (ZPA's access default is
    always to block; the exporter warns and writes ``Default allow``)."""
    found = seen(decision)
    default = original.access.default
    if (
        decision.policy_type is PolicyType.ACCESS
        and decision.decided_by == "the default"
        and default is not None
        and default is not AccessAction.DENY
    ):
        return attrs.evolve(
            found, rule=f"Default {default}", rule_index=len(original.access.rules)
        )
    return found


def engine(tenant: Tenant, policy: Policy) -> Engine:
    """An engine over *policy* as text the checker accepts against *tenant*."""
    return Engine(tenant, load_policy(format_policy(policy), tenant))


def check_same_decisions(
    tenant: Tenant,
    before: Policy,
    after: Policy,
    drawn: Iterable[Request],
    expect: Callable[[Decision], Seen] = seen,
) -> None:
    """*after* decides each request as *before* does (as *expect* says), for each
    policy type."""
    old_engine, new_engine = engine(tenant, before), engine(tenant, after)
    for request in drawn:
        for policy_type in PolicyType:
            old = old_engine.decide(policy_type, request, explain=True)
            new = new_engine.decide(policy_type, request, explain=True)
            assert seen(new) == expect(old), (
                f"{request}\n--- before\n{old.explain()}\n--- after\n{new.explain()}\n"
                f"--- before\n{format_policy(before)}--- after\n{format_policy(after)}"
            )


def request_lists(tenant: Tenant, policy: Policy) -> st.SearchStrategy[list[Request]]:
    """Requests of known users of both IdPs and of unknown users, signed in before
    and after SCIM Attributes for Policy was enabled, carrying the SAML attributes,
    posture, networks, countries and machine groups *policy* compares with."""
    return st.lists(requests(World(tenant, policy, NOW)), min_size=1, max_size=8)


def round_trip(policy: Policy, catalogue: Catalogue) -> tuple[dict[str, Any], Policy]:
    """Export *policy* (it must export whole), through JSON text, and import it."""
    exported = export_zpa(policy, catalogue)
    assert exported.ok, exported.diagnostics
    rule_json = json.loads(json.dumps(exported.to_json()))
    imported = import_zpa(rule_json.values(), catalogue)
    assert imported.ok, imported.diagnostics
    return rule_json, imported.policy


# -- 1. export, then import: the same decisions --------------------------------------


@settings(deadline=None)
@given(st.data())
def test_export_then_import_decides_the_same(data: st.DataObject) -> None:
    """A ZPA-shaped policy exported and imported decides every request as before."""
    tenant = data.draw(tenants(), label="tenant")
    policy = data.draw(zpa_policies(tenant), label="policy")
    _, imported = round_trip(policy, catalogue_for(tenant))
    drawn = data.draw(request_lists(tenant, policy), label="requests")
    check_same_decisions(
        tenant,
        policy,
        imported,
        drawn,
        lambda decision: expected_after_export(decision, policy),
    )


# -- 2. OR and AND blocks keep their operator -------------------------------------------


def operand_entries(
    leaf: Criteria, idp: str, catalogue: Catalogue
) -> tuple[str, str, str]:
    """``(objectType, lhs, rhs)`` ZPA writes for one SAML/SCIM criterion of *idp*."""
    idp_id = catalogue.id_of(Kind.IDP, idp)
    if isinstance(leaf, Contains):
        group = catalogue.id_of(Kind.SCIM_GROUP, str(leaf.value), idp_id)
        return ("SCIM_GROUP", str(idp_id), str(group))
    assert isinstance(leaf, Compare)
    kind = Kind.SAML_ATTRIBUTE if leaf.ref.is_saml else Kind.SCIM_ATTRIBUTE
    attribute = catalogue.id_of(kind, leaf.ref.path[0], idp_id)
    value = leaf.value
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return ("SAML" if leaf.ref.is_saml else "SCIM", str(attribute), text)


def exported_entries(condition: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (operand["objectType"], entry["lhs"], entry["rhs"])
        for operand in condition["operands"]
        for entry in operand["entryValues"]
    }


def facts_holding(leaves: Iterable[Criteria], idp: str) -> Facts:
    """The facts of a request through *idp* in which *leaves* hold (as far as they
    can together: one value per SCIM attribute) and no other criterion of the pools
    does."""
    saml: dict[str, tuple[str, ...]] = {}
    groups: set[str] = set()
    payload: dict[str, Any] = {"userName": "witness@acme.com"}
    for leaf in leaves:
        if isinstance(leaf, Contains):
            groups.add(str(leaf.value))
        elif isinstance(leaf, Compare) and leaf.ref.is_saml:
            name = leaf.ref.path[0]
            saml[name] = (*saml.get(name, ()), str(leaf.value))
        elif isinstance(leaf, Compare) and leaf.ref.path == ("department",):
            payload["schemas"] = [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            ]
            payload["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = {
                "department": leaf.value
            }
        elif isinstance(leaf, Compare):
            payload[leaf.ref.path[0]] = leaf.value
    directory = Directory()
    directory.create_user(payload)
    user = directory.user_by_name("witness@acme.com")
    return Facts(user=user, scim_groups=frozenset(groups), saml=saml, idp=idp)


@settings(deadline=None)
@given(
    st.data(),
    st.sampled_from(IDPS),
    st.sampled_from(("or", "and")),
)
def test_or_and_blocks_keep_their_operator(
    data: st.DataObject, idp: str, operator: str
) -> None:
    """A one-block rule is exported as one condition with the operator written and
    the block's operands, and after import it matches exactly what it matched."""
    tenant = data.draw(tenants(), label="tenant")
    leaves = data.draw(leaf_lists(idp, min_size=2), label="leaves")
    block = And(idp_is(idp), chain(leaves, Or if operator == "or" else And))
    policy = Policy(
        RuleSet(PolicyType.ACCESS, (Rule("block", AccessAction.ALLOW, block),))
    )
    catalogue = catalogue_for(tenant)
    rule_json, imported = round_trip(policy, catalogue)

    (rule,) = rule_json["ACCESS_POLICY"]
    (condition,) = rule["conditions"]
    assert condition["operator"] == operator.upper()
    assert exported_entries(condition) == {
        operand_entries(leaf, idp, catalogue) for leaf in leaves
    }

    # Where exactly one criterion holds, `or` matches and `and` does not; where none
    # holds, neither does; through the other IdP, nothing matches.
    (after,) = imported.access.rules
    other = next(name for name in IDPS if name != idp)
    for holding, through in [
        *(([leaf], idp) for leaf in leaves),
        ([], idp),
        (leaves, idp),
        (leaves, other),
    ]:
        facts = facts_holding(holding, through)
        was = interpret(block, facts, Gates()).value
        now = interpret(after.criteria, facts, Gates()).value
        assert now == was, (holding, through, format_policy(imported))
        if len(holding) == 1 and through == idp:
            assert was is (operator == "or")
        if not holding or through != idp:
            assert was is False

    drawn = data.draw(request_lists(tenant, policy), label="requests")
    check_same_decisions(tenant, policy, imported, drawn)


# -- 3. v1 JSON: import, export, import gives the same policy -------------------------


def _v1_operand(
    object_type: str, lhs: str, rhs: str, idp_id: str | None = None
) -> dict[str, Any]:
    operand: dict[str, Any] = {"objectType": object_type, "lhs": lhs, "rhs": rhs}
    if idp_id is not None:
        operand["idpId"] = idp_id
    return operand


def _ids(catalogue: Catalogue, kind: Kind, idp_id: str | None = None) -> list[str]:
    return [
        entry.id
        for entry in catalogue.entries.get(kind, ())
        if idp_id is None or entry.idp_id == idp_id
    ]


@st.composite
def v1_plain_conditions(draw: st.DrawFn, catalogue: Catalogue) -> dict[str, Any]:
    """A condition of one kind of non-IdP operand, as the ZPA console groups them
    (applications with segment groups), ``OR`` or now and then ``AND``. (IdP operands
    go in the SAML/SCIM block, as in the console: an ``IDP`` condition of its own
    beside another IdP's block makes a rule that never matches, whose ``and`` block
    the exporter cannot tie to an IdP.)"""
    families: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
        "apps": lambda: st.one_of(
            st.sampled_from(_ids(catalogue, Kind.APPLICATION)).map(
                lambda i: _v1_operand("APP", "id", i)
            ),
            *(
                [
                    st.sampled_from(_ids(catalogue, Kind.SEGMENT_GROUP)).map(
                        lambda i: _v1_operand("APP_GROUP", "id", i)
                    )
                ]
                if _ids(catalogue, Kind.SEGMENT_GROUP)
                else []
            ),
        ),
        "client types": lambda: st.sampled_from(sorted(CLIENT_TYPES.values())).map(
            lambda value: _v1_operand("CLIENT_TYPE", "id", value)
        ),
        "platforms": lambda: st.builds(
            _v1_operand,
            st.just("PLATFORM"),
            st.sampled_from(PLATFORMS),
            st.sampled_from(("true", "false")),
        ),
        "countries": lambda: st.builds(
            _v1_operand,
            st.just("COUNTRY_CODE"),
            st.sampled_from(COUNTRIES),
            st.sampled_from(("true", "false")),
        ),
        "posture": lambda: st.builds(
            _v1_operand,
            st.just("POSTURE"),
            st.sampled_from(_ids(catalogue, Kind.POSTURE_PROFILE)),
            st.sampled_from(("true", "false")),
        ),
        "networks": lambda: st.builds(
            _v1_operand,
            st.just("TRUSTED_NETWORK"),
            st.sampled_from(_ids(catalogue, Kind.TRUSTED_NETWORK)),
            st.sampled_from(("true", "false")),
        ),
        "machine groups": lambda: st.sampled_from(
            _ids(catalogue, Kind.MACHINE_GROUP)
        ).map(lambda i: _v1_operand("MACHINE_GRP", "id", i)),
    }
    family = draw(st.sampled_from(sorted(families)))
    operands = draw(
        st.lists(
            families[family](),
            min_size=1,
            max_size=3,
            unique_by=lambda o: (o["objectType"], o["lhs"], o["rhs"]),
        )
    )
    operator = draw(st.sampled_from(("OR", "OR", "OR", "AND")))
    return {"operator": operator, "negated": False, "operands": operands}


@st.composite
def v1_scoped_operands(
    draw: st.DrawFn, catalogue: Catalogue, idp_id: str
) -> dict[str, Any]:
    """A SAML, SCIM or SCIM_GROUP operand of one IdP (SAML sometimes without
    ``idpId``, as ZPA returns it)."""
    idp = catalogue.name(Kind.IDP, idp_id)
    assert idp is not None
    kind = draw(st.sampled_from(("SAML", "SCIM", "SCIM_GROUP")))
    if kind == "SCIM_GROUP":
        group = draw(st.sampled_from(_ids(catalogue, Kind.SCIM_GROUP, idp_id)))
        return _v1_operand("SCIM_GROUP", idp_id, group, idp_id)
    if kind == "SAML":
        name = draw(st.sampled_from(sorted(SAML_ATTRIBUTES[idp])))
        attribute = catalogue.id_of(Kind.SAML_ATTRIBUTE, name, idp_id)
        assert attribute is not None
        value = draw(st.sampled_from(SAML_ATTRIBUTES[idp][name]))
        return _v1_operand(
            "SAML", attribute, value, draw(st.sampled_from((None, idp_id)))
        )
    name = draw(st.sampled_from(sorted(SCIM_ATTRIBUTES[idp])))
    attribute = catalogue.id_of(Kind.SCIM_ATTRIBUTE, name, idp_id)
    assert attribute is not None
    scim_value = draw(st.sampled_from(SCIM_ATTRIBUTES[idp][name]))
    text = str(scim_value).lower() if isinstance(scim_value, bool) else scim_value
    return _v1_operand("SCIM", attribute, str(text), idp_id)


@st.composite
def v1_scoped_conditions(draw: st.DrawFn, catalogue: Catalogue) -> dict[str, Any]:
    """The SAML/SCIM block: ``OR`` over one or both IdPs' operands (perhaps with an
    IdP operand, "any SAML attribute from an IdP"), or ``AND`` over one IdP's."""
    idp_ids = _ids(catalogue, Kind.IDP)
    operator = draw(st.sampled_from(("OR", "OR", "AND")))
    if operator == "AND":
        chosen = [draw(st.sampled_from(idp_ids))]
    else:
        chosen = draw(st.lists(st.sampled_from(idp_ids), min_size=1, unique=True))
    operands = []
    for idp_id in chosen:
        operands += draw(
            st.lists(
                v1_scoped_operands(catalogue, idp_id),
                min_size=1,
                max_size=3,
                unique_by=lambda o: (o["objectType"], o["lhs"], o["rhs"]),
            )
        )
    if draw(st.integers(0, 3)) == 3:
        idp_id = chosen[0] if operator == "AND" else draw(st.sampled_from(idp_ids))
        operands.append(_v1_operand("IDP", "id", idp_id))
    ordered = draw(st.permutations(operands))
    return {"operator": operator, "negated": False, "operands": list(ordered)}


_V1_ACTIONS: Final[dict[PolicyType, tuple[str, ...]]] = {
    PolicyType.ACCESS: ("ALLOW", "DENY", "REQUIRE_APPROVAL"),
    PolicyType.FORWARDING: (
        "INTERCEPT",
        "INTERCEPT_ACCESSIBLE",
        "INTERCEPT_ACCESIBLE",  # ZPA's API reference spelling
        "BYPASS",
    ),
    PolicyType.TIMEOUT: ("RE_AUTH",),
}
_V1_POLICY_SETS: Final = {
    PolicyType.ACCESS: "ACCESS_POLICY",
    PolicyType.FORWARDING: "CLIENT_FORWARDING_POLICY",
    PolicyType.TIMEOUT: "TIMEOUT_POLICY",
}
# Seconds: whole minutes, never (-1), and one ZPA would round up to 11 minutes.
_V1_TIMEOUTS: Final = ("600", "3600", "86400", "-1", "601")


@st.composite
def v1_rules(
    draw: st.DrawFn, catalogue: Catalogue, policy_type: PolicyType, order: int
) -> dict[str, Any]:
    """A v1 rule: 0-3 non-IdP conditions and perhaps the SAML/SCIM block, in any
    order; ``disabled`` as ZPA writes it (``"0"``/``"1"``) or as a boolean; a name
    with its order (``Engineering #2``) or a name rules may share."""
    plain = draw(st.lists(v1_plain_conditions(catalogue), max_size=3))
    scoped = draw(st.lists(v1_scoped_conditions(catalogue), max_size=1))
    rule: dict[str, Any] = {
        "id": str(216196257331292900 + order),
        "name": draw(
            st.sampled_from(("Engineering", "Contractors", "Everyone")).map(
                lambda word: f"{word} #{order}"
            )
            | st.just("Everyone")  # perhaps twice: imported as `Everyone (2)`
        ),
        "action": draw(st.sampled_from(_V1_ACTIONS[policy_type])),
        "ruleOrder": str(order),
        "priority": str(order),
        "operator": "AND",
        "conditions": list(draw(st.permutations([*plain, *scoped]))),
    }
    disabled = draw(st.sampled_from((None, "0", "1", False, True)))
    if disabled is not None:
        rule["disabled"] = disabled
    if policy_type is PolicyType.TIMEOUT:
        rule["reauthTimeout"] = draw(st.sampled_from(_V1_TIMEOUTS))
        rule["reauthIdleTimeout"] = draw(st.sampled_from(_V1_TIMEOUTS))
    return rule


@st.composite
def v1_sources(draw: st.DrawFn, catalogue: Catalogue) -> list[Any]:
    """Per policy type: a policy set, a page or a plain list of 0-4 rules in any
    order (``ruleOrder`` says theirs), forwarding and timeout perhaps with their
    default rule."""
    sources: list[Any] = []
    for policy_type in PolicyType:
        count = draw(st.integers(0, 4))
        found = [draw(v1_rules(catalogue, policy_type, n)) for n in range(1, count + 1)]
        if policy_type is not PolicyType.ACCESS and draw(st.booleans()):
            default = dict(draw(v1_rules(catalogue, policy_type, count + 1)))
            default.update(name="Default_Rule", defaultRule=True, conditions=[])
            found.append(default)
        found = list(draw(st.permutations(found)))
        form = draw(st.sampled_from(("set", "page", "list")))
        if form == "set":
            policy_set = _V1_POLICY_SETS[policy_type]
            sources.append({"policyType": policy_set, "rules": found})
        elif form == "page":
            sources.append({"totalPages": "1", "list": found})
        else:
            sources.append(found)
    return sources


def numbered_names(sources: Iterable[Any]) -> dict[PolicyType, list[str]]:
    """The numbered rule names (``Engineering #2``) of each policy type, in
    ``ruleOrder``."""
    found: dict[PolicyType, list[tuple[int, str]]] = {t: [] for t in PolicyType}
    for source in sources:
        rules = source if isinstance(source, list) else source.get("rules")
        for rule in source.get("list", []) if rules is None else rules:
            policy_type = next(t for t, a in _V1_ACTIONS.items() if rule["action"] in a)
            if "#" in rule["name"] and not rule.get("defaultRule"):
                found[policy_type].append((int(rule["ruleOrder"]), rule["name"]))
    return {t: [name for _, name in sorted(pairs)] for t, pairs in found.items()}


def normal(node: Criteria | None) -> str:
    """*node* as text up to the order and repetition of the operands of ``and`` and
    ``or`` (ZPA keeps neither: a rule's conditions and a condition's operands are
    sets; v2 JSON groups operands by ``objectType``)."""
    if node is None:
        return "everything"
    if isinstance(node, And | Or):
        kind = type(node)
        parts = sorted({normal(part) for part in flatten(node, kind)})
        return f"{kind.__name__.lower()}({', '.join(parts)})"
    return format_criteria(node)


def flatten(node: Criteria, kind: type[And | Or]) -> list[Criteria]:
    if isinstance(node, kind):
        return [*flatten(node.left, kind), *flatten(node.right, kind)]
    return [node]


def outline(policy: Policy) -> list[tuple[object, ...]]:
    """Each rule set's rules (name, action, disabled, :func:`normal` criteria) and
    default."""
    return [
        (
            rule_set.type,
            [
                (r.name, r.action, r.disabled, normal(r.criteria))
                for r in rule_set.rules
            ],
            rule_set.default,
        )
        for rule_set in policy.rule_sets()
    ]


@settings(deadline=None)
@given(st.data())
def test_v1_import_export_import_is_stable(data: st.DataObject) -> None:
    """ZPA v1 rule JSON imported, exported and imported again gives the policy the
    first import gave, and both decide every request alike."""
    tenant = data.draw(tenants(), label="tenant")
    catalogue = catalogue_for(tenant)
    sources = data.draw(v1_sources(catalogue), label="v1 JSON")
    first = import_zpa(sources, catalogue)
    assert first.ok, first.diagnostics
    for policy_type, names in numbered_names(sources).items():
        found = [r.name for r in first.policy.rule_set(policy_type).rules]
        assert [name for name in found if "#" in name] == names
    _, second = round_trip(first.policy, catalogue)
    assert outline(second) == outline(first.policy), format_policy(second)
    drawn = data.draw(request_lists(tenant, first.policy), label="requests")
    check_same_decisions(tenant, first.policy, second, drawn)
