"""Bulk evaluation: every session, application and client type, streamed.

Stage: :class:`~scimpolicy.workspace.world.World` → an iterator of :class:`Row`.
:func:`bulk_decide` evaluates in this process, or shares the work through any
:class:`concurrent.futures.Executor` — a process pool, or a Dask or Ray executor when
one machine is not enough. The rows come in the same order, with the same decisions,
either way.

How the work is shared: the sessions are cut into shards. A shard carries the
sessions, the SCIM records of just their users (user and group names), and the
world's small part — IdP settings, segments, the policy, ``now`` — pickled once and
compiled once per worker process (cached by its digest). So no worker needs the
whole directory, and what crosses to the workers is proportional to the population.
A worker sends back only the decisions, compactly (each distinct value once, field by
field, and an array of positions); this process rebuilds the rows, whose
other fields it knows from the plan. Pickling whole rows cost the workers about half
as much again as deciding them (``benchmarks/bench_whatif.py``).
"""

from __future__ import annotations

import array
import collections
import hashlib
import operator
import pickle
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from datetime import datetime
from typing import Any, Final, NamedTuple, Self, TextIO

import attrs

from scimpolicy.policy.compiler import CompiledPolicy, compile_policy
from scimpolicy.policy.decisions import Decision, Request
from scimpolicy.policy.engine import Engine
from scimpolicy.policy.nodes import Policy, PolicyType
from scimpolicy.policy.tenant import ApplicationSegment, IdentityProvider, Tenant
from scimpolicy.scim.models import Group, User
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World

__all__ = [
    "ALL_POLICY_TYPES",
    "Population",
    "Progress",
    "Row",
    "TerminalProgress",
    "bulk_decide",
    "directory_sessions",
]

ALL_POLICY_TYPES: Final = (PolicyType.ACCESS, PolicyType.FORWARDING, PolicyType.TIMEOUT)

Progress = Callable[[int, int], None]
"""Called with ``(decisions done, decisions in all)`` as a run goes."""


class Row(NamedTuple):
    """One decision of a bulk run."""

    session: int
    """The session's position in the population."""
    user: str
    idp: str
    client_type: str
    policy_type: PolicyType
    app: str | None
    """The application decided for (``None`` for forwarding, which is per session)."""
    decision: Decision


def _sessions(value: Iterable[Session] | None) -> tuple[Session, ...] | None:
    return None if value is None else tuple(value)


