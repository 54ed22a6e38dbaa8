"""`scimpolicy bulk` through ``main(argv)``: the summary, JSON, CSV and JSON-lines
rows, directory users, process pools, exit codes, errors without tracebacks."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from scimpolicy.cli import _bulk, _common, main
from scimpolicy.workspace.files import load_workspace
from scimpolicy.workspace.world import World
from tests.cli.support import epilog_examples

ROOT = Path(__file__).parents[2]
ACME = ROOT / "examples" / "acme"
SESSIONS = len(json.loads((ACME / "sessions.json").read_text(encoding="utf-8")))
SEGMENTS = [
    segment["name"]
    for segment in tomllib.loads((ACME / "tenant.toml").read_text(encoding="utf-8"))[
        "segment"
    ]
]
APPS = len(SEGMENTS)
# Every session against every application for access and timeout, once for forwarding.
DECISIONS = SESSIONS * (APPS + 1 + APPS)
COLUMNS = [
    "session",
    "user",
    "idp",
    "client_type",
    "policy",
    "application",
    "outcome",
    "decided_by",
    "reason_code",
]
PAYROLL = ("--types", "access", "--apps", "Payroll")


def _active_users() -> list[str]:
    """The userNames of the active users of both SCIM exports (Entra writes `active`
    as the strings "True" and "False")."""
    names: list[str] = []
    for folder in ("okta", "entra"):
        data = json.loads((ACME / folder / "users.json").read_text(encoding="utf-8"))
        names.extend(
            user["userName"]
            for user in data["Resources"]
            if str(user.get("active", True)).casefold() == "true"
        )
    return names


_LOADED: dict[Path, World] = {}


@pytest.fixture(autouse=True)
def _load_acme_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`main` loads the tenant on every run; here the acme example is loaded once for
    the module (worlds are immutable), which keeps these tests fast. Other folders
    load as usual."""

    def load(path: str | Path) -> World:
        resolved = Path(path).resolve()
        if resolved != ACME.resolve():
            return load_workspace(path)
        if resolved not in _LOADED:
            _LOADED[resolved] = load_workspace(path)
        return _LOADED[resolved]

    monkeypatch.setattr(_common, "load_workspace", load)


_RUNS: dict[tuple[str, ...], tuple[int, str, str]] = {}


