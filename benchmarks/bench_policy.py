"""Measure scimpolicy's policy evaluator beside peer engines, in the same run.

Run from the repository root (the peers go in a separate virtualenv; see
``benchmarks/README.md``)::

    python benchmarks/bench_policy.py                 # 10,000 users, 200 rules
    python benchmarks/bench_policy.py --quick         # 1,000 users, fewer repeats
    python benchmarks/bench_policy.py --users 5000 --repeats 3 --json out.json

It prints Markdown tables on stdout (progress goes to stderr). The peers are optional
and never dependencies of scimpolicy: cedarpy and casbin (pycasbin). A peer that is not
importable reads "not installed".

The workload reproduces ``research/policy-engines.md`` §5.1: users from seed 20240611,
ordered first-match rules from seed 20240612, plus a synthetic user that no rule
matches (every rule is tried). The engines are those of §5.2:

- **python-codegen**: one generated function, attributes read once into locals, an
  if-chain returning (effect, rule index): the hand-written floor;
- **python-lambdas**: one generated lambda per rule, tried in order;
- **cedarpy-ordered**: Cedar has no rule order, so first match is encoded exactly:
  allow rule *i* is ``permit when {cond_i}``, deny rule *j* is
  ``forbid when {cond_j} unless {any earlier allow's condition}``; the deciding rule
  is the lowest ``@id`` among the determining policies;
- **casbin-priority**: ``eval(p.sub_rule)`` matcher, ``priority(p.eft) || deny``,
  policy rows in rule order, groups as role links;
- **scimpolicy**: ``load_policy`` + ``Engine(...).decide_access(Request(...))``, the
  whole evaluator: IdP lookup, presence check, SCIM gates, user and group lookup.

Each engine gets the request in its own form, built before the timer starts (a
``Request`` for scimpolicy, a dict for the Python baselines, an entity reference for
Cedar, a user dict for casbin). Times come from ``time.perf_counter``: single decisions
are the mean of a batch of calls (about ``--sample-seconds`` long), reported as the min
and the median over the repeats; the garbage collector stays on, as in a real process.
Every engine's decision and deciding rule is compared with python-codegen's for every
user; a disagreement is listed under "Checks" and makes the exit status 1. The targets
are printed beside the figures, never asserted.
"""

from __future__ import annotations

import abc
import argparse
import functools
import gc
import importlib
import importlib.util
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

from harness import Timing, cpu_model, progress, version_of

from scimpolicy import (
    AccessAction,
    Directory,
    Engine,
    IdentityProvider,
    Request,
    Tenant,
    load_policy,
)

T = TypeVar("T")

# -- workload (research/policy-engines.md §5.1) ----------------------------------------

USER_SEED: Final = 20240611
RULE_SEED: Final = 20240612
ATTRIBUTES: Final[dict[str, tuple[str, ...]]] = {
    "department": tuple(f"dept{i:02d}" for i in range(20)),
    "title": tuple(f"t{i:02d}" for i in range(30)),
    "userType": ("Employee", "Contractor", "Guest"),
    "costCenter": tuple(f"cc{i:02d}" for i in range(50)),
    "division": tuple(f"div{i}" for i in range(10)),
    "organization": tuple(f"org{i}" for i in range(5)),
}
ENTERPRISE_ATTRIBUTES: Final = frozenset(
    {"department", "costCenter", "division", "organization"}
)
GROUPS: Final = tuple(f"g{i:03d}" for i in range(200))
MAX_MEMBERSHIPS: Final = 5
MAX_TESTS: Final = 3
GROUP_TEST_P: Final = 0.3
NO_MATCH_VALUE: Final = "none"
NO_MATCH_NAME: Final = "u-nomatch"

# What §5.1/§5.3 report for 10,000 users and 200 rules: checked when sizes agree.
PUBLISHED_USERS: Final = 10_000
PUBLISHED_RULES: Final = 200
PUBLISHED_STATS: Final = {
    "allow": 3191,
    "deny by rule": 6809,
    "default deny": 0,
    "median first-match position": 12,
    "latest first match": 52,
    "group memberships": 25_104,
}

# Targets of the issue (printed beside the figures, never asserted).
TARGET_VS_CODEGEN: Final = 1.5  # scimpolicy within 1.5x of python-codegen
TARGET_VS_PEERS: Final = 100.0  # scimpolicy >= 100x faster than cedarpy and casbin
TARGET_EXPLAIN_US: Final = 50.0  # explaining a 200-rule decision <= 50 µs

CORE_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER_DOMAIN: Final = "@bench.example"
IDP_NAME: Final = "bench"
ENABLED_AT: Final = datetime(2026, 1, 1, tzinfo=UTC)

Verdict = tuple[str, int | None]
"""A decision in the workload's terms: the effect and the deciding rule's index (or
``None`` for the default); ``("blocked", None)`` when scimpolicy blocks before rules."""
DEFAULT_DENY: Final[Verdict] = ("deny", None)


@dataclass(frozen=True)
class Person:
    """One synthetic user: six attributes and the groups it belongs to."""

    name: str
    attributes: dict[str, str]
    groups: frozenset[str]


@dataclass(frozen=True)
class Test:
    """``attribute == value`` (one value) or ``attribute in values``."""

    attribute: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class RuleSpec:
    """One ordered rule: a conjunction of tests, maybe a group test, an effect."""

    index: int
    tests: tuple[Test, ...]
    group: str | None
    effect: str  # "allow" or "deny"

    @property
    def name(self) -> str:
        return f"r{self.index:03d}"

    def matches(self, person: Person) -> bool:
        return all(
            person.attributes[test.attribute] in test.values for test in self.tests
        ) and (self.group is None or self.group in person.groups)


