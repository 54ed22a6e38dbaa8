"""`scimpolicy check` through ``main(argv)``: findings, summaries, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scimpolicy.cli import main

ACME = Path(__file__).parents[2] / "examples" / "acme"

BROKEN = """\
access:
  rule "Payroll for finance": allow
    when app == "Payrol" and scim.department == "Finance"
  rule "By locale": deny when scim.locale == "de"
timeout:
  default: reauth every 5m idle never
"""


def _acme(tmp_path: Path) -> Path:
    return Path(shutil.copytree(ACME, tmp_path / "acme"))


def test_the_acme_policy_is_ok(capsys: pytest.CaptureFixture[str]) -> None:
    """A policy without findings gets one line counting its rules; exit 0."""
    assert main(["check", str(ACME / "acme.policy")]) == 0
    assert capsys.readouterr().out == (
        "ok: 38 rules (access 28, forwarding 5, timeout 5; 1 disabled), no problems\n"
    )


def test_against_the_tenant(capsys: pytest.CaptureFixture[str]) -> None:
    """--tenant checks the names too; the acme policy still has no findings."""
    code = main(["check", str(ACME / "acme.policy"), "--tenant", str(ACME)])
    assert code == 0
    assert capsys.readouterr().out.startswith("ok: 38 rules")


def test_errors_and_warnings_with_lines_and_markers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every finding shows file, line, column, the source line and a marker, then a
    summary; an unknown application is found only with --tenant; exit 1."""
    policy = tmp_path / "p.policy"
    policy.write_text(BROKEN, encoding="utf-8")
    assert main(["check", str(policy), "--tenant", str(ACME)]) == 1
    assert capsys.readouterr().out == (
        f"error[unknown-application]: {policy}: rule `Payroll for finance`: unknown "
        "application `Payrol` (at line 3, column 10)\n"
        '        when app == "Payrol" and scim.department == "Finance"\n'
        "             ~~~~~~~~~~~~~~^\n"
        "    help: did you mean `Payroll`?\n"
        "\n"
        f"error[timeout-too-short]: {policy}: the re-authentication timeout is 5 "
        "minutes; ZPA's minimum is 10 minutes (at line 6, column 25)\n"
        "      default: reauth every 5m idle never\n"
        "                            ~^\n"
        "    help: use at least `10m`, or `never`\n"
        "\n"
        f"warning[not-a-zpa-attribute]: {policy}: rule `By locale`: ZPA's policy "
        "criteria cannot use `scim.locale`; scimpolicy evaluates it, but ZPA could "
        "not enforce this rule (at line 4, column 31)\n"
        '      rule "By locale": deny when scim.locale == "de"\n'
        "                                  ~~~~~~~~~~^\n"
        "\n"
        "2 errors, 1 warning\n"
    )
    assert main(["check", str(policy)]) == 1
    assert capsys.readouterr().out.endswith("\n1 error, 1 warning\n")


def test_warnings_alone_exit_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Warnings are reported but do not fail the check."""
    policy = tmp_path / "p.policy"
    policy.write_text('access:\n  rule "r": allow when scim.locale == "de"\n')
    assert main(["check", str(policy)]) == 0
    assert capsys.readouterr().out.endswith("\n0 errors, 1 warning\n")


def test_syntax_error_is_the_answer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A syntax error is reported like the checker's findings; exit 1."""
    policy = tmp_path / "p.policy"
    policy.write_text('access:\n  rule "x" allow\n', encoding="utf-8")
    assert main(["check", str(policy)]) == 1
    assert capsys.readouterr().out == (
        f"error[syntax-error]: {policy}: expected `:` after the rule name (at line 2, "
        "column 12)\n"
        '      rule "x" allow\n'
        "               ~~~~^\n"
        "\n"
        "1 error, 0 warnings\n"
    )


def test_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--json gives counts and each finding's severity, code, message, position."""
    policy = tmp_path / "p.policy"
    policy.write_text(BROKEN, encoding="utf-8")
    assert main(["check", str(policy), "--tenant", str(ACME), "--json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert (body["file"], body["errors"], body["warnings"]) == (str(policy), 2, 1)
    assert body["diagnostics"][0] == {
        "severity": "error",
        "code": "unknown-application",
        "message": "unknown application `Payrol`",
        "line": 3,
        "column": 10,
        "rule": "Payroll for finance",
        "help": "did you mean `Payroll`?",
    }
    assert [d["code"] for d in body["diagnostics"]] == [
        "unknown-application",
        "timeout-too-short",
        "not-a-zpa-attribute",
    ]


def test_json_syntax_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A syntax error in --json is one diagnostic with the code `syntax-error`."""
    policy = tmp_path / "p.policy"
    policy.write_text("access:\n  rule\n", encoding="utf-8")
    assert main(["check", str(policy), "--json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["errors"] == 1
    assert body["diagnostics"][0]["code"] == "syntax-error"
    assert (body["diagnostics"][0]["line"], body["diagnostics"][0]["column"]) == (3, 1)


def test_missing_file_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A policy file that is not there is bad input; exit 2."""
    missing = tmp_path / "nope.policy"
    assert main(["check", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"error: No such file or directory: `{missing}`\n"
    )


def test_not_utf8_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A file that is not UTF-8 is bad input, with the byte's position; exit 2."""
    policy = tmp_path / "p.policy"
    policy.write_bytes(b"access:\n  \xff\n")
    assert main(["check", str(policy)]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: {policy}: not UTF-8 text: byte 0xff cannot be decoded (at line 2, "
        "column 3)"
    )


def test_broken_tenant_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A tenant that cannot be loaded (malformed sessions.json) is bad input."""
    acme = _acme(tmp_path)
    (acme / "sessions.json").write_text('[{"user": "a@x.com",]', encoding="utf-8")
    assert main(["check", str(ACME / "acme.policy"), "--tenant", str(acme)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {acme / 'sessions.json'}: expecting property name")


def test_checking_the_tenants_own_broken_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A tenant whose own policy has errors still answers for that policy (exit 1);
    checking another file against it is bad input (exit 2)."""
    acme = _acme(tmp_path)
    text = (acme / "acme.policy").read_text(encoding="utf-8")
    (acme / "acme.policy").write_text(
        text.replace('app == "Payroll EU"', 'app == "Payrol EU"'), encoding="utf-8"
    )
    assert main(["check", str(acme / "acme.policy"), "--tenant", str(acme)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        f"error[unknown-application]: {acme / 'acme.policy'}: rule `European HR runs "
        "payroll`: unknown application `Payrol EU` (at line 81, column 10)\n"
    )
    assert out.endswith("\n1 error, 0 warnings\n")

    other = tmp_path / "other.policy"
    other.write_text("access:\n  default: deny\n", encoding="utf-8")
    assert main(["check", str(other), "--tenant", str(acme)]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: tenant `{acme}`: policy has 1 error(s)\n"
    )


def test_checking_the_tenants_own_policy_with_a_syntax_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The tenant's own policy with a syntax error: the syntax error is the answer."""
    acme = _acme(tmp_path)
    (acme / "acme.policy").write_text("access:\n  rule\n", encoding="utf-8")
    assert main(["check", str(acme / "acme.policy"), "--tenant", str(acme)]) == 1
    assert capsys.readouterr().out.startswith("error[syntax-error]: ")


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`check --help` exits 0 and shows examples."""
    with pytest.raises(SystemExit) as caught:
        main(["check", "--help"])
    assert caught.value.code == 0
    assert "scimpolicy check examples/acme/acme.policy" in capsys.readouterr().out
