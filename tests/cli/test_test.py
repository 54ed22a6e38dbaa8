"""`scimpolicy test`: case files from the shell, through main(argv)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scimpolicy.cli import main

ACME = Path(__file__).parents[2] / "examples" / "acme"
CASES = ACME / "tests" / "acme.cases.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["test", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_acme_cases_pass(capsys: pytest.CaptureFixture[str]) -> None:
    """Every case prints PASS; the summary ends the output; exit 0."""
    code, out, err = run(capsys, str(CASES))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == str(CASES)
    assert lines[1] == "  PASS  A contractor never reaches Payroll"
    assert lines[-1].endswith(" passed, 0 failed")
    assert "rule coverage" not in out


def test_a_folder_and_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    """A folder is searched for *.cases.toml; --coverage adds the rule coverage."""
    code, out, _ = run(capsys, str(ACME / "tests"), "--coverage")
    assert code == 0
    assert "\nrule coverage: " in out
    assert "never reached by any case:" in out


def test_fail_under(capsys: pytest.CaptureFixture[str]) -> None:
    """Coverage under --fail-under fails the run (exit 1) and says so."""
    code, out, _ = run(capsys, str(CASES), "--fail-under", "90")
    assert code == 1
    assert out.rstrip().splitlines()[-1].endswith("% is under --fail-under 90%")
    code, _, _ = run(capsys, str(CASES), "--fail-under", "1")
    assert code == 0


def test_a_failing_case(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A failing case prints FAIL with the explanation; exit 1."""
    path = tmp_path / "wrong.cases.toml"
    path.write_text(
        f'tenant = "{ACME}"\n[[case]]\nname = "wrong"\nuser = '
        '"mia.lopez@acme.example"\nidp = "Okta"\napp = "Payroll"\nexpect = "allow"\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, str(path))
    assert code == 1
    assert f"  FAIL  wrong  ({path}:2)" in out
    # No country given: the home-countries guard rail decides first.
    assert (
        "        expected allow, got deny (rule `Finance apps from home countries "
        "only`)" in out
    )
    assert "access decision: deny for `Payroll`" in out
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(CASES), "--json")
    data = json.loads(out)
    assert code == 0
    assert data["failed"] == 0
    assert data["cases"][0]["name"] == "A contractor never reaches Payroll"
    assert 0 < data["coverage"]["percent"] < 100


def test_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Missing paths, empty folders, malformed files: exit 2 with a message."""
    code, _, err = run(capsys, str(tmp_path / "nope.cases.toml"))
    assert (code, err) == (
        2,
        f"error: no case file or folder `{tmp_path}/nope.cases.toml`\n",
    )
    code, _, err = run(capsys, str(tmp_path))
    assert (code, err) == (2, f"error: no *.cases.toml files in `{tmp_path}`\n")
    broken = tmp_path / "broken.cases.toml"
    broken.write_text(f'tenant = "{ACME}"\n[[case]]\nname = 1\n', encoding="utf-8")
    code, _, err = run(capsys, str(broken))
    assert code == 2
    assert err.startswith(
        f"error: {broken}: case 1: `name`: expected a string (at line 3, column 1)"
    )