def rule_index(name: str) -> int:
    """The workload index of a rule named ``rNNN``."""
    return int(name.removeprefix("r"))


def make_people(count: int) -> tuple[Person, ...]:
    rng = random.Random(USER_SEED)
    people = []
    for i in range(count):
        attributes = {name: rng.choice(values) for name, values in ATTRIBUTES.items()}
        groups = frozenset(rng.sample(GROUPS, rng.randint(0, MAX_MEMBERSHIPS)))
        people.append(Person(f"u{i}", attributes, groups))
    return tuple(people)


def make_rules(count: int) -> tuple[RuleSpec, ...]:
    """Each rule draws, in this order: its tests, its group test, its effect.

    A set test takes 2 to 4 values but never all of an attribute's values (userType
    has only three), so that every test selects.
    """
    rng = random.Random(RULE_SEED)
    rules = []
    for index in range(count):
        tests = []
        for name in rng.sample(list(ATTRIBUTES), rng.randint(1, MAX_TESTS)):
            values = ATTRIBUTES[name]
            if rng.random() < 0.5:
                tests.append(Test(name, (rng.choice(values),)))
            else:
                size = rng.randint(2, min(4, len(values) - 1))
                tests.append(Test(name, tuple(rng.sample(values, size))))
        group = rng.choice(GROUPS) if rng.random() < GROUP_TEST_P else None
        effect = "allow" if rng.random() < 0.5 else "deny"
        rules.append(RuleSpec(index, tuple(tests), group, effect))
    return tuple(rules)


def first_match(rules: Sequence[RuleSpec], person: Person) -> Verdict:
    """The meaning of the rules, stated plainly: the oracle for python-codegen."""
    for rule in rules:
        if rule.matches(person):
            return rule.effect, rule.index
    return DEFAULT_DENY


@dataclass(frozen=True)
class Workload:
    people: tuple[Person, ...]
    rules: tuple[RuleSpec, ...]
    no_match: Person = field(
        default=Person(
            NO_MATCH_NAME,
            dict.fromkeys(ATTRIBUTES, NO_MATCH_VALUE),
            frozenset(),
        )
    )

    @property
    def everyone(self) -> tuple[Person, ...]:
        """The real users and then the synthetic one."""
        return (*self.people, self.no_match)

    def members(self) -> dict[str, list[Person]]:
        """Every group (members or not) and its members, in user order."""
        found: dict[str, list[Person]] = {group: [] for group in GROUPS}
        for person in self.everyone:
            for group in sorted(person.groups):
                found[group].append(person)
        return found


@dataclass(frozen=True)
class Stats:
    """What the oracle says about the population, and the users measured alone."""

    verdicts: tuple[Verdict, ...]  # for workload.everyone
    counts: dict[str, float]
    typical: Person  # first match at the median position
    typical_rule: int
    worst: Person  # the real user who tries the most rules
    worst_tried: int

    @staticmethod
    def of(workload: Workload) -> Stats:
        verdicts = tuple(first_match(workload.rules, p) for p in workload.everyone)
        real = verdicts[:-1]
        positions = [index for _, index in real if index is not None]
        tried = [len(workload.rules) if i is None else i + 1 for _, i in real]
        median = statistics.median_low(positions) if positions else 0
        typical = next(
            (p for p, (_, i) in zip(workload.people, real, strict=True) if i == median),
            workload.no_match,
        )
        worst_tried = max(tried, default=0)
        worst = workload.people[tried.index(worst_tried)] if tried else typical
        counts: dict[str, float] = {
            "allow": sum(effect == "allow" for effect, _ in real),
            "deny by rule": sum(e == "deny" and i is not None for e, i in real),
            "default deny": sum(index is None for _, index in real),
            "median first-match position": statistics.median(positions)
            if positions
            else float("nan"),
            "latest first match": max(positions, default=-1),
            "group memberships": sum(len(p.groups) for p in workload.people),
        }
        return Stats(verdicts, counts, typical, median, worst, worst_tried)


# -- measuring -------------------------------------------------------------------------


def timed(body: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = body()
    return time.perf_counter() - start, result


def measure(body: Callable[[], T], *, repeats: int, ops: int = 1) -> tuple[Timing, T]:
    """Time *body* (*ops* operations) *repeats* times; return its last result."""
    samples: list[float] = []
    result: tuple[float, T] | None = None
    for _ in range(repeats):
        result = timed(body)
        samples.append(result[0] / ops)
    if result is None:
        raise ValueError("measure() needs at least one repeat")
    return Timing(tuple(samples), ops), result[1]


def per_call(body: Callable[[], object], *, repeats: int, seconds: float) -> Timing:
    """The mean time of one call of *body*, over batches about *seconds* long."""
    body()  # warm up (caches, lazily built state)
    once, _ = timed(body)
    calls = max(1, min(200_000, round(seconds / max(once, 1e-7))))

    def batch() -> int:
        for _ in range(calls):
            body()
        return calls

    return measure(batch, repeats=repeats, ops=calls)[0]


class Checks:
    """Consistency checks; a failed one is reported and makes the exit status 1."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def expect(self, what: str, expected: object, got: object) -> None:
        if expected != got:
            message = f"{what}: expected {expected!r}, got {got!r}"
            self.problems.append(message)
            progress(f"PROBLEM: {message}")


# -- the engines -----------------------------------------------------------------------


Expectation = tuple[str, object, object]
"""A consistency check: what, the expected value, the value found."""


@dataclass
class Ready:
    """An engine loaded over the workload, with what the runner needs to time it.

    ``decide`` takes one request in the engine's own form (``request`` builds it from
    a person, outside the timer) and returns the engine's own result; ``verdict`` maps
    that result back to the workload's terms, outside the timer too.
    """

    decide: Callable[[Any], Any]
    request: Callable[[Person], Any]
    verdict: Callable[[Any], Verdict]
    load: Timing
    store: Timing | None = None
    text_bytes: int = 0
    extras: dict[str, Callable[[], object]] = field(default_factory=dict)
    summarize: Callable[[Sequence[Any]], list[str]] | None = None
    expectations: Callable[[], list[Expectation]] = list
    """Consistency checks, run after the first decision was timed."""
    notes: list[str] = field(default_factory=list)


class Contender(abc.ABC):
    """One engine: what it needs installed and how it loads the workload."""

    name: str
    modules: tuple[str, ...] = ()  # import names that must be present
    slow: bool = False  # a compiled peer through Python: fewer repeats

    def missing(self) -> str | None:
        for module in self.modules:
            if importlib.util.find_spec(module) is None:
                return module
        return None

    @abc.abstractmethod
    def prepare(self, workload: Workload, repeats: int) -> Ready:
        """Translate the rules (untimed), then time loading them and the store."""


def python_condition(rule: RuleSpec, ref: Callable[[str], str]) -> str:
    """A rule's condition as Python; *ref* spells an attribute (or ``groups``)."""
    parts = []
    for test in rule.tests:
        if len(test.values) == 1:
            parts.append(f"{ref(test.attribute)} == {test.values[0]!r}")
        else:
            values = ", ".join(repr(v) for v in sorted(test.values))
            parts.append(f"{ref(test.attribute)} in {{{values}}}")
    if rule.group is not None:
        parts.append(f"{rule.group!r} in {ref('groups')}")
    return " and ".join(parts)


