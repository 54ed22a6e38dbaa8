"""Measure bulk evaluation and a what-if over 100,000 users, here and on a process pool.

Run from the repository root (scimpolicy installed; no peers are needed)::

    python benchmarks/bench_whatif.py                  # 100,000 users x 20 applications
    python benchmarks/bench_whatif.py --quick          # 10,000 users
    python benchmarks/bench_whatif.py --users 50000 --apps 10 --json out.json
    python benchmarks/bench_whatif.py --gc-freeze      # gc.freeze() after the build

It prints Markdown tables on stdout (progress goes to stderr).

The workload is made in memory from ``examples/acme`` (nothing is written): the acme
world from ``load_workspace``, then one new ``Directory`` per IdP filled with
``import_resources`` with users cloned from the acme SCIM exports (attributes kept,
fresh ids, ``<copy>.`` before the userName), split between Okta and Entra as in acme
(3:1), and the acme groups with their user members remapped to every clone (so each
clone has its original's groups; nested groups are kept). One session per user: a copy
of one of its original's acme sessions (of a random session of the same IdP when the
original has none), so the SAML attributes and the client context are realistic;
``authenticated_at`` is spread over the week before ``now``; seeded
``random.Random``. The applications are the first 20 segments of the tenant.

Measured, with ``time.perf_counter`` (wall) and ``time.process_time`` (this process's
CPU; the workers' CPU comes from ``/proc/<pid>/stat``):

- building the world (once);
- ``bulk_decide`` over every session and application: access only, and all three
  policy types (20 access + 1 forwarding + 20 timeout decisions per session), in this
  process and on a ``ProcessPoolExecutor(max_workers=2)``: the first pool run
  includes starting the pool (its workers fork and compile the policy), the others
  reuse it; then the pool with other ``shard_size`` values (access only);
- ``what_if`` for "SCIM Attributes for Policy on for Okta now, and everyone
  re-authenticates": both worlds decide every request (twice the decisions of a bulk
  run), then the decisions are compared; in this process and on the pool;
- where a pool's time goes: one shard, step by step (CPU time, in this process);
- the peak resident memory of this process and of the largest worker.

Runs of access only are the best of ``--repeats`` (2 by default); the other runs are
timed once. A bulk run's rows are consumed and dropped as they come (counted). The
time spent in this process's garbage collector during a run is shown (the
100,000-user world is about two million objects that every full collection walks).

Checks (a failure is listed under "Checks" and makes the exit status 1): every run
gives the expected number of decisions; the pool's what-if report equals the
sequential one (``==``); the pool's rows equal the sequential rows, exactly, over a
sample of the sessions (every k-th, about 5,000).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import gc
import json
import os
import pickle
import platform
import random
import resource
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs
from harness import cpu_model, progress, version_of

from scimpolicy import Decision, Directory, PolicyType
from scimpolicy.scim.loader import GROUPS_FILE, USERS_FILE, read_resources
from scimpolicy.whatif.bulk import (
    _COMPILED,
    Population,
    _decide_sessions,
    _decisions,
    _Packed,
    _rows,
    _shard,
    _shard_engine,
    _static,
    bulk_decide,
)
from scimpolicy.whatif.changes import Change, Reauthenticate, SetIdp
from scimpolicy.whatif.diff import WhatIfReport, what_if
from scimpolicy.workspace.files import load_workspace
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World

T = TypeVar("T")

ACME: Final = Path(__file__).resolve().parent.parent / "examples" / "acme"
SEED: Final = 20261123
DEFAULT_USERS: Final = 100_000
QUICK_USERS: Final = 10_000
DEFAULT_APPS: Final = 20
WORKERS: Final = 2
DEFAULT_SHARD: Final = 500  # bulk_decide's default, and what what_if uses
SHARD_SIZES: Final = (250, 1000, 4000)
PROFILE_SHARD: Final = 500
CHECK_SESSIONS: Final = 5_000
WEEK_SECONDS: Final = 7 * 24 * 3600
PACKAGES: Final = ("scimpolicy", "attrs", "cattrs", "lark")
ACCESS_ONLY: Final = (PolicyType.ACCESS,)
ALL_TYPES: Final = (PolicyType.ACCESS, PolicyType.FORWARDING, PolicyType.TIMEOUT)


def changes() -> tuple[Change, ...]:
    """The what-if: SCIM attributes on for Okta now, and everyone signs in again."""
    return (SetIdp("Okta", scim_attributes_for_policy=True), Reauthenticate())


# -- the workload ----------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    world: World
    apps: tuple[str, ...]
    figures: list[tuple[str, str]]
    build: dict[str, float]  # step -> seconds


def acme_exports() -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Each acme IdP's SCIM exports (users, groups) as JSON, by IdP name."""
    tenant = tomllib.loads((ACME / "tenant.toml").read_text(encoding="utf-8"))
    found = {}
    for table in tenant["idp"]:
        folder = ACME / table["directory"]
        users = [resource for resource, _ in read_resources(folder / USERS_FILE)[1]]
        groups = [resource for resource, _ in read_resources(folder / GROUPS_FILE)[1]]
        found[table["name"]] = (users, groups)
    return found


