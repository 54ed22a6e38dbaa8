"""Measure scimpolicy's SCIM service provider beside scim2-server under one load.

Run from the repository root, in a virtualenv holding scimpolicy with its ``server``
extra (uvicorn) and, for the peer, scim2-server (see ``benchmarks/README.md``)::

    python benchmarks/bench_scim_server.py                    # 8 clients, 3 x 10 s each
    python benchmarks/bench_scim_server.py --clients 4 --seconds 5 --repeats 5
    python benchmarks/bench_scim_server.py --servers scimpolicy-memory,scim2-server \\
        --json out.json

It prints Markdown tables on stdout (progress goes to stderr).

The servers, each in its own subprocess started with this interpreter
(``sys.executable``), listening on 127.0.0.1 under uvicorn with the same settings (one
worker process, log level ``warning``, no access log, uvicorn's defaults otherwise):

- **scimpolicy-memory**: ``python -m scimpolicy serve --idp Okta --port P``, the
  directory in memory; the endpoint and the bearer token are read from its banner;
- **scimpolicy-durable**: the same with ``--data DIR`` (a new empty folder under
  ``--data-parent``): every write is committed to SQLite (WAL journal,
  ``synchronous=FULL``, so an fsync) before it is acknowledged;
- **scim2-server**: scim2-server's ``ASGIApplication`` over
  ``AsyncInMemoryStorage(InMemoryStorage())`` with its default schemas, resource types
  and configuration plus the bearer-token scheme, run by ``uvicorn.run`` in a small
  ``-c`` program (:data:`PEER_PROGRAM`). It requires a static bearer token the way
  scim2-server's own ``scim2-server --bearer-token`` does (``check_auth`` of its
  ``BearerTokenApplication``, which is WSGI only), so both servers authenticate every
  request. Its base path is ``/v2``.

The load is :func:`scimpolicy.testing.load.run_load`, in this process, the same for
every server: ``--clients`` threads, each with one keep-alive ``http.client``
connection, each creating a group and then cycling create user / PATCH the title of one
of its users / PATCH its group to add one of its users, for ``--seconds``. Only
acknowledged (2xx) requests count.

One run = start a fresh server (empty store), send a few probe requests (their status
codes and body sizes are printed: the servers answer differently), a warm-up load of
``--warmup`` seconds (other user names), the measured load, then
:func:`~scimpolicy.testing.load.check_load` over the measured and the warm-up loads
(every acknowledged write must be readable), then stop the server (SIGINT). Runs are
interleaved (repeat 1 of every server, then repeat 2, ...), so that other work on the
machine weighs on all alike. CPU time is read during the measured load: the server's
from ``/proc/<pid>/stat`` (all its threads), this process's (the clients) from
``time.process_time``.

Reported per server: the best and median acknowledged requests per second over the
repeats, acknowledged requests and errors (answers other than 2xx) summed over the
measured loads, lost writes (acknowledged writes :func:`check_load` did not find), and
the CPU the server and the clients used; per run, the size of the largest group at the
end (members, and the bytes of its GET answer: every group PATCH adds a member, so the
work of a group PATCH grows during a run, and with the server's speed). Before the
runs, the median time of a 4 KiB write + ``os.fsync`` in ``--data-parent`` is printed
(what a durable commit waits for, at least). Speeds are printed, never asserted. Checks
(listed under "Checks"; a failure makes the exit status 1): every server starts, no
load ends early because a server stopped answering, no errors, no lost writes (warm-up
included).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

from harness import cpu_model, progress, version_of

from scimpolicy.testing.load import LoadResult, check_load, run_load

ROOT: Final = Path(__file__).resolve().parent.parent
HOST: Final = "127.0.0.1"
IDP: Final = "Okta"
SERVERS: Final = ("scimpolicy-memory", "scimpolicy-durable", "scim2-server")
PACKAGES: Final = ("scimpolicy", "uvicorn", "h11", "scim2-server", "scim2-models")
START_TIMEOUT: Final = 60.0  # seconds for a server to print its banner and listen
STOP_TIMEOUT: Final = 15.0
MEASURED_SEED: Final = 0
WARMUP_SEED: Final = 1_000_000  # other user names than the measured load's
TOKEN_VARIABLE: Final = "BENCH_SCIM_BEARER_TOKEN"  # noqa: S105  a variable name
BEARER_LINE: Final = "bearer token (shown once, keep it now): "
USER_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

PEER_PROGRAM: Final = """\
import os, secrets, sys