def run_source(source: str, filename: str) -> dict[str, Any]:
    """Compile and run generated Python; return its namespace."""
    namespace: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102  our own generated text
    return namespace


def python_request(person: Person) -> dict[str, Any]:
    return {**person.attributes, "groups": person.groups}


def same_verdict(result: Verdict) -> Verdict:
    return result


class PythonCodegen(Contender):
    name = "python-codegen"

    @staticmethod
    def source(rules: Sequence[RuleSpec]) -> str:
        lines = ["def decide(user):"]
        lines += [f"    {name} = user[{name!r}]" for name in (*ATTRIBUTES, "groups")]
        for rule in rules:
            lines.append(f"    if {python_condition(rule, str)}:")
            lines.append(f"        return ({rule.effect!r}, {rule.index})")
        lines.append(f"    return {DEFAULT_DENY!r}")
        return "\n".join(lines) + "\n"

    def prepare(self, workload: Workload, repeats: int) -> Ready:
        text = self.source(workload.rules)
        load, namespace = measure(
            lambda: run_source(text, "<python-codegen>"), repeats=repeats
        )
        return Ready(
            decide=namespace["decide"],
            request=python_request,
            verdict=same_verdict,
            load=load,
            text_bytes=len(text.encode()),
        )


class PythonLambdas(Contender):
    name = "python-lambdas"

    @staticmethod
    def source(rules: Sequence[RuleSpec]) -> str:
        lines = ["RULES = ("]
        for rule in rules:
            condition = python_condition(rule, lambda name: f"user[{name!r}]")
            lines.append(
                f"    (lambda user: {condition}, ({rule.effect!r}, {rule.index})),"
            )
        lines.append(")")
        return "\n".join(lines) + "\n"

    def prepare(self, workload: Workload, repeats: int) -> Ready:
        text = self.source(workload.rules)
        load, namespace = measure(
            lambda: run_source(text, "<python-lambdas>"), repeats=repeats
        )
        rules: tuple[tuple[Callable[[dict[str, Any]], bool], Verdict], ...] = namespace[
            "RULES"
        ]

        def decide(user: dict[str, Any]) -> Verdict:
            for matches, verdict in rules:
                if matches(user):
                    return verdict
            return DEFAULT_DENY

        return Ready(
            decide=decide,
            request=python_request,
            verdict=same_verdict,
            load=load,
            text_bytes=len(text.encode()),
        )


CEDAR_SCHEMA: Final = (
    "entity Group;\n"
    "entity User in [Group] {\n"
    + "".join(f"  {name}: String,\n" for name in ATTRIBUTES)
    + "};\n"
    "entity App;\n"
    'action "access" appliesTo { principal: [User], resource: [App] };\n'
)
CEDAR_SCOPE: Final = '(principal, action == Action::"access", resource)'


