"""Declarative case files: reading them (errors with file, line, key), running them
(pass, fail with the explanation), and rule coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scimpolicy.cases import CaseError, load_cases, run_case_files, run_cases
from scimpolicy.errors import DataFileError
from scimpolicy.policy.nodes import PolicyType
from scimpolicy.workspace.files import load_workspace
from scimpolicy.workspace.world import World

ACME = Path(__file__).parents[2] / "examples" / "acme"
CASES = ACME / "tests" / "acme.cases.toml"

HEAD = """\
[defaults]
idp = "Okta"
now = 2026-11-23T09:00:00Z
platform = "mac"
country = "US"
posture = { "CrowdStrike running" = true }
scim_attributes_for_policy = true
scim_attributes_enabled_at = 2026-11-20T09:00:00Z
"""


@pytest.fixture(scope="module")
def acme() -> World:
    return load_workspace(ACME)


def write(tmp_path: Path, text: str, name: str = "t.cases.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_acme_cases_all_pass(acme: World) -> None:
    """The example case file passes, every case, with the coverage it claims."""
    report = run_cases(acme, load_cases(CASES, acme).cases)
    assert report.failed == 0
    assert report.summary() == f"{len(report.results)} passed, 0 failed"
    decided = {r.rule for r in report.coverage if r.decided}
    assert "Contractors: no finance or HR" in decided
    assert "Finance to finance apps" in decided


def test_run_case_files_uses_the_tenant_the_file_names() -> None:
    """`tenant = ".."` in the file is enough."""
    report, files = run_case_files([CASES])
    assert files[0].tenant == CASES.parent / ".."
    assert report.failed == 0


def test_a_failing_case_says_what_was_expected_and_explains(
    acme: World, tmp_path: Path
) -> None:
    """A wrong expectation fails with expected vs got and the whole explanation."""
    path = write(
        tmp_path,
        HEAD
        + """
[[case]]
name = "Contractors reach Payroll (wrong)"
user = "mia.lopez@acme.example"
app = "Payroll"
expect = "allow"
rule = "Finance to finance apps"
""",
    )
    report = run_cases(acme, load_cases(path, acme).cases)
    result = report.results[0]
    assert not result.passed
    assert report.summary() == "0 passed, 1 failed"
    text = result.render()
    assert text.startswith(f"FAIL  Contractors reach Payroll (wrong)  ({path}:10)")
    assert "expected allow, got deny (rule `Contractors: no finance or HR`)" in text
    assert (
        "expected rule `Finance to finance apps` to decide, got deny (rule "
        "`Contractors: no finance or HR`)" in text
    )
    assert "#5 `Contractors: no finance or HR`: matched" in text
    assert result.to_json()["passed"] is False


def test_expectations_of_each_kind(acme: World, tmp_path: Path) -> None:
    """Default rule, blocked, forwarding, timeout with expiry; IdP overrides."""
    path = write(
        tmp_path,
        HEAD
        + """
[[case]]
name = "default"
user = "uma.kowalski@acme.example"
app = "Payroll"
expect = "deny"
rule = "default"

[[case]]
name = "blocked"
user = "nobody@acme.example"
app = "Intranet"
expect = "blocked"

[[case]]
name = "not blocked without SCIM Sync"
user = "nobody@acme.example"
app = "Intranet"
scim_sync = false
expect = "allow"

[[case]]
name = "forwarding"
user = "mia.lopez@acme.example"
expect = "intercept_accessible"

[[case]]
name = "timeout"
user = "mia.lopez@acme.example"
app = "GitLab"
policy = "timeout"
authenticated_at = 2026-11-23T08:00:00Z
expect = "reauth  every 1d idle 30m"
expired = false

[[case]]
name = "default wrong"
user = "jonas.muller@acme.example"
app = "Payroll"
expect = "allow"
rule = "default"

[[case]]
name = "expired wrong"
user = "mia.lopez@acme.example"
app = "GitLab"
policy = "timeout"
authenticated_at = 2026-11-23T08:00:00Z
expect = "reauth every 1d idle 30m"
expired = true
""",
    )
    results = run_cases(acme, load_cases(path, acme).cases).results
    assert [r.passed for r in results] == [True] * 5 + [False, False]
    assert results[5].problems == (
        "expected the default to decide, got allow (rule `Finance to finance apps`)",
    )
    assert results[6].problems == (
        "expected the session expired (due 2026-11-24T08:00:00Z)",
    )
    assert results[3].case.policy_type is PolicyType.FORWARDING


def test_coverage_lists_rules_never_deciding_and_never_reached(
    acme: World, tmp_path: Path
) -> None:
    """One Payroll case decided by the default reaches every access rule before the
    end and decides none of them."""
    path = write(
        tmp_path,
        HEAD
        + """