import uvicorn
from scim2_models import ScimProvider, UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage, InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

host, port = sys.argv[1], int(sys.argv[2])
tokens = {os.environ["BENCH_SCIM_BEARER_TOKEN"]}


class BearerTokenASGIApplication(ASGIApplication):
    # scim2_server.testserver.application.BearerTokenApplication.check_auth (WSGI)
    def check_auth(self, request):
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token not in tokens:
            raise UnauthorizedException


config = load_default_service_provider_config()
config.authentication_schemes = [
    *(config.authentication_schemes or []),
    BEARER_TOKEN_SCHEME,
]
provider = ScimProvider.from_discovery(
    load_default_schemas().values(),
    load_default_resource_types().values(),
    config=config,
)
service = ScimService(provider, secret=secrets.token_urlsafe(32))
storage = AsyncInMemoryStorage(InMemoryStorage())
app = BearerTokenASGIApplication(storage, provider, service)
print(f"endpoint http://{host}:{port}/v2", flush=True)
print(f"serving on {host} port {port}", flush=True)
uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
"""
"""The scim2-server process: argv ``host port``, the token in the environment."""


# -- servers ---------------------------------------------------------------------------


class ServerError(Exception):
    """A server did not start, or stopped answering."""


@dataclass
class Running:
    """A started server: its process and how to reach it."""

    name: str
    process: subprocess.Popen[str]
    base_url: str
    token: str
    stderr: IO[str]
    data: Path | None = None
    banner: list[str] = field(default_factory=list)
    stderr_lines: list[str] = field(default_factory=list)  # read once it stopped

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (all its threads)."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii")
        except OSError:
            return None
        fields = stat.rpartition(")")[2].split()  # fields[0] is field 3 (state)
        ticks = int(fields[11]) + int(fields[12])  # fields 14 (utime), 15 (stime)
        return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def child_environment(token: str | None = None) -> dict[str, str]:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if token is not None:
        environment[TOKEN_VARIABLE] = token
    return environment


def read_banner(process: subprocess.Popen[str], timeout: float) -> list[str]:
    """The lines the server prints up to the one starting ``serving on``."""
    lines: list[str] = []
    done = threading.Event()

    def pump() -> None:
        stream = process.stdout
        if stream is None:
            return
        for line in stream:  # keeps draining after the banner, so the pipe never fills
            if not done.is_set():
                lines.append(line.rstrip("\n"))
                if line.startswith("serving on "):
                    done.set()
        done.set()

    threading.Thread(target=pump, name="banner", daemon=True).start()
    if not done.wait(timeout) or not any(x.startswith("serving on ") for x in lines):
        raise ServerError(f"no 'serving on' line; it printed {lines!r}")
    return lines


def wait_listening(process: subprocess.Popen[str], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise ServerError(f"exited with status {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise ServerError(f"not listening on port {port}") from None
            time.sleep(0.05)


def endpoint_and_token(banner: Sequence[str]) -> tuple[str, str]:
    """The SCIM base URL and the bearer token ``scimpolicy serve`` printed."""
    endpoint = next(
        (m[1] for line in banner if (m := re.search(r"(http://\S+)", line))), None
    )
    token = next(
        (line.partition(BEARER_LINE)[2] for line in banner if BEARER_LINE in line), ""
    )
    if endpoint is None or not token.strip():
        raise ServerError(f"no endpoint or token in {list(banner)!r}")
    return endpoint, token.strip()


def start_scimpolicy(name: str, data: Path | None, stderr: IO[str]) -> Running:
    port = free_port()
    command = [sys.executable, "-m", "scimpolicy", "serve", "--idp", IDP]
    if data is not None:
        command += ["--data", str(data)]
    command += ["--host", HOST, "--port", str(port)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=child_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    running = Running(name, process, "", "", stderr, data)
    try:
        running.banner = read_banner(process, START_TIMEOUT)
        running.base_url, running.token = endpoint_and_token(running.banner)
        wait_listening(process, port, START_TIMEOUT)
    except BaseException:
        stop(running)
        raise
    return running


def start_peer(name: str, stderr: IO[str]) -> Running:
    port = free_port()
    token = os.urandom(24).hex()
    process = subprocess.Popen(
        [sys.executable, "-c", PEER_PROGRAM, HOST, str(port)],
        cwd=ROOT,
        env=child_environment(token),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    running = Running(name, process, f"http://{HOST}:{port}/v2", token, stderr)
    try:
        running.banner = read_banner(process, START_TIMEOUT)
        wait_listening(process, port, START_TIMEOUT)
    except BaseException:
        stop(running)
        raise
    return running


def stop(running: Running) -> int | None:
    """Stop the server as Ctrl-C would (uvicorn shuts down cleanly); kill if stuck."""
    process = running.process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode


@contextlib.contextmanager
def started(name: str, data_parent: Path) -> Iterator[Running]:
    """A fresh server *name*, stopped (and its data folder removed) afterwards."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stderr:
        folder = None
        if name == "scimpolicy-durable":
            folder = Path(tempfile.mkdtemp(prefix="bench-scim-", dir=data_parent))
        try:
            if name == "scim2-server":
                running = start_peer(name, stderr)
            else:
                running = start_scimpolicy(name, folder, stderr)
            try:
                yield running
            finally:
                stop(running)
                running.stderr_lines = stderr_lines(stderr)
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