class CedarOrdered(Contender):
    name = "cedarpy-ordered"
    modules = ("cedarpy",)
    slow = True

    @staticmethod
    def condition(rule: RuleSpec) -> str:
        parts = []
        for test in rule.tests:
            ref = f"principal.{test.attribute}"
            if len(test.values) == 1:
                parts.append(f"{ref} == {json.dumps(test.values[0])}")
            else:
                values = ", ".join(json.dumps(v) for v in sorted(test.values))
                parts.append(f"[{values}].contains({ref})")
        if rule.group is not None:
            parts.append(f"principal in Group::{json.dumps(rule.group)}")
        return " && ".join(parts)

    @classmethod
    def policies(cls, rules: Sequence[RuleSpec]) -> str:
        """The exact first-match encoding of §5.2 (quadratic in size)."""
        chunks = []
        earlier_allows: list[str] = []
        for rule in rules:
            condition = cls.condition(rule)
            head = f"@id({json.dumps(rule.name)})\n"
            if rule.effect == "allow":
                chunks.append(f"{head}permit {CEDAR_SCOPE}\nwhen {{ {condition} }};\n")
                earlier_allows.append(f"({condition})")
            else:
                unless = (
                    f"\nunless {{ {' || '.join(earlier_allows)} }}"
                    if earlier_allows
                    else ""
                )
                chunks.append(
                    f"{head}forbid {CEDAR_SCOPE}\nwhen {{ {condition} }}{unless};\n"
                )
        return "".join(chunks)

    @staticmethod
    def entities(workload: Workload) -> list[dict[str, Any]]:
        def uid(kind: str, name: str) -> dict[str, str]:
            return {"type": kind, "id": name}

        found = [
            {
                "uid": uid("User", p.name),
                "attrs": p.attributes,
                "parents": [uid("Group", g) for g in sorted(p.groups)],
            }
            for p in workload.everyone
        ]
        found += [{"uid": uid("Group", g), "attrs": {}, "parents": []} for g in GROUPS]
        found.append({"uid": uid("App", "app"), "attrs": {}, "parents": []})
        return found

    @staticmethod
    def request(person: Person) -> dict[str, str]:
        return {
            "principal": f"User::{json.dumps(person.name)}",
            "action": 'Action::"access"',
            "resource": 'App::"app"',
        }

    @staticmethod
    def verdict(result: Any) -> Verdict:
        """Allow or deny; the deciding rule is the lowest ``@id`` among the reasons."""
        effect = "allow" if result.allowed else "deny"
        diagnostics = result.diagnostics
        if diagnostics.errors:
            return f"error: {diagnostics.errors[0]}", None
        names = diagnostics.id_annotations_by_reason
        indexes = [rule_index(names[reason]) for reason in diagnostics.reasons]
        return effect, min(indexes, default=None)

    @staticmethod
    def summarize(results: Sequence[Any]) -> list[str]:
        own = [r.metrics.get("authz_duration_micros") for r in results]
        micros = [m for m in own if isinstance(m, int | float)]
        if not micros:
            return []
        median = statistics.median(micros)
        return [
            (
                "Cedar's own authorizer time (cedarpy "
                "`metrics['authz_duration_micros']`) over the all-users pass: "
                f"median {median:,.0f} µs per decision."
            )
        ]

    def prepare(self, workload: Workload, repeats: int) -> Ready:
        cedarpy: Any = importlib.import_module("cedarpy")
        text = self.policies(workload.rules)
        schema = cedarpy.Schema.from_str(CEDAR_SCHEMA)
        progress(f"{self.name}: validating {len(text) / 1e3:,.0f} KB of policies")
        seconds, validation = timed(lambda: cedarpy.validate_policies(text, schema))
        load, policies = measure(
            lambda: cedarpy.PolicySet.from_str(text), repeats=repeats
        )
        document = json.dumps(self.entities(workload))
        store, entities = measure(
            lambda: cedarpy.Entities.from_json_str(document, schema), repeats=repeats
        )

        def decide(request: dict[str, str]) -> Any:
            return cedarpy.is_authorized(request, policies, entities)

        return Ready(
            decide=decide,
            request=self.request,
            verdict=self.verdict,
            load=load,
            store=store,
            text_bytes=len(text.encode()),
            summarize=self.summarize,
            expectations=lambda: [
                (
                    "policies validate against the schema",
                    [],
                    [str(error) for error in validation.errors],
                )
            ],
            notes=[
                (
                    "Cedar schema validation of the ordered policy set: "
                    f"{seconds * 1e3:,.0f} ms (once; not in the load figure)."
                ),
                (
                    "Store = `Entities.from_json_str(document, schema)` over the "
                    "prepared JSON text (validated against the schema); decisions "
                    "reuse the `PolicySet` and `Entities` handles."
                ),
            ],
        )


CASBIN_MODEL: Final = """
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub_rule, obj, act, eft, rid

[role_definition]
g = _, _

[policy_effect]
e = priority(p.eft) || deny

[matchers]
m = eval(p.sub_rule) && r.obj == p.obj && r.act == p.act
"""


class CasbinPriority(Contender):
    name = "casbin-priority"
    modules = ("casbin",)
    slow = True

    @staticmethod
    def sub_rule(rule: RuleSpec) -> str:
        parts = []
        for test in rule.tests:
            ref = f"r.sub.{test.attribute}"
            if len(test.values) == 1:
                parts.append(f"{ref} == {test.values[0]!r}")
            else:
                values = ", ".join(repr(v) for v in sorted(test.values))
                parts.append(f"{ref} in ({values})")
        if rule.group is not None:
            parts.append(f"g(r.sub.id, {rule.group!r})")
        return " && ".join(parts)

    @staticmethod
    def request(person: Person) -> tuple[dict[str, str], str, str]:
        return {"id": person.name, **person.attributes}, "app", "access"

    @staticmethod
    def verdict(result: Any) -> Verdict:
        allowed, row = result
        return "allow" if allowed else "deny", rule_index(row[4]) if row else None

    def prepare(self, workload: Workload, repeats: int) -> Ready:
        casbin: Any = importlib.import_module("casbin")
        rows = [
            [self.sub_rule(rule), "app", "access", rule.effect, rule.name]
            for rule in workload.rules
        ]
        links = [
            [p.name, group] for p in workload.everyone for group in sorted(p.groups)
        ]

        def load() -> Any:
            enforcer = casbin.Enforcer(casbin.Enforcer.new_model(text=CASBIN_MODEL))
            enforcer.add_policies(rows)
            return enforcer

        load_timing, enforcer = measure(load, repeats=repeats)
        # Role links go into a freshly loaded enforcer each repeat (loaded untimed).
        samples = []
        for _ in range(repeats):
            enforcer = load()
            seconds, _ = timed(functools.partial(enforcer.add_grouping_policies, links))
            samples.append(seconds)
        text_bytes = len(CASBIN_MODEL.encode()) + sum(
            len(",".join(row).encode()) + 1 for row in rows
        )
        return Ready(
            decide=lambda request: enforcer.enforce_ex(*request),
            request=self.request,
            verdict=self.verdict,
            load=load_timing,
            store=Timing(tuple(samples), 1),
            text_bytes=text_bytes,
            notes=[
                (
                    f"Load = model text + {len(rows)} policy rows into a new "
                    f"`Enforcer`; store = `add_grouping_policies` of {len(links):,} "
                    "role links. Decisions call `enforce_ex`, which names the "
                    "matched row."
                )
            ],
        )


