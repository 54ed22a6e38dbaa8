"""The load driver against a server on loopback: it counts acknowledgements, reports
refusals, stops when the server goes away, and ``check_load`` finds lost writes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import attrs
import pytest

from scimpolicy.server import Store
from scimpolicy.testing.load import ClientLog, LoadResult, check_load, run_load
from tests.server.support import free_port, serving


@attrs.frozen
class _Served:
    url: str
    token: str


@pytest.fixture(scope="module")
def served() -> Iterator[_Served]:
    store = Store.open(None, ["Okta"])
    token = store.new_token("Okta")
    with serving(store) as url:
        yield _Served(url, token)


@pytest.fixture(scope="module")
def loaded(served: _Served) -> LoadResult:
    return run_load(served.url, served.token, clients=2, seconds=0.5, seed=7)


def test_a_load_counts_what_was_acknowledged(
    served: _Served, loaded: LoadResult
) -> None:
    assert loaded.failures == []
    assert loaded.requests == sum(c.requests for c in loaded.clients) > 3
    assert loaded.per_second > 0
    assert all(c.group_id is not None and c.titles for c in loaded.clients)
    assert check_load(served.url, served.token, loaded) == []


def test_check_load_reports_every_kind_of_lost_write(
    served: _Served, loaded: LoadResult
) -> None:
    real = loaded.clients[0]
    some_user = next(iter(real.titles))
    tampered = attrs.evolve(
        real,
        titles={**real.titles, some_user: "never written", "no-such-id": "t0"},
        members={*real.members, "no-such-member"},
    )
    missing_group = ClientLog("client-x", group_id="no-such-group")
    result = LoadResult(1.0, (tampered, missing_group))
    problems = check_load(served.url, served.token, result)
    assert "client-0: user no-such-id: HTTP 404" in problems
    assert any(
        p.startswith(f"client-0: user {some_user}: title ") and "'never written'" in p
        for p in problems
    )
    assert "client-0: group lost acknowledged members ['no-such-member']" in problems
    assert "client-x: group no-such-group: HTTP 404" in problems


def test_a_write_in_flight_may_or_may_not_have_happened(
    served: _Served, loaded: LoadResult
) -> None:
    real = loaded.clients[0]
    user_id, title = next(iter(real.titles.items()))
    in_flight = attrs.evolve(
        real, titles={**real.titles, user_id: "t-older"}, pending_title=(user_id, title)
    )
    assert check_load(served.url, served.token, LoadResult(1.0, (in_flight,))) == []
    extra = attrs.evolve(real, members=set())
    assert any(
        "group has unrequested" in p
        for p in check_load(served.url, served.token, LoadResult(1.0, (extra,)))
    ) == bool(real.members)


def test_refusals_are_reported_not_counted(served: _Served) -> None:
    result = run_load(served.url, "wrong-token", clients=1, seconds=0.2)
    assert result.requests == 0
    refusal = (
        "client-0: create group: HTTP 401: a valid bearer token is required "
        "(Authorization: Bearer <token>)"
    )
    assert result.failures == [refusal]


def test_a_server_that_is_gone_stops_the_load_at_once() -> None:
    port = free_port()
    started = time.monotonic()
    result = run_load(
        f"http://127.0.0.1:{port}/scim/Okta/v2", "t", clients=2, seconds=30
    )
    assert time.monotonic() - started < 10
    assert result.requests == 0
    assert LoadResult(0.0, ()).per_second == 0.0