def shares(total: int, sizes: dict[str, int]) -> dict[str, int]:
    """*total* split in proportion to *sizes* (the remainder to the first)."""
    whole = sum(sizes.values())
    split = {name: total * size // whole for name, size in sizes.items()}
    first = next(iter(split))
    split[first] += total - sum(split.values())
    return split


def fresh_id(rng: random.Random, taken: set[str]) -> str:
    """A random UUID not in *taken* (which it joins)."""
    while True:
        found = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if found not in taken:
            taken.add(found)
            return found


def clone_users(
    source: Sequence[dict[str, Any]],
    groups: Sequence[dict[str, Any]],
    count: int,
    rng: random.Random,
) -> tuple[list[dict[str, Any]], dict[str, list[str]], list[str]]:
    """*count* users cycling through *source*: fresh ids (none of *source*'s or
    *groups*' ids), ``<copy>.userName``.

    Also: each source id's clone ids, and each clone's source userName.
    """
    users: list[dict[str, Any]] = []
    clones: dict[str, list[str]] = {}
    originals: list[str] = []
    taken = {resource["id"] for resource in (*source, *groups)}
    for number in range(count):
        copy, position = divmod(number, len(source))
        template = source[position]
        new_id = fresh_id(rng, taken)
        users.append(
            {**template, "id": new_id, "userName": f"{copy}.{template['userName']}"}
        )
        clones.setdefault(template["id"], []).append(new_id)
        originals.append(template["userName"])
    return users, clones, originals


def remap_groups(
    groups: Sequence[dict[str, Any]], clones: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The groups, each user member replaced by all its clones (groups kept)."""
    found = []
    for group in groups:
        members: list[dict[str, Any]] = []
        for member in group.get("members", []):
            if member.get("type") == "Group":
                members.append(member)
            else:
                members.extend(
                    {**member, "value": clone}
                    for clone in clones.get(member["value"], ())
                )
        found.append({**group, "members": members})
    return found


def user_memberships(groups: Iterable[dict[str, Any]]) -> int:
    return sum(
        member.get("type") != "Group"
        for group in groups
        for member in group.get("members", [])
    )


class SessionMaker:
    """Sessions for clones: a copy of one of the original's acme sessions (a random
    session of the same IdP when it has none), signed in during the week before
    ``now``."""

    def __init__(self, acme: World, rng: random.Random) -> None:
        self.now = acme.now
        self.rng = rng
        self.by_user: dict[tuple[str, str], list[Session]] = collections.defaultdict(
            list
        )
        self.by_idp: dict[str, list[Session]] = collections.defaultdict(list)
        for session in acme.sessions:
            self.by_user[session.idp, session.user.casefold()].append(session)
            self.by_idp[session.idp].append(session)
        self.own = 0

    def __call__(self, idp: str, user_name: str, original: str) -> Session:
        mine = self.by_user.get((idp, original.casefold()))
        self.own += mine is not None
        templates = mine or self.by_idp.get(idp)
        moment = self.now - timedelta(seconds=self.rng.randrange(WEEK_SECONDS))
        if not templates:
            return Session(user_name, idp, moment)
        template = self.rng.choice(templates)
        return attrs.evolve(template, user=user_name, authenticated_at=moment)


@dataclass
class Tally:
    """What the build made, for the workload table."""

    users: dict[str, int] = field(default_factory=dict)
    active: int = 0
    groups: int = 0
    memberships: int = 0
    acme_memberships: int = 0
    acme_users: int = 0


def build_workload(users: int, apps: int, seed: int) -> Workload:
    rng = random.Random(seed)
    build: dict[str, float] = collections.defaultdict(float)
    started = time.perf_counter()
    acme = load_workspace(ACME)
    build["load examples/acme (`load_workspace`)"] = time.perf_counter() - started
    exports = acme_exports()
    split = shares(users, {name: len(u) for name, (u, _) in exports.items()})
    make_session = SessionMaker(acme, rng)
    idps = []
    sessions: list[Session] = []
    tally = Tally()
    for idp in acme.tenant.idps:
        source_users, source_groups = exports[idp.name]
        step = time.perf_counter()
        clones, ids, originals = clone_users(
            source_users, source_groups, split[idp.name], rng
        )
        groups = remap_groups(source_groups, ids)
        build["clone users and remap group members (JSON)"] += (
            time.perf_counter() - step
        )
        step = time.perf_counter()
        directory = Directory()
        directory.import_resources(clones, groups)
        build["`Directory.import_resources` (both IdPs)"] += time.perf_counter() - step
        idps.append(attrs.evolve(idp, directory=directory))
        step = time.perf_counter()
        sessions.extend(
            make_session(idp.name, user["userName"], original)
            for user, original in zip(clones, originals, strict=True)
        )
        build["one session per user"] += time.perf_counter() - step
        tally.users[idp.name] = len(clones)
        tally.active += sum(user.is_active for user in directory.users())
        tally.groups += len(groups)
        tally.memberships += user_memberships(groups)
        tally.acme_memberships += user_memberships(source_groups)
        tally.acme_users += len(source_users)
    sessions.sort(key=lambda session: session.authenticated_at)
    world = acme.evolve(
        tenant=attrs.evolve(acme.tenant, idps=tuple(idps)), sessions=sessions
    )
    build["the whole build"] = time.perf_counter() - started
    chosen = tuple(acme.applications())[:apps]
    figures = describe(world, chosen, tally, make_session.own)
    return Workload(world, chosen, figures, dict(build))


def describe(
    world: World, apps: Sequence[str], tally: Tally, own: int
) -> list[tuple[str, str]]:
    sessions = world.sessions
    users = sum(tally.users.values())
    kinds = collections.Counter(session.client_type for session in sessions)
    oldest = min((s.authenticated_at for s in sessions), default=world.now)
    newest = max((s.authenticated_at for s in sessions), default=world.now)
    per_session = 2 * len(apps) + 1
    memberships = tally.memberships
    return [
        ("users", f"{users:,} ({tally.active:,} active)"),
        *((f"users of {name}", f"{count:,}") for name, count in tally.users.items()),
        ("groups (acme's, nested groups kept)", f"{tally.groups:,}"),
        (
            "direct user memberships of groups",
            (
                f"{memberships:,}: {memberships / max(users, 1):.2f} per user "
                f"(acme: {tally.acme_memberships / max(tally.acme_users, 1):.2f})"
            ),
        ),
        (
            "sessions (one per user)",
            f"{len(sessions):,}; {own:,} copy one of their original's acme sessions",
        ),
        (
            "client types",
            ", ".join(f"{name} {count:,}" for name, count in kinds.most_common()),
        ),
        (
            "authenticated_at",
            f"{stamp(oldest)} to {stamp(newest)} (now: {stamp(world.now)})",
        ),
        ("applications", f"{len(apps)}: {', '.join(apps)}"),
        (
            "decisions per session",
            f"{per_session}: {len(apps)} access + 1 forwarding + {len(apps)} timeout",
        ),
        (
            "decisions per bulk run",
            (
                f"access only {len(sessions) * len(apps):,}; all three types "
                f"{len(sessions) * per_session:,}"
            ),
        ),
        (
            "decisions per what-if (before and after)",
            f"{2 * len(sessions) * per_session:,}",
        ),
    ]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


# -- measuring -------------------------------------------------------------------------


class GcWatch:
    """Time spent in this process's garbage collector (any thread)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._start
        self.full += info["generation"] == 2

    def reset(self) -> None:
        self.seconds, self.full = 0.0, 0


TICKS: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def workers_cpu(pool: Executor | None) -> dict[int, float] | None:
    """CPU seconds (user + system) of each of the pool's worker processes so far;
    ``None`` where ``/proc`` is not there."""
    if pool is None:
        return {}
    processes = getattr(pool, "_processes", None) or {}
    found = {}
    for pid in list(processes):
        try:
            text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        except OSError:
            return None
        fields = text.rpartition(")")[2].split()
        found[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return found


@dataclass(frozen=True)
class Sample:
    wall: float
    parent_cpu: float
    workers_cpu: float | None
    gc_seconds: float
    gc_full: int
    decisions: int
    load: float | None  # the 1-minute load average at the end

    @property
    def rate(self) -> float:
        return self.decisions / self.wall if self.wall else float("nan")


@dataclass
class Measured:
    label: str
    types: str
    samples: list[Sample]
    pool: bool
    shard_size: int | None = None
    cold: bool = False

    @property
    def best(self) -> Sample:
        return min(self.samples, key=lambda sample: sample.wall)

    def raw(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "types": self.types,
            "pool": self.pool,
            "shard_size": self.shard_size,
            "samples": [vars(sample) for sample in self.samples],
        }


class Bench:
    """The world, the populations, the pool, the checks and every figure."""

    def __init__(self, workload: Workload, workers: int) -> None:
        self.workload = workload
        self.world = workload.world
        self.workers = workers
        self.gc = GcWatch()
        self.pool: ProcessPoolExecutor | None = None
        self.problems: list[str] = []
        self.measured: list[Measured] = []
        self.reports: dict[str, WhatIfReport] = {}

    def population(self, types: Sequence[PolicyType]) -> Population:
        return Population(apps=self.workload.apps, policy_types=types)

    def expected(self, types: Sequence[PolicyType]) -> int:
        return self.population(types).resolve(self.world).total

    def expect(self, what: str, expected: object, got: object) -> None:
        if expected != got:
            message = f"{what}: expected {expected!r}, got {got!r}"
            self.problems.append(message)
            progress(f"PROBLEM: {message}")

    def sample(
        self, body: Callable[[], int], pool: Callable[[], Executor | None]
    ) -> Sample:
        before = workers_cpu(pool())
        self.gc.reset()
        cpu = time.process_time()
        start = time.perf_counter()
        decisions = body()
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
        after = workers_cpu(pool())
        workers = (
            None
            if before is None or after is None or pool() is None
            else sum(after.values()) - sum(before.get(pid, 0.0) for pid in after)
        )
        load = load_average()
        return Sample(
            wall,
            cpu,
            workers,
            self.gc.seconds,
            self.gc.full,
            decisions,
            None if load is None else load[0],
        )

    def bulk(
        self,
        label: str,
        types: Sequence[PolicyType],
        *,
        repeats: int = 1,
        pool: bool = False,
        shard_size: int = DEFAULT_SHARD,
        start_pool: bool = False,
    ) -> Measured:
        population = self.population(types)
        expected = self.expected(types)

        def body() -> int:
            if start_pool:
                self.pool = ProcessPoolExecutor(max_workers=self.workers)
            executor = self.pool if pool else None
            rows = bulk_decide(
                self.world, population, executor=executor, shard_size=shard_size
            )
            return sum(1 for _ in rows)

        samples = []
        for repeat in range(repeats):
            progress(f"{label} ({repeat + 1}/{repeats}): {expected:,} decisions")
            found = self.sample(body, lambda: self.pool if pool else None)
            self.expect(f"{label}: decisions", expected, found.decisions)
            samples.append(found)
            progress(f"  {found.wall:.1f} s, {found.rate:,.0f} decisions/s")
        measured = Measured(
            label, kinds(types), samples, pool, shard_size, cold=start_pool
        )
        self.measured.append(measured)
        return measured

    def what_if(self, label: str, *, pool: bool) -> Measured:
        population = self.population(ALL_TYPES)
        expected = self.expected(ALL_TYPES)
        progress(f"{label}: {2 * expected:,} decisions")

        def body() -> int:
            executor = self.pool if pool else None
            report = what_if(self.world, changes(), population, executor=executor)
            self.reports[label] = report
            self.expect(f"{label}: decisions compared", expected, report.compared)
            return 2 * report.compared

        found = self.sample(body, lambda: self.pool if pool else None)
        progress(f"  {found.wall:.1f} s, {found.rate:,.0f} decisions/s")
        measured = Measured(label, kinds(ALL_TYPES), [found], pool, DEFAULT_SHARD)
        self.measured.append(measured)
        return measured

    def check_rows(self) -> str:
        """The pool's rows equal the sequential ones, over a sample of sessions."""
        sessions = self.world.sessions
        step = max(1, len(sessions) // CHECK_SESSIONS)
        chosen = sessions[::step]
        population = Population(sessions=chosen, apps=self.workload.apps)
        progress(f"check: rows of {len(chosen):,} sessions, sequential and pool")
        sequential = list(bulk_decide(self.world, population))
        shared = list(bulk_decide(self.world, population, executor=self.pool))
        self.expect(
            "pool rows == sequential rows (sample)",
            expected=True,
            got=shared == sequential,
        )
        if shared != sequential:
            first = next(
                (
                    i
                    for i, (a, b) in enumerate(zip(sequential, shared, strict=False))
                    if a != b
                ),
                None,
            )
            progress(f"  first difference at row {first}")
        every = "every session" if step == 1 else f"every {ordinal(step)} session"
        return (
            f"{every} ({len(chosen):,} sessions, "
            f"{len(sequential):,} rows, all three types, shards of {DEFAULT_SHARD})"
        )


def ordinal(number: int) -> str:
    """``2nd``, ``20th``, ``21st``."""
    suffix = "th"
    if number % 100 not in (11, 12, 13):
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number:,}{suffix}"


def kinds(types: Sequence[PolicyType]) -> str:
    return "all three" if tuple(types) == ALL_TYPES else "+".join(map(str, types))


# -- where a pool's time goes ----------------------------------------------------------


@dataclass(frozen=True)
class Step:
    key: str
    what: str
    where: str
    seconds: float
    size: int | None = None


def cpu_best(body: Callable[[], T], repeats: int = 3) -> tuple[float, T]:
    """The least CPU time of *repeats* calls (this process), and the last result."""
    best = float("inf")
    result: T | None = None
    for _ in range(repeats):
        start = time.process_time()
        result = body()
        best = min(best, time.process_time() - start)
    if result is None:
        raise ValueError("cpu_best() needs a result")
    return best, result


@dataclass(frozen=True)
class Profile:
    sessions: int
    decisions: int
    steps: list[Step]

    def seconds(self, *keys: str) -> float:
        found = {step.key: step.seconds for step in self.steps}
        return sum(found[key] for key in keys)


def profile_shard(bench: Bench) -> Profile:
    """One shard of *PROFILE_SHARD* sessions (all three types), step by step, as
    ``bulk_decide`` and its workers run it."""
    world = bench.world
    plan = bench.population(ALL_TYPES).resolve(world)
    static = _static(world)
    size = min(PROFILE_SHARD, len(plan.sessions))
    steps: list[Step] = []

    def step(key: str, what: str, where: str, body: Callable[[], T]) -> T:
        seconds, result = cpu_best(body)
        length = len(result) if isinstance(result, bytes) else None
        steps.append(Step(key, what, where, seconds, length))
        return result

    shard = step(
        "build",
        "build the shard: its sessions, their users' SCIM records",
        "parent",
        lambda: _shard(world, plan, static, 0, size),
    )
    blob = step(
        "pickle shard",
        "pickle the shard",
        "parent",
        lambda: pickle.dumps(shard, pickle.HIGHEST_PROTOCOL),
    )
    shard = step(
        "unpickle shard",
        "unpickle the shard",
        "worker",
        lambda: pickle.loads(blob),  # noqa: S301  our own bytes
    )

    engine = _shard_engine(shard)
    sessions = shard.plan.sessions

    def first_shard() -> list[Decision]:
        # As in a fresh worker: the policy compiled anew, its rule chains generated
        # at first use.
        _COMPILED.clear()
        return list(_decisions(_shard_engine(shard), shard.plan, sessions))

    first, _ = cpu_best(first_shard)
    warm, _ = cpu_best(lambda: list(_decisions(engine, shard.plan, sessions)))
    steps.append(
        Step(
            "compile",
            "first shard of a worker only, extra: unpickle the tenant and policy "
            f"({len(shard.static) / 1e3:,.0f} KB), compile, generate the rule chains",
            "worker",
            max(first - warm, 0.0),
        )
    )
    sessions = shard.plan.sessions
    decisions = step(
        "decide",
        "decide (`_decisions`)",
        "worker",
        lambda: list(_decisions(engine, shard.plan, sessions)),
    )
    packed = step(
        "pack",
        "pack and pickle the decisions (distinct values field by field, positions)",
        "worker",
        lambda: pickle.dumps(_Packed.of(decisions), pickle.HIGHEST_PROTOCOL),
    )
    rows = step(
        "rebuild",
        "unpickle the decisions, rebuild the rows (`_rows`)",
        "parent",
        lambda: list(_rows(shard.plan, 0, sessions, pickle.loads(packed).unpack())),  # noqa: S301
    )
    old = step(
        "pickle rows",
        "old form (before 20648c2): pickle the list of `Row`",
        "worker",
        lambda: pickle.dumps(rows, pickle.HIGHEST_PROTOCOL),
    )
    step(
        "unpickle rows",
        "old form (before 20648c2): unpickle the list of `Row`",
        "parent",
        lambda: pickle.loads(old),  # noqa: S301  our own bytes
    )
    here = step(
        "sequential",
        "sequential: decide and build the rows (`_decide_sessions`)",
        "-",
        lambda: list(_decide_sessions(world.engine(), plan, 0, plan.sessions[:size])),
    )
    bench.expect("profile: the shard's rows == the sequential rows", here, rows)
    return Profile(size, len(rows), steps)


# -- report ----------------------------------------------------------------------------


def table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def seconds_cell(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def header(config: Config) -> dict[str, Any]:
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
        "apps": config.apps,
        "repeats": config.repeats,
        "workers": config.workers,
        "gc_freeze": config.gc_freeze,
        "quick": config.quick,
        "load_average_at_start": load_average(),
    }


def render_header(info: dict[str, Any]) -> str:
    versions = ", ".join(
        f"{name} {found or 'not installed'}" for name, found in info["versions"].items()
    )
    freeze = (
        "; `gc.freeze()` after the build (workers forked later inherit it)"
        if info["gc_freeze"]
        else ""
    )
    return "\n".join(
        [
            "# scimpolicy what-if and bulk evaluation benchmark",
            "",
            f"- Date: {info['date']}",
            f"- Python: {info['implementation']} {info['python']}",
            (
                f"- Machine: {info['platform']}, {info['machine']}, "
                f"{info['processor']}, os.cpu_count() = {info['cpu_count']}"
            ),
            f"- Packages: {versions}",
            (
                f"- Workload: {info['users']:,} users x {info['apps']} applications "
                f"on the acme policy; pool: `ProcessPoolExecutor(max_workers="
                f"{info['workers']})` ({multiprocessing_start()}); access-only runs "
                f"best of {info['repeats']}, the others one run{freeze}"
            ),
        ]
    )


def multiprocessing_start() -> str:
    import multiprocessing

    return f"start method {multiprocessing.get_start_method()}"


def workload_section(workload: Workload) -> str:
    build = [(step, f"{seconds:.2f}") for step, seconds in workload.build.items()]
    return "\n".join(
        [
            "## Workload",
            "",
            (
                "Made in memory from `examples/acme` (see the script's docstring). "
                "Building it is not the focus; one run:"
            ),
            "",
            *table(("figure", "value"), workload.figures),
            "",
            *table(("build step", "s"), build),
        ]
    )


def run_rows(
    measured: Sequence[Measured], baseline: dict[str, Sample]
) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for m in measured:
        best = m.best
        base = baseline.get(m.types)
        if not m.pool or base is None:
            speedup = "-"
        else:
            ratio = base.wall / best.wall
            speedup = f"{ratio:.2f}x" + (" (slower)" if ratio < 1 else "")
        cpu = best.parent_cpu + (best.workers_cpu or 0.0)
        rows.append(
            (
                m.label,
                m.types,
                f"{best.decisions:,}",
                f"{best.wall:,.1f}"
                + (f" ({len(m.samples)} runs)" if len(m.samples) > 1 else ""),
                f"{best.rate:,.0f}",
                speedup,
                f"{best.parent_cpu:,.1f}",
                seconds_cell(best.workers_cpu),
                f"{best.decisions / cpu:,.0f}" if cpu else "-",
                f"{best.gc_seconds:,.1f} ({best.gc_full})",
                "-" if best.load is None else f"{best.load:.1f}",
            )
        )
    return rows


RUN_HEAD: Final = (
    "run",
    "policy types",
    "decisions",
    "wall s",
    "decisions/s",
    "speed-up vs sequential",
    "CPU s, this process",
    "CPU s, workers",
    "decisions per CPU s",
    "GC s here (full collections)",
    "load (1 min) after",
)


def bulk_section(bench: Bench) -> str:
    bulk = [m for m in bench.measured if not m.label.startswith("what-if")]
    main = [m for m in bulk if m.shard_size == DEFAULT_SHARD]
    sweep = [m for m in bulk if m.pool and not m.cold and m.types == kinds(ACCESS_ONLY)]
    baseline = {m.types: m.best for m in bulk if not m.pool}
    best = min(sweep, key=lambda m: m.best.wall) if sweep else None
    lines = [
        "## Bulk evaluation: `bulk_decide`",
        "",
        (
            "Every session x every application; the rows are counted and dropped. Wall "
            "time decides decisions/s; the CPU columns say how much work it took "
            "(on a machine with other load, wall time suffers, CPU time much less; "
            "the last column is the 1-minute load average, this benchmark's "
            f"processes included). Shards of {DEFAULT_SHARD} sessions (the default)."
        ),
        "",
        *table(RUN_HEAD, run_rows(main, baseline)),
        "",
        "### Shard size (pool, access only)",
        "",
        *table(
            RUN_HEAD,
            run_rows(
                [
                    dataclasses.replace(m, label=f"shards of {m.shard_size:,}")
                    for m in sorted(sweep, key=lambda m: m.shard_size or 0)
                ],
                baseline,
            ),
        ),
    ]
    if best is not None:
        lines += [
            "",
            (
                f"Best shard size here: {best.shard_size:,} "
                f"({best.best.rate:,.0f} decisions/s). Shards of {DEFAULT_SHARD}: "
                "the warm runs above; the others: one run each. Other work on the "
                "machine moves these figures more than the shard size does unless "
                "the CPU columns differ too."
            ),
        ]
    return "\n".join(lines)


def whatif_section(bench: Bench) -> str:
    measured = [m for m in bench.measured if m.label.startswith("what-if")]
    baseline = {m.types: m.best for m in measured if not m.pool}
    report = next(iter(bench.reports.values()), None)
    lines = [
        "## What-if: `what_if`",
        "",
        "Changes: " + "; ".join(change.describe() for change in changes()) + ". "
        "Both worlds decide every request (all three types), then the decisions are "
        "compared; decisions/s counts both halves. On the pool, both halves share it "
        f"(shards of {DEFAULT_SHARD}).",
        "",
        *table(RUN_HEAD, run_rows(measured, baseline)),
    ]
    if report is not None:
        lines += [
            "",
            (
                f"{report.changed:,} of {report.compared:,} decisions change; access: "
                f"{report.gained:,} gained by {report.users_gaining:,} users, "
                f"{report.lost:,} lost by {report.users_losing:,} users. The largest "
                "transitions:"
            ),
            "",
            *table(
                ("policy", "before", "after", "decisions", "users"),
                (
                    (
                        str(t.policy_type),
                        str(t.before),
                        str(t.after),
                        f"{t.count:,}",
                        f"{t.users:,}",
                    )
                    for t in report.transitions[:8]
                ),
            ),
        ]
        hidden = len(report.transitions) - 8
        if hidden > 0:
            lines += ["", f"... and {hidden} more kinds of change."]
    return "\n".join(lines)


def profile_section(profile: Profile) -> str:
    def per(seconds: float) -> str:
        return f"{seconds * 1e6 / max(profile.decisions, 1):.2f}"

    rows = [
        (
            step.what,
            step.where,
            f"{step.seconds * 1e3:,.1f}",
            per(step.seconds),
            "-" if step.size is None else f"{step.size / 1e3:,.0f}",
        )
        for step in profile.steps
    ]
    parent = profile.seconds("build", "pickle shard", "rebuild")
    worker = profile.seconds("unpickle shard", "decide", "pack")
    parent_old = profile.seconds("build", "pickle shard", "unpickle rows")
    worker_old = profile.seconds("unpickle shard", "decide", "pickle rows")
    sequential = profile.seconds("sequential")
    cores = os.cpu_count() or 1

    def ceiling(parent: float, worker: float) -> str:
        # The pool's wall time is at least the work over the cores, and at least
        # the workers' share of it each.
        return f"{sequential / max((parent + worker) / cores, worker / WORKERS):.2f}x"

    return "\n".join(
        [
            f"## Where a pool's time goes: one shard of {profile.sessions:,} sessions",
            "",
            (
                f"{profile.decisions:,} decisions (all three types); each step alone, "
                "in this process: CPU ms, least of 3. Not in it: the executor's own "
                "work (queues, pipes, its threads) and the garbage collector's full "
                "collections."
            ),
            "",
            *table(("step", "where", "CPU ms", "µs per decision", "KB"), rows),
            "",
            (
                f"Per decision: sequential {per(sequential)} µs of CPU; on a pool, "
                f"{per(worker)} µs in a worker and {per(parent)} µs in this process "
                f"(with the old form: {per(worker_old)} and {per(parent_old)}). "
                f"With {WORKERS} workers and this process sharing {cores} cores, that "
                f"caps the pool at {ceiling(parent, worker)} the sequential speed "
                f"(old form: {ceiling(parent_old, worker_old)}), if the "
                "work spread perfectly and nothing else ran."
            ),
        ]
    )


def memory_section(children: int | None) -> str:
    here = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [("this process (peak RSS, `ru_maxrss`)", f"{here:,.0f}")]
    if children is not None:
        rows.append(
            (
                (
                    "largest pool worker (peak RSS; forked: pages shared with this "
                    "process count in both)"
                ),
                f"{children / 1024:,.0f}",
            )
        )
    return "\n".join(["## Memory", "", *table(("process", "MB"), rows)])


# -- main ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    users: int
    apps: int
    repeats: int
    workers: int
    shard_sizes: tuple[int, ...]
    gc_freeze: bool
    quick: bool
    json: Path | None = field(default=None)


def parse_args(argv: list[str] | None) -> Config:
    parser = argparse.ArgumentParser(
        description="Benchmark bulk evaluation and what-ifs, here and on a pool."
    )
    parser.add_argument("--users", type=int, help="number of users (default 100,000)")
    parser.add_argument(
        "--apps", type=int, default=DEFAULT_APPS, help="applications (default 20)"
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_USERS:,} users")
    parser.add_argument(
        "--repeats", type=int, default=2, help="runs of the access-only figures"
    )
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help="pool processes (default 2)"
    )
    parser.add_argument(
        "--shard-sizes",
        default=",".join(map(str, SHARD_SIZES)),
        help="other shard sizes to try on the pool (default 250,1000,4000)",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="call gc.freeze() after building the world (before any pool starts)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write raw results")
    args = parser.parse_args(argv)
    users = args.users or (QUICK_USERS if args.quick else DEFAULT_USERS)
    try:
        sizes = tuple(int(size) for size in args.shard_sizes.split(",") if size)
    except ValueError:
        parser.error("--shard-sizes: comma-separated numbers")
    if users < 1 or args.apps < 1 or args.repeats < 1 or args.workers < 1:
        parser.error("--users, --apps, --repeats and --workers must be at least 1")
    if any(size < 1 for size in sizes):
        parser.error("--shard-sizes must be at least 1")
    return Config(
        users=users,
        apps=args.apps,
        repeats=args.repeats,
        workers=args.workers,
        shard_sizes=sizes,
        gc_freeze=args.gc_freeze,
        quick=args.quick,
        json=args.json,
    )


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    started = time.perf_counter()
    info = header(config)
    progress(f"workload: {config.users:,} users x {config.apps} applications")
    workload = build_workload(config.users, config.apps, SEED)
    progress(f"  built in {workload.build['the whole build']:.1f} s")
    gc.collect()
    if config.gc_freeze:
        gc.freeze()
    bench = Bench(workload, config.workers)
    bench.world.engine()  # compile the policy once, outside the timers

    # Each pool run comes right after its sequential counterpart, so that other
    # work on the machine, if any, weighs on both alike.
    pool = f"pool of {config.workers}"
    bench.bulk("sequential", ACCESS_ONLY, repeats=config.repeats)
    bench.bulk(
        f"{pool}, first run (pool start included)",
        ACCESS_ONLY,
        pool=True,
        start_pool=True,
    )
    try:
        bench.bulk(f"{pool}, warm", ACCESS_ONLY, repeats=config.repeats, pool=True)
        for size in config.shard_sizes:
            if size != DEFAULT_SHARD:
                bench.bulk(
                    f"{pool}, warm, shards of {size:,}",
                    ACCESS_ONLY,
                    pool=True,
                    shard_size=size,
                )
        bench.bulk("sequential", ALL_TYPES)
        bench.bulk(f"{pool}, warm", ALL_TYPES, pool=True)
        bench.what_if("what-if, sequential", pool=False)
        bench.what_if(f"what-if, {pool}", pool=True)
        sampled = bench.check_rows()
    finally:
        if bench.pool is not None:
            bench.pool.shutdown()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    reports = list(bench.reports.values())
    if len(reports) == 2:
        bench.expect(
            "pool what-if report == sequential report",
            expected=True,
            got=reports[0] == reports[1],
        )
    progress("profile: one shard, step by step")
    profile = profile_shard(bench)

    info["elapsed_seconds"] = elapsed = time.perf_counter() - started
    info["load_average_at_end"] = load_average()
    problems = bench.problems or ["none"]
    parts = [
        render_header(info),
        workload_section(workload),
        bulk_section(bench),
        whatif_section(bench),
        profile_section(profile),
        memory_section(children),
        "## Checks\n\n"
        f"Rows compared exactly, pool against sequential: {sampled}; what-if "
        "reports compared with `==`; every run's decision count.\n\n"
        + "\n".join(f"- {problem}" for problem in problems),
        (
            f"Whole run: {elapsed:,.0f} s. Load average (1, 5, 15 min) at the start "
            f"{info['load_average_at_start']}, at the end "
            f"{info['load_average_at_end']}."
        ),
    ]
    print("\n\n".join(parts))
    if config.json is not None:
        document = {
            "header": info,
            "workload": dict(workload.figures),
            "build_seconds": workload.build,
            "runs": [m.raw() for m in bench.measured],
            "reports": {label: r.to_json() for label, r in bench.reports.items()},
            "profile": {
                "sessions": profile.sessions,
                "decisions": profile.decisions,
                "steps": [vars(step) for step in profile.steps],
            },
            "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "workers_peak_rss_kb": children,
            "problems": bench.problems,
        }
        config.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 1 if bench.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