def stderr_lines(stream: IO[str]) -> list[str]:
    stream.flush()
    stream.seek(0)
    return [line.rstrip("\n") for line in stream if line.strip()]


# -- one run ---------------------------------------------------------------------------


@dataclass
class Run:
    """One server, one repeat: the measured load and what the checks found."""

    server: str
    repeat: int
    seconds: float = 0.0
    requests: int = 0
    per_second: float = 0.0
    failures: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    warmup_requests: int = 0
    warmup_failures: list[str] = field(default_factory=list)
    warmup_lost: list[str] = field(default_factory=list)
    stopped_early: bool = False
    server_cpu: float | None = None  # seconds during the measured load
    largest_group: int = 0  # members of the largest group of the measured load
    largest_group_bytes: int | None = None  # its GET answer, after the load
    client_cpu: float = 0.0  # seconds of this process during the measured load
    probe: dict[str, str] = field(default_factory=dict)
    server_stderr: list[str] = field(default_factory=list)
    error: str | None = None  # the server did not start, or a run raised
    skipped: str | None = None  # why it could not run here (a package missing)

    @property
    def ok(self) -> bool:
        return not (
            self.error
            or self.stopped_early
            or self.failures
            or self.lost
            or self.warmup_failures
            or self.warmup_lost
        )


