"""Hypothesis strategies for scimpolicy: SCIM users and groups, directories, tenants,
sessions, requests, criteria, rules, policies and small worlds, valid by construction.

Stage: testing, above everything it draws. Strategies read what they need from the
objects under test, so a property such as "no contractor ever reaches Payroll" draws the
world's real contractors, its applications, and the SAML attributes and client context
its policy and its sessions actually use::

    from hypothesis import given
    from scimpolicy.testing.strategies import requests

    @given(requests(world, users=lambda user: user.user_type == "Contractor",
                    apps=["Payroll"], reauthenticated=True))
    def test_no_contractor_reaches_payroll(request): ...

Invariants: every value loads, parses or decides without error. User and group payloads
go into a :class:`~scimpolicy.Directory`; criteria, rules and policies pass
:func:`~scimpolicy.check_policy` with no error (against the tenant, when one is given)
and ``parse_policy(format_policy(p)) == p``; sessions and requests name the world's IdPs
and applications. Pools are small and ordered (never in a set's order), so
``derandomize=True`` draws the same examples in every process, and shrinking heads for
the first value of each pool: known users, applications by name, Client Connector,
sessions that signed in right when SCIM Attributes for Policy was enabled.

Building a strategy over a world reads the whole world once: build strategies once (in
``@given`` or at module level), not for every example.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeAlias, TypeVar, cast

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - only without hypothesis
    raise ImportError(
        "scimpolicy.testing.strategies needs Hypothesis: pip install hypothesis"
    ) from error

from scimpolicy.errors import Severity
from scimpolicy.policy.checker import check_policy
from scimpolicy.policy.decisions import Request
from scimpolicy.policy.facts import CLIENT_TYPES, PLATFORMS, is_client_type
from scimpolicy.policy.nodes import (
    AccessAction,
    Action,
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    Duration,
    ForwardingAction,
    In,
    Literal,
    Namespace,
    Not,
    Or,
    Policy,
    PolicyType,
    Present,
    Ref,
    Rule,
    RuleSet,
    TimeoutAction,
)
from scimpolicy.policy.parser import parse_criteria
from scimpolicy.policy.tenant import ApplicationSegment, IdentityProvider, Tenant
from scimpolicy.scim.directory import Directory
from scimpolicy.scim.models import User
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World

__all__ = [
    "NOW",
    "criteria",
    "directories",
    "group_payloads",
    "policies",
    "requests",
    "rules",
    "sessions",
    "tenants",
    "user_payloads",
    "worlds",
]

T = TypeVar("T")
Pool: TypeAlias = "T | Iterable[T] | st.SearchStrategy[T]"
"""A knob: one value (a string is one value), values to sample from, or a strategy."""
UserChoice: TypeAlias = (
    "Callable[[User], bool] | Iterable[str] | st.SearchStrategy[str]"
)
"""Who signs in: SCIM users a predicate picks, or NameIDs."""
SamlChoice: TypeAlias = (
    "Mapping[str, Iterable[str]] | st.SearchStrategy[Mapping[str, Iterable[str]]]"
)
"""SAML attributes: ``{name: values to draw from}``, or a strategy of whole dicts."""

NOW: Final = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
"""The evaluation time of strategies given no world (and the directories' clock)."""

_CORE_USER: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
_CORE_GROUP: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"
_ENTERPRISE: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
_GIVEN: Final = ("Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara")
_FAMILY: Final = ("Lovelace", "Turing", "Hopper", "Hamilton", "Liskov", "Berners-Lee")
_GROUPS: Final = ("All Staff", "Engineering", "Finance", "SRE", "Contractors")
_DEPARTMENTS: Final = ("Engineering", "Finance", "HR", "Sales", "Support")
# A few values for each reference, used where the source gives none.
_DEFAULTS: Final[dict[str, tuple[Literal, ...]]] = {
    "scim.userType": ("Employee", "Contractor", "Intern"),
    "scim.title": ("Engineer", "Manager", "Accountant", "Recruiter"),
    "scim.department": _DEPARTMENTS,
    "scim.division": ("Product", "Operations", "Go-to-Market"),
    "scim.costCenter": ("CC-100", "CC-110", "CC-120"),
    "scim.organization": ("Acme Corp", "Acme Europe"),
    "scim.active": (True, False),
    "scim.groups": _GROUPS,
    "saml.department": _DEPARTMENTS,
    "saml.role": ("employee", "manager", "admin", "contractor", "intern"),
    "saml.groups": _GROUPS,
    "app": ("Git", "Payroll", "Wiki"),
    "segment_group": ("Engineering Apps", "Finance Apps"),
    "idp": ("Okta", "Entra"),
    "client_type": ("client_connector", "web_browser", *CLIENT_TYPES),
    "platform": PLATFORMS,
    "country": ("US", "DE", "FR", "GB", "IN", "BR"),
    "posture.crowdstrike": (True, False),
    "trusted_network": ("HQ", "Branch"),
    "machine_group": ("Kiosks",),
}
# The SCIM attributes criteria read from a tenant's directories (ZPA offers them).
_SCIM_READERS: Final[dict[str, Callable[[User], str | None]]] = {
    "userType": lambda user: user.user_type,
    "title": lambda user: user.title,
    "department": lambda user: user.enterprise.department if user.enterprise else None,
    "division": lambda user: user.enterprise.division if user.enterprise else None,
    "costCenter": lambda user: user.enterprise.cost_center if user.enterprise else None,
    "organization": lambda user: (
        user.enterprise.organization if user.enterprise else None
    ),
}
# Always offered, defaults first: every client type and platform, a few countries.
_ALWAYS: Final = frozenset(
    {Namespace.CLIENT_TYPE, Namespace.PLATFORM, Namespace.COUNTRY}
)
# Named by a tenant: defaults would be unknown names.
_TENANT_NAMES: Final = frozenset(
    {Namespace.APP, Namespace.SEGMENT_GROUP, Namespace.IDP}
)
# Named by a world's sessions and policy: a default would be a name nothing uses.
_WORLD_NAMES: Final = frozenset(
    {
        Namespace.SAML,
        Namespace.POSTURE,
        Namespace.TRUSTED_NETWORK,
        Namespace.MACHINE_GROUP,
    }
)
_MULTI_VALUED: Final = frozenset({Namespace.SAML, Namespace.TRUSTED_NETWORK})
_EQUALITY: Final = (CompareOp.EQ, CompareOp.NE)
_TEXT: Final = (CompareOp.STARTSWITH, CompareOp.ENDSWITH, CompareOp.CONTAINS)
_SEGMENTS: Final = (
    ApplicationSegment("Git", ["git.example.com"], [443, 22], "Engineering Apps"),
    ApplicationSegment("CI", ["ci.example.com", "*.ci.example.com"], [(8000, 8100)]),
    ApplicationSegment("Payroll", ["payroll.example.com"], [443], "Finance Apps"),
    ApplicationSegment("Expenses", ["expenses.example.com"], [443], "Finance Apps"),
    ApplicationSegment("Wiki", ["*.example.com"], [], "Corporate Apps"),
)
_ACTIONS: Final[dict[PolicyType, st.SearchStrategy[Action]]] = {
    PolicyType.ACCESS: st.sampled_from(AccessAction),
    PolicyType.FORWARDING: st.sampled_from(ForwardingAction),
    PolicyType.TIMEOUT: st.builds(  # ZPA's minimum is ten minutes
        TimeoutAction,
        st.sampled_from((10, 60, 720, 1440, 10080, None)).map(Duration),
        st.sampled_from((10, 30, 60, None)).map(Duration),
    ),
}


def _pinned(values: Pool[T]) -> st.SearchStrategy[T]:
    """A knob as a strategy: a strategy as is, one value pinned, values sampled."""
    if isinstance(values, st.SearchStrategy):
        return values
    if isinstance(values, (str, bool)) or not isinstance(values, Iterable):
        return st.just(values)
    listed = list(cast("Iterable[T]", values))
    if not listed:
        raise ValueError("expected at least one value to draw from, got none")
    return st.sampled_from(listed)


def _pool(
    values: Pool[T] | None, default: st.SearchStrategy[T]
) -> st.SearchStrategy[T]:
    return default if values is None else _pinned(values)


def _distinct(
    elements: st.SearchStrategy[T], *, min_size: int = 0, max_size: int | None = None
) -> st.SearchStrategy[list[T]]:
    """Lists of distinct elements, in the order drawn. Drawn with repeats and then
    deduplicated: ``st.lists(..., unique=True)`` often shrinks to ``[a, b, x]`` where
    ``[x]`` would do; this shrinks to ``[x]``."""
    return st.lists(elements, min_size=min_size, max_size=max_size).map(
        lambda found: list(dict.fromkeys(found))
    )


def _ref(text: str) -> Ref:
    """The reference written as in a policy (``saml.role``, ``posture["x y"]``)."""
    found = parse_criteria(f"{text} is present")
    assert isinstance(found, Present)  # noqa: S101  a reference text gives one
    return Ref(found.ref.namespace, found.ref.path)


# -- SCIM users, groups, directories and tenants --------------------------------------


@st.composite
def _user_payload(
    draw: st.DrawFn,
    user_names: st.SearchStrategy[str] | None,
    domain: str,
    fields: dict[str, st.SearchStrategy[str | None]],
    active: st.SearchStrategy[bool | None],
) -> dict[str, Any]:
    given, family = draw(st.sampled_from(_GIVEN)), draw(st.sampled_from(_FAMILY))
    if user_names is None:
        number = draw(st.integers(0, 99))
        user_name = f"{given}.{family}{number or ''}@{domain}".lower()
    else:
        user_name = draw(user_names)
    formatted = f"{given} {family}"
    payload: dict[str, Any] = {
        "schemas": [_CORE_USER],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family, "formatted": formatted},
        "displayName": formatted,
    }
    if "@" in user_name:
        payload["emails"] = [{"value": user_name, "type": "work", "primary": True}]
    enterprise = {}
    for attribute, strategy in fields.items():
        if (value := draw(strategy)) is None:
            continue
        if attribute in {"userType", "title"}:
            payload[attribute] = value
        else:
            enterprise[attribute] = value
    if enterprise:
        payload["schemas"].append(_ENTERPRISE)
        payload[_ENTERPRISE] = enterprise
    if (is_active := draw(active)) is not None:
        payload["active"] = is_active
    return payload


