"""`scimpolicy readiness` through ``main(argv)``: the report on acme, JSON, choosing
IdPs, limits, exit codes, errors without tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from scimpolicy.cli import _common, _readiness, main
from scimpolicy.workspace.files import load_workspace
from scimpolicy.workspace.world import World
from tests.cli.support import epilog_examples

ROOT = Path(__file__).parents[2]
ACME = ROOT / "examples" / "acme"
SESSIONS: list[dict[str, Any]] = json.loads(
    (ACME / "sessions.json").read_text(encoding="utf-8")
)
CATEGORIES = (
    "users seen in SAML but missing from SCIM",
    "NameID and userName mismatches",
    "sessions of inactive users",
    "sessions that still need to re-authenticate",
)

_LOADED: dict[Path, World] = {}
_RUNS: dict[tuple[str, ...], tuple[int, str, str]] = {}


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


def readiness(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """Run `readiness examples/acme ARGS...` from the repository's root, as the help's
    examples are written: the exit code, stdout and stderr. A command line runs once
    per module (each report decides every session twice, and the tenant is
    read-only), so a test and a help example asking the same share the run."""
    argv = ("readiness", "examples/acme", *args)
    if argv not in _RUNS:
        monkeypatch.chdir(ROOT)
        code = main(list(argv))
        out, err = capsys.readouterr()
        _RUNS[argv] = (code, out, err)
    return _RUNS[argv]


def counts(out: str, idp: str) -> dict[str, int]:
    """The count of each problem in *idp*'s section of the text."""
    section = out.split(f"IdP `{idp}`: ", 1)[1].split("\n\n", 1)[0]
    found = {}
    for title in CATEGORIES:
        match = re.search(rf"^  {re.escape(title)}: ([\d,]+)$", section, re.MULTILINE)
        assert match is not None, title
        found[title] = int(match.group(1).replace(",", ""))
    return found


def examples_shown(out: str, idp: str, title: str) -> list[str]:
    """The example lines under *title* in *idp*'s section."""
    section = out.split(f"IdP `{idp}`: ", 1)[1].split("\n\n", 1)[0]
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {title}: "))
    found = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        found.append(line.strip())
    return found


def sessions_of(idp: str) -> int:
    return sum(1 for session in SESSIONS if session["idp"] == idp)


# -- the report ---------------------------------------------------------------------------