class Scimpolicy(Contender):
    name = "scimpolicy"

    @staticmethod
    def policy(rules: Sequence[RuleSpec]) -> str:
        lines = ["access:"]
        for rule in rules:
            criteria = []
            for test in rule.tests:
                ref = f"scim.{test.attribute}"
                if len(test.values) == 1:
                    criteria.append(f"{ref} == {json.dumps(test.values[0])}")
                else:
                    values = ", ".join(json.dumps(v) for v in sorted(test.values))
                    criteria.append(f"{ref} in [{values}]")
            if rule.group is not None:
                criteria.append(f"{json.dumps(rule.group)} in scim.groups")
            lines.append(
                f'  rule "{rule.name}": {rule.effect} when {" and ".join(criteria)}'
            )
        lines.append("  default: deny")
        return "\n".join(lines) + "\n"

    @staticmethod
    def payload(person: Person) -> dict[str, Any]:
        core = {
            k: v for k, v in person.attributes.items() if k not in ENTERPRISE_ATTRIBUTES
        }
        enterprise = {
            k: v for k, v in person.attributes.items() if k in ENTERPRISE_ATTRIBUTES
        }
        return {
            "schemas": [CORE_SCHEMA, ENTERPRISE_SCHEMA],
            "userName": person.name + USER_DOMAIN,
            **core,
            ENTERPRISE_SCHEMA: enterprise,
        }

    @staticmethod
    def request(person: Person) -> Request:
        return Request(
            user=person.name + USER_DOMAIN,
            idp=IDP_NAME,
            authenticated_at=ENABLED_AT + timedelta(days=1),
            now=ENABLED_AT + timedelta(days=2),
        )

    @staticmethod
    def verdict(decision: Any) -> Verdict:
        if decision.blocked:
            return "blocked", None
        outcome = decision.outcome
        effect = str(outcome) if isinstance(outcome, AccessAction) else repr(outcome)
        return effect, None if decision.rule is None else rule_index(decision.rule)

    @staticmethod
    def tenant(workload: Workload, members: dict[str, list[Person]]) -> Tenant:
        """The store: a directory with every user and group, behind one IdP."""
        directory = Directory()
        ids = {
            person.name: directory.create_user(Scimpolicy.payload(person))["id"]
            for person in workload.everyone
        }
        for group, people in members.items():
            directory.create_group(
                {
                    "schemas": [GROUP_SCHEMA],
                    "displayName": group,
                    "members": [{"value": ids[p.name]} for p in people],
                }
            )
        idp = IdentityProvider(
            IDP_NAME,
            directory,
            scim_sync=True,
            scim_attributes_for_policy=True,
            scim_attributes_enabled_at=ENABLED_AT,
        )
        return Tenant(idps=(idp,))

    def prepare(self, workload: Workload, repeats: int) -> Ready:
        text = self.policy(workload.rules)
        members = workload.members()
        store, tenant = measure(
            lambda: self.tenant(workload, members), repeats=min(repeats, 3)
        )
        load, engine = measure(
            lambda: Engine(tenant, load_policy(text, tenant)), repeats=repeats
        )
        no_match = self.request(workload.no_match)

        def expectations() -> list[Expectation]:
            explained = engine.explain_access(no_match)
            return [
                (
                    "checker diagnostics on the policy",
                    [],
                    [d.code for d in engine.policy.diagnostics],
                ),
                (
                    "rules in the no-match user's trace",
                    len(workload.rules),
                    len(explained.trace),
                ),
                (
                    "the no-match explanation agrees with the decision",
                    self.verdict(engine.decide_access(no_match)),
                    self.verdict(explained),
                ),
            ]

        label = (
            f"explain the no-match decision ({len(workload.rules)} rules): "
            "`explain_access(request).explain()`"
        )
        return Ready(
            decide=engine.decide_access,
            request=self.request,
            verdict=self.verdict,
            load=load,
            store=store,
            text_bytes=len(text.encode()),
            expectations=expectations,
            extras={
                label: lambda: engine.explain_access(no_match).explain(),
                "`explain_access(request)` alone (no text)": functools.partial(
                    engine.explain_access, no_match
                ),
                "the same, trace not seen before (`engine.clear_trace_cache()` "
                "first, included)": functools.partial(
                    fresh_explanation, engine, no_match
                ),
            },
            notes=[
                (
                    "Load = `load_policy(text, tenant)` (parse, check against the "
                    "tenant's names, compile) + `Engine(tenant, policy)`; store = a "
                    "`Directory` filled with `create_user`/`create_group` from SCIM "
                    "payloads, one IdP, one `Tenant`."
                ),
            ],
        )


def fresh_explanation(engine: Engine, request: Request) -> str:
    """An explanation whose trace the engine has not kept (built afresh)."""
    engine.clear_trace_cache()
    return engine.explain_access(request).explain()


CONTENDERS: Final[tuple[Contender, ...]] = (
    PythonCodegen(),
    PythonLambdas(),
    CedarOrdered(),
    CasbinPriority(),
    Scimpolicy(),
)
BASELINE: Final = PythonCodegen.name


# -- running ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    users: int
    rules: int
    repeats: int
    slow_repeats: int
    sample_seconds: float
    engines: tuple[str, ...]