def user_payloads(
    *,
    user_names: Pool[str] | None = None,
    domain: str = "example.com",
    user_types: Pool[str | None] | None = None,
    titles: Pool[str | None] | None = None,
    departments: Pool[str | None] | None = None,
    divisions: Pool[str | None] | None = None,
    cost_centers: Pool[str | None] | None = None,
    organizations: Pool[str | None] | None = None,
    active: Pool[bool | None] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """SCIM User payloads as an IdP POSTs them (RFC 7643 §4.1 and §4.3): a
    ``userName`` made from the name (``ada.lovelace7@example.com``), ``name``,
    ``displayName``, a work email, ``userType``, ``title``, ``active``, and the
    Enterprise ``department``, ``costCenter``, ``division`` and ``organization``.

    Each knob pins or widens one attribute: one value (``user_types="Contractor"``),
    values to sample (``departments=["Finance", "HR"]``) or a strategy
    (``user_types=st.just("Contractor")``); a ``None`` drawn leaves the attribute out.
    By default each is one of a few values or, now and then, absent, and ``active`` is
    mostly true.
    """
    knobs = {
        "userType": user_types,
        "title": titles,
        "department": departments,
        "division": divisions,
        "costCenter": cost_centers,
        "organization": organizations,
    }
    fields = {
        attribute: _pool(
            knob, st.sampled_from((*map(str, _DEFAULTS[f"scim.{attribute}"]), None))
        )
        for attribute, knob in knobs.items()
    }
    names: st.SearchStrategy[str] | None = (
        None if user_names is None else _pinned(user_names)
    )
    mostly_active = st.sampled_from((True, True, None, False))
    return _user_payload(names, domain, fields, _pool(active, mostly_active))


@st.composite
def _group_payload(
    draw: st.DrawFn, member_ids: tuple[str, ...], names: st.SearchStrategy[str]
) -> dict[str, Any]:
    members = draw(_distinct(st.sampled_from(member_ids))) if member_ids else []
    return {
        "schemas": [_CORE_GROUP],
        "displayName": draw(names),
        "members": [{"value": member} for member in members],
    }


def group_payloads(
    member_ids: Iterable[str], *, names: Pool[str] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """SCIM Group payloads (RFC 7643 §4.2): a ``displayName`` (from *names*) and some
    of *member_ids* (ids of existing users or groups) as ``members``, each once."""
    return _group_payload(tuple(member_ids), _pool(names, st.sampled_from(_GROUPS)))


def _counting_ids() -> Callable[[], str]:
    """Resource ids counted from 1, so a drawn directory replays exactly."""
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012x}"


@st.composite
def _directory(
    draw: st.DrawFn,
    users: st.SearchStrategy[list[dict[str, Any]]],
    group_names: st.SearchStrategy[list[str]],
    *,
    nested: bool,
) -> Directory:
    directory = Directory(clock=lambda: NOW, id_factory=_counting_ids())
    user_ids = [directory.create_user(payload)["id"] for payload in draw(users)]
    group_ids: list[str] = []
    for name in draw(group_names):
        members = (*user_ids, *group_ids) if nested else tuple(user_ids)
        payload = draw(_group_payload(members, st.just(name)))
        group_ids.append(directory.create_group(payload)["id"])
    return directory


def directories(
    *,
    users: st.SearchStrategy[dict[str, Any]] | None = None,
    min_users: int = 0,
    max_users: int = 8,
    group_names: Pool[str] | None = None,
    max_groups: int = 4,
    nested: bool = True,
) -> st.SearchStrategy[Directory]:
    """A filled :class:`~scimpolicy.Directory`: *min_users* to *max_users* users of
    distinct ``userName`` (payloads from *users*, default :func:`user_payloads`), then
    up to *max_groups* groups of distinct names (from *group_names*) whose members are
    users and, with *nested*, groups made before them. Ids count up from 1 and the
    clock stands at :data:`NOW`, so a drawn directory replays exactly."""
    payloads = st.lists(
        user_payloads() if users is None else users,
        min_size=min_users,
        max_size=max_users,
        unique_by=lambda payload: str(payload["userName"]).casefold(),
    )
    names = _distinct(_pool(group_names, st.sampled_from(_GROUPS)), max_size=max_groups)
    return _directory(payloads, names, nested=nested)


@st.composite
def _tenant(
    draw: st.DrawFn,
    idp_names: tuple[str, ...],
    segments: tuple[ApplicationSegment, ...],
    directories_: st.SearchStrategy[Directory],
    now: datetime,
) -> Tenant:
    mostly = st.sampled_from((True, True, False))
    idps = []
    for name in draw(_distinct(st.sampled_from(idp_names), min_size=1)):
        attributes = draw(mostly)
        enabled_at = now - timedelta(minutes=draw(st.integers(0, 30 * 1440)))
        idps.append(
            IdentityProvider(
                name,
                draw(directories_),
                scim_sync=draw(mostly),
                scim_attributes_for_policy=attributes,
                scim_attributes_enabled_at=enabled_at if attributes else None,
                saml_attributes_for_policy=draw(mostly),
            )
        )
    chosen = draw(_distinct(st.sampled_from(segments), min_size=1))
    return Tenant(idps, [segment for segment in segments if segment in chosen])


def tenants(
    *,
    idp_names: Iterable[str] = ("Okta", "Entra"),
    segments: Iterable[ApplicationSegment] | None = None,
    directories: st.SearchStrategy[Directory] | None = None,
    now: datetime = NOW,
) -> st.SearchStrategy[Tenant]:
    """A :class:`~scimpolicy.Tenant`: some of *idp_names*, each with a directory (from
    *directories*, default a small :func:`directories`) and settings mostly on (SCIM
    Attributes for Policy enabled up to 30 days before *now*), and some of *segments*
    in their order (default: Git, CI, Payroll, Expenses, a ``*.example.com`` Wiki)."""
    return _tenant(
        tuple(idp_names),
        _SEGMENTS if segments is None else tuple(segments),
        _small_directories() if directories is None else directories,
        now,
    )


def _small_directories() -> st.SearchStrategy[Directory]:
    return directories(max_users=5, max_groups=3)


# -- the vocabulary: what criteria compare and requests carry -------------------------


def _valid(ref: Ref, value: Literal) -> bool:
    """Whether the checker accepts *value* for *ref* (world data may hold others)."""
    boolean = ref.kind is Namespace.POSTURE or (
        ref.is_scim and tuple(p.casefold() for p in ref.path) == ("active",)
    )
    if boolean or not isinstance(value, str):
        return boolean and isinstance(value, bool)
    folded = value.casefold()
    if ref.kind is Namespace.CLIENT_TYPE:
        return is_client_type(folded)
    if ref.kind is Namespace.PLATFORM:
        return folded in PLATFORMS
    if ref.kind is Namespace.COUNTRY:
        return len(value) == 2 and value.isascii() and value.isalpha()
    return True


class _Vocabulary:
    """Each reference with the values worth comparing it with, in a fixed order: the
    order they were added in, a source's values sorted (never a set's order)."""

    def __init__(self) -> None:
        self.values: dict[Ref, list[Literal]] = {}

    def add(
        self,
        ref: Ref,
        values: Iterable[Literal],
        *,
        ordered: bool = False,
        pinned: bool = False,
    ) -> None:
        """Add *values* for *ref*; unless *pinned* (the checker judges those), only
        the ones the checker accepts."""
        pool = self.values.setdefault(Ref(ref.namespace, ref.path), [])
        fresh = list(
            {v: None for v in values if v not in pool and (pinned or _valid(ref, v))}
        )
        pool.extend(
            fresh if ordered else sorted(fresh, key=lambda v: (str(type(v)), v))
        )

    def pool(self, ref: Ref) -> tuple[Literal, ...]:
        return tuple(self.values.get(ref, ()))

    def of(self, kind: Namespace) -> dict[str, tuple[str, ...]]:
        """``{attribute (or "" for a context reference): values}`` of a namespace."""
        return {
            (ref.path[0] if ref.path else ""): tuple(map(str, values))
            for ref, values in self.values.items()
            if ref.kind is kind and values
        }


def _users(idp: IdentityProvider) -> list[User]:
    """The users of *idp*'s directory (none when it cannot list them)."""
    users = getattr(idp.directory, "users", None)
    return [] if users is None else list(users())


def _leaves(node: Criteria) -> Iterator[Compare | In | Contains | Present]:
    if isinstance(node, (And, Or)):
        yield from _leaves(node.left)
        yield from _leaves(node.right)
    elif isinstance(node, Not):
        yield from _leaves(node.operand)
    else:
        yield node


def _from_tenant(found: _Vocabulary, tenant: Tenant) -> None:
    users = [user for idp in tenant.idps for user in _users(idp)]
    for attribute, read in _SCIM_READERS.items():
        found.add(Ref("scim", (attribute,)), filter(None, map(read, users)))
    found.add(Ref("scim", ("groups",)), tenant.scim_groups)
    found.add(Ref("saml", ("groups",)), tenant.scim_groups)
    found.add(Ref("saml", ("department",)), found.pool(Ref("scim", ("department",))))
    found.add(Ref("app"), [segment.name for segment in tenant.segments], ordered=True)
    found.add(Ref("segment_group"), tenant.segment_groups)
    found.add(Ref("idp"), [idp.name for idp in tenant.idps], ordered=True)


def _from_world(found: _Vocabulary, world: World) -> None:
    for rule_set in world.policy.rule_sets():
        for rule in rule_set.rules:
            for leaf in () if rule.criteria is None else _leaves(rule.criteria):
                if isinstance(leaf, In):
                    found.add(leaf.ref, leaf.values)
                elif not isinstance(leaf, Present):
                    found.add(leaf.ref, (leaf.value,))
    for session in world.sessions:
        for name, saml_values in session.saml.items():
            found.add(Ref("saml", (name,)), saml_values)
        for profile, result in session.posture.items():
            found.add(Ref("posture", (profile,)), (result,))
        found.add(Ref("trusted_network"), session.trusted_networks)
        for kind, value in (
            ("country", session.country),
            ("platform", session.platform),
            ("machine_group", session.machine_group),
        ):
            found.add(Ref(kind), () if value is None else (value,))


def _vocabulary(
    source: World | Tenant | None, values: Mapping[str, Iterable[Literal]] | None
) -> _Vocabulary:
    """*source*'s names and values, defaults where it has none, *values* over all.

    :raises ValueError: the checker rejects a reference or a value of *values*.
    """
    tenant = source.tenant if isinstance(source, World) else source
    found = _Vocabulary()
    defaults = {_ref(text): pool for text, pool in _DEFAULTS.items()}
    for ref, pool in defaults.items():
        if ref.kind in _ALWAYS:
            found.add(ref, pool, ordered=True)
    if tenant is not None:
        _from_tenant(found, tenant)
    if isinstance(source, World):
        _from_world(found, source)
    for ref, pool in defaults.items():
        if found.pool(ref) or ref.kind in _ALWAYS:
            continue
        if tenant is not None and (
            ref.kind in _TENANT_NAMES or (ref.is_scim and ref.path == ("groups",))
        ):
            continue
        if isinstance(source, World) and ref.kind in _WORLD_NAMES:
            continue
        found.add(ref, pool, ordered=True)
    for text, pinned in (values or {}).items():
        ref = _ref(text)
        found.values[ref] = []
        found.add(ref, pinned, ordered=True, pinned=True)
        if not found.values[ref]:
            raise ValueError(f"`values`: no values for `{text}`")
    if values:
        pinned_rules = tuple(
            Rule(str(index), AccessAction.ALLOW, In(ref, found.pool(ref)))
            for index, ref in enumerate(map(_ref, values))
        )
        policy = Policy(RuleSet(PolicyType.ACCESS, pinned_rules))
        errors = [
            diagnostic.message
            for diagnostic in check_policy(policy, tenant)
            if diagnostic.severity is Severity.ERROR
        ]
        if errors:
            raise ValueError("`values`: " + "; ".join(errors))
    return found


# -- sessions and requests ------------------------------------------------------------


class _Plan:
    """Who signs in, through which IdP and when: fixed when a strategy is built."""

    def __init__(
        self,
        source: World | Iterable[str],
        idps: Iterable[str] | None,
        now: datetime | None,
        users: UserChoice | None,
        *,
        unknown_users: bool | None,
        reauthenticated: bool | None,
        vary_case: bool,
    ) -> None:
        world = source if isinstance(source, World) else None
        self.tenant = None if world is None else world.tenant
        known_idps = [] if world is None else [idp.name for idp in world.tenant.idps]
        chosen = known_idps if idps is None else list(idps)
        missing = [name for name in chosen if world and name not in known_idps]
        if missing or not chosen:
            raise ValueError(f"`idps`: expected some of {known_idps}, got {chosen}")
        self.idps = tuple(chosen)
        self.now = now or (NOW if world is None else world.now)
        self.reauthenticated = reauthenticated
        self.vary_case = vary_case
        self.anchors: dict[str, datetime] = {}
        directories_: dict[str, list[User]] = {}
        for name in self.idps:
            idp = None if self.tenant is None else self.tenant.idp(name)
            if idp is not None:
                directories_[name] = _users(idp)
                enabled_at = idp.scim_attributes_enabled_at
                if idp.scim_sync and idp.scim_attributes_for_policy and enabled_at:
                    self.anchors[name] = enabled_at
        if not isinstance(source, World) and users is None:
            users = list(source)
        self.names: st.SearchStrategy[str] | None = None
        self.known: tuple[tuple[str, str], ...] = ()
        if users is None or callable(users):
            self.known = tuple(
                (idp, user.user_name)
                for idp, found in directories_.items()
                for user in found
                if users is None or users(user)
            )
            if not self.known and users is not None:
                raise ValueError("`users`: no user of the world satisfies it")
        else:
            self.names = _pinned(users)
        self.unknown = users is None if unknown_users is None else unknown_users
        first = next((name for _, name in self.known if "@" in name), "@example.com")
        self.domain = first.rpartition("@")[2]

    def has(self, idp: str, user_name: str) -> bool:
        """Whether *idp*'s directory has a user called *user_name*."""
        found = None if self.tenant is None else self.tenant.idp(idp)
        return found is not None and found.directory.user_by_name(user_name) is not None


@st.composite
def _who(draw: st.DrawFn, plan: _Plan) -> tuple[str, str]:
    """An IdP and a NameID: a known user, a named one, or one no directory has."""
    stranger = plan.unknown and draw(st.integers(0, 9)) == 9  # shrinks to known
    if plan.names is not None and not stranger:
        user = draw(plan.names)
        holders = [idp for idp in plan.idps if plan.has(idp, user)]
        idp = draw(st.sampled_from(holders or plan.idps))
    elif plan.known and not stranger:
        idp, user = draw(st.sampled_from(plan.known))
    else:
        idp = draw(st.sampled_from(plan.idps))
        user = f"unknown{draw(st.integers(1, 99))}@{plan.domain}"
        while plan.has(idp, user):
            user = "x" + user
    if plan.vary_case and draw(st.sampled_from((False, False, False, True))):
        user = user.upper()
    return idp, user


def _moment(draw: st.DrawFn, plan: _Plan, idp: str) -> datetime:
    """A sign-in at or after the moment SCIM Attributes for Policy was enabled for
    *idp* (re-authenticated), before it, or (no such moment) within two weeks."""
    anchor = plan.anchors.get(idp)
    if anchor is None:
        return plan.now - timedelta(minutes=draw(st.integers(0, 14 * 1440)))
    after = plan.reauthenticated
    if after is None:
        after = draw(st.sampled_from((True, False)))
    if after:
        span = max(0, int((plan.now - anchor).total_seconds() // 60))
        return anchor + timedelta(minutes=draw(st.integers(0, span)))
    return anchor - timedelta(seconds=draw(st.integers(1, 14 * 86400)))


@st.composite
def _saml(
    draw: st.DrawFn, pools: Mapping[str, tuple[str, ...]]
) -> dict[str, list[str]]:
    found = {}
    for name, pool in pools.items():
        if values := draw(_distinct(st.sampled_from(pool), max_size=3)):
            found[name] = values
    return found


@st.composite
def _posture(draw: st.DrawFn, profiles: tuple[str, ...]) -> dict[str, bool]:
    found: dict[str, bool] = {}
    for profile in profiles:
        if (result := draw(st.sampled_from((None, True, False)))) is not None:
            found[profile] = result
    return found


@st.composite
def _session(
    draw: st.DrawFn, plan: _Plan, context: dict[str, st.SearchStrategy[Any]]
) -> Session:
    idp, user = draw(_who(plan))
    authenticated_at = _moment(draw, plan, idp)
    return Session(
        user, idp, authenticated_at, **{k: draw(v) for k, v in context.items()}
    )


def sessions(
    source: World | Iterable[str],
    idps: Iterable[str] | None = None,
    now: datetime | None = None,
    *,
    users: UserChoice | None = None,
    unknown_users: bool | None = None,
    reauthenticated: bool | None = None,
    vary_case: bool = True,
    saml: SamlChoice | None = None,
    posture: Iterable[str] | st.SearchStrategy[Mapping[str, bool]] | None = None,
    client_types: Pool[str] | None = None,
    platforms: Pool[str | None] | None = None,
    countries: Pool[str | None] | None = None,
    trusted_networks: Iterable[str] | None = None,
) -> st.SearchStrategy[Session]:
    """SAML :class:`~scimpolicy.Session` values of a world, or of user names.

    *source* is a :class:`~scimpolicy.World`, whose IdPs, directories, policy and
    sessions give the users and the values drawn, or NameIDs (then give *idps*).
    *idps* narrows the IdPs; *users* who signs in: a predicate over SCIM users
    (``lambda user: user.user_type == "Contractor"``), or NameIDs (values or a
    strategy), each through an IdP whose directory has it, else any. Unless *users* is
    given or *unknown_users* is false, one session in ten is of a user no directory has;
    with *vary_case* one NameID in four is upper-cased (ZPA ignores case).

    ``authenticated_at``: for an IdP with SCIM Sync and SCIM Attributes for Policy on,
    at or after the moment that was enabled (up to *now*) when *reauthenticated* is
    true, before it when false, either when ``None``; for other IdPs within two weeks
    before *now* (default: the world's ``now``, else :data:`NOW`).

    SAML attributes, posture, client type, platform, country, trusted networks and
    machine group come from what the world's policy compares them with and its sessions
    hold (plus every client type and platform and a few countries); *saml*
    (``{"role": ["admin", "employee"]}`` or a strategy of dicts), *posture* (profile
    names or a strategy of dicts), *client_types*, *platforms*, *countries* and
    *trusted_networks* replace those pools.
    """
    plan = _Plan(
        source,
        idps,
        now,
        users,
        unknown_users=unknown_users,
        reauthenticated=reauthenticated,
        vary_case=vary_case,
    )
    vocabulary = _vocabulary(source if isinstance(source, World) else None, None)
    context = vocabulary.of
    networks = context(Namespace.TRUSTED_NETWORK).get("", ())
    if trusted_networks is not None:
        networks = tuple(trusted_networks)
    saml_pools = context(Namespace.SAML)
    if isinstance(saml, Mapping):
        saml_pools = {name: tuple(pool) for name, pool in saml.items()}
    profiles = tuple(context(Namespace.POSTURE) if posture is None else ())
    return _session(
        plan,
        {
            "saml": saml if isinstance(saml, st.SearchStrategy) else _saml(saml_pools),
            "client_type": _pool(
                client_types, st.sampled_from(context(Namespace.CLIENT_TYPE)[""])
            ),
            "platform": _pool(
                platforms, st.sampled_from((None, *context(Namespace.PLATFORM)[""]))
            ),
            "country": _pool(
                countries, st.sampled_from((None, *context(Namespace.COUNTRY)[""]))
            ),
            "posture": posture
            if isinstance(posture, st.SearchStrategy)
            else _posture(profiles if posture is None else tuple(posture)),
            "trusted_networks": _distinct(st.sampled_from(networks), max_size=2)
            if networks
            else st.just(()),
            "machine_group": st.sampled_from(
                (None, *context(Namespace.MACHINE_GROUP).get("", ()))
            ),
        },
    )


@st.composite
def _request(
    draw: st.DrawFn,
    sessions_: st.SearchStrategy[Session],
    apps: st.SearchStrategy[str],
    world: World,
    now: datetime,
    *,
    hosts: bool,
) -> Request:
    session = draw(sessions_)
    app = draw(apps)
    moment = max(now, session.authenticated_at)
    segment = world.tenant.segment(app)
    if hosts and segment is not None and segment.domains and draw(st.booleans()):
        host = draw(st.sampled_from(segment.domains))
        if host.startswith("*."):
            host = draw(st.sampled_from(("app", "eu", "www"))) + host[1:]
        port = draw(st.sampled_from((443, 80, None)))
        if segment.ports:
            ports = draw(st.sampled_from(segment.ports))
            port = draw(st.integers(ports.low, ports.high))
        return session.request(moment, host=host, port=port)
    return session.request(moment, app=app)


def requests(
    world: World,
    *,
    apps: Pool[str] | None = None,
    hosts: bool = False,
    users: UserChoice | None = None,
    idps: Iterable[str] | None = None,
    now: datetime | None = None,
    unknown_users: bool | None = None,
    reauthenticated: bool | None = None,
    vary_case: bool = True,
    saml: SamlChoice | None = None,
    posture: Iterable[str] | st.SearchStrategy[Mapping[str, bool]] | None = None,
    client_types: Pool[str] | None = None,
    platforms: Pool[str | None] | None = None,
    countries: Pool[str | None] | None = None,
    trusted_networks: Iterable[str] | None = None,
) -> st.SearchStrategy[Request]:
    """:class:`~scimpolicy.Request` values for *world*: a session as :func:`sessions`
    draws them (same knobs) asking for one of *apps* (default: every segment of the
    tenant, in its order) at *now* (default: the world's ``now``, or the sign-in when
    that is later). With *hosts*, half of them name the application by a host and port
    it claims instead (a more specific segment may win them).

    :raises ValueError: *apps* names no segment of the world.
    """
    names = [segment.name for segment in world.tenant.segments]
    listed = [] if isinstance(apps, st.SearchStrategy) or apps is None else apps
    unknown = [
        a for a in ([listed] if isinstance(listed, str) else listed) if a not in names
    ]
    if unknown or not names:
        raise ValueError(f"`apps`: expected some of {names}, got {unknown or 'none'}")
    moment = now or world.now
    drawn = sessions(
        world,
        idps,
        moment,
        users=users,
        unknown_users=unknown_users,
        reauthenticated=reauthenticated,
        vary_case=vary_case,
        saml=saml,
        posture=posture,
        client_types=client_types,
        platforms=platforms,
        countries=countries,
        trusted_networks=trusted_networks,
    )
    return _request(
        drawn, _pool(apps, st.sampled_from(names)), world, moment, hosts=hosts
    )


# -- criteria, rules and policies -----------------------------------------------------


@st.composite
def _condition(
    draw: st.DrawFn,
    pools: tuple[tuple[Ref, tuple[Literal, ...]], ...],
    *,
    extensions: bool,
) -> Criteria:
    """One condition over one of the references (a single composite: cheap to build,
    where a ``one_of`` per reference is not)."""
    ref, pool = draw(st.sampled_from(pools))
    one = st.sampled_from(pool)
    groups = ref.is_scim and ref.path == ("groups",)
    forms = ["compare", "present"]
    if not isinstance(pool[0], bool):
        forms.append("in")
        if ref.kind in _MULTI_VALUED or groups:
            forms.append("contains")
        if extensions and (ref.is_scim or ref.is_saml) and not groups:  # names, whole
            forms.append("text")
    form = draw(st.sampled_from(forms))
    if form == "compare":
        return Compare(ref, draw(st.sampled_from(_EQUALITY)), draw(one))
    if form == "present":
        return Present(ref, draw(st.booleans()))
    if form == "in":
        listed = draw(_distinct(one, min_size=1, max_size=3))
        return In(ref, tuple(listed), draw(st.booleans()))
    if form == "contains":
        return Contains(draw(one), ref, draw(st.booleans()))
    part = str(draw(one))[: draw(st.integers(1, 4))]
    return Compare(ref, draw(st.sampled_from(_TEXT)), part)


def criteria(
    source: World | Tenant | None = None,
    *,
    values: Mapping[str, Iterable[Literal]] | None = None,
    scim: bool = True,
    saml: bool = True,
    extensions: bool = False,
    max_leaves: int = 4,
) -> st.SearchStrategy[Criteria]:
    """Policy criteria that :func:`~scimpolicy.check_policy` accepts with no error:
    ``and``, ``or`` and ``not`` over up to *max_leaves* conditions (``==``, ``!=``,
    ``in``, ``not in``, ``"v" in`` a multi-valued reference, ``is present``/``absent``).

    Conditions compare references with values worth comparing them with: given a
    tenant, its applications, segment groups, IdPs and SCIM groups and the
    ``userType``, ``title``, ``department``, ``division``, ``costCenter`` and
    ``organization`` values its directories hold; given a world, also every value its
    policy compares with and its sessions' SAML attributes and client context; else a
    few of each. *values* (``{"saml.role": ["admin"], 'posture["EDR"]': [True]}``,
    references written as in a policy) replaces or adds pools. ``scim=False`` and
    ``saml=False`` leave those references out; *extensions* adds scimpolicy's
    ``startswith``, ``endswith`` and ``contains``, which ZPA lacks.

    :raises ValueError: the checker rejects a reference or value of *values*.
    """
    vocabulary = _vocabulary(source, values)
    pools = tuple(
        (ref, tuple(pool))
        for ref, pool in vocabulary.values.items()
        if pool and (scim or not ref.is_scim) and (saml or not ref.is_saml)
    )
    if not pools:
        raise ValueError("no reference left to draw criteria over")
    return st.recursive(
        _condition(pools, extensions=extensions),
        lambda inner: (
            st.builds(And, inner, inner)
            | st.builds(Or, inner, inner)
            | inner.map(_negated)
        ),
        max_leaves=max_leaves,
    )


def _negated(node: Criteria) -> Criteria:
    """``not node``, without ``not not``."""
    return node.operand if isinstance(node, Not) else Not(node)


@st.composite
def _rule(
    draw: st.DrawFn,
    policy_type: PolicyType,
    names: st.SearchStrategy[str],
    conditions: st.SearchStrategy[Criteria],
) -> Rule:
    catch_all = draw(st.integers(0, 4)) == 4  # shrinks to having criteria
    return Rule(
        draw(names),
        draw(_ACTIONS[policy_type]),
        None if catch_all else draw(conditions),
        disabled=draw(st.integers(0, 5)) == 5,
    )


def rules(
    policy_type: PolicyType | str,
    source: World | Tenant | None = None,
    *,
    names: Pool[str] = "new rule",
    values: Mapping[str, Iterable[Literal]] | None = None,
    scim: bool = True,
    saml: bool = True,
    extensions: bool = False,
) -> st.SearchStrategy[Rule]:
    """One :class:`~scimpolicy.Rule` of *policy_type* named from *names*, say for
    ``AddRule`` or ``ReplaceRule``: an action of that section (timeouts of at least
    ten minutes), :func:`criteria` of *source* (same knobs) or, one rule in five, none
    (it matches everything), and one rule in six disabled."""
    conditions = criteria(
        source, values=values, scim=scim, saml=saml, extensions=extensions
    )
    return _rule(PolicyType(policy_type), _pinned(names), conditions)


@st.composite
def _policy(
    draw: st.DrawFn, conditions: st.SearchStrategy[Criteria], max_rules: int
) -> Policy:
    sections = []
    for policy_type in PolicyType:
        names = (f"{policy_type} {n}" for n in range(1, max_rules + 1))
        found = tuple(
            draw(_rule(policy_type, st.just(name), conditions))
            for name in itertools.islice(names, draw(st.integers(0, max_rules)))
        )
        default = draw(st.none() | _ACTIONS[policy_type])
        sections.append(RuleSet(policy_type, found, default))
    return Policy(*sections)


def policies(
    source: World | Tenant | None = None,
    *,
    max_rules: int = 4,
    values: Mapping[str, Iterable[Literal]] | None = None,
    scim: bool = True,
    saml: bool = True,
    extensions: bool = False,
) -> st.SearchStrategy[Policy]:
    """A whole :class:`~scimpolicy.Policy`: up to *max_rules* rules per section (named
    ``access 1``, ``access 2``, ...; drawn as :func:`rules` draws them) and perhaps a
    default, over :func:`criteria` of *source* (same knobs). It passes
    :func:`~scimpolicy.check_policy` against *source* with no error;
    ``policies(...).map(format_policy)`` draws policy text."""
    conditions = criteria(
        source, values=values, scim=scim, saml=saml, extensions=extensions
    )
    return _policy(conditions, max_rules)


@st.composite
def _world(
    draw: st.DrawFn,
    tenants_: st.SearchStrategy[Tenant],
    max_sessions: int,
    now: datetime,
) -> World:
    tenant = draw(tenants_)
    world = World(tenant, draw(policies(tenant)), now)
    return world.evolve(sessions=draw(st.lists(sessions(world), max_size=max_sessions)))


def worlds(
    *,
    tenants: st.SearchStrategy[Tenant] | None = None,
    max_sessions: int = 5,
    now: datetime = NOW,
) -> st.SearchStrategy[World]:
    """A small :class:`~scimpolicy.World`: a tenant (from *tenants*, default
    :func:`tenants`), a policy over it (:func:`policies`), up to *max_sessions* of its
    :func:`sessions`, and *now*."""
    return _world(
        _default_tenants(now) if tenants is None else tenants, max_sessions, now
    )


def _default_tenants(now: datetime) -> st.SearchStrategy[Tenant]:
    return tenants(now=now)
