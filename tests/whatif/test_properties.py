"""Properties of what-ifs and bulk runs over generated worlds (tests/whatif/strategies.py).

- A scenario with no changes reports no change.
- A change followed by its undo reports no change against the original world, for
  every kind of change; the original world itself never changes. So do the undo
  changes of a sequence of changes, applied last first.
- A bulk run over an executor, in shards of any size, gives the rows the sequential
  run gives, in the same order.
- Progress reports only go up, and end at the total.
"""

from __future__ import annotations

import io
from collections.abc import Generator, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from itertools import islice
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimpolicy import PolicyType
from scimpolicy.whatif import bulk
from scimpolicy.whatif.bulk import (
    ALL_POLICY_TYPES,
    Population,
    TerminalProgress,
    bulk_decide,
)
from scimpolicy.whatif.changes import Change, apply_changes
from scimpolicy.whatif.diff import compare, what_if
from scimpolicy.workspace.world import World
from tests.whatif.strategies import KINDS, change, changes, fits, worlds
from tests.whatif.worlds import snapshot

SETTINGS: Final = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def threads() -> Iterator[Executor]:
    with ThreadPoolExecutor(2) as pool:
        yield pool


@SETTINGS
@given(worlds())
def test_no_changes_report_no_change(world: World) -> None:
    report = what_if(world, [])
    assert not report
    assert report.changed == 0
    assert report.transitions == ()
    assert report.compared == len(list(bulk_decide(world)))


@pytest.mark.parametrize("kind", KINDS)
@settings(SETTINGS, max_examples=15)
@given(data=st.data())
def test_a_change_and_its_undo_change_nothing(kind: str, data: st.DataObject) -> None:
    world = data.draw(worlds().filter(lambda w: fits(kind, w)), label="world")
    chosen = data.draw(change(kind, world), label="change")
    before = snapshot(world)
    rows = list(bulk_decide(world))

    after, undo = chosen.apply(world)
    back, _ = undo.apply(after)

    assert compare(rows, bulk_decide(back)).changed == 0
    assert list(bulk_decide(back)) == rows
    assert snapshot(back) == before
    # The original world is untouched by the change and by its undo.
    assert snapshot(world) == before
    assert list(bulk_decide(world)) == rows


@SETTINGS
@given(data=st.data())
def test_a_sequence_of_changes_rolls_back(data: st.DataObject) -> None:
    """The undo changes of a sequence, applied last first, give the original back
    (even when an early change makes two groups share a name)."""
    world = data.draw(worlds(), label="world")
    before = snapshot(world)
    rows = list(bulk_decide(world))
    undo: list[Change] = []
    current = world
    for _ in range(data.draw(st.integers(2, 4), label="length")):
        current, one = data.draw(changes(current), label="change").apply(current)
        undo.insert(0, one)
    back, _ = apply_changes(current, undo)
    assert compare(rows, bulk_decide(back)).changed == 0
    assert snapshot(back) == before
    assert snapshot(world) == before


_POPULATIONS: Final = st.builds(
    Population,
    apps=st.none()
    | st.lists(st.sampled_from(("Git", "Payroll", "Intranet", "Unknown")), max_size=3),
    client_types=st.none()
    | st.lists(
        st.sampled_from(
            ("client_connector", "web_browser", "zpn_client_type_exporter")
        ),
        min_size=1,
        max_size=2,
        unique=True,
    ),
    policy_types=st.lists(
        st.sampled_from(ALL_POLICY_TYPES), min_size=1, max_size=3, unique=True
    ),
)


@SETTINGS
@given(world=worlds(), population=_POPULATIONS, shard_size=st.integers(1, 6))
def test_bulk_over_an_executor_equals_the_sequential_run(
    threads: Executor, world: World, population: Population, shard_size: int
) -> None:
    sequential = list(bulk_decide(world, population))
    shared = list(
        bulk_decide(world, population, executor=threads, shard_size=shard_size)
    )
    assert shared == sequential
    again = list(bulk_decide(world, population, shard_size=shard_size))
    assert again == sequential


def test_bulk_over_a_process_pool_equals_the_sequential_run(acme: World) -> None:
    population = Population(sessions=acme.sessions[:300])
    sequential = list(bulk_decide(acme, population))
    assert len(sequential) == 300 * (2 * len(acme.tenant.segments) + 1)
    with ProcessPoolExecutor(max_workers=2) as pool:
        shared = list(bulk_decide(acme, population, executor=pool, shard_size=64))
    assert shared == sequential