@dataclass
class Agreement:
    decision: int
    rule: int
    total: int
    first_differences: list[str] = field(default_factory=list)

    def cell(self) -> str:
        def share(count: int) -> str:
            return f"{count / self.total:.1%}"

        return f"{share(self.decision)} / {share(self.rule)}"


def compare(
    name: str, people: Sequence[Person], got: Sequence[Verdict], want: Sequence[Verdict]
) -> Agreement:
    agreement = Agreement(0, 0, len(want))
    for person, mine, theirs in zip(people, got, want, strict=True):
        agreement.decision += mine[0] == theirs[0]
        agreement.rule += mine == theirs
        if mine != theirs and len(agreement.first_differences) < 5:
            agreement.first_differences.append(
                f"{name} vs {BASELINE} on `{person.name}`: {mine} vs {theirs}"
            )
    return agreement


@dataclass
class Result:
    """Everything measured for one engine (``missing`` when it is not installed)."""

    name: str
    missing: str | None = None
    failed: str | None = None
    ready: Ready | None = None
    first_call: float | None = None
    typical: Timing | None = None
    worst: Timing | None = None
    no_match: Timing | None = None
    all_users: Timing | None = None
    extras: dict[str, Timing] = field(default_factory=dict)
    verdicts: tuple[Verdict, ...] = ()
    agreement: Agreement | None = None
    notes: list[str] = field(default_factory=list)

    def raw(self) -> dict[str, Any]:
        def timing(value: Timing | None) -> dict[str, Any] | None:
            return None if value is None else value.raw()

        ready = self.ready
        return {
            "missing": self.missing,
            "failed": self.failed,
            "load": timing(None if ready is None else ready.load),
            "store": timing(None if ready is None else ready.store),
            "policy_text_bytes": None if ready is None else ready.text_bytes,
            "first_call_seconds": self.first_call,
            "single_typical": timing(self.typical),
            "single_worst_real": timing(self.worst),
            "single_no_match": timing(self.no_match),
            "all_users": timing(self.all_users),
            "extras": {k: v.raw() for k, v in self.extras.items()},
            "agreement": None if self.agreement is None else vars(self.agreement),
            "notes": self.notes,
        }


def run(
    contender: Contender,
    workload: Workload,
    stats: Stats,
    config: Config,
    checks: Checks,
) -> Result:
    """Measure one engine; an engine that raises is reported, not fatal."""
    missing = contender.missing()
    if missing is not None:
        progress(f"{contender.name}: not installed ({missing})")
        return Result(contender.name, missing)
    try:
        return measure_engine(contender, workload, stats, config, checks)
    except Exception as error:
        failed = f"{type(error).__name__}: {error}"
        checks.expect(f"{contender.name} runs without error", None, failed)
        return Result(contender.name, failed=failed)


def measure_engine(
    contender: Contender,
    workload: Workload,
    stats: Stats,
    config: Config,
    checks: Checks,
) -> Result:
    result = Result(contender.name)
    repeats = config.slow_repeats if contender.slow else config.repeats
    progress(f"{contender.name}: load and store, {repeats} repeat(s)")
    gc.collect()
    ready = result.ready = contender.prepare(workload, repeats)
    result.notes += ready.notes
    decide = ready.decide
    typical, worst, no_match = (
        ready.request(p) for p in (stats.typical, stats.worst, workload.no_match)
    )
    result.first_call, _ = timed(lambda: decide(typical))
    for what, expected, got in ready.expectations():
        checks.expect(f"{contender.name}: {what}", expected, got)

    def single(request: Any) -> Timing:
        return per_call(
            lambda: decide(request), repeats=repeats, seconds=config.sample_seconds
        )

    progress(f"{contender.name}: single decisions")
    gc.collect()
    result.typical = single(typical)
    result.worst = single(worst)
    result.no_match = single(no_match)
    for label, body in ready.extras.items():
        result.extras[label] = per_call(
            body, repeats=repeats, seconds=config.sample_seconds
        )

    progress(
        f"{contender.name}: all {len(workload.people):,} users, {repeats} pass(es)"
    )
    requests = [ready.request(p) for p in workload.people]
    gc.collect()
    result.all_users, outputs = measure(
        lambda: [decide(request) for request in requests],
        repeats=repeats,
        ops=len(requests),
    )
    if ready.summarize is not None:
        result.notes += ready.summarize(outputs)
    result.verdicts = (
        *(ready.verdict(output) for output in outputs),
        ready.verdict(decide(no_match)),
    )
    return result


def agree(
    results: Sequence[Result], workload: Workload, stats: Stats, checks: Checks
) -> None:
    """Compare every engine with python-codegen, and python-codegen with the oracle."""
    people = workload.everyone
    baseline = next((r for r in results if r.name == BASELINE and r.verdicts), None)
    if baseline is None:
        return
    oracle = compare(BASELINE + " (oracle)", people, baseline.verdicts, stats.verdicts)
    checks.expect(
        f"{BASELINE} agrees with the plain first-match oracle",
        [],
        oracle.first_differences,
    )
    for result in results:
        if not result.verdicts:
            continue
        result.agreement = compare(
            result.name, people, result.verdicts, baseline.verdicts
        )
        checks.expect(
            f"{result.name}: users on which decision or rule differs from {BASELINE}",
            0,
            result.agreement.total - result.agreement.rule,
        )
        for difference in result.agreement.first_differences:
            progress(f"  {difference}")


# -- report ----------------------------------------------------------------------------

NOT_INSTALLED: Final = "not installed"


