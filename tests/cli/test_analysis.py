"""`scimpolicy lint` and `scimpolicy diff` through ``main(argv)``: findings and
differences as text and JSON, exit codes, bad input, and the help examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scimpolicy.cli import _analysis, main
from scimpolicy.cli._common import Command
from tests.cli.support import epilog_examples

ROOT = Path(__file__).parents[2]
ACME = ROOT / "examples" / "acme"
POLICY = str(ACME / "acme.policy")
NEXT = str(ACME / "scenarios" / "next.policy")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str, name: str = "p.policy") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_lint_reports_each_finding_with_an_example(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = write(
        tmp_path,
        "access:\n"
        '  rule "Contractors out": deny when scim.userType == "Contractor"\n'
        '  rule "Finance": allow when saml.department == "Finance"\n'
        '  rule "Never": allow when app == "Git" and app == "Wiki"\n'
        '  rule "Shadowed": allow when saml.department == "Finance" and app == "Git"\n',
    )
    code, out, err = run(capsys, "lint", policy)
    assert (code, err) == (1, "")
    assert "access: rule `Contractors out`: gate-hazard:" in out
    assert "`Finance` decides (allow instead of deny)" in out
    assert "access: rule `Never`: contradictory: its criteria can never be true" in out
    assert "access: rule `Shadowed`: unreachable: `Finance` always decides first" in out
    assert 'example: saml.department has "Finance", scim.userType="contractor"' in out
    assert out.rstrip().endswith("3 findings")


def test_lint_json_and_a_clean_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean = write(tmp_path, 'access:\n  rule "Git": allow when app == "Git"\n')
    assert run(capsys, "lint", clean) == (0, "no findings\n", "")
    code, out, _ = run(capsys, "lint", str(ACME), "--json")
    assert code == 1
    findings = json.loads(out)
    assert {f["kind"] for f in findings} == {"gate-hazard"}
    first = findings[0]
    assert set(first) == {"kind", "policy", "rule", "message", "related", "example"}
    assert first["example"]["scim_usable"] is False


def test_diff_names_both_decisions_and_an_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "diff", POLICY, NEXT, "--tenant", str(ACME))
    assert (code, err) == (1, "")
    assert (
        "access: require_approval by `Managers: ERP on approval` -> deny by the default"
        in out
    )
    assert 'app="NetSuite ERP"' in out
    assert out.rstrip().endswith("1 kind of request decided differently")
    code, out, _ = run(capsys, "diff", POLICY, POLICY, "--json")
    assert (code, json.loads(out)) == (0, [])
    assert (
        run(capsys, "diff", POLICY, POLICY)[1] == "no request is decided differently\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lint", "missing.policy"], "missing.policy"),
        (["diff", POLICY, "missing.policy"], "missing.policy"),
    ],
)
def test_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err


def test_a_policy_that_does_not_parse_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = write(tmp_path, "access:\n  rule broken\n")
    code, _, err = run(capsys, "lint", broken)
    assert code == 2
    assert "line 2" in err


@pytest.mark.parametrize("command", [_analysis.LINT, _analysis.DIFF], ids=str)
def test_the_help_examples_run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: Command,
) -> None:
    monkeypatch.chdir(ROOT)
    examples = epilog_examples(command)
    assert len(examples) == 2
    for argv in examples:
        assert main(argv) in (0, 1), capsys.readouterr().err