def measure(name: str, repeat: int, config: Config) -> Run:
    run = Run(name, repeat)
    try:
        with started(name, config.data_parent) as server:
            run.probe = probe(server.base_url, server.token)
            warmup = load(server, config.clients, config.warmup, WARMUP_SEED)
            run.warmup_requests = warmup.result.requests
            run.warmup_failures = warmup.result.failures
            cpu_before = server.cpu_seconds()
            client_before = time.process_time()
            measured = load(server, config.clients, config.seconds, MEASURED_SEED)
            run.client_cpu = time.process_time() - client_before
            cpu_after = server.cpu_seconds()
            if cpu_before is not None and cpu_after is not None:
                run.server_cpu = cpu_after - cpu_before
            result = measured.result
            run.seconds, run.requests = result.seconds, result.requests
            run.per_second, run.failures = result.per_second, result.failures
            run.stopped_early = measured.stopped or warmup.stopped
            run.lost = check_load(server.base_url, server.token, result)
            biggest = max(result.clients, key=lambda log: len(log.members))
            run.largest_group = len(biggest.members)
            if biggest.group_id is not None:
                run.largest_group_bytes = body_size(
                    server, f"/Groups/{biggest.group_id}"
                )
            run.warmup_lost = check_load(server.base_url, server.token, warmup.result)
        run.server_stderr = server.stderr_lines
    except (ServerError, OSError, http.client.HTTPException, ValueError) as error:
        run.error = f"{type(error).__name__}: {error}"
    return run


@dataclass(frozen=True)
class Load:
    result: LoadResult
    stopped: bool  # a client saw the server go away


def load(server: Running, clients: int, seconds: float, seed: int) -> Load:
    stop_event = threading.Event()
    result = run_load(
        server.base_url,
        server.token,
        clients=clients,
        seconds=seconds,
        seed=seed,
        stop=stop_event,
    )
    return Load(result, stop_event.is_set())


def body_size(server: Running, where: str) -> int | None:
    """Bytes of the body of ``GET <base>/<where>`` (``None`` unless 200)."""
    parsed = urllib.parse.urlsplit(server.base_url)
    connection = http.client.HTTPConnection(
        parsed.hostname or HOST, parsed.port or 80, timeout=30
    )
    try:
        connection.request(
            "GET",
            parsed.path.rstrip("/") + where,
            headers={"Authorization": f"Bearer {server.token}"},
        )
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    return len(raw) if response.status == 200 else None


def probe(base_url: str, token: str) -> dict[str, str]:
    """Status and body size of one request of each kind the load sends (and a GET)."""
    parsed = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parsed.hostname or HOST, parsed.port or 80, timeout=30
    )
    path = parsed.path.rstrip("/")
    answers: dict[str, str] = {}

    def call(
        label: str, method: str, where: str, body: Any = None, *, auth: bool = True
    ) -> Any:
        headers = {"Content-Type": "application/scim+json"}
        if auth:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path + where, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        answers[label] = f"{response.status} ({len(raw):,} B)"
        return json.loads(raw) if raw and 200 <= response.status < 300 else None

    try:
        user = call(
            "POST /Users",
            "POST",
            "/Users",
            {"schemas": [USER_SCHEMA], "userName": "probe@load.example", "title": "t0"},
        )
        group = call(
            "POST /Groups",
            "POST",
            "/Groups",
            {"schemas": [GROUP_SCHEMA], "displayName": "probe"},
        )
        if user is not None and group is not None:
            call(
                "PATCH /Users/{id} (title)",
                "PATCH",
                f"/Users/{user['id']}",
                {
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [{"op": "replace", "path": "title", "value": "t1"}],
                },
            )
            call(
                "PATCH /Groups/{id} (add member)",
                "PATCH",
                f"/Groups/{group['id']}",
                {
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [
                        {
                            "op": "add",
                            "path": "members",
                            "value": [{"value": user["id"]}],
                        }
                    ],
                },
            )
            call("GET /Users/{id}", "GET", f"/Users/{user['id']}")
            call("GET /Users/{id}, no token", "GET", f"/Users/{user['id']}", auth=False)
    finally:
        connection.close()
    return answers


# -- reporting -------------------------------------------------------------------------


