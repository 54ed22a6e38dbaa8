"""Load a SCIM endpoint with concurrent provisioning clients; check nothing was lost.

Stage: a test tool (standard library only: threads and :mod:`http.client`). It works
against any SCIM 2.0 service provider, this one or another, which is how the benchmark
compares them under the same load.

Each client thread creates a group, then loops until the time is up: create a user,
change the title of one of its users with PATCH, add one of its users to its group with
PATCH. It records every write the server acknowledged (a 2xx answer) and the one write
it had in flight when it stopped, if any. :func:`check_load` then reads the server's
state and reports every acknowledged write that is missing: a user that is not there,
a title other than the last acknowledged one (or the in-flight one), a group missing an
acknowledged member. That is the check after a crash, too: kill the server during
:func:`run_load`, restart it, check.
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, Final

import attrs

__all__ = ["ClientLog", "LoadResult", "check_load", "run_load"]

_USER_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
_GROUP_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"
_PATCH_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@attrs.define
class ClientLog:
    """What one client was told: acknowledged writes and the write in flight."""

    name: str
    group_id: str | None = None
    titles: dict[str, str] = attrs.Factory(dict)  # user id -> last acknowledged title
    members: set[str] = attrs.Factory(set)  # acknowledged members of the group
    pending_title: tuple[str, str] | None = None  # (user id, title) in flight
    pending_member: str | None = None  # user id being added when stopped
    requests: int = 0
    failures: list[str] = attrs.Factory(list)  # unexpected answers


@attrs.frozen
class LoadResult:
    """The outcome of :func:`run_load`."""

    seconds: float
    clients: tuple[ClientLog, ...]

    @property
    def requests(self) -> int:
        """Requests answered with an acknowledgement (2xx)."""
        return sum(client.requests for client in self.clients)

    @property
    def per_second(self) -> float:
        """Acknowledged requests per second over the whole run."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> list[str]:
        """Every unexpected answer, prefixed with the client's name."""
        return [f"{c.name}: {f}" for c in self.clients for f in c.failures]


class _Stopped(Exception):  # noqa: N818  internal signal: the server went away
    pass


