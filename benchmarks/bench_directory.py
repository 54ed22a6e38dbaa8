"""Measure scimpolicy's SCIM directory beside its Python peers, in the same run.

Run from the repository root (``docs/performance.md`` has the setup and the figures)::

    python benchmarks/bench_directory.py                 # 100,000 users
    python benchmarks/bench_directory.py --quick         # 10,000 users, fewer repeats
    python benchmarks/bench_directory.py --json out.json # also write the raw figures

It prints Markdown tables on stdout (progress goes to stderr). The peers are optional
and never dependencies of scimpolicy: scim2-server 0.8.3, scim2-models 0.12.3 and
scim2-filter-parser 0.7.0. A peer that is not importable reads "not installed".

The workload reproduces ``research/scim.md`` §4: synthetic users from seed 42, a
selective and a broad filter, 10,000 distinct filters to parse. Times come from
``time.perf_counter`` (min and median of the repeats), memory from ``/proc/self/statm``
(RSS, after ``gc.collect()``) and ``tracemalloc``. The garbage collector stays on while
timing, as in a real process; each group of measurements starts after a ``gc.collect()``
(not each repeat: with a million objects alive one collection takes about a second).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from harness import Timing, cpu_model, progress, version_of

from scimpolicy import Directory, User
from scimpolicy.scim.filter_match import bind_filter
from scimpolicy.scim.filter_parser import parse_filter
from scimpolicy.scim.schema import USER

T = TypeVar("T")

SEED: Final = 42
CORE: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SELECTIVE: Final = (
    f'userName eq "user4242@x.com" and ({ENTERPRISE}:department eq "Eng" '
    'or title sw "Dir")'
)
BROAD: Final = (
    f'active eq true and ({ENTERPRISE}:department eq "Eng" or title sw "Dir")'
)
PARSE_COUNT: Final = 10_000
TRACEMALLOC_SAMPLE: Final = 10_000
LOOKUP_SIZES: Final = (1_000, 10_000, 100_000)
TARGET_MATCH_VS_MODELS: Final = 10.0  # ours >= 10x faster than ScimFilter.match
TARGET_MATCH_VS_HAND: Final = 3.0  # ours within 3x of a hand-written predicate
TARGET_BYTES_PER_USER: Final = 2048  # <= 2 KB (KiB) per typical user
PEER_VERSIONS: Final = {
    "scim2-server": "0.8.3",
    "scim2-models": "0.12.3",
    "scim2-filter-parser": "0.7.0",
}
OTHER_PACKAGES: Final = ("scimpolicy", "attrs", "cattrs", "lark", "pydantic")

TITLES: Final = (
    "Engineer",
    "Senior Engineer",
    "Staff Engineer",
    "Director of Engineering",
    "Dir. Platform",
    "Manager",
    "Analyst",
    "Designer",
    "Recruiter",
    "Accountant",
)
DEPARTMENTS: Final = ("Eng", "HR", "Sales", "Finance", "Legal", "Ops", "Marketing")
GIVEN: Final = ("Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis")
FAMILY: Final = ("Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson")


# -- workload --------------------------------------------------------------------------


def payloads(count: int) -> Iterator[dict[str, Any]]:
    """The synthetic users, as SCIM JSON payloads; the same for every call."""
    rng = random.Random(SEED)
    for i in range(count):
        user_name = f"user{i}@x.com"
        yield {
            "schemas": [CORE, ENTERPRISE],
            "userName": user_name,
            "active": rng.random() < 0.8,
            "title": rng.choice(TITLES),
            "name": {"givenName": rng.choice(GIVEN), "familyName": rng.choice(FAMILY)},
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            ENTERPRISE: {
                "department": rng.choice(DEPARTMENTS),
                "employeeNumber": str(100_000 + i),
            },
        }


def parse_texts() -> list[str]:
    return [
        f'userName eq "user{i}@x.com" and (department eq "Eng" or title sw "Dir")'
        for i in range(PARSE_COUNT)
    ]


def title_patch(value: str) -> dict[str, Any]:
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "title", "value": value}],
    }


def multi_patch(value: str) -> dict[str, Any]:
    return {
        "schemas": [PATCH_SCHEMA],
        "Operations": [
            {
                "op": "replace",
                "path": 'emails[type eq "work"].value',
                "value": f"{value}@y.com",
            },
            {"op": "add", "path": f"{ENTERPRISE}:department", "value": value},
        ],
    }


# Hand-written predicates for the two filters: the floor a compiled filter aims at.


def selective_model(u: User) -> bool:
    return u.user_name.casefold() == "user4242@x.com" and (
        (
            (e := u.enterprise) is not None
            and e.department is not None
            and e.department.casefold() == "eng"
        )
        or (u.title is not None and u.title.casefold().startswith("dir"))
    )


def broad_model(u: User) -> bool:
    return u.active is True and (
        (
            (e := u.enterprise) is not None
            and e.department is not None
            and e.department.casefold() == "eng"
        )
        or (u.title is not None and u.title.casefold().startswith("dir"))
    )


# Over raw JSON the values are `Any`; `isinstance` is what typed code checks them with.


def selective_dict(p: dict[str, Any]) -> bool:
    return (
        isinstance(n := p.get("userName"), str)
        and n.casefold() == "user4242@x.com"
        and (
            (
                (e := p.get(ENTERPRISE)) is not None
                and isinstance(d := e.get("department"), str)
                and d.casefold() == "eng"
            )
            or (isinstance(t := p.get("title"), str) and t.casefold().startswith("dir"))
        )
    )


def broad_dict(p: dict[str, Any]) -> bool:
    return p.get("active") is True and (
        (
            (e := p.get(ENTERPRISE)) is not None
            and isinstance(d := e.get("department"), str)
            and d.casefold() == "eng"
        )
        or (isinstance(t := p.get("title"), str) and t.casefold().startswith("dir"))
    )


# -- measuring -------------------------------------------------------------------------


def measure(
    body: Callable[[], T],
    *,
    ops: int,
    repeats: int,
    setup: Callable[[], object] | None = None,
) -> tuple[Timing, T]:
    """Time *body* (*ops* operations) *repeats* times; return its last result."""
    samples: list[float] = []
    result: T | None = None
    for _ in range(repeats):
        if setup is not None:
            setup()
        start = time.perf_counter()
        result = body()
        samples.append((time.perf_counter() - start) / ops)
    if result is None:
        raise RuntimeError("measure() needs at least one repeat")
    return Timing(tuple(samples), ops), result


def calls_per_sample(body: Callable[[], object], seconds: float = 0.02) -> int:
    """How many calls of *body* make a sample of about *seconds* (a short call alone is
    too close to the timer's resolution and to cache effects)."""
    start = time.perf_counter()
    body()
    once = time.perf_counter() - start
    return max(1, min(100_000, round(seconds / max(once, 1e-7))))


def rss_bytes() -> int | None:
    """Resident set size from ``/proc/self/statm``; ``None`` where it does not exist."""
    try:
        fields = Path("/proc/self/statm").read_text(encoding="ascii").split()
    except OSError:
        return None
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class MemoryUse:
    """Bytes per user: RSS growth over a whole build, tracemalloc over a sample."""

    rss_per_user: float | None = None
    traced_per_user: float | None = None
    traced_sample: int = 0

    def raw(self) -> dict[str, Any]:
        return {
            "rss_bytes_per_user": self.rss_per_user,
            "tracemalloc_bytes_per_user": self.traced_per_user,
            "tracemalloc_sample_users": self.traced_sample,
        }


def traced_bytes_per_user(build: Callable[[], object], users: int) -> float:
    """Bytes still allocated after *build* (which keeps *users* users), per user."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / users


# -- peers -----------------------------------------------------------------------------
# Typed as Any: the peers are optional and mypy may run where they are not installed.


@dataclass(frozen=True)
class ModelsPeer:
    """scim2-models: the User model, ScimFilter and PatchOp."""

    user: Any  # User[EnterpriseUser]
    scim_filter: Any  # ScimFilter (unbound) ...
    bound_filter: Any  # ... and ScimFilter[User[EnterpriseUser]]
    patch_op: Any  # PatchOp[User[EnterpriseUser]]
    patch_context: Any  # Context.RESOURCE_PATCH_REQUEST
    creation_context: Any  # Context.RESOURCE_CREATION_REQUEST
    clear_filter_cache: Callable[[], None]


@dataclass(frozen=True)
class ServerPeer:
    """scim2-server: the in-memory storage and what its search takes."""

    storage_class: Any  # InMemoryStorage
    resource_type: Any  # ResourceType of User[EnterpriseUser]
    search_request: Any  # SearchRequest[User[EnterpriseUser]]


@dataclass(frozen=True)
class Peers:
    models: ModelsPeer | None
    server: ServerPeer | None
    filter_parser: Callable[[str], Any] | None


def load_peers() -> Peers:
    models: ModelsPeer | None = None
    server: ServerPeer | None = None
    filter_parser: Callable[[str], Any] | None = None
    try:
        import scim2_models
        from scim2_models.path import grammar
    except ImportError:
        pass
    else:
        user = scim2_models.User[scim2_models.EnterpriseUser]
        models = ModelsPeer(
            user=user,
            scim_filter=scim2_models.ScimFilter,
            bound_filter=scim2_models.ScimFilter[user],
            patch_op=scim2_models.PatchOp[user],
            patch_context=scim2_models.Context.RESOURCE_PATCH_REQUEST,
            creation_context=scim2_models.Context.RESOURCE_CREATION_REQUEST,
            # The parser's lru_cache; scim2-models exposes no public way to clear it.
            clear_filter_cache=grammar._cached_filter.cache_clear,  # noqa: SLF001  see above
        )
        try:
            from scim2_server.memory import InMemoryStorage
        except ImportError:
            pass
        else:
            server = ServerPeer(
                storage_class=InMemoryStorage,
                resource_type=scim2_models.ResourceType.from_resource(user),
                search_request=scim2_models.SearchRequest[user],
            )
    try:
        from scim2_filter_parser.lexer import SCIMLexer
        from scim2_filter_parser.parser import SCIMParser
    except ImportError:
        pass
    else:
        lexer, parser = SCIMLexer(), SCIMParser()

        def filter_parser(text: str) -> Any:
            return parser.parse(lexer.tokenize(text))

    return Peers(models, server, filter_parser)


# -- report ----------------------------------------------------------------------------

NOT_INSTALLED: Final = "not installed"


@dataclass
class Row:
    operation: str
    ours: str
    peer: str = ""
    ratio: str = ""
    target: str = ""


@dataclass
class Section:
    title: str
    unit: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    legend: str = (
        "Figures are `min (median)` over the repeats; ratio = peer min / scimpolicy "
        "min (> 1: scimpolicy is faster)."
    )

    def markdown(self) -> str:
        lines = [
            f"## {self.title}",
            "",
            f"Unit: {self.unit}. {self.legend}",
            "",
            "| operation | scimpolicy | peer | ratio | target met? |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.operation} | {r.ours} | {r.peer} | {r.ratio} | {r.target} |"
            for r in self.rows
        ]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)

    def raw(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "unit": self.unit,
            "rows": [vars(row) for row in self.rows],
            "notes": self.notes,
        }


def number(value: float) -> str:
    """At least three significant digits, never scientific notation."""
    if value >= 100:
        return f"{value:,.1f}"
    if value >= 1:
        return f"{value:.2f}"
    if value >= 0.01:
        return f"{value:.3f}"
    return f"{value:.5f}"


def us(timing: Timing | None) -> str:
    """A timing in µs per operation: ``min (median)``."""
    if timing is None:
        return NOT_INSTALLED
    return f"{number(timing.best * 1e6)} ({number(timing.median * 1e6)})"


def ratio(peer: Timing | None, ours: Timing) -> str:
    if peer is None:
        return "-"
    return f"{peer.best / ours.best:,.1f}x"


def met(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


@dataclass
class Report:
    users: int
    repeats: int
    sections: dict[str, Section] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def record(self, name: str, timing: Timing | None) -> Timing | None:
        self.raw[name] = None if timing is None else timing.raw()
        return timing

    def check(self, what: str, expected: object, got: object) -> None:
        """Note a disagreement between two counts that should be equal."""
        if expected != got:
            message = f"{what}: expected {expected!r}, got {got!r}"
            self.problems.append(message)
            progress(f"PROBLEM: {message}")


# -- the sections ----------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    users: int
    repeats: int  # of the fast measurements
    create_repeats: int  # building a whole directory is one sample
    patch_ops: int
    peer_patch_ops: int
    lookup_calls: int


@dataclass
class State:
    """What the sections share: the big stores, built once in section 1."""

    directory: Directory
    storage: Any = None  # scim2-server InMemoryStorage, or None
    peer_models: list[Any] = field(default_factory=list)  # the storage's models


@dataclass
class PeerCreate:
    validate: Timing
    store: Timing
    full: Timing
    storage: Any
    rss_per_user: float | None


def rss_mib() -> str:
    rss = rss_bytes()
    return "unknown" if rss is None else f"{rss / 2**20:,.0f} MiB"


def rss_growth(before: int | None, users: int) -> float | None:
    gc.collect()
    after = rss_bytes()
    if before is None or after is None:
        return None
    return (after - before) / users


def create_ours(config: Config) -> tuple[Timing, Directory, float | None]:
    """Build the directory *create_repeats* times; keep the first and its RSS growth.

    Each payload is made between two timed calls and then dropped, so the RSS growth
    counts what the directory keeps, not the input.
    """
    n = config.users
    samples: list[float] = []
    kept: Directory | None = None
    rss_per_user: float | None = None
    for repeat in range(config.create_repeats):
        progress(f"create: scimpolicy, repeat {repeat + 1}/{config.create_repeats}")
        directory = Directory()
        gc.collect()
        before = rss_bytes()
        total = 0.0
        for payload in payloads(n):
            start = time.perf_counter()
            directory.create_user(payload)
            total += time.perf_counter() - start
        samples.append(total / n)
        if kept is None:
            rss_per_user = rss_growth(before, n)
            kept = directory
        del directory
        gc.collect()
        progress(f"create: RSS now {rss_mib()}")
    if kept is None:
        raise RuntimeError("create_repeats must be at least 1")
    return Timing(tuple(samples), n), kept, rss_per_user


def create_peer(n: int, models: ModelsPeer, server: ServerPeer) -> PeerCreate:
    """dict -> User[EnterpriseUser].model_validate -> InMemoryStorage.create, one pass.

    The two steps are timed apart within the pass (it is slow: one repeat only).
    """
    progress("create: scim2-server (model_validate + InMemoryStorage.create), 1 pass")
    model, rtype = models.user, server.resource_type
    storage = server.storage_class()
    gc.collect()
    before = rss_bytes()
    progress(f"create: RSS before the scim2-server pass {rss_mib()}")
    validating = storing = 0.0
    for payload in payloads(n):
        start = time.perf_counter()
        validated = model.model_validate(payload)
        middle = time.perf_counter()
        storage.create(rtype, validated)
        storing += time.perf_counter() - middle
        validating += middle - start
    validated = None
    return PeerCreate(
        validate=Timing((validating / n,), n),
        store=Timing((storing / n,), n),
        full=Timing(((validating + storing) / n,), n),
        storage=storage,
        rss_per_user=rss_growth(before, n),
    )


def validate_in_context(sample: int, models: ModelsPeer) -> Timing:
    """scim2-server validates a POST body in a SCIM context, which costs more."""
    progress(f"create: scim2-models model_validate in context, {sample:,} users")
    batch = list(payloads(sample))

    def run() -> int:
        for payload in batch:
            models.user.model_validate(payload, scim_ctx=models.creation_context)
        return sample

    return measure(run, ops=sample, repeats=1)[0]


def traced_ours(sample: int) -> float:
    def build() -> Directory:
        directory = Directory()
        for payload in payloads(sample):
            directory.create_user(payload)
        return directory

    return traced_bytes_per_user(build, sample)


def traced_peer(sample: int, models: ModelsPeer, server: ServerPeer) -> float:
    def build() -> Any:
        storage = server.storage_class()
        for payload in payloads(sample):
            storage.create(server.resource_type, models.user.model_validate(payload))
        return storage

    return traced_bytes_per_user(build, sample)


def bench_create(config: Config, peers: Peers, report: Report) -> State:
    n = config.users
    ours, directory, ours_rss = create_ours(config)
    report.record("create.scimpolicy", ours)
    state = State(directory)
    peer: PeerCreate | None = None
    in_context: Timing | None = None
    sample = min(n, TRACEMALLOC_SAMPLE)
    if peers.models is not None:
        if peers.server is not None:
            peer = create_peer(n, peers.models, peers.server)
            state.storage = peer.storage
            state.peer_models = peer.storage.resources
        in_context = validate_in_context(sample, peers.models)
    validate = None if peer is None else peer.validate
    store = None if peer is None else peer.store
    full = None if peer is None else peer.full
    report.record("create.scim2_models.model_validate", validate)
    report.record("create.scim2_server.storage_create", store)
    report.record("create.scim2_server.full_path", full)
    report.record("create.scim2_models.model_validate_in_context", in_context)

    section = Section(f"1. Create {n:,} users", "µs per user")
    report.sections["create"] = section
    ours_call = "`Directory().create_user(payload)` (dict in, dict out, validated)"
    section.rows += [
        Row(
            f"{ours_call} vs scim2-server `InMemoryStorage.create(rt, model)` given an "
            "already validated `User[EnterpriseUser]` (storage only)",
            us(ours),
            us(store),
            ratio(store, ours),
        ),
        Row(
            "`create_user(payload)` vs scim2-server full path: dict -> "
            "`User[EnterpriseUser].model_validate(payload)` -> "
            "`InMemoryStorage.create`",
            us(ours),
            us(full),
            ratio(full, ours),
        ),
        Row(
            "`create_user(payload)` vs scim2-models `model_validate(payload)` alone "
            "(validation only, nothing stored)",
            us(ours),
            us(validate),
            ratio(validate, ours),
        ),
        Row(
            "`create_user(payload)` vs scim2-models `model_validate(payload, "
            "scim_ctx=Context.RESOURCE_CREATION_REQUEST)`, what scim2-server runs on "
            f"a POST body ({sample:,}-user sample, 1 pass)",
            us(ours),
            us(in_context),
            ratio(in_context, ours),
        ),
    ]
    section.notes += [
        (
            f"scimpolicy: {config.create_repeats} repeats of {n:,} users, each into a "
            "new `Directory`; each call timed on its own (making the payload is not "
            "timed)."
        ),
        (
            f"scim2-server: 1 pass of {n:,} users, the two steps timed apart within "
            "it, so min = median."
        ),
    ]

    progress(f"memory: tracemalloc, {sample:,} users")
    ours_memory = MemoryUse(ours_rss, traced_ours(sample), sample)
    peer_memory = MemoryUse()
    if peer is not None and peers.models is not None and peers.server is not None:
        traced = traced_peer(sample, peers.models, peers.server)
        peer_memory = MemoryUse(peer.rss_per_user, traced, sample)
    report.raw["memory.scimpolicy"] = ours_memory.raw()
    report.raw["memory.scim2_server"] = peer_memory.raw()
    report.sections["memory"] = memory_section(
        n, ours_memory, peer_memory if peer is not None else None
    )
    return state


def memory_section(n: int, ours: MemoryUse, peer: MemoryUse | None) -> Section:
    section = Section(
        f"6. Resident memory per user ({n:,} users)",
        "bytes per user (KiB)",
        legend="Ratio = peer bytes / scimpolicy bytes (> 1: scimpolicy is smaller).",
    )

    def size(value: float | None) -> str:
        if value is None:
            return "n/a (no /proc/self/statm)"
        return f"{value:,.0f} ({value / 1024:,.2f} KiB)"

    def peer_size(value: float | None) -> str:
        return NOT_INSTALLED if peer is None else size(value)

    def smaller(peer_value: float | None, ours_value: float | None) -> str:
        if peer_value is None or ours_value is None:
            return "-"
        return f"{peer_value / ours_value:,.1f}x"

    def target(value: float | None) -> str:
        verdict = "n/a" if value is None else met(value <= TARGET_BYTES_PER_USER)
        return f"<= 2 KiB: {verdict}"

    peer_rss = None if peer is None else peer.rss_per_user
    peer_traced = None if peer is None else peer.traced_per_user
    section.rows += [
        Row(
            f"RSS growth / {n:,} users (`/proc/self/statm`, after `gc.collect()`): "
            "`Directory` vs scim2-server `InMemoryStorage`",
            size(ours.rss_per_user),
            peer_size(peer_rss),
            smaller(peer_rss, ours.rss_per_user),
            target(ours.rss_per_user),
        ),
        Row(
            "tracemalloc: bytes still allocated per user after building a store of "
            f"{ours.traced_sample:,} users",
            size(ours.traced_per_user),
            peer_size(peer_traced),
            smaller(peer_traced, ours.traced_per_user),
            target(ours.traced_per_user),
        ),
    ]
    section.notes += [
        (
            "Each payload is made just before it is stored and then dropped, so the "
            "figures count everything the store keeps (models, strings, indexes), not "
            "the input."
        ),
    ]
    return section


def bench_parse(config: Config, peers: Peers, report: Report) -> None:
    texts = parse_texts()
    same = texts[4242]
    repeats = config.repeats
    parse_filter(texts[0])  # the lark parser is built once, before timing
    gc.collect()

    def ours_cold() -> int:
        for text in texts:
            parse_filter(text)
        return len(texts)

    def ours_bound() -> int:
        for text in texts:
            bind_filter(parse_filter(text), text, USER)
        return len(texts)

    def ours_cached() -> int:
        for _ in range(PARSE_COUNT):
            parse_filter(same)
        return PARSE_COUNT

    progress("parse: scimpolicy")
    clear = parse_filter.cache_clear
    cold = measure(ours_cold, ops=PARSE_COUNT, repeats=repeats, setup=clear)[0]
    bound = measure(ours_bound, ops=PARSE_COUNT, repeats=repeats, setup=clear)[0]
    cached = measure(ours_cached, ops=PARSE_COUNT, repeats=repeats)[0]

    sly: Timing | None = None
    if peers.filter_parser is not None:
        progress("parse: scim2-filter-parser")
        sly = parse_with(peers.filter_parser, texts, repeats, None)
    unbound = models_bound = models_cached = None
    if peers.models is not None:
        progress("parse: scim2-models")
        models = peers.models
        unbound = parse_with(
            models.scim_filter, texts, repeats, models.clear_filter_cache
        )
        models_bound = parse_with(
            models.bound_filter, texts, repeats, models.clear_filter_cache
        )
        models_cached = parse_with(
            models.scim_filter, [same] * PARSE_COUNT, repeats, None
        )
    for name, timing in (
        ("parse.scimpolicy.cold", cold),
        ("parse.scimpolicy.parse_and_bind", bound),
        ("parse.scimpolicy.cached", cached),
        ("parse.scim2_filter_parser", sly),
        ("parse.scim2_models.unbound_cold", unbound),
        ("parse.scim2_models.bound_cold", models_bound),
        ("parse.scim2_models.cached", models_cached),
    ):
        report.record(name, timing)

    section = Section(f"2. Filter parsing ({PARSE_COUNT:,} filters)", "µs per filter")
    report.sections["parse"] = section
    section.rows += [
        Row(
            "cold: `parse_filter(s)` (cache cleared) vs scim2-filter-parser "
            "`SCIMParser().parse(SCIMLexer().tokenize(s))` (instances reused)",
            us(cold),
            us(sly),
            ratio(sly, cold),
        ),
        Row(
            "cold: `parse_filter(s)` vs scim2-models `ScimFilter(s)` (unbound, its "
            "parser cache cleared)",
            us(cold),
            us(unbound),
            ratio(unbound, cold),
        ),
        Row(
            "cold, parse + bind to the User schema: `bind_filter(parse_filter(s), s, "
            "USER)` vs scim2-models `ScimFilter[User[EnterpriseUser]](s)`",
            us(bound),
            us(models_bound),
            ratio(models_bound, bound),
        ),
        Row(
            f"cached: the same string x{PARSE_COUNT:,}: `parse_filter(s)` vs "
            "scim2-models `ScimFilter(s)`",
            us(cached),
            us(models_cached),
            ratio(models_cached, cached),
        ),
    ]
    section.notes.append(
        f'{repeats} repeat(s); the texts are `userName eq "user<i>@x.com" and '
        '(department eq "Eng" or title sw "Dir")`, i < 10,000, each parsed once per '
        "repeat (caches cleared before each repeat)."
    )


def parse_with(
    parse: Callable[[str], object],
    texts: list[str],
    repeats: int,
    clear: Callable[[], None] | None,
) -> Timing:
    parse(texts[0])  # build the peer's parser before timing

    def run() -> int:
        for text in texts:
            parse(text)
        return len(texts)

    return measure(run, ops=len(texts), repeats=repeats, setup=clear)[0]


@dataclass(frozen=True)
class MatchInputs:
    n: int
    repeats: int
    users: list[User]
    raw_payloads: list[dict[str, Any]]
    state: State
    peers: Peers
    report: Report


def bench_match(config: Config, peers: Peers, report: Report, state: State) -> None:
    n = config.users
    section = Section(
        f"3. Filter matching over {n:,} users", "µs per user (search rows: + total)"
    )
    report.sections["match"] = section
    progress("match: listing the users and rebuilding the raw payload dicts")
    inputs = MatchInputs(
        n,
        config.repeats,
        list(state.directory.users()),
        list(payloads(n)),
        state,
        peers,
        report,
    )
    section.rows += match_filter(
        inputs, "selective", SELECTIVE, selective_model, selective_dict
    )
    section.rows += match_filter(inputs, "broad", BROAD, broad_model, broad_dict)
    section.notes += [
        (
            f"{config.repeats} repeat(s) each. (a) is the whole search (selective: the "
            "`userName` index gives one candidate; broad: every user is tested); the "
            "filter is compiled once and cached, as in a server; a sample repeats the "
            "search enough times to last about 20 ms."
        ),
        "(b), (c), (e) and (e') apply a predicate to every item: `sum(map(p, xs))`.",
        (
            "(d) returns a page of 100 deep copies, like the research run; "
            "scim2-server scans every user for both filters (its index serves a lone "
            "`eq` only)."
        ),
    ]


def match_filter(
    inputs: MatchInputs,
    label: str,
    text: str,
    model_predicate: Callable[[User], bool],
    dict_predicate: Callable[[dict[str, Any]], bool],
) -> list[Row]:
    progress(f"match: {label}")
    n, repeats, report = inputs.n, inputs.repeats, inputs.report
    users, raw_payloads = inputs.users, inputs.raw_payloads
    directory = inputs.state.directory
    gc.collect()
    directory.search_users(text, count=0)  # compile and cache the filter

    def one_search() -> dict[str, Any]:
        return directory.search_users(text, count=0)

    calls = calls_per_sample(one_search)

    def searches() -> dict[str, Any]:
        for _ in range(calls - 1):
            one_search()
        return one_search()

    per_search, response = measure(searches, ops=calls, repeats=repeats)
    search = Timing(tuple(s / n for s in per_search.samples), n)
    expected = response["totalResults"]
    predicate = bind_filter(parse_filter(text), text, USER)
    compiled, found = measure(
        lambda: sum(map(predicate, users)), ops=n, repeats=repeats
    )
    report.check(f"{label}: compiled predicate matches", expected, found)
    hand_models, found = measure(
        lambda: sum(map(model_predicate, users)), ops=n, repeats=repeats
    )
    report.check(f"{label}: hand-written predicate over models", expected, found)
    hand_dicts, found = measure(
        lambda: sum(map(dict_predicate, raw_payloads)), ops=n, repeats=repeats
    )
    report.check(f"{label}: hand-written predicate over dicts", expected, found)

    peers, state = inputs.peers, inputs.state
    models_match: Timing | None = None
    server_search: Timing | None = None
    if peers.models is not None and state.peer_models:
        match = peers.models.bound_filter(text).match
        models = state.peer_models
        models_match, found = measure(
            lambda: sum(map(match, models)), ops=n, repeats=repeats
        )
        report.check(f"{label}: scim2-models ScimFilter.match", expected, found)
    if peers.server is not None and state.storage is not None:
        request = peers.server.search_request(filter=text, count=100)
        storage, rtype = state.storage, peers.server.resource_type
        server_search, page = measure(
            lambda: storage.search([rtype], request), ops=n, repeats=repeats
        )
        report.check(f"{label}: scim2-server search total", expected, page.total)
    for name, timing in (
        ("search_users", search),
        ("compiled_predicate", compiled),
        ("hand_written_models", hand_models),
        ("hand_written_dicts", hand_dicts),
        ("scim2_models_match", models_match),
        ("scim2_server_search", server_search),
    ):
        report.record(f"match.{label}.{name}", timing)
    report.raw[f"match.{label}.total_results"] = expected

    def with_total(timing: Timing | None) -> str:
        if timing is None:
            return NOT_INSTALLED
        total = timing.best * n * 1e6
        if total < 1000:
            return f"{us(timing)}; total {number(total)} µs"
        return f"{us(timing)}; total {number(total / 1e3)} ms"

    if models_match is None:
        vs_models = "n/a (peer not installed)"
    else:
        times = models_match.best / compiled.best
        vs_models = (
            f"(b) >= 10x faster than (c): {met(times >= TARGET_MATCH_VS_MODELS)}"
        )
    vs_hand = compiled.best / hand_models.best
    return [
        Row(
            f"**{label}** (totalResults {expected:,}): (a) `search_users(f, count=0)` "
            "vs (d) scim2-server `InMemoryStorage.search(count=100)`",
            with_total(search),
            with_total(server_search),
            ratio(server_search, search),
        ),
        Row(
            f"{label}: (b) compiled predicate `bind_filter(parse_filter(f), f, USER)` "
            "over our models vs (c) scim2-models "
            "`ScimFilter[User[EnterpriseUser]](f).match(model)`",
            us(compiled),
            us(models_match),
            ratio(models_match, compiled),
            vs_models,
        ),
        Row(
            f"{label}: (b) vs (e) hand-written predicate over our `User` models",
            us(compiled),
            us(hand_models),
            ratio(hand_models, compiled),
            f"(b) within 3x of (e): {met(vs_hand <= TARGET_MATCH_VS_HAND)} "
            f"((b) = {vs_hand:.2f}x (e))",
        ),
        Row(
            f"{label}: (b) vs (e') hand-written predicate over the raw payload dicts "
            "(floor)",
            us(compiled),
            us(hand_dicts),
            ratio(hand_dicts, compiled),
        ),
    ]


def bench_lookup(config: Config, peers: Peers, report: Report, state: State) -> None:
    n = config.users
    section = Section(
        "4. `userName eq` lookup via `search_users`, by directory size",
        "µs per search",
    )
    report.sections["lookup"] = section
    batches = max(config.repeats * 4, 10)
    for size in [size for size in LOOKUP_SIZES if size < n] + [n]:
        section.rows.append(
            lookup_size(
                size,
                config=config,
                batches=batches,
                peers=peers,
                report=report,
                state=state,
            )
        )
    section.notes += [
        (
            f"Min (median) over {batches} batches of {config.lookup_calls:,} calls; "
            "each search also renders the one matching user as SCIM JSON."
        ),
        "The user looked up is `user<4242 mod size>`, so that it exists at every size.",
    ]


def lookup_size(
    size: int,
    *,
    config: Config,
    batches: int,
    peers: Peers,
    report: Report,
    state: State,
) -> Row:
    progress(f"lookup: {size:,} users")
    calls = config.lookup_calls
    gc.collect()
    if size == config.users:
        directory = state.directory
    else:
        directory = Directory()
        for payload in payloads(size):
            directory.create_user(payload)
    text = f'userName eq "user{4242 % size}@x.com"'
    report.check(
        f"lookup at {size:,}: totalResults",
        1,
        directory.search_users(text)["totalResults"],
    )

    def ours_batch() -> int:
        for _ in range(calls):
            directory.search_users(text)
        return calls

    ours = measure(ours_batch, ops=calls, repeats=batches)[0]
    report.record(f"lookup.scimpolicy.{size}", ours)
    row = Row(f"{size:,} users: `search_users('{text}')`", us(ours), "-", "-")
    if size != config.users:
        return row
    if peers.server is None or state.storage is None:
        row.peer = NOT_INSTALLED
        return row
    storage, rtype = state.storage, peers.server.resource_type
    request = peers.server.search_request(filter=text, count=100)
    first, page = measure(lambda: storage.search([rtype], request), ops=1, repeats=1)
    report.check("lookup: scim2-server first search", 1, page.total)

    def peer_batch() -> int:
        for _ in range(calls):
            storage.search([rtype], request)
        return calls

    later = measure(peer_batch, ops=calls, repeats=batches)[0]
    report.record("lookup.scim2_server.first", first)
    report.record("lookup.scim2_server.later", later)
    row.peer = (
        f"scim2-server `InMemoryStorage.search`: first call (builds its index) "
        f"{number(first.best * 1e3)} ms; later calls {us(later)}"
    )
    row.ratio = f"{ratio(later, ours)} (later calls)"
    return row


class Bodies:
    """PATCH bodies for one repeat, with values new to every repeat."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._round = 0

    def setup(
        self, make: Callable[[str], dict[str, Any]], count: int
    ) -> Callable[[], None]:
        def fill() -> None:
            self._round += 1  # so that every PATCH changes its user
            self.items = [make(f"X{self._round}-{i}") for i in range(count)]

        return fill


PATCH_KINDS: Final = {
    "single": ("`replace` `title` (1 operation)", title_patch),
    "multi": (
        (
            '`replace` `emails[type eq "work"].value` + `add` '
            f"`{ENTERPRISE}:department` (2 operations)"
        ),
        multi_patch,
    ),
}


def patch_ours(
    config: Config, report: Report, state: State, bodies: Bodies
) -> dict[str, Timing]:
    directory = state.directory
    ids = [user.id for user in directory.users()][: config.patch_ops]

    def run() -> int:
        for user_id, body in zip(ids, bodies.items, strict=True):
            directory.patch_user(user_id, body)
        return len(ids)

    found: dict[str, Timing] = {}
    for label, (_, make) in PATCH_KINDS.items():
        progress(f"patch: scimpolicy, {label}")
        setup = bodies.setup(make, len(ids))
        found[label] = measure(run, ops=len(ids), repeats=config.repeats, setup=setup)[
            0
        ]
        last = directory.get_user(ids[-1])
        value = bodies.items[-1]["Operations"][-1]["value"]
        if label == "single":
            report.check("patch: title after the last PATCH", value, last["title"])
        else:
            email = last["emails"][0]["value"]
            report.check(
                "patch: work email after the last PATCH", f"{value}@y.com", email
            )
            department = last[ENTERPRISE]["department"]
            report.check("patch: department after the last PATCH", value, department)
    return found


def patch_models(
    config: Config, models: ModelsPeer, bodies: Bodies
) -> dict[str, Timing]:
    """scim2-models: validate the body as a PatchOp and apply it to a model."""
    count = min(config.peer_patch_ops, config.users)
    targets = [models.user.model_validate(p) for p in payloads(count)]

    def run() -> int:
        for model, body in zip(targets, bodies.items, strict=True):
            operation = models.patch_op.model_validate(
                body, scim_ctx=models.patch_context
            )
            operation.patch(model)
        return count

    found: dict[str, Timing] = {}
    for label, (_, make) in PATCH_KINDS.items():
        progress(f"patch: scim2-models, {label}")
        setup = bodies.setup(make, count)
        found[label] = measure(run, ops=count, repeats=config.repeats, setup=setup)[0]
    return found


def patch_server(
    config: Config, models: ModelsPeer, server: ServerPeer, state: State, bodies: Bodies
) -> dict[str, Timing]:
    """What scim2-server's handler does for a PATCH (``patch_resource``).

    Validate the body, get a copy of the stored user, patch it, update the storage.
    """
    count = min(config.peer_patch_ops, config.users)
    storage, rtype = state.storage, server.resource_type
    ids = [resource.id for resource in state.peer_models[:count]]

    def run() -> int:
        for resource_id, body in zip(ids, bodies.items, strict=True):
            operation = models.patch_op.model_validate(
                body, scim_ctx=models.patch_context
            )
            current = storage.get(rtype, resource_id)
            version = current.meta.version
            if operation.patch(current):
                storage.update(rtype, current, expected_version=version)
        return count

    found: dict[str, Timing] = {}
    for label, (_, make) in PATCH_KINDS.items():
        progress(f"patch: scim2-server, {label}")
        setup = bodies.setup(make, count)
        found[label] = measure(run, ops=count, repeats=config.repeats, setup=setup)[0]
    return found


def bench_patch(config: Config, peers: Peers, report: Report, state: State) -> None:
    bodies = Bodies()
    gc.collect()
    ours = patch_ours(config, report, state, bodies)
    models: dict[str, Timing] = {}
    server: dict[str, Timing] = {}
    if peers.models is not None:
        models = patch_models(config, peers.models, bodies)
        if peers.server is not None and state.storage is not None:
            server = patch_server(config, peers.models, peers.server, state, bodies)
    section = Section("5. PATCH", "µs per PATCH request")
    report.sections["patch"] = section
    peer_calls = (
        (
            "models",
            models,
            (
                "scim2-models `PatchOp[User[EnterpriseUser]].model_validate(body, "
                "scim_ctx=RESOURCE_PATCH_REQUEST).patch(model)`"
            ),
        ),
        (
            "server",
            server,
            (
                "scim2-server handler path: validate the body, `storage.get`, "
                "`.patch(copy)`, `storage.update`"
            ),
        ),
    )
    for label, (description, _) in PATCH_KINDS.items():
        report.record(f"patch.{label}.scimpolicy", ours[label])
        for name, timings, call in peer_calls:
            peer = timings.get(label)
            report.record(f"patch.{label}.{name}", peer)
            section.rows.append(
                Row(
                    f"{description}: `patch_user(id, body)` vs {call}",
                    us(ours[label]),
                    us(peer),
                    ratio(peer, ours[label]),
                )
            )
    ours_ops = min(config.patch_ops, config.users)
    peer_ops = min(config.peer_patch_ops, config.users)
    section.notes += [
        (
            f"{config.repeats} repeat(s); each repeat PATCHes {ours_ops:,} different "
            f"users with scimpolicy and {peer_ops:,} with each peer (they are slower); "
            "the bodies are built before the timer starts."
        ),
        (
            "`patch_user` parses and checks the body, applies it atomically, "
            "re-validates the user, re-indexes it and returns it as SCIM JSON."
        ),
    ]


# -- main ------------------------------------------------------------------------------


def header(config: Config, quick: bool) -> dict[str, Any]:
    names = (*OTHER_PACKAGES, *PEER_VERSIONS)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.replace("\n", " "),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": cpu_model(),
        "cpu_count": os.cpu_count(),
        "versions": {name: version_of(name) for name in names},
        "users": config.users,
        "repeats": config.repeats,
        "create_repeats": config.create_repeats,
        "quick": quick,
    }