def table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def git_commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown (no git)"
    try:
        commit = subprocess.run(
            [git, "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            [git, "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    changed = sorted(line[3:] for line in status.splitlines() if line.strip())
    if not changed:
        return commit
    return f"{commit}, plus uncommitted changes to {', '.join(changed)}"


def filesystem_of(path: Path) -> str:
    """The mount point and file-system type holding *path* (from /proc/mounts)."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return "unknown"
    target = str(path.resolve())
    best = ("", "unknown")
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best[0]):
            best = (point, parts[2])
    return f"{best[1]} mounted at {best[0]}" if best[0] else "unknown"


def fsync_cost(folder: Path, count: int = 200) -> float | None:
    """Median seconds of one 4 KiB ``write`` + ``os.fsync`` of a file in *folder*."""
    samples = []
    block = os.urandom(4096)
    try:
        with tempfile.TemporaryFile(dir=folder) as stream:
            for _ in range(count):
                start = time.perf_counter()
                stream.write(block)
                stream.flush()
                os.fsync(stream.fileno())
                samples.append(time.perf_counter() - start)
    except OSError:
        return None
    return statistics.median(samples)


def uvicorn_parts() -> str:
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"HTTP parser {parser}, event loop {loop}"


def header(config: Config) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.replace("\n", " "),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": cpu_model(),
        "cpu_count": os.cpu_count(),
        "versions": {name: version_of(name) for name in PACKAGES},
        "scimpolicy_commit": git_commit(),
        "uvicorn": uvicorn_parts(),
        "data_parent": str(config.data_parent),
        "data_filesystem": filesystem_of(config.data_parent),
        "fsync_seconds": fsync_cost(config.data_parent),
        "servers": list(config.servers),
        "clients": config.clients,
        "seconds": config.seconds,
        "warmup": config.warmup,
        "repeats": config.repeats,
        "load_average_at_start": load_average(),
    }


def render_header(info: dict[str, Any]) -> list[str]:
    versions = ", ".join(
        f"{name} {found or 'not installed'}" for name, found in info["versions"].items()
    )
    machine = (
        f"{info['platform']}, {info['machine']}, {info['processor']}, "
        f"os.cpu_count() = {info['cpu_count']}"
    )
    workload = (
        f"{info['clients']} clients (threads of this process, one keep-alive "
        f"connection each); {info['repeats']} repeat(s) of {info['seconds']:g} s "
        f"measured after {info['warmup']:g} s of warm-up, a fresh server each run"
    )
    shared = (
        f"the load generator and the servers share the same {info['cpu_count']} "
        "cores: every figure includes the clients' own CPU time competing with the "
        "server's"
    )
    data = f"{info['data_parent']} ({info['data_filesystem']})"
    if info["fsync_seconds"] is not None:
        data += (
            f"; one 4 KiB write + fsync of a file there: "
            f"{info['fsync_seconds'] * 1e6:,.0f} µs (median of 200, before the runs)"
        )
    return [
        "# SCIM service provider under load",
        "",
        f"- Date: {info['date']}",
        f"- Python: {info['implementation']} {info['python']}",
        f"- Machine: {machine}",
        f"- Packages: {versions}; scimpolicy at git {info['scimpolicy_commit']}",
        f"- uvicorn: {info['uvicorn']}; one worker, log level warning, no access log",
        f"- Load: {workload}",
        f"- Durable data: new folders under {data}",
        f"- Note: {shared}.",
    ]


def rate(value: float) -> str:
    return f"{value:,.0f}"


def cpu_share(seconds: float | None, wall: float) -> str:
    return "-" if seconds is None or not wall else f"{seconds / wall:.2f}"


def summary_rows(runs: Sequence[Run], servers: Sequence[str]) -> list[list[str]]:
    rows = []
    for name in servers:
        mine = [run for run in runs if run.server == name and run.error is None]
        skipped = next((run.skipped for run in mine if run.skipped), None)
        if skipped or not mine:
            rows.append([name, skipped or "did not run", *["-"] * 7])
            continue
        speeds = [run.per_second for run in mine]
        wall = sum(run.seconds for run in mine)
        requests = sum(run.requests for run in mine)
        server_cpu = [run.server_cpu for run in mine if run.server_cpu is not None]
        per_request = (
            f"{sum(server_cpu) / requests * 1e6:,.0f}"
            if requests and len(server_cpu) == len(mine)
            else "-"
        )
        rows.append(
            [
                name,
                rate(max(speeds)),
                rate(statistics.median(speeds)),
                f"{requests:,}",
                f"{sum(len(run.failures) for run in mine):,}",
                f"{sum(len(run.lost) for run in mine):,}",
                per_request,
                cpu_share(sum(server_cpu), wall) if server_cpu else "-",
                cpu_share(sum(run.client_cpu for run in mine), wall),
            ]
        )
    return rows


def run_rows(runs: Sequence[Run]) -> list[list[str]]:
    rows = []
    for run in sorted(runs, key=lambda r: (SERVERS.index(r.server), r.repeat)):
        group_bytes = (
            "-" if run.largest_group_bytes is None else f"{run.largest_group_bytes:,}"
        )
        if run.error is not None or run.skipped is not None:
            why = run.skipped or "did not run"
            rows.append([run.server, str(run.repeat), why, *["-"] * 7])
            continue
        rows.append(
            [
                run.server,
                str(run.repeat),
                f"{run.seconds:.2f}",
                f"{run.requests:,}",
                rate(run.per_second),
                f"{len(run.failures)} / {len(run.lost)}",
                f"{run.warmup_requests:,}",
                f"{run.largest_group:,} ({group_bytes})",
                "-" if run.server_cpu is None else f"{run.server_cpu:.2f}",
                f"{run.client_cpu:.2f}",
            ]
        )
    return rows


def probe_rows(runs: Sequence[Run], servers: Sequence[str]) -> list[list[str]]:
    labels: list[str] = []
    for run in runs:
        labels += [label for label in run.probe if label not in labels]
    rows = []
    for label in labels:
        row = [f"`{label}`"]
        for name in servers:
            first = next((r for r in runs if r.server == name and r.probe), None)
            row.append("-" if first is None else first.probe.get(label, "-"))
        rows.append(row)
    return rows


def problems_of(runs: Sequence[Run]) -> list[str]:
    problems = []
    for run in runs:
        where = f"{run.server}, repeat {run.repeat}"
        if run.error is not None:
            problems.append(f"{where}: {run.error}")
        if run.stopped_early:
            problems.append(f"{where}: the server stopped answering during a load")
        for what, found in (
            ("error", run.failures),
            ("lost write", run.lost),
            ("warm-up error", run.warmup_failures),
            ("warm-up lost write", run.warmup_lost),
        ):
            if found:
                shown = "; ".join(found[:3]) + (" ..." if len(found) > 3 else "")
                problems.append(f"{where}: {len(found)} {what}(s): {shown}")
    return problems


RESULTS_NOTE: Final = (
    "Acknowledged (2xx) requests per second, best and median over the repeats. "
    "Acknowledged requests, errors (non-2xx answers) and lost writes are summed over "
    "the measured loads. Server CPU: its CPU time per acknowledged request, and its "
    "CPU seconds per wall second (1.00 = one core busy); client CPU: the same for "
    "this process (the load generator)."
)
PROBE_NOTE: Final = (
    "Status and body size of one request of each kind, sent before the first warm-up "
    "of each server."
)


def render(info: dict[str, Any], runs: Sequence[Run], config: Config) -> str:
    servers = config.servers
    lines = render_header(info)
    lines += [
        "",
        "## Results",
        "",
        RESULTS_NOTE,
        "",
    ]
    lines += table(
        [
            "server",
            "req/s best",
            "req/s median",
            "acknowledged requests",
            "errors",
            "lost writes",
            "server CPU µs/request",
            "server CPU (cores)",
            "client CPU (cores)",
        ],
        summary_rows(runs, servers),
    )
    lines += ["", "## Runs", "", "In the order of the servers, not of the run.", ""]
    lines += table(
        [
            "server",
            "repeat",
            "measured s",
            "acknowledged",
            "req/s",
            "errors / lost",
            "warm-up acknowledged",
            "largest group: members (GET bytes)",
            "server CPU s",
            "client CPU s",
        ],
        run_rows(runs),
    )
    lines += [
        "",
        "## Answers to single requests",
        "",
        PROBE_NOTE,
        "",
    ]
    lines += table(["request", *servers], probe_rows(runs, servers))
    noisy = [run for run in runs if run.server_stderr]
    if noisy:
        lines += ["", "## Server stderr", ""]
        for run in noisy:
            tail = run.server_stderr[-5:]
            lines.append(
                f"- {run.server}, repeat {run.repeat}: {len(run.server_stderr)} "
                f"line(s), last: {' / '.join(tail)}"
            )
    lines += ["", "## Checks", ""]
    lines += [f"- {problem}" for problem in problems_of(runs) or ["none"]]
    ending = (
        f"Whole run: {info['elapsed_seconds']:.0f} s. Load average (1, 5, 15 min) "
        f"at the start {info['load_average_at_start']}, at the end "
        f"{info['load_average_at_end']}."
    )
    lines += ["", ending]
    return "\n".join(lines)


# -- main ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    servers: tuple[str, ...]
    clients: int
    seconds: float
    warmup: float
    repeats: int
    data_parent: Path
    json: Path | None


def parse_args(argv: list[str] | None) -> Config:
    parser = argparse.ArgumentParser(
        description="Benchmark scimpolicy's SCIM service provider against scim2-server "
        "under the same loopback load."
    )
    parser.add_argument(
        "--clients", type=int, default=8, help="concurrent clients (default 8)"
    )
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="measured seconds per run (10)"
    )
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="warm-up seconds per run (1)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per server (default 3)"
    )
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated, among {', '.join(SERVERS)} (default: all)",
    )
    parser.add_argument(
        "--data-parent",
        type=Path,
        default=Path(tempfile.gettempdir()),
        metavar="DIR",
        help="where scimpolicy-durable's data folders are made (default: the "
        "temporary directory); its file system decides what an fsync costs",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write raw results")
    args = parser.parse_args(argv)
    servers = tuple(name for name in args.servers.split(",") if name)
    unknown = [name for name in servers if name not in SERVERS]
    if unknown or not servers:
        parser.error(f"--servers: choose among {', '.join(SERVERS)}")
    if args.clients < 1 or args.repeats < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--clients, --repeats and --seconds must be positive")
    if not args.data_parent.is_dir():
        parser.error(f"--data-parent {args.data_parent}: not a directory")
    return Config(
        servers=servers,
        clients=args.clients,
        seconds=args.seconds,
        warmup=args.warmup,
        repeats=args.repeats,
        data_parent=args.data_parent,
        json=args.json,
    )


def available(name: str) -> str | None:
    """Why *name* cannot run here, or ``None``."""
    if importlib.util.find_spec("uvicorn") is None:
        return "uvicorn is not installed"
    if name == "scim2-server" and importlib.util.find_spec("scim2_server") is None:
        return "scim2-server is not installed"
    return None


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    started_at = time.perf_counter()
    info = header(config)
    runs: list[Run] = []
    for repeat in range(1, config.repeats + 1):
        for name in config.servers:
            missing = available(name)
            if missing is not None:
                runs.append(Run(name, repeat, skipped=missing))
                progress(f"{name}: {missing}")
                continue
            progress(f"{name}, repeat {repeat}/{config.repeats}")
            run = measure(name, repeat, config)
            runs.append(run)
            if run.error is None:
                progress(
                    f"  {run.per_second:,.0f} req/s, {run.requests:,} acknowledged, "
                    f"{len(run.failures)} errors, {len(run.lost)} lost writes"
                )
            else:
                progress(f"  did not run: {run.error}")
    info["elapsed_seconds"] = time.perf_counter() - started_at
    info["load_average_at_end"] = load_average()
    print(render(info, runs, config))
    if config.json is not None:
        raw = {**info, "runs": [asdict(run) for run in runs]}
        config.json.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
        progress(f"raw results written to {config.json}")
    measured = [run for run in runs if run.skipped is None]
    return 0 if measured and all(run.ok for run in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