def number(value: float) -> str:
    """At least three significant digits, never scientific notation."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def cell(timing: Timing | None, scale: float = 1e6) -> str:
    """``min (median)``; *scale* 1e6 for µs, 1e3 for ms."""
    if timing is None:
        return "-"
    return f"{number(timing.best * scale)} ({number(timing.median * scale)})"


def table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def workload_section(
    workload: Workload, stats: Stats, results: Sequence[Result]
) -> str:
    published = (
        len(workload.people) == PUBLISHED_USERS
        and len(workload.rules) == PUBLISHED_RULES
    )
    rows = []
    for key, value in stats.counts.items():
        expected = str(PUBLISHED_STATS[key]) if published else "(other sizes)"
        rows.append((key, f"{value:,g}", expected))
    sizes = [
        (f"policy text of {r.name}", f"{r.ready.text_bytes / 1e3:,.1f} KB", "")
        for r in results
        if r.ready is not None
    ]
    lines = [
        "## Workload",
        "",
        (
            f"{len(workload.people):,} users (seed {USER_SEED}), "
            f"{len(workload.rules)} ordered rules (seed {RULE_SEED}), first match "
            "wins, no match: deny. Measured alone: the typical user "
            f"`{stats.typical.name}` (first match at the median position: rule "
            f"index {stats.typical_rule}), the worst real user `{stats.worst.name}` "
            f"({stats.worst_tried} rules tried) and the synthetic "
            f"`{workload.no_match.name}` (every attribute "
            f'"{NO_MATCH_VALUE}", no groups: all {len(workload.rules)} rules tried), '
            "which is in every store but not in the all-users pass."
        ),
        "",
        *table(("figure", "this run", "§5.1"), [*rows, *sizes]),
    ]
    return "\n".join(lines)


def results_section(results: Sequence[Result], workload: Workload, stats: Stats) -> str:
    n, rules = len(workload.people), len(workload.rules)
    head = (
        "engine",
        "load ms",
        "store ms",
        "first decision µs",
        "single typical µs",
        f"single worst real ({stats.worst_tried} rules tried) µs",
        f"single no-match ({rules} rules) µs",
        f"all {n:,} users µs/decision",
        f"all {n:,} users ms",
        f"agree with {BASELINE}: decision / rule",
    )
    rows = []
    for r in results:
        if r.ready is None:
            why = NOT_INSTALLED if r.failed is None else f"failed: {r.failed}"
            rows.append((r.name, why, *["-"] * (len(head) - 2)))
            continue
        total = "-" if r.all_users is None else number(r.all_users.best * n * 1e3)
        rows.append(
            (
                r.name,
                cell(r.ready.load, 1e3),
                cell(r.ready.store, 1e3),
                "-" if r.first_call is None else number(r.first_call * 1e6),
                cell(r.typical),
                cell(r.worst),
                cell(r.no_match),
                cell(r.all_users),
                total,
                "-" if r.agreement is None else r.agreement.cell(),
            )
        )
    extras = [
        (f"{r.name}: {label}", cell(timing))
        for r in results
        for label, timing in r.extras.items()
    ]
    lines = [
        "## Results",
        "",
        (
            "Figures are `min (median)` over the repeats. Load = policy text to a "
            "ready engine; store = users and groups into the engine's store (-: the "
            "request carries the user). First decision = one call right after "
            "loading (a single sample: it includes lazy compilation). All-users ms = "
            "min µs/decision x users."
        ),
        "",
        *table(head, rows),
    ]
    if extras:
        lines += ["", *table(("operation", "µs"), extras)]
    notes = [f"{r.name}: {note}" for r in results for note in r.notes]
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    text: str
    measured: str
    met: bool | None  # None: not measurable in this run

    def row(self) -> tuple[str, str, str]:
        verdict = {True: "**met**", False: "**NOT met**", None: "-"}[self.met]
        return self.text, self.measured, verdict


def targets(results: Sequence[Result]) -> list[Target]:
    by_name = {r.name: r for r in results if r.ready is not None}
    ours = by_name.get(Scimpolicy.name)
    if ours is None:
        return [Target("every target", "scimpolicy was not measured", None)]
    found: list[Target] = []
    cases = (("single typical", "typical"), ("single no-match", "no_match"))
    codegen = by_name.get(BASELINE)
    for label, attribute in cases:
        mine: Timing | None = getattr(ours, attribute)
        floor: Timing | None = None if codegen is None else getattr(codegen, attribute)
        text = f"scimpolicy within {TARGET_VS_CODEGEN}x of {BASELINE}, {label}"
        if mine is None or floor is None:
            found.append(Target(text, "not measured", None))
            continue
        times = mine.best / floor.best
        found.append(
            Target(
                text,
                f"{times:.2f}x ({number(mine.best * 1e6)} vs "
                f"{number(floor.best * 1e6)} µs, min)",
                times <= TARGET_VS_CODEGEN,
            )
        )
    for peer in (CedarOrdered.name, CasbinPriority.name):
        other = by_name.get(peer)
        for label, attribute in (*cases, ("all users", "all_users")):
            text = f">= {TARGET_VS_PEERS:.0f}x faster than {peer}, {label}"
            mine = getattr(ours, attribute)
            theirs: Timing | None = None if other is None else getattr(other, attribute)
            if mine is None or theirs is None:
                found.append(Target(text, NOT_INSTALLED, None))
                continue
            times = theirs.best / mine.best
            found.append(
                Target(
                    text,
                    f"{times:,.0f}x ({number(theirs.best * 1e6)} vs "
                    f"{number(mine.best * 1e6)} µs, min)",
                    times >= TARGET_VS_PEERS,
                )
            )
    explain = next(
        (t for label, t in ours.extras.items() if label.startswith("explain")), None
    )
    text = (
        f"explanation of the no-match decision (every rule tried) "
        f"<= {TARGET_EXPLAIN_US:.0f} µs"
    )
    if explain is None:
        found.append(Target(text, "not measured", None))
    else:
        found.append(
            Target(text, f"{cell(explain)} µs", explain.best * 1e6 <= TARGET_EXPLAIN_US)
        )
    return found


def targets_section(found: Sequence[Target]) -> str:
    lines = [
        "## Targets",
        "",
        "From the issue; printed, not asserted. Ratios use the min figures.",
        "",
        *table(("target", "measured", "met?"), (t.row() for t in found)),
    ]
    return "\n".join(lines)


PACKAGES: Final = (
    "scimpolicy",
    "attrs",
    "cattrs",
    "lark",
    "cedarpy",
    "casbin",
    "simpleeval",
)


def load_average() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages: other work on the machine adds noise."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def header(config: Config, quick: bool) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.replace("\n", " "),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": cpu_model(),
        "cpu_count": os.cpu_count(),
        "versions": {name: version_of(name) for name in PACKAGES},
        "users": config.users,
        "rules": config.rules,
        "repeats": config.repeats,
        "slow_repeats": config.slow_repeats,
        "sample_seconds": config.sample_seconds,
        "quick": quick,
        "load_average_at_start": load_average(),
    }


def render_header(info: dict[str, Any]) -> str:
    versions = ", ".join(
        f"{name} {found or NOT_INSTALLED}" for name, found in info["versions"].items()
    )
    return "\n".join(
        [
            "# scimpolicy policy evaluator benchmark",
            "",
            f"- Date: {info['date']}",
            f"- Python: {info['implementation']} {info['python']}",
            (
                f"- Machine: {info['platform']}, {info['machine']}, "
                f"{info['processor']}, os.cpu_count() = {info['cpu_count']}"
            ),
            f"- Packages: {versions}",
            (
                f"- Workload: N = {info['users']:,} users, {info['rules']} rules "
                f"(research/policy-engines.md §5.1); repeats: {info['repeats']} "
                f"(cedarpy and casbin: {info['slow_repeats']}); single-decision "
                f"batches of about {info['sample_seconds']} s"
            ),
        ]
    )


def call_overhead(config: Config) -> Timing:
    """What the timing loop and one call cost by themselves (a no-op function)."""

    def nothing(_: object) -> None:
        return None

    return per_call(
        lambda: nothing(None), repeats=config.repeats, seconds=config.sample_seconds
    )


# -- main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> tuple[Config, bool, Path | None]:
    parser = argparse.ArgumentParser(
        description="Benchmark scimpolicy's policy evaluator beside peer engines."
    )
    parser.add_argument("--users", type=int, help="number of users (default 10,000)")
    parser.add_argument("--rules", type=int, help="number of rules (default 200)")
    parser.add_argument(
        "--quick", action="store_true", help="1,000 users and fewer, shorter repeats"
    )
    parser.add_argument("--repeats", type=int, help="repeats of every measurement")
    parser.add_argument(
        "--sample-seconds", type=float, help="length of one single-decision batch"
    )
    names = [c.name for c in CONTENDERS]
    parser.add_argument(
        "--engines",
        help=f"comma-separated subset of {','.join(names)} "
        f"({BASELINE} always runs: it is the reference)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write raw results")
    args = parser.parse_args(argv)
    users = args.users or (1_000 if args.quick else PUBLISHED_USERS)
    rules = args.rules or PUBLISHED_RULES
    repeats = args.repeats or (3 if args.quick else 5)
    if users < 1 or rules < 1 or repeats < 1:
        parser.error("--users, --rules and --repeats must be at least 1")
    engines = tuple(names)
    if args.engines:
        wanted = {name.strip() for name in args.engines.split(",")}
        unknown = wanted - set(names)
        if unknown:
            parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
        engines = tuple(n for n in names if n in wanted or n == BASELINE)
    config = Config(
        users=users,
        rules=rules,
        repeats=repeats,
        slow_repeats=min(repeats, 3),
        sample_seconds=args.sample_seconds or (0.05 if args.quick else 0.25),
        engines=engines,
    )
    return config, args.quick, args.json


def main(argv: list[str] | None = None) -> int:
    config, quick, json_path = parse_args(argv)
    started = time.perf_counter()
    info = header(config, quick)
    progress(f"workload: {config.users:,} users, {config.rules} rules")
    workload = Workload(make_people(config.users), make_rules(config.rules))
    stats = Stats.of(workload)
    checks = Checks()
    if config.users == PUBLISHED_USERS and config.rules == PUBLISHED_RULES:
        for key, expected in PUBLISHED_STATS.items():
            checks.expect(f"workload: {key} (§5.1)", expected, stats.counts[key])

    results = [
        run(c, workload, stats, config, checks)
        for c in CONTENDERS
        if c.name in config.engines
    ]
    agree(results, workload, stats, checks)
    overhead = call_overhead(config)
    found = targets(results)

    info["elapsed_seconds"] = elapsed = time.perf_counter() - started
    info["load_average_at_end"] = load_average()
    problems = checks.problems or ["none"]
    parts = [
        render_header(info),
        workload_section(workload, stats, results),
        results_section(results, workload, stats),
        targets_section(found),
        "## Checks\n\n" + "\n".join(f"- {problem}" for problem in problems),
        (
            f"Timing loop + one call of a no-op function: {cell(overhead)} µs "
            "(included in every single-decision figure). "
            f"Whole run: {elapsed:,.0f} s. Load average (1, 5, 15 min) at the "
            f"start {info['load_average_at_start']}, at the end "
            f"{info['load_average_at_end']}."
        ),
    ]
    print("\n\n".join(parts))
    if json_path is not None:
        document = {
            "header": info,
            "workload": stats.counts,
            "results": {r.name: r.raw() for r in results},
            "targets": [t.row() for t in found],
            "call_overhead": overhead.raw(),
            "problems": checks.problems,
        }
        json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 1 if checks.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