[[case]]
name = "default"
user = "uma.kowalski@acme.example"
app = "Payroll"
expect = "deny"
""",
    )
    report = run_cases(acme, load_cases(path, acme).cases)
    access = [r for r in report.coverage if r.policy_type is PolicyType.ACCESS]
    assert all(r.decided == 0 for r in report.coverage)
    assert all(r.reached == 1 for r in access)
    assert report.covered == 0
    text = report.render_coverage()
    assert text.startswith("rule coverage: 0 of 37 enabled rules decided a case (0%)")
    assert "reached but never deciding:\n  access #1 `Unmanaged devices" in text
    assert "never reached by any case:\n  forwarding #1 " in text
    assert "Legal hold" not in text  # disabled rules are not counted
    assert report.to_json()["coverage"]["percent"] == 0


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ('[[case]]\nname = "x"\n', 1, "case 1: `user` is required"),
        (
            '[[case]]\nname = "x"\nuser = "a@b"\napp = "Payroll"\nexpect = "alow"\n',
            5,
            (
                "case 1: `expect`: an access case expects one of allow, deny, "
                "require_approval, blocked: did you mean `allow`?"
            ),
        ),
        (
            '[[case]]\nname = "x"\nuser = "a@b"\napp = "Payrol"\nexpect = "deny"\n',
            4,
            "case 1: `app`: no application segment `Payrol`: did you mean `Payroll`?",
        ),
        (
            '[[case]]\nname = "x"\nuser = "a@b"\nidp = "Okay"\nexpect = "intercept"\n',
            4,
            "case 1: `idp`: no IdP named `Okay`: did you mean `Okta`?",
        ),
        (
            '[[case]]\nname = "x"\nuser = "a@b"\nexpect = "deny"\nusr = "a"\n',
            5,
            "case 1: unknown key `usr`: did you mean `user`?",
        ),
        (
            '[[case]]\nname = "x"\nuser = "a@b"\nexpect = "deny"\npolicy = "acces"\n',
            5,
            "case 1: `policy`: expected access, forwarding or timeout",
        ),
        (
            '[[case]]\nname = "x"\nuser = "a@b"\npolicy = "timeout"\nexpect = "1d"\n',
            5,
            (
                "case 1: `expect`: a timeout case expects `reauth every <interval> idle "
                "<interval or never>` (as the policy writes it) or `blocked`"
            ),
        ),
        (
            '[[case]]\nname = "x"\nuser = "a@b"\nexpect = "bypass"\nport = "22"\n',
            5,
            "case 1: `port`: expected a port number",
        ),
        (
            (
                '[[case]]\nname = "x"\nuser = "a@b"\nexpect = "bypass"\n'
                "now = 2026-11-23T09:00:00\n"
            ),
            5,
            "case 1: `now`: add an offset (`Z` or `+HH:MM`)",
        ),
        (
            (
                '[[case]]\nname = "x"\nuser = "a@b"\nexpect = "bypass"\n'
                'client_type = "browser"\n'
            ),
            5,
            "case 1: `client_type`: unknown client type `browser`",
        ),
        (
            (
                '[[case]]\nname = "x"\nuser = "a@b"\nexpect = "bypass"\n'
                '[[case]]\nname = "x"\nuser = "a@b"\nexpect = "bypass"\n'
            ),
            6,
            "case 2: a second case named `x`",
        ),
        ('[[case]]\nname = "x"\nuser = \n', 3, "invalid value"),
        ("colour = 1\n", 1, "unknown key `colour` in [defaults]"),
    ],
)
def test_errors_name_the_file_the_line_and_the_key(
    acme: World, tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = write(tmp_path, 'tenant = "."\n[defaults]\nidp = "Okta"\n' + body)
    with pytest.raises(DataFileError) as caught:
        load_cases(path, acme)
    error = caught.value
    assert error.origin == str(path)
    assert error.message.startswith(message)
    assert error.lineno == line + 3


def test_case_files_must_name_one_tenant(tmp_path: Path) -> None:
    """Without --tenant, every file names the same tenant."""
    bare = write(tmp_path, '[[case]]\nname = "x"\nuser = "a"\nexpect = "deny"\n')
    with pytest.raises(CaseError, match="no tenant"):
        run_case_files([bare])
    other = tmp_path / "other"
    shutil.copytree(ACME, other, ignore=shutil.ignore_patterns("tests"))
    one = write(tmp_path, f'tenant = "{ACME}"\n', "a.cases.toml")
    two = write(tmp_path, f'tenant = "{other}"\n', "b.cases.toml")
    with pytest.raises(CaseError, match="different tenants"):
        run_case_files([one, two])
    report, _ = run_case_files([one, two], tenant=ACME)
    assert report.results == ()
    assert report.covered == 0