class _Client:
    """One keep-alive connection speaking SCIM JSON."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        self.path = parsed.path.rstrip("/")
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self.https = parsed.scheme == "https"
        self.timeout = timeout
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/scim+json",
            "Accept": "application/scim+json",
        }
        self.connection = self.connect()

    def connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        return kind(self.host, self.port, timeout=self.timeout)

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        try:
            self.connection.request(
                method, self.path + path, body=data, headers=self.headers
            )
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            raise _Stopped(str(error)) from error
        if response.getheader("connection", "").casefold() == "close":
            self.connection.close()
            self.connection = self.connect()
        return response.status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.connection.close()


def run_load(
    base_url: str,
    token: str,
    *,
    clients: int = 8,
    seconds: float = 5.0,
    seed: int = 0,
    stop: threading.Event | None = None,
    timeout: float = 10.0,
) -> LoadResult:
    """Run *clients* provisioning clients against *base_url* for *seconds*.

    *base_url* is the SCIM base (``http://127.0.0.1:8000/scim/Okta/v2``). The run
    ends early when *stop* is set or when the server stops answering (each client
    then keeps its in-flight write as pending).
    """
    stop = stop or threading.Event()
    logs = [ClientLog(f"client-{n}") for n in range(clients)]
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_drive,
            args=(log,),
            kwargs={
                "base_url": base_url,
                "token": token,
                "deadline": deadline,
                "stop": stop,
                "rng": random.Random(seed + n),  # noqa: S311  a workload, not a secret
                "timeout": timeout,
            },
            name=log.name,
            daemon=True,
        )
        for n, log in enumerate(logs)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(time.perf_counter() - started, tuple(logs))


def _drive(
    log: ClientLog,
    *,
    base_url: str,
    token: str,
    deadline: float,
    stop: threading.Event,
    rng: random.Random,
    timeout: float,
) -> None:
    client = _Client(base_url, token, timeout)
    unique = f"{log.name}-{rng.getrandbits(48):012x}"
    try:
        status, body = client.call(
            "POST",
            "/Groups",
            {"schemas": [_GROUP_SCHEMA], "displayName": f"load {unique}"},
        )
        if not _acknowledged(log, status, body, "create group"):
            return
        log.group_id = body["id"]
        steps: list[Callable[[_Client, ClientLog, random.Random, str, int], None]] = [
            _create_user,
            _patch_title,
            _add_member,
        ]
        for step in itertools.count():
            if stop.is_set() or time.monotonic() >= deadline:
                return
            steps[step % 3](client, log, rng, unique, step)
    except _Stopped:
        stop.set()
    finally:
        client.close()


def _create_user(
    client: _Client, log: ClientLog, _: random.Random, unique: str, step: int
) -> None:
    status, body = client.call(
        "POST",
        "/Users",
        {
            "schemas": [_USER_SCHEMA],
            "userName": f"{unique}-{step}@load.example",
            "title": "t0",
        },
    )
    if _acknowledged(log, status, body, "create user"):
        log.titles[body["id"]] = "t0"


def _patch_title(
    client: _Client, log: ClientLog, rng: random.Random, _: str, step: int
) -> None:
    if not log.titles:
        return
    user_id = rng.choice(sorted(log.titles))
    title = f"t{step}"
    log.pending_title = (user_id, title)
    status, body = client.call(
        "PATCH",
        f"/Users/{user_id}",
        {
            "schemas": [_PATCH_SCHEMA],
            "Operations": [{"op": "replace", "path": "title", "value": title}],
        },
    )
    log.pending_title = None
    if _acknowledged(log, status, body, "patch title"):
        log.titles[user_id] = title


def _add_member(
    client: _Client, log: ClientLog, rng: random.Random, _: str, __: int
) -> None:
    candidates = sorted(set(log.titles) - log.members)
    if not candidates or log.group_id is None:
        return
    user_id = rng.choice(candidates)
    log.pending_member = user_id
    status, body = client.call(
        "PATCH",
        f"/Groups/{log.group_id}",
        {
            "schemas": [_PATCH_SCHEMA],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": user_id}]}
            ],
        },
    )
    log.pending_member = None
    if _acknowledged(log, status, body, "add member"):
        log.members.add(user_id)


def _acknowledged(log: ClientLog, status: int, body: Any, what: str) -> bool:
    if 200 <= status < 300:
        log.requests += 1
        return True
    detail = body.get("detail") if isinstance(body, dict) else body
    log.failures.append(f"{what}: HTTP {status}: {detail}")
    return False


def check_load(base_url: str, token: str, result: LoadResult) -> list[str]:
    """Every acknowledged write of *result* that the server does not hold now.

    An empty list means nothing acknowledged was lost. A write that was in flight when
    the run stopped may or may not have happened; both are accepted.
    """
    client = _Client(base_url, token, timeout=30.0)
    problems: list[str] = []
    try:
        for log in result.clients:
            for user_id, title in log.titles.items():
                status, body = client.call("GET", f"/Users/{user_id}")
                if status != 200:
                    problems.append(f"{log.name}: user {user_id}: HTTP {status}")
                    continue
                allowed = {title}
                if log.pending_title and log.pending_title[0] == user_id:
                    allowed.add(log.pending_title[1])
                if body.get("title") not in allowed:
                    problems.append(
                        f"{log.name}: user {user_id}: title {body.get('title')!r}, "
                        f"acknowledged {title!r}"
                    )
            if log.group_id is None:
                continue
            status, body = client.call("GET", f"/Groups/{log.group_id}")
            if status != 200:
                problems.append(f"{log.name}: group {log.group_id}: HTTP {status}")
                continue
            present = {member["value"] for member in body.get("members", ())}
            missing = log.members - present
            extra = present - log.members - {log.pending_member}
            if missing:
                problems.append(
                    f"{log.name}: group lost acknowledged members {sorted(missing)}"
                )
            if extra:
                problems.append(f"{log.name}: group has unrequested {sorted(extra)}")
    finally:
        client.close()
    return problems