@SETTINGS
@given(world=worlds(), shard_size=st.integers(1, 4), parallel=st.booleans())
def test_progress_goes_up_to_the_total(
    threads: Executor, world: World, shard_size: int, parallel: bool
) -> None:
    calls: list[tuple[int, int]] = []
    rows = list(
        bulk_decide(
            world,
            executor=threads if parallel else None,
            shard_size=shard_size,
            progress=lambda done, total: calls.append((done, total)),
        )
    )
    dones = [done for done, _ in calls]
    assert dones == sorted(set(dones))  # strictly increasing
    assert {total for _, total in calls} == {len(rows)}
    assert calls[-1] == (len(rows), len(rows))
    shards = -(-len(world.sessions) // shard_size)
    assert len(calls) == shards


def test_rows_come_in_the_documented_order(world: World) -> None:
    population = Population(
        apps=["Payroll", "Git"],
        client_types=["web_browser", "client_connector"],
        policy_types=[PolicyType.TIMEOUT, PolicyType.FORWARDING],
    )
    rows = list(bulk_decide(world, population))
    assert len(rows) == len(world.sessions) * 2 * (2 + 1)
    first = [(r.session, r.client_type, r.policy_type, r.app) for r in rows[:6]]
    assert first == [
        (0, "web_browser", PolicyType.TIMEOUT, "Payroll"),
        (0, "web_browser", PolicyType.TIMEOUT, "Git"),
        (0, "web_browser", PolicyType.FORWARDING, None),
        (0, "client_connector", PolicyType.TIMEOUT, "Payroll"),
        (0, "client_connector", PolicyType.TIMEOUT, "Git"),
        (0, "client_connector", PolicyType.FORWARDING, None),
    ]
    assert (rows[6].session, rows[6].user) == (1, world.sessions[1].user)
    # Alice is Okta's SRE: bypassed; through Browser Access too.
    assert rows[2].decision.outcome == "bypass"


def test_a_shard_reads_its_users_as_the_directory_would(world: World) -> None:
    """What crosses to a worker is a stand-in for each directory with just the
    shard's users; it answers the engine's questions as the directory does."""
    plan = Population().resolve(world)
    shard = bulk._shard(world, plan, bulk._static(world), 0, len(world.sessions))
    for idp in world.tenant.idps:
        stand_in = bulk._ShardUsers(*shard.users[idp.name])
        assert list(stand_in.groups()) == []
        for session in world.sessions:
            if session.idp != idp.name:
                continue
            for active_only in (False, True):
                user = idp.directory.user_by_name(session.user, active_only=active_only)
                assert (
                    stand_in.user_by_name(session.user.upper(), active_only=active_only)
                    == user
                )
                if user is not None and user.is_active:
                    assert stand_in.group_names_of(user.id) == (
                        idp.directory.group_names_of(user.id)
                    )


def test_bulk_rejects_empty_shards(world: World) -> None:
    with pytest.raises(ValueError, match="shard_size must be at least 1"):
        list(bulk_decide(world, shard_size=0))


def test_a_run_stopped_early_stops_its_shards(world: World) -> None:
    with ThreadPoolExecutor(1) as pool:
        run = bulk_decide(world, executor=pool, shard_size=1)
        assert isinstance(run, Generator)
        first = list(islice(run, 3))
        run.close()  # cancels the shards submitted but not read
    assert first == list(islice(bulk_decide(world), 3))


def test_bulk_of_no_sessions(world: World) -> None:
    calls: list[tuple[int, int]] = []
    empty = Population(sessions=[])
    assert list(bulk_decide(world, empty, progress=lambda *a: calls.append(a))) == []
    with ThreadPoolExecutor(1) as pool:
        assert list(bulk_decide(world, empty, executor=pool)) == []
    assert calls == []


# -- TerminalProgress --------------------------------------------------------------------------


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_terminal_progress_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    with TerminalProgress(stream) as progress:
        assert not progress.enabled
        progress(5, 10)
        progress(10, 10)
    assert stream.getvalue() == ""


def test_terminal_progress_draws_one_line_on_a_terminal() -> None:
    stream = _Terminal()
    progress = TerminalProgress(stream, interval=3600)
    assert progress.enabled
    progress(1000, 4000)
    progress(2000, 4000)  # within the interval: not redrawn
    progress(4000, 4000)  # the end is always drawn
    text = stream.getvalue()
    assert text.startswith("\r1,000 / 4,000 decisions (25%), ")
    assert "\r4,000 / 4,000 decisions (100%), " in text
    assert "2,000" not in text
    assert "\n" not in text
    assert text.endswith("/s")
    progress.close()
    assert stream.getvalue() == text + "\n"
    progress.close()  # once only
    assert stream.getvalue() == text + "\n"


def test_terminal_progress_of_nothing_and_its_label() -> None:
    stream = _Terminal()
    with TerminalProgress(stream, label="rows", interval=0) as progress:
        progress(0, 0)
    assert stream.getvalue().startswith("\r0 / 0 rows (100%), ")
    assert stream.getvalue().endswith("\n")


def test_terminal_progress_with_nothing_drawn_writes_nothing() -> None:
    stream = _Terminal()
    TerminalProgress(stream).close()
    assert stream.getvalue() == ""


def test_terminal_progress_defaults_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = TerminalProgress()
    progress(1, 2)
    progress.close()
    assert capsys.readouterr().err == ""  # captured stderr is no terminal


def test_terminal_progress_follows_a_bulk_run(world: World) -> None:
    stream = _Terminal()
    with TerminalProgress(stream, interval=0) as progress:
        rows = list(bulk_decide(world, shard_size=3, progress=progress))
    lines = stream.getvalue().split("\r")[1:]
    assert len(lines) == 3  # 8 sessions in shards of 3
    assert lines[-1].startswith(f"{len(rows)} / {len(rows)} decisions (100%)")
    assert lines[-1].endswith("\n")
