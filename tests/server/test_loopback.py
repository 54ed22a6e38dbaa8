"""The SCIM server over real HTTP on loopback: conformance, load, and a crash.

- scim2-tester (the python-scim conformance checker) runs every check it has against
  the server and each must be SUCCESS;
- concurrent clients create and patch for a bounded time: no error answers, and every
  acknowledged write is there afterwards;
- the server process is killed with SIGKILL in the middle of that load and restarted
  from its data folder: every acknowledged write is still there.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from scimpolicy.server import Store
from scimpolicy.testing.load import check_load, run_load
from tests.server.support import free_port, serving

_TOKEN_LINE = re.compile(r"bearer token \(shown once, keep it now\): (\w+)")


class _Served:
    """A `scimpolicy serve` process on loopback."""

    def __init__(self, data: Path, port: int, *extra: str) -> None:
        self.port = port
        self.process = subprocess.Popen(  # noqa: S603  our own CLI, fixed arguments
            [
                sys.executable,
                "-m",
                "scimpolicy",
                "serve",
                "--data",
                str(data),
                "--idp",
                "Okta",
                "--port",
                str(port),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.banner = self._read_banner()
        self._wait_until_listening()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/scim/Okta/v2"

    @property
    def token(self) -> str | None:
        found = _TOKEN_LINE.search(self.banner)
        return found.group(1) if found else None

    def _read_banner(self) -> str:
        assert self.process.stdout is not None
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if line.startswith("serving on "):
                return "".join(lines)
        _, errors = self.process.communicate(timeout=10)
        pytest.fail(f"server did not start: {''.join(lines)}{errors}")

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                time.sleep(0.05)
            else:
                return
        self.kill()
        pytest.fail("server did not listen within 20 s")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[_Served]:
    server = _Served(tmp_path / "data", free_port())
    yield server
    server.kill()


def test_concurrent_clients_lose_no_acknowledged_write(served: _Served) -> None:
    assert served.token is not None
    result = run_load(served.url, served.token, clients=4, seconds=2.0)
    assert result.failures == []
    assert result.requests > 30
    assert check_load(served.url, served.token, result) == []


def test_a_server_killed_during_load_keeps_every_acknowledged_write(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = _Served(data, free_port())
    token = first.token
    assert token is not None
    outcome: dict[str, object] = {}
    loader = threading.Thread(
        target=lambda: outcome.update(
            result=run_load(first.url, token, clients=4, seconds=30.0)
        )
    )
    loader.start()
    time.sleep(1.5)
    os.kill(first.process.pid, signal.SIGKILL)
    loader.join(timeout=30)
    first.kill()
    result = outcome["result"]
    assert not loader.is_alive()
    assert result.requests > 20  # type: ignore[attr-defined]

    second = _Served(data, free_port())
    try:
        assert second.token is None  # the token survived the crash: none is made
        assert check_load(second.url, token, result) == []  # type: ignore[arg-type]
    finally:
        second.kill()


def test_scim2_tester_passes_every_check(tmp_path: Path) -> None:
    import httpx2
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import Status, check_server

    store = Store.open(tmp_path / "data", ["Okta"])
    token = store.new_token("Okta")
    with (
        serving(store) as url,
        httpx2.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}
        ) as http,
    ):
        client = SyncSCIMClient(http)
        client.discover()
        results = check_server(client, raise_exceptions=False)
    statuses = Counter(result.status for result in results)
    problems = [
        f"{result.status.name} {result.title}: {result.reason}"
        for result in results
        if result.status is not Status.SUCCESS
    ]
    assert problems == []
    assert statuses[Status.SUCCESS] >= 130  # 135 checks in scim2-tester 0.5.2
