"""`scimpolicy eval` through ``main(argv)``: sessions, overrides, decisions, exits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scimpolicy.cli import main

ACME = Path(__file__).parents[2] / "examples" / "acme"
CONTRACTOR = "rafael.evans@acme-europe.example"  # Entra, re-authenticated, HR
ENGINEER = "ana.costa@acme.example"  # Okta, SAML department Engineering
OKTA_CONTRACTOR = "mia.lopez@acme.example"  # Okta, SAML role contractor


def _eval(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["eval", str(ACME), *argv])
    return code, capsys.readouterr().out


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out = _eval(capsys, *argv, "--json")
    assert code in (0, 1)
    body: dict[str, Any] = json.loads(out)
    return body


def _sessions(tmp_path: Path, *extra: dict[str, Any]) -> Path:
    """A copy of acme whose sessions file has *extra* sessions at the end."""
    acme = Path(shutil.copytree(ACME, tmp_path / "acme"))
    sessions = json.loads((acme / "sessions.json").read_text(encoding="utf-8"))
    (acme / "sessions.json").write_text(json.dumps([*sessions, *extra]))
    return acme


def test_a_contractor_is_denied_payroll(capsys: pytest.CaptureFixture[str]) -> None:
    """A re-authenticated Entra contractor is denied Payroll by the contractor rule;
    the explanation says so; exit 1."""
    code, out = _eval(capsys, "--user", CONTRACTOR, "--app", "Payroll")
    assert code == 1
    assert out.startswith(
        f"request: `{CONTRACTOR}` via IdP `Entra` at 2026-11-23T09:00:00Z\n"
        "  session from the sessions file, authenticated 2026-11-16T13:22:19Z; "
        "client_connector, windows, DE\n"
        "\n"
        "access decision: deny for `Payroll`\n"
        "  decided by rule `Contractors: no finance or HR`\n"
        "  reason code: BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY\n"
    )
    assert out.endswith("  #5 `Contractors: no finance or HR`: matched\n")


def test_an_engineer_reaches_gitlab_by_host_and_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A host and port resolve to the segment; an engineer is allowed; exit 0. The
    NameID is matched ignoring case."""
    code, out = _eval(
        capsys,
        "--user",
        ENGINEER.upper(),
        "--host",
        "gitlab.acme.example",
        "--port",
        "22",
    )
    assert code == 0
    assert "access decision: allow for `GitLab`\n" in out
    assert "  decided by rule `Product division to engineering apps`\n" in out
    assert (
        "  note: SCIM criteria unusable: SCIM Attributes for Policy is off for IdP "
        "`Okta`\n" in out
    )