def _names(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _types(value: Iterable[PolicyType | str]) -> tuple[PolicyType, ...]:
    return tuple(PolicyType(v) for v in value)


@attrs.frozen
class Population:
    """Which requests a bulk run makes.

    Each session asks for each application (access and timeout) and connects once
    (forwarding), with each client type. ``apps=None``: every segment of the tenant;
    ``client_types=None``: each session's own; ``sessions=None``: the world's.
    """

    sessions: tuple[Session, ...] | None = attrs.field(
        default=None, converter=_sessions
    )
    apps: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    client_types: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    policy_types: tuple[PolicyType, ...] = attrs.field(
        default=ALL_POLICY_TYPES, converter=_types
    )

    def resolve(self, world: World) -> _Plan:
        """The concrete plan for *world*."""
        sessions = world.sessions if self.sessions is None else self.sessions
        apps = tuple(world.applications()) if self.apps is None else self.apps
        return _Plan(sessions, apps, self.client_types, self.policy_types, world.now)


@attrs.frozen
class _Plan:
    sessions: tuple[Session, ...]
    apps: tuple[str, ...]
    client_types: tuple[str, ...] | None
    policy_types: tuple[PolicyType, ...]
    now: datetime

    @property
    def per_session(self) -> int:
        """Decisions made for one session."""
        per_type = sum(
            1 if kind is PolicyType.FORWARDING else len(self.apps)
            for kind in self.policy_types
        )
        return per_type * (1 if self.client_types is None else len(self.client_types))

    @property
    def total(self) -> int:
        return self.per_session * len(self.sessions)


def _decisions(
    engine: Engine, plan: _Plan, sessions: Sequence[Session]
) -> Iterator[Decision]:
    """The decisions for *sessions*, one by one, in the order of :func:`_rows`."""
    decide = engine.decide
    for session in sessions:
        for client_type in plan.client_types or (session.client_type,):
            request: Request = session.request(plan.now, client_type=client_type)
            for kind in plan.policy_types:
                if kind is PolicyType.FORWARDING:
                    yield decide(kind, request)
                    continue
                for app in plan.apps:
                    yield decide(kind, request, app=app)


def _rows(
    plan: _Plan, first: int, sessions: Sequence[Session], decisions: Iterator[Decision]
) -> Iterator[Row]:
    """The rows of *sessions* (numbered from *first*) with their *decisions* (from
    :func:`_decisions`), one by one, in the documented order: session, client type,
    policy type, application."""
    for number, session in enumerate(sessions, start=first):
        user, idp = session.user, session.idp
        for client_type in plan.client_types or (session.client_type,):
            kind_of_client = client_type or session.client_type  # as request() does
            for kind in plan.policy_types:
                if kind is PolicyType.FORWARDING:
                    yield Row(
                        number, user, idp, kind_of_client, kind, None, next(decisions)
                    )
                    continue
                for app in plan.apps:
                    yield Row(
                        number, user, idp, kind_of_client, kind, app, next(decisions)
                    )


def _decide_sessions(
    engine: Engine, plan: _Plan, first: int, sessions: Sequence[Session]
) -> Iterator[Row]:
    """The rows of *sessions* (numbered from *first*), decided here as they are read.

    One at a time, so that a row and its decision can go as soon as the reader is
    done with them: a shard's worth held at once would outlive the garbage
    collector's young generations, and each full collection walks the whole world.
    """
    return _rows(plan, first, sessions, _decisions(engine, plan, sessions))


# -- shards for executors ------------------------------------------------------------


@attrs.frozen
class _Static:
    """The part of a world every shard shares (small; pickled once)."""

    idps: tuple[IdentityProvider, ...]  # with empty directories
    segments: tuple[ApplicationSegment, ...]
    presence_client_types: frozenset[str]
    policy: Policy


class _ShardUsers:
    """The SCIM records of one shard's users, read as a directory would."""

    def __init__(
        self, users: dict[str, User], groups: dict[str, frozenset[str]]
    ) -> None:
        self._users = users
        self._groups = groups

    def user_by_name(self, user_name: str, *, active_only: bool = False) -> User | None:
        user = self._users.get(user_name.casefold())
        if user is not None and active_only and not user.is_active:
            return None
        return user

    def group_names_of(self, member_id: str) -> frozenset[str]:
        return self._groups.get(member_id, frozenset())

    def groups(self) -> Iterator[Group]:
        return iter(())


_NO_USERS: Final = _ShardUsers({}, {})


@attrs.frozen
class _Shard:
    key: str
    static: bytes
    plan: _Plan
    first: int
    users: dict[str, tuple[dict[str, User], dict[str, frozenset[str]]]]


_COMPILED: collections.OrderedDict[str, tuple[_Static, CompiledPolicy]] = (
    collections.OrderedDict()
)


def _compiled(key: str, blob: bytes) -> tuple[_Static, CompiledPolicy]:
    """The shared part and its compiled policy, made once per process."""
    found = _COMPILED.get(key)
    if found is None:
        static: _Static = pickle.loads(blob)  # noqa: S301  our own bytes, made by _static()
        found = (static, compile_policy(static.policy))
        _COMPILED[key] = found
        while len(_COMPILED) > 4:
            _COMPILED.popitem(last=False)
    return found


_DECISION_FIELDS: Final = tuple(
    operator.attrgetter(field.name) for field in attrs.fields(Decision)
)


class _Packed(NamedTuple):
    """A shard's decisions as a worker sends them back: each distinct decision value
    once, field by field (a list per field: a few lists pickle much faster than
    attrs instances, and leave the receiving process far fewer objects for its
    garbage collector to track than a tuple per value), and for each decision in
    order the position of its value."""

    columns: tuple[list[Any], ...]
    positions: array.array[int]

    @classmethod
    def of(cls, decisions: Iterable[Decision]) -> _Packed:
        # Access decisions are shared values (the engine reuses them): sent once.
        # id() is safe: every decision seen is kept alive in *distinct*.
        seen: dict[int, int] = {}
        distinct: list[Decision] = []
        positions = array.array("I")
        for decision in decisions:
            position = seen.get(id(decision))
            if position is None:
                position = seen[id(decision)] = len(distinct)
                distinct.append(decision)
            positions.append(position)
        columns = tuple(list(map(field, distinct)) for field in _DECISION_FIELDS)
        return cls(columns, positions)

    def unpack(self) -> Iterator[Decision]:
        """The decisions, in order (equal to those packed)."""
        values = list(map(Decision, *self.columns))
        return map(values.__getitem__, self.positions)


def _shard_engine(shard: _Shard) -> Engine:
    """The engine deciding *shard*: the shared part, over just its users."""
    static, compiled = _compiled(shard.key, shard.static)
    idps = tuple(
        attrs.evolve(
            idp,
            directory=_ShardUsers(*shard.users[idp.name])
            if idp.name in shard.users
            else _NO_USERS,
        )
        for idp in static.idps
    )
    tenant = Tenant(idps, static.segments, static.presence_client_types)
    return Engine(tenant, compiled)


def _run_shard(shard: _Shard) -> _Packed:
    """Evaluate one shard (in a worker, or here)."""
    engine = _shard_engine(shard)
    return _Packed.of(_decisions(engine, shard.plan, shard.plan.sessions))


def _static(world: World) -> tuple[str, bytes]:
    static = _Static(
        tuple(attrs.evolve(idp, directory=_NO_USERS) for idp in world.tenant.idps),
        world.tenant.segments,
        world.tenant.presence_client_types,
        world.policy,
    )
    blob = pickle.dumps(static, protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.sha256(blob).hexdigest(), blob


def _shard(
    world: World, plan: _Plan, static: tuple[str, bytes], first: int, size: int
) -> _Shard:
    sessions = plan.sessions[first : first + size]
    users: dict[str, tuple[dict[str, User], dict[str, frozenset[str]]]] = {}
    for session in sessions:
        idp = world.tenant.idp(session.idp)
        if idp is None:
            continue
        records, groups = users.setdefault(idp.name, ({}, {}))
        user = idp.directory.user_by_name(session.user)
        if user is None:
            continue
        records[session.user.casefold()] = user
        if user.is_active:
            groups[user.id] = idp.directory.group_names_of(user.id)
    key, blob = static
    return _Shard(key, blob, attrs.evolve(plan, sessions=sessions), first, users)


def directory_sessions(world: World) -> tuple[Session, ...]:
    """A session for every active user of every IdP's directory, signed in at the
    world's ``now`` with Client Connector: "everyone SCIM knows", rather than the
    sessions seen."""
    found: list[Session] = []
    for idp in world.tenant.idps:
        users = getattr(idp.directory, "users", None)
        if users is None:
            continue
        found.extend(
            Session(user.user_name, idp.name, world.now)
            for user in users()
            if user.is_active
        )
    return tuple(found)


def bulk_decide(
    world: World,
    population: Population | None = None,
    *,
    executor: Executor | None = None,
    shard_size: int = 500,
    progress: Progress | None = None,
) -> Iterator[Row]:
    """Decide every request of *population* in *world*, streaming :class:`Row` values
    in order: by session, then client type, then policy type, then application.

    With an *executor*, shards of *shard_size* sessions run on it (a few shards ahead
    of the one being read, so memory stays bounded); the rows are the same as
    without one. *progress* is called as shards finish.
    """
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    plan = (population or Population()).resolve(world)
    if executor is None:
        yield from _sequential(world, plan, shard_size, progress)
        return
    static = _static(world)
    starts = iter(range(0, len(plan.sessions), shard_size))
    window: collections.deque[tuple[int, Future[_Packed]]] = collections.deque()
    ahead = 2 * (getattr(executor, "_max_workers", None) or 2)

    def submit() -> bool:
        first = next(starts, None)
        if first is None:
            return False
        shard = _shard(world, plan, static, first, shard_size)
        window.append((first, executor.submit(_run_shard, shard)))
        return True

    while len(window) < ahead and submit():
        pass
    done = 0
    try:
        while window:
            first, future = window.popleft()
            packed = future.result()
            submit()
            sessions = plan.sessions[first : first + shard_size]
            done += plan.per_session * len(sessions)
            if progress is not None:
                progress(done, plan.total)
            yield from _rows(plan, first, sessions, packed.unpack())
    finally:
        for _, future in window:
            future.cancel()


def _sequential(
    world: World, plan: _Plan, shard_size: int, progress: Progress | None
) -> Iterator[Row]:
    engine = world.engine()
    done = 0
    for first in range(0, len(plan.sessions), shard_size):
        sessions = plan.sessions[first : first + shard_size]
        yield from _decide_sessions(engine, plan, first, sessions)
        done += plan.per_session * len(sessions)
        if progress is not None:
            progress(done, plan.total)


class TerminalProgress:
    """A one-line progress display on a terminal, silent anywhere else.

    Call it with ``(done, total)``; it redraws at most every *interval* seconds and
    ends its line on :meth:`close`.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        label: str = "decisions",
        interval: float = 0.2,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.interval = interval
        self.started = time.perf_counter()
        self.shown = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.shown < self.interval and done < total:
            return
        self.shown = now
        rate = done / max(now - self.started, 1e-9)
        share = 100 * done / total if total else 100.0
        self.stream.write(
            f"\r{done:,} / {total:,} {self.label} ({share:.0f}%), {rate:,.0f}/s"
        )
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the progress line (if one was drawn)."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
