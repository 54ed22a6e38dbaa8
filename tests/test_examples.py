"""The bundled examples run, and the example data is what its generator produces."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from scimpolicy import load_directory

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_directory_tour_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/directory_tour.py runs and prints what its comments promise."""
    runpy.run_path(str(EXAMPLES / "directory_tour.py"), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "409 uniqueness: userName `ALICE@example.com` is already taken"
    assert out[1] == "engineers: ['alice@example.com']"
    assert "did you mean `department`?" in out[2]
    assert "bob active for policy: None" in out
    assert "SRE members, original: 2 fork: 1" in out
    assert out[-1].startswith("active Acme contractors: ")


def test_evaluation_tour_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/evaluation_tour.py runs and explains its decisions."""
    runpy.run_path(str(EXAMPLES / "evaluation_tour.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "access decision:" in out
    assert "decided by rule `" in out


ACME_FILES = (
    "okta/users.json",
    "okta/groups.json",
    "entra/users.json",
    "entra/groups.json",
    "tenant.toml",
    "acme.policy",
    "sessions.json",
)


def test_whatif_tour_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/whatif_tour.py runs: readiness problems, the re-authentication gate
    (no change until users sign in again), then changes."""
    runpy.run_path(str(EXAMPLES / "whatif_tour.py"), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Okta: 19 users missing from SCIM, 10 NameID mismatches")
    assert out[1] == "enabled, nobody signed in again: 0 changes"
    assert out[2].startswith("enabled, everyone signed in again: ")
    assert not out[2].startswith("enabled, everyone signed in again: 0 ")
    assert "Contractors: no finance or HR" in out[3]
    assert out[4].startswith("the reorganisation scenario (6 changes): ")


def test_acme_data_matches_its_generator(tmp_path: Path) -> None:
    """The committed acme tenant (SCIM exports, tenant file, policy, sessions) is
    exactly what generate.py writes (fixed seeds)."""
    generator = runpy.run_path(str(EXAMPLES / "acme" / "generate.py"))
    generator["generate"](tmp_path)
    written = sorted(
        path.relative_to(tmp_path).as_posix()
        for path in tmp_path.rglob("*")
        if path.is_file()
    )
    assert written == sorted(ACME_FILES)
    for name in ACME_FILES:
        committed = (EXAMPLES / "acme" / name).read_text(encoding="utf-8")
        assert (tmp_path / name).read_text(encoding="utf-8") == committed, name


@pytest.mark.parametrize(
    ("idp", "users", "groups"), [("okta", 2400, 127), ("entra", 800, 87)]
)
def test_acme_directories_load(idp: str, users: int, groups: int) -> None:
    """Both acme exports load whole: every user, group and member reference."""
    directory = load_directory(EXAMPLES / "acme" / idp)
    assert directory.search_users(count=0)["totalResults"] == users
    assert directory.search_groups(count=0)["totalResults"] == groups
    everyone = directory.search_groups('displayName eq "All Staff"')["Resources"][0]
    nested = {m["value"] for m in everyone["members"]}
    assert all(m["type"] == "Group" for m in everyone["members"])
    some_user = next(directory.users())
    assert nested & {g.id for g in directory.groups_of(some_user.id)}


def test_scim_server_tour_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/scim_server_tour.py provisions like Okta and decides on the result."""
    runpy.run_path(str(EXAMPLES / "scim_server_tour.py"), run_name="__main__")
    assert capsys.readouterr().out.splitlines() == [
        "GET /Users -> 200",
        "POST /Users -> 201",
        "GET /Users -> 200",
        "POST /Groups -> 201",
        "GET /Users -> 401",
        "Carl to Git: allow",
        "PATCH /Users/id-1 -> 200",
        "Carl to Git after deactivation: deny BRK_MT_SETUP_FAIL_SCIM_INACTIVE",
    ]