def render_header(info: dict[str, Any]) -> str:
    versions = info["versions"]
    packages = ", ".join(
        f"{name} {versions[name] or NOT_INSTALLED}" for name in OTHER_PACKAGES
    )
    peer_parts = []
    for name, expected in PEER_VERSIONS.items():
        found = versions[name]
        note = f" (expected {expected})" if found and found != expected else ""
        peer_parts.append(f"{name} {found or NOT_INSTALLED}{note}")
    return "\n".join(
        [
            "# scimpolicy SCIM directory benchmark",
            "",
            f"- Date: {info['date']}",
            f"- Python: {info['implementation']} {info['python']}",
            (
                f"- Machine: {info['platform']}, {info['machine']}, "
                f"{info['processor']}, os.cpu_count() = {info['cpu_count']}"
            ),
            f"- Packages: {packages}",
            f"- Peers: {', '.join(peer_parts)}",
            (
                f"- Users: N = {info['users']:,} (seed {SEED}); repeats: "
                f"{info['repeats']} (create: {info['create_repeats']})"
            ),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark scimpolicy's SCIM directory beside its Python peers."
    )
    parser.add_argument("--users", type=int, help="number of users (default 100,000)")
    parser.add_argument(
        "--quick", action="store_true", help="10,000 users and fewer repeats"
    )
    parser.add_argument("--repeats", type=int, help="repeats of the fast measurements")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write raw results")
    args = parser.parse_args(argv)
    users = args.users or (10_000 if args.quick else 100_000)
    repeats = args.repeats or (3 if args.quick else 5)
    if users < 1 or repeats < 1:
        parser.error("--users and --repeats must be at least 1")
    config = Config(
        users=users,
        repeats=repeats,
        create_repeats=2 if args.quick else 3,
        patch_ops=min(users, 2_000 if args.quick else 10_000),
        peer_patch_ops=500 if args.quick else 2_000,
        lookup_calls=200 if args.quick else 500,
    )
    started = time.perf_counter()
    info = header(config, args.quick)
    peers = load_peers()
    report = Report(users, repeats)

    state = bench_create(config, peers, report)
    bench_parse(config, peers, report)
    bench_match(config, peers, report, state)
    bench_lookup(config, peers, report, state)
    bench_patch(config, peers, report, state)

    info["elapsed_seconds"] = elapsed = time.perf_counter() - started
    order = ("create", "parse", "match", "lookup", "patch", "memory")
    problems = report.problems or ["none"]
    parts = [
        render_header(info),
        *(report.sections[key].markdown() for key in order),
        "## Checks\n\n" + "\n".join(f"- {problem}" for problem in problems),
        f"Whole run: {elapsed:,.0f} s.",
    ]
    print("\n\n".join(parts))
    if args.json is not None:
        document = {
            "header": info,
            "sections": [report.sections[key].raw() for key in order],
            "raw": report.raw,
            "problems": report.problems,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