def test_json_has_the_request_and_every_decision(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--json prints the request's fields and, with --type all, three decisions."""
    body = _json(capsys, "--user", CONTRACTOR, "--app", "Payroll", "--type", "all")
    request = body["request"]
    assert request["user"] == CONTRACTOR
    assert request["idp"] == "Entra"
    assert request["authenticated_at"] == "2026-11-16T13:22:19Z"
    assert request["now"] == "2026-11-23T09:00:00Z"
    assert (request["app"], request["host"], request["port"]) == ("Payroll", None, None)
    assert request["from_session"] is True
    assert [d["policy"] for d in body["decisions"]] == [
        "access",
        "forwarding",
        "timeout",
    ]
    assert body["decisions"][0]["rule"] == "Contractors: no finance or HR"
    assert body["decisions"][0]["trace"][-1]["status"] == "matched"


def test_without_an_application_the_default_is_forwarding(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No --app or --host: a forwarding decision, exit 0; --type all adds timeout."""
    code, out = _eval(capsys, "--user", OKTA_CONTRACTOR)
    assert code == 0
    assert "forwarding decision: intercept_accessible\n" in out
    assert "access decision" not in out
    body = _json(capsys, "--user", OKTA_CONTRACTOR, "--type", "all")
    assert [d["policy"] for d in body["decisions"]] == ["forwarding", "timeout"]


def test_saml_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    """--saml replaces the session's values of that key (repeat for several, KEY=
    removes it) and keeps the other attributes."""
    body = _json(
        capsys, "--user", OKTA_CONTRACTOR, "--saml", "role=employee", "--saml", "role=x"
    )
    assert body["request"]["saml"]["role"] == ["employee", "x"]
    assert body["request"]["saml"]["department"] == "Engineering"
    assert body["decisions"][0]["outcome"] == "intercept"
    body = _json(capsys, "--user", OKTA_CONTRACTOR, "--saml", "role=")
    assert "role" not in body["request"]["saml"]
    assert body["decisions"][0]["outcome"] == "intercept"


def test_client_context_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    """Posture, trusted networks, platform, country, client type and machine group
    replace the session's."""
    body = _json(
        capsys,
        "--user",
        OKTA_CONTRACTOR,
        "--trusted-network",
        "Acme Office US",
        "--platform",
        "MAC",
        "--country",
        "gb",
        "--client-type",
        "zpn_client_type_zapp",
        "--machine-group",
        "Laptops",
    )
    request = body["request"]
    assert request["trusted_networks"] == ["Acme Office US"]
    assert (request["platform"], request["country"]) == ("mac", "GB")
    assert request["client_type"] == "zpn_client_type_zapp"
    assert request["machine_group"] == "Laptops"
    assert body["decisions"][0]["rule"] == "Office network: bypass on managed devices"

    body = _json(
        capsys,
        "--user",
        OKTA_CONTRACTOR,
        "--trusted-network",
        "Acme Office US",
        "--posture",
        "CrowdStrike running=false",
    )
    assert body["request"]["posture"] == {"CrowdStrike running": False}
    assert body["decisions"][0]["rule"] == "Contractors: allowed apps only"

    body = _json(capsys, "--user", CONTRACTOR, "--trusted-network", "")
    assert "trusted_networks" not in body["request"]


def test_country_decides_finance_access(capsys: pytest.CaptureFixture[str]) -> None:
    """The same user from another country meets the country rule first."""
    code, out = _eval(
        capsys, "--user", CONTRACTOR, "--app", "Payroll EU", "--country", "GB"
    )
    assert code == 1
    assert "decided by rule `Finance apps from home countries only`" in out


def test_timeout_at_another_moment(capsys: pytest.CaptureFixture[str]) -> None:
    """--now moves the evaluation time; --authenticated-at the sign-in."""
    code, out = _eval(
        capsys,
        "--user",
        CONTRACTOR,
        "--type",
        "timeout",
        "--authenticated-at",
        "2026-11-23T08:00:00Z",
        "--now",
        "2026-11-23T10:00:00+01:00",
    )
    assert code == 0
    assert "timeout decision: reauth every 1d idle 30m\n" in out
    assert "  session valid; re-authentication due 2026-11-24T08:00:00+00:00\n" in out
    assert "at 2026-11-23T10:00:00+01:00\n" in out


def test_a_user_without_a_session(capsys: pytest.CaptureFixture[str]) -> None:
    """A user with no session signs in at `now`; --idp is needed with two IdPs."""
    code, out = _eval(
        capsys, "--user", "mei.moreau@acme.example", "--idp", "Okta", "--app", "GitLab"
    )
    assert code == 1  # no SAML attributes: the default denies
    assert out.startswith(
        "request: `mei.moreau@acme.example` via IdP `Okta` at 2026-11-23T09:00:00Z\n"
        "  no session in the sessions file: authenticated 2026-11-23T09:00:00Z; "
        "client_connector\n"
    )
    assert "decided by the default" in out
    code, out = _eval(
        capsys,
        "--user",
        "mei.moreau@acme.example",
        "--idp",
        "Okta",
        "--app",
        "GitLab",
        "--saml",
        "department=Engineering",
    )
    assert code == 0


def test_a_tenant_with_one_idp_needs_no_idp(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Without sessions and with one IdP, the user signs in through that IdP."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "users.json").write_text('[{"userName": "a@x.com"}]')
    (tmp_path / "p.policy").write_text('access:\n  rule "All": allow\n')
    (tmp_path / "tenant.toml").write_text(
        'policy = "p.policy"\nnow = 2026-01-01T00:00:00Z\n'
        '[[idp]]\nname = "Only"\ndirectory = "dir"\n'
        '[[segment]]\nname = "App"\n'
    )
    assert main(["eval", str(tmp_path), "--user", "A@X.com", "--app", "App"]) == 0
    assert capsys.readouterr().out.startswith(
        "request: `A@X.com` via IdP `Only` at 2026-01-01T00:00:00Z\n"
    )


def test_a_blocked_user_exits_1_for_forwarding(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An inactive SCIM user is blocked by the presence check, whatever the policy
    type: exit 1."""
    code, out = _eval(capsys, "--user", "ada.adams@acme.example", "--idp", "Okta")
    assert code == 1
    assert "forwarding decision: blocked\n  decided by the SCIM presence check\n" in out


def test_latest_session_and_several_idps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The latest of a user's sessions is the base; sessions with two IdPs need
    --idp."""
    later = {
        "user": CONTRACTOR,
        "idp": "Entra",
        "authenticated_at": "2026-11-20T10:00:00Z",
    }
    acme = _sessions(tmp_path, later)
    assert main(["eval", str(acme), "--user", CONTRACTOR, "--app", "Payroll"]) == 1
    assert "authenticated 2026-11-20T10:00:00Z" in capsys.readouterr().out

    other = {
        "user": CONTRACTOR,
        "idp": "Okta",
        "authenticated_at": "2026-11-20T10:00:00Z",
    }
    acme = _sessions(tmp_path / "two", other)
    assert main(["eval", str(acme), "--user", CONTRACTOR]) == 2
    assert capsys.readouterr().err == (
        f"error: `{CONTRACTOR}` has sessions with the IdPs `Entra`, `Okta`: pick one "
        "with --idp\n"
    )
    # Not in Okta's SCIM directory: blocked by the presence check.
    assert main(["eval", str(acme), "--user", CONTRACTOR, "--idp", "Okta"]) == 1
    assert "via IdP `Okta`" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--user", "mei.moreau@acme.example"],
            (
                "`mei.moreau@acme.example` has no session in the tenant's sessions file: "
                "name the IdP with --idp (IdPs: `Okta`, `Entra`)"
            ),
        ),
        (
            ["--user", "mei.moreau@acme.example", "--idp", "Ping"],
            "no IdP named `Ping` in the tenant (IdPs: `Okta`, `Entra`)",
        ),
        (
            ["--user", "ana.costa@acme.exmaple", "--idp", "Okta"],
            (
                "`ana.costa@acme.exmaple` has no session and is not in IdP `Okta`'s SCIM "
                "directory: did you mean `ana.costa@acme.example`?"
            ),
        ),
        (
            ["--user", CONTRACTOR, "--app", "Payrol"],
            "no application segment named `Payrol`: did you mean `Payroll`?",
        ),
        (["--user", CONTRACTOR, "--port", "443"], "--port needs --host"),
        (
            ["--user", CONTRACTOR, "--type", "access"],
            "an access decision needs an application: --app or --host",
        ),
    ],
)
def test_bad_requests_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Unknown IdPs, users and applications and options that do not fit: exit 2."""
    assert main(["eval", str(ACME), *argv]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--now", "2026-11-23T09:00:00"],
            (
                "argument --now: `2026-11-23T09:00:00` has no offset: add `Z` (UTC) or "
                "`+HH:MM`"
            ),
        ),
        (
            ["--authenticated-at", "yesterday"],
            (
                "argument --authenticated-at: expected an ISO 8601 timestamp such as "
                "2026-11-23T09:00:00Z, got `yesterday`"
            ),
        ),
        (
            ["--client-type", "web_browsr"],
            (
                "argument --client-type: unknown client type `web_browsr`: did you mean "
                "`web_browser`?"
            ),
        ),
        (
            ["--platform", "windoze"],
            (
                "argument --platform: unknown platform `windoze` (known: mac, ios, "
                "windows, android, linux)"
            ),
        ),
        (
            ["--country", "Germany"],
            "argument --country: `Germany` is not a two-letter ISO 3166 country code",
        ),
        (
            ["--posture", "CrowdStrike=yes"],
            (
                "argument --posture: expected NAME=true or NAME=false, got "
                "`CrowdStrike=yes`"
            ),
        ),
        (["--saml", "role"], "argument --saml: expected KEY=VALUE, got `role`"),
        (["--host", "h", "--port", "70000"], "argument --port: `70000` is not a port"),
        (["--app", "GitLab", "--host", "h"], "argument --host: not allowed with"),
    ],
)
def test_bad_option_values_are_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Malformed option values are argparse usage errors: exit 2 with the reason."""
    with pytest.raises(SystemExit) as caught:
        main(["eval", str(ACME), "--user", CONTRACTOR, *argv])
    assert caught.value.code == 2
    assert f"error: {message}" in capsys.readouterr().err


def test_malformed_sessions_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A tenant whose sessions.json is malformed cannot be loaded: exit 2, with the
    file and position."""
    acme = Path(shutil.copytree(ACME, tmp_path / "acme"))
    (acme / "sessions.json").write_text('[\n  {"user": "a@x.com",}\n]\n')
    assert main(["eval", str(acme), "--user", CONTRACTOR]) == 2
    assert capsys.readouterr().err.startswith(
        f"error: {acme / 'sessions.json'}: expecting property name enclosed in double "
        "quotes (at line 2, column 22)\n"
    )


def test_missing_tenant(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A tenant folder that is not there: exit 2."""
    assert main(["eval", str(tmp_path), "--user", CONTRACTOR]) == 2
    assert capsys.readouterr().err == (
        f"error: No such file or directory: `{tmp_path / 'tenant.toml'}`\n"
    )


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`eval --help` exits 0 and shows examples."""
    with pytest.raises(SystemExit) as caught:
        main(["eval", "--help"])
    assert caught.value.code == 0
    assert "scimpolicy eval examples/acme --user" in capsys.readouterr().out