def from_root(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> tuple[int, str, str]:
    """Run *argv* from the repository's root, as the help's examples are written: the
    exit code, stdout and stderr. A command line runs once per module (the tenant is
    read-only), so a test and a help example asking the same share the run."""
    if tuple(argv) not in _RUNS:
        monkeypatch.chdir(ROOT)
        code = main(argv)
        out, err = capsys.readouterr()
        _RUNS[tuple(argv)] = (code, out, err)
    return _RUNS[tuple(argv)]


def bulk(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run `bulk` on the acme example; expect exit 0 and a quiet stderr; the output."""
    code = main(["bulk", str(ACME), *args])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return out


def summary(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(bulk(capsys, *args, "--json"))
    return data


def csv_rows(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, str]]:
    out = bulk(capsys, *args, "--rows", "csv")
    reader = csv.DictReader(io.StringIO(out))
    found = list(reader)
    assert reader.fieldnames == COLUMNS
    return found


def table(lines: list[str]) -> list[list[str]]:
    """The rows of a text table (header, dashes, rows) up to a blank line; cells are
    separated by two spaces or more."""
    assert set(lines[1].replace(" ", "")) == {"-"}
    found = []
    for line in lines[2:]:
        if not line.strip():
            break
        found.append([cell for cell in line.split("  ") if cell.strip()])
    return [[cell.strip() for cell in row] for row in found]


def bad_input(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run *argv*; expect exit 2, nothing on stdout and one error without a
    traceback on stderr; return the message."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert "Traceback" not in err
    return err.removeprefix("error: ").rstrip("\n")


def bad_usage(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run *argv*; expect argparse's exit 2 (SystemExit); return its message."""
    with pytest.raises(SystemExit) as caught:
        main(list(argv))
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: scimpolicy bulk")
    return err.splitlines()[-1]


# -- output -------------------------------------------------------------------------------


def test_the_summary_counts_every_decision(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every session against the 22 applications for access and timeout and once for
    forwarding; the outcome table adds up to it per policy type, and the allowed
    table to the access allows."""
    code, out, err = from_root(capsys, monkeypatch, ["bulk", "examples/acme"])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{DECISIONS:,} decisions for {SESSIONS:,} sessions"
    assert lines[1] == ""
    assert lines[2].split() == ["policy", "outcome", "decisions"]
    outcomes = table(lines[2:])
    per_type: dict[str, int] = {}
    for policy, _, count in outcomes:
        per_type[policy] = per_type.get(policy, 0) + int(count.replace(",", ""))
    assert per_type == {
        "access": SESSIONS * APPS,
        "forwarding": SESSIONS,
        "timeout": SESSIONS * APPS,
    }
    assert {o for p, o, _ in outcomes if p == "access"} == {
        "allow",
        "deny",
        "require_approval",
    }
    start = lines.index("", 3) + 1
    assert lines[start].split() == ["application", "sessions", "allowed"]
    allowed = {app: int(n.replace(",", "")) for app, n in table(lines[start:])}
    assert set(allowed) <= set(SEGMENTS)
    assert sum(allowed.values()) == next(
        int(n.replace(",", "")) for p, o, n in outcomes if (p, o) == ("access", "allow")
    )
    assert allowed["Intranet"] <= SESSIONS


def test_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """--json: sessions, decisions, outcomes per policy type, allowed per app."""
    data = summary(capsys, "--types", "access,forwarding", "--apps", "Payroll,CRM")
    assert data["sessions"] == SESSIONS
    assert data["decisions"] == SESSIONS * 3
    assert sum(o["decisions"] for o in data["outcomes"]) == data["decisions"]
    assert {o["policy"] for o in data["outcomes"]} == {"access", "forwarding"}
    access_allowed = sum(
        o["decisions"]
        for o in data["outcomes"]
        if (o["policy"], o["outcome"]) == ("access", "allow")
    )
    assert set(data["allowedByApplication"]) == {"Payroll", "CRM"}
    assert sum(data["allowedByApplication"].values()) == access_allowed


def test_csv_rows(capsys: pytest.CaptureFixture[str]) -> None:
    """--rows csv: a header and one line per decision, in session order, agreeing
    with the summary."""
    found = csv_rows(capsys, *PAYROLL)
    assert len(found) == SESSIONS
    assert [row["session"] for row in found] == [str(i) for i in range(SESSIONS)]
    assert {(row["policy"], row["application"]) for row in found} == {
        ("access", "Payroll")
    }
    assert {row["idp"] for row in found} == {"Okta", "Entra"}
    assert {row["outcome"] for row in found} <= {"allow", "deny", "require_approval"}
    assert all(row["decided_by"] for row in found)
    denied = [row for row in found if row["outcome"] == "deny"]
    assert all(row["reason_code"] for row in denied)
    allowed = sum(row["outcome"] == "allow" for row in found)
    assert summary(capsys, *PAYROLL)["allowedByApplication"] == {"Payroll": allowed}


def test_jsonl_rows(capsys: pytest.CaptureFixture[str]) -> None:
    """--rows jsonl: one JSON object per decision with the CSV's columns, typed:
    the session a number, no application (forwarding) and no reason code null."""
    narrow = ("--types", "access,forwarding", "--apps", "Payroll")
    lines = bulk(capsys, *narrow, "--rows", "jsonl").splitlines()
    assert len(lines) == 2 * SESSIONS
    rows = [json.loads(line) for line in lines]
    assert all(list(row) == COLUMNS for row in rows)
    assert (
        rows[0]["user"]
        == json.loads((ACME / "sessions.json").read_text(encoding="utf-8"))[0]["user"]
    )
    assert {(row["policy"], row["application"]) for row in rows} == {
        ("access", "Payroll"),
        ("forwarding", None),
    }
    as_csv = [
        {
            **row,
            "session": str(row["session"]),
            "application": row["application"] or "",
            "reason_code": row["reason_code"] or "",
        }
        for row in rows
    ]
    assert as_csv == csv_rows(capsys, *narrow)


def test_client_types(capsys: pytest.CaptureFixture[str]) -> None:
    """--client-types: each session decided once per client type named (short or
    API names, in any case)."""
    found = csv_rows(
        capsys,
        "--types",
        "forwarding",
        "--client-types",
        "web_browser,ZPN_CLIENT_TYPE_ZAPP",
    )
    assert len(found) == 2 * SESSIONS
    assert [row["client_type"] for row in found[:4]] == [
        "web_browser",
        "ZPN_CLIENT_TYPE_ZAPP",
    ] * 2


def test_directory_users(capsys: pytest.CaptureFixture[str]) -> None:
    """--directory-users: one session per active SCIM user of either IdP instead of
    the sessions seen."""
    active = _active_users()
    data = summary(capsys, "--directory-users", *PAYROLL)
    assert data["sessions"] == data["decisions"] == len(active)
    found = csv_rows(capsys, "--directory-users", *PAYROLL)
    assert [row["user"] for row in found] == active
    assert {row["client_type"] for row in found} == {"client_connector"}


def test_jobs_give_the_same_rows(capsys: pytest.CaptureFixture[str]) -> None:
    """--jobs 2 (a process pool) streams exactly the rows one process does."""
    alone = bulk(capsys, *PAYROLL, "--rows", "csv")
    shared = bulk(capsys, *PAYROLL, "--rows", "csv", "--jobs", "2")
    assert shared == alone
    assert len(alone.splitlines()) == SESSIONS + 1


# -- bad input: exit 2, a message, no traceback -------------------------------------------


def test_an_unknown_app(capsys: pytest.CaptureFixture[str]) -> None:
    message = bad_input(capsys, "bulk", str(ACME), "--apps", "Payroll,Payrol")
    assert message.startswith(
        "no application segment named `Payrol` (segments: GitLab,"
    )


def test_an_unknown_client_type(capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: a misspelt client type was decided as one (silently wrong)."""
    message = bad_input(
        capsys,
        "bulk",
        str(ACME),
        "--types",
        "forwarding",
        "--client-types",
        "web_browsr",
    )
    assert message.startswith(
        "unknown client type `web_browsr` (client types: web_browser,"
    )


def test_jobs_below_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert bad_input(capsys, "bulk", str(ACME), "--jobs", "0") == (
        "--jobs must be at least 1"
    )


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--rows", "xml", "argument --rows: invalid choice: 'xml'"),
        ("--types", "acess", "argument --types: expected access, forwarding, timeout"),
        ("--jobs", "many", "argument --jobs: invalid int value: 'many'"),
    ],
)
def test_bad_option_values(
    capsys: pytest.CaptureFixture[str], option: str, value: str, expected: str
) -> None:
    message = bad_usage(capsys, "bulk", str(ACME), option, value)
    assert message.startswith(f"scimpolicy bulk: error: {expected}")


def test_a_missing_tenant_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    assert bad_input(capsys, "bulk", str(missing)) == (
        f"No such file or directory: `{missing}`"
    )


def test_malformed_sessions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A session with a number for its IdP: the file, the line and the field."""
    tenant = Path(shutil.copytree(ACME, tmp_path / "acme"))
    sessions = tenant / "sessions.json"
    lines = sessions.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = next(i for i, line in enumerate(lines) if '"idp": "Okta",' in line)
    lines[broken] = lines[broken].replace('"Okta"', "7")
    sessions.write_text("".join(lines), encoding="utf-8")
    message = bad_input(capsys, "bulk", str(tenant))
    assert message.startswith(
        f"{sessions}: session 1: `idp`: expected a string, got 7 (at line {broken + 1},"
    )


def test_sessions_that_are_not_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    tenant = Path(shutil.copytree(ACME, tmp_path / "acme"))
    sessions = tenant / "sessions.json"
    sessions.write_text('[\n  {"user": "a@acme.example",\n', encoding="utf-8")
    message = bad_input(capsys, "bulk", str(tenant))
    assert message.startswith(f"{sessions}: ")
    assert "(at line 3, column" in message


# -- help and the examples it gives --------------------------------------------------------


def test_help_shows_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["bulk", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: scimpolicy bulk")
    assert _bulk.COMMAND.examples in out


EXAMPLES = epilog_examples(_bulk.COMMAND)
# What each example's output must start with, in the epilog's order.
SHOWN: tuple[str, ...] = (
    f"{DECISIONS:,} decisions for {SESSIONS:,} sessions\n",
    ",".join(COLUMNS) + "\n0,",
    f"{len(_active_users()) * APPS:,} decisions for {len(_active_users()):,} sessions\n",
)


def test_the_examples_are_all_checked() -> None:
    assert len(EXAMPLES) == len(SHOWN) == 3


@pytest.mark.parametrize(
    ("argv", "shown"),
    list(zip(EXAMPLES, SHOWN, strict=False)),
    ids=[" ".join(argv) for argv in EXAMPLES[: len(SHOWN)]],
)
def test_each_example_works_as_written(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    shown: str,
) -> None:
    """Each example of `bulk --help`, run as written from the repository's root."""
    code, out, err = from_root(capsys, monkeypatch, argv)
    assert (code, err) == (0, "")
    assert out.startswith(shown)