def test_acme_is_not_ready(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default only Okta is checked (Entra has the setting on already); it has all
    four kinds of problem; exit 1."""
    code, out, err = readiness(capsys, monkeypatch)
    assert (code, err) == (1, "")
    assert out.startswith(
        "Readiness for SCIM Attributes for Policy (2026-11-23T09:00:00Z)\n\n"
        f"IdP `Okta`: NOT ready ({sessions_of('Okta'):,} sessions)\n"
        "  SCIM Attributes for Policy would be enabled at 2026-11-23T09:00:00Z\n"
    )
    assert "IdP `Entra`" not in out
    found = counts(out, "Okta")
    assert [found[t] for t in CATEGORIES[:3]] == [19, 10, 9]
    # Every session signed in before now: all the others must sign in again.
    assert found[CATEGORIES[3]] == sessions_of("Okta") - 19 - 10 - 9
    assert "  inactive users in the directory: 102\n" in out
    assert (
        "leo.kim@acme.com: no SCIM userName `leo.kim@acme.com`; SCIM has "
        "`leo.kim@acme.example`: the IdP's NameID must be the SCIM userName"
    ) in examples_shown(out, "Okta", CATEGORIES[1])
    # At most 10 examples each (the default --limit), then how many more.
    assert examples_shown(out, "Okta", CATEGORIES[0])[-1] == "... and 9 more"
    decisions = out.split(
        "Decisions once every session has re-authenticated (a what-if):\n", 1
    )[1]
    assert decisions.startswith(
        "What if:\n"
        "  - IdP `Okta`: SCIM Attributes for Policy on at 2026-11-23T09:00:00Z\n"
        "  - everyone of IdP `Okta` re-authenticates at 2026-11-23T09:00:00Z\n"
    )
    assert "deny (rule `Contractors: no finance or HR`)" in decisions


def test_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--json: the same findings for scripts; exit 1 all the same."""
    code, out, err = readiness(capsys, monkeypatch, "--json")
    assert (code, err) == (1, "")
    data = json.loads(out)
    assert data["at"] == "2026-11-23T09:00:00Z"
    assert data["ready"] is False
    [okta] = data["idps"]
    assert okta["idp"] == "Okta"
    assert okta["sessions"] == sessions_of("Okta")
    assert okta["scimSync"] is True
    assert okta["ready"] is False
    assert [
        len(okta[key])
        for key in ("missingFromScim", "nameIdMismatches", "inactiveUsers")
    ] == [19, 10, 9]
    assert len(okta["needReauthentication"]) == sessions_of("Okta") - 38
    assert okta["inactiveInDirectory"] == 102
    assert okta["nameIdMismatches"][0] == {
        "user": "leo.kim@acme.com",
        "detail": "no SCIM userName `leo.kim@acme.com`; SCIM has "
        "`leo.kim@acme.example`: the IdP's NameID must be the SCIM userName",
    }
    assert data["decisions"]["changed"] > 0
    assert data["decisions"]["transitions"]


def test_an_idp_that_has_the_setting_on_already(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--idp Entra (SCIM Attributes for Policy on since 2026-11-16T08:00Z): judged
    from when it was enabled. Entra is not ready (users missing from SCIM, inactive
    users); the sessions that still need to re-authenticate are those of present,
    active users that authenticated before 2026-11-16T08:00Z; the what-if does not
    enable it again, it re-authenticates those sessions then.
    """
    code, out, err = readiness(capsys, monkeypatch, "--idp", "Entra", "--limit", "2")
    assert (code, err) == (1, "")
    assert f"\nIdP `Entra`: NOT ready ({sessions_of('Entra'):,} sessions)\n" in out
    assert "  SCIM Attributes for Policy on since 2026-11-16T08:00:00Z\n" in out
    assert "IdP `Okta`" not in out
    assert "SCIM Sync is off" not in out
    found = counts(out, "Entra")
    missing, mismatched, inactive, stale = (found[t] for t in CATEGORIES)
    assert (missing, mismatched, inactive) == (6, 0, 11)
    world = load_workspace(ACME)
    entra = world.idp("Entra")
    enabled = entra.scim_attributes_enabled_at
    assert enabled is not None
    expected = 0
    for session in world.sessions:
        user = entra.directory.user_by_name(session.user)
        if session.idp == "Entra" and user is not None and user.is_active:
            expected += session.authenticated_at < enabled
    assert 0 < stale == expected < sessions_of("Entra") - missing - inactive
    assert "SCIM Attributes for Policy on at" not in out
    assert (
        "  - everyone of IdP `Entra` re-authenticates at 2026-11-16T08:00:00Z\n" in out
    )
    # --limit 2: two examples per problem, then how many more.
    assert examples_shown(out, "Entra", CATEGORIES[0])[2:] == ["... and 4 more"]
    assert examples_shown(out, "Entra", CATEGORIES[1]) == []
    assert examples_shown(out, "Entra", CATEGORIES[2])[2:] == ["... and 9 more"]
    assert len(examples_shown(out, "Entra", CATEGORIES[3])) == 3


# -- bad input: exit 2, a message, no traceback -------------------------------------------


def test_an_unknown_idp(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["readiness", str(ACME), "--idp", "Okta", "--idp", "Nope"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == "error: no IdP named `Nope` in the tenant (IdPs: `Okta`, `Entra`)\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-24T06:00:00", "`2026-11-24T06:00:00` has no offset"),
        ("next week", "expected an ISO 8601 timestamp"),
    ],
)
def test_a_bad_at(
    capsys: pytest.CaptureFixture[str], value: str, expected: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["readiness", str(ACME), "--at", value])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: scimpolicy readiness")
    assert err.splitlines()[-1].startswith(
        f"scimpolicy readiness: error: argument --at: {expected}"
    )


def test_a_missing_tenant_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    code = main(["readiness", str(missing)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"error: No such file or directory: `{missing}`\n"


def test_jobs_below_one(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["readiness", str(ACME), "--jobs", "0"])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", "error: --jobs must be at least 1\n")


# -- help and the examples it gives --------------------------------------------------------


def test_help_shows_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["readiness", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: scimpolicy readiness")
    assert _readiness.COMMAND.examples in out


EXAMPLES = epilog_examples(_readiness.COMMAND)


def test_the_examples_are_all_run() -> None:
    assert len(EXAMPLES) == 3
    assert all(argv[:2] == ["readiness", "examples/acme"] for argv in EXAMPLES)


@pytest.mark.parametrize("argv", EXAMPLES, ids=" ".join)
def test_each_example_works_as_written(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:
    """Each example of `readiness --help`, run as written from the repository's root:
    acme's Okta is not ready, so each exits 1 with a report."""
    code, out, err = readiness(capsys, monkeypatch, *argv[2:])
    assert (code, err) == (1, "")
    if "--json" in argv:
        assert json.loads(out)["ready"] is False
    else:
        assert "IdP `Okta`: NOT ready" in out
    if "--at" in argv:
        assert out.startswith(
            "Readiness for SCIM Attributes for Policy (2026-11-24T06:00:00Z)\n"
        )
        # --limit 3: three of the 19 users missing from SCIM, then the rest counted.
        assert examples_shown(out, "Okta", CATEGORIES[0])[3:] == ["... and 16 more"]
