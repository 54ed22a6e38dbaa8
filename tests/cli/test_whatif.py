"""`scimpolicy whatif` through ``main(argv)``: reports, JSON, populations, changes
from options, scenario and policy files, exit codes, and errors without tracebacks."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from scimpolicy.cli import _common, _whatif, main
from scimpolicy.workspace.files import load_workspace
from scimpolicy.workspace.world import World
from tests.cli.support import epilog_examples

ROOT = Path(__file__).parents[2]
ACME = ROOT / "examples" / "acme"
SESSIONS = len(json.loads((ACME / "sessions.json").read_text(encoding="utf-8")))
APPS = len(tomllib.loads((ACME / "tenant.toml").read_text(encoding="utf-8"))["segment"])
# Every session against every application for access and timeout, once for forwarding.
DECISIONS = SESSIONS * (APPS + 1 + APPS)
PAYROLL = ("--types", "access", "--apps", "Payroll")
ENABLE = ("--enable-scim-attributes", "Okta", "--reauthenticate")
CONTRACTORS = "deny (rule `Contractors: no finance or HR`)"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


_LOADED: dict[Path, World] = {}


@pytest.fixture(autouse=True)
def _load_acme_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`main` loads the tenant on every run; here the acme example is loaded once for
    the module (worlds are immutable and a what-if never changes the world it starts
    from), which keeps these tests fast. Other folders load as usual."""

    def load(path: str | Path) -> World:
        resolved = Path(path).resolve()
        if resolved != ACME.resolve():
            return load_workspace(path)
        if resolved not in _LOADED:
            _LOADED[resolved] = load_workspace(path)
        return _LOADED[resolved]

    monkeypatch.setattr(_common, "load_workspace", load)


def whatif(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `whatif` on the acme example: the exit code, standard output and error."""
    code = main(["whatif", str(ACME), *args])
    out, err = capsys.readouterr()
    return code, out, err


def report(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    """The `--json` report of a what-if on acme (exit 0, nothing on stderr)."""
    code, out, err = whatif(capsys, *args, "--json")
    assert (code, err) == (0, "")
    data: dict[str, Any] = json.loads(out)
    return data


def verdicts(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The report's transitions by (before, after), each written as the text shows
    it: ``outcome (decided by)``."""

    def text(verdict: dict[str, str]) -> str:
        return f"{verdict['outcome']} ({verdict['decidedBy']})"

    return {(text(t["before"]), text(t["after"])): t for t in data["transitions"]}


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
    assert err.startswith("usage: scimpolicy whatif")
    return err.splitlines()[-1]


def rows(out: str) -> list[str]:
    """The table rows of a text report (one per kind of change)."""
    return [
        line
        for line in out.splitlines()
        if line.startswith(("access ", "forwarding ", "timeout "))
    ]


# -- the report ---------------------------------------------------------------------


def test_enabling_scim_attributes_alone_changes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No session authenticated after the setting is enabled, so SCIM criteria do not
    count yet: nothing changes, and the text says how to see what will."""
    code, out, err = whatif(capsys, "--enable-scim-attributes", "Okta", *PAYROLL)
    assert (code, err) == (0, "")
    assert out.startswith(
        "What if:\n  - IdP `Okta`: SCIM Attributes for Policy on\n\n"
        f"0 of {SESSIONS:,} decisions change\n"
    )
    assert out.endswith(
        "\nSCIM criteria count only for sessions authenticated after SCIM Attributes "
        "for Policy is enabled: add --reauthenticate to see what changes once users "
        "sign in again.\n"
    )
    assert rows(out) == []


def test_re_authentication_shows_the_contractors_denied(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Enabled, then everyone signs in again: Okta contractors are now denied Payroll
    by their rule (mia.lopez among the examples); no hint; exit 0."""
    code, out, err = whatif(capsys, *ENABLE, *PAYROLL)
    assert (code, err) == (0, "")
    assert "  - everyone re-authenticates now\n" in out
    changed = next(line for line in out.splitlines() if "decisions change" in line)
    assert changed.endswith("users")
    assert not changed.startswith("0 of")
    contractors = [
        row for row in rows(out) if CONTRACTORS in row and "deny (the default)" in row
    ]
    assert len(contractors) == 1
    assert "mia.lopez@acme.example" in contractors[0]
    assert "--reauthenticate" not in out


def test_exit_code_1_when_decisions_change(capsys: pytest.CaptureFixture[str]) -> None:
    """--exit-code: 1 when some decision changes, 0 when none does."""
    code, out, _ = whatif(capsys, *ENABLE, *PAYROLL, "--exit-code")
    assert code == 1
    assert CONTRACTORS in out
    code, out, _ = whatif(
        capsys, "--enable-scim-attributes", "Okta", *PAYROLL, "--exit-code"
    )
    assert code == 0
    assert f"0 of {SESSIONS:,} decisions change" in out


def test_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    """--json: the changes, counts and transitions with users and examples."""
    data = report(capsys, *ENABLE, *PAYROLL, "--examples", "2")
    assert data["changes"] == [
        "IdP `Okta`: SCIM Attributes for Policy on",
        "everyone re-authenticates now",
    ]
    assert data["compared"] == SESSIONS
    assert data["changed"] == sum(t["decisions"] for t in data["transitions"]) > 0
    assert set(data["access"]) == {"gained", "lost", "usersGaining", "usersLosing"}
    found = verdicts(data)[("deny (the default)", CONTRACTORS)]
    assert found["policy"] == "access"
    assert found["applications"] == {"Payroll": found["decisions"]}
    assert len(found["examples"]) == 2
    assert "mia.lopez@acme.example" in found["examples"]
    # Those who lose Payroll had it through the finance rule, on SAML alone.
    lost = verdicts(data)[("allow (rule `Finance to finance apps`)", CONTRACTORS)]
    assert data["access"]["lost"] >= lost["decisions"] > 0


def test_types_and_apps_narrow_the_population(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--types access --apps Payroll: one decision per session, all about Payroll;
    two applications: two per session."""
    data = report(capsys, *ENABLE, *PAYROLL)
    assert data["compared"] == SESSIONS
    assert {t["policy"] for t in data["transitions"]} == {"access"}
    assert all(set(t["applications"]) == {"Payroll"} for t in data["transitions"])
    data = report(
        capsys, *ENABLE, "--types", "access,forwarding", "--apps", "Payroll, HR Portal"
    )
    assert data["compared"] == SESSIONS * 3
    apps = {app for t in data["transitions"] for app in t["applications"]}
    assert apps <= {"Payroll", "HR Portal", None}
    assert "HR Portal" in apps


def test_all_shows_every_kind_of_change(capsys: pytest.CaptureFixture[str]) -> None:
    """The text shows the top 20 kinds of change and counts the others; --all shows
    them all."""
    narrow = (*ENABLE, "--types", "access,timeout", "--apps", "Grafana,CI")
    _, top, _ = whatif(capsys, *narrow)
    _, everything, _ = whatif(capsys, *narrow, "--all")
    assert len(rows(top)) == 20
    hidden = len(rows(everything)) - 20
    assert hidden > 0
    assert top.rstrip().endswith(
        f"... and {hidden} more kinds of change (--all shows them)"
    )
    assert rows(everything)[:20] == rows(top)
    assert "--all shows them" not in everything


def test_at_moves_the_moment_of_enabling(capsys: pytest.CaptureFixture[str]) -> None:
    """Enabled at an earlier --at, sessions that signed in since then see SCIM
    criteria without re-authenticating."""
    data = report(
        capsys,
        "--enable-scim-attributes",
        "Okta",
        "--at",
        "2026-11-20T00:00:00Z",
        *PAYROLL,
    )
    assert data["changes"] == [
        "IdP `Okta`: SCIM Attributes for Policy on at 2026-11-20T00:00:00Z"
    ]
    assert data["changed"] > 0
    assert ("deny (the default)", CONTRACTORS) in verdicts(data)


def test_scim_sync_off(capsys: pytest.CaptureFixture[str]) -> None:
    """--scim-sync Okta=off: users unknown to SCIM are no longer blocked before the
    rules are read."""
    data = report(capsys, "--scim-sync", "Okta=off", *PAYROLL)
    assert data["changes"] == ["IdP `Okta`: SCIM Sync off"]
    befores = {before for before, _ in verdicts(data)}
    assert befores == {"deny (the SCIM presence check)"}
    assert data["access"]["lost"] == 0


def test_saml_attributes_off_and_scim_attributes_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--saml-attributes IDP=off and --disable-scim-attributes IDP apply too (on/off
    in any case), in the documented order."""
    data = report(
        capsys,
        "--saml-attributes",
        "Okta=OFF",
        "--disable-scim-attributes",
        "Entra",
        *PAYROLL,
    )
    assert data["changes"] == [
        "IdP `Entra`: SCIM Attributes for Policy off",
        "IdP `Okta`: SAML Attributes for Policy off",
    ]
    assert data["access"]["lost"] > 0


def test_advance_expires_timeouts(capsys: pytest.CaptureFixture[str]) -> None:
    """--advance 7d: time moves on and timeouts expire (nothing else changes)."""
    data = report(capsys, "--advance", "7d", "--types", "timeout", "--apps", "Payroll")
    assert data["changes"] == ["time moves on by 7 days, 0:00:00"]
    assert data["changed"] > 0
    for before, after in verdicts(data):
        assert "(expired)" not in before
        assert "(expired)" in after
        assert after == before.replace(" (", " (expired) (", 1)


def test_a_scenario_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--scenario: a user's department patched, a rule moved and one added, in
    order; each shows in the decisions."""
    scenario = tmp_path / "q1.toml"
    scenario.write_text(
        f"""\
description = "Theo joins HR; contractors' rule last; a payroll freeze in the US"

[[change]]
patch_user = "theo.okafor@acme-europe.example"
idp = "Entra"
operations = [{{ op = "replace", path = "{ENTERPRISE}:department", value = "HR" }}]

[[change]]
move_rule = "Contractors: no finance or HR"
position = 28

[[change]]
add_rule = '''rule "Payroll freeze": deny
    when app == "Payroll" and country == "US"'''
position = 1
""",
        encoding="utf-8",
    )
    data = report(
        capsys,
        "--scenario",
        str(scenario),
        "--types",
        "access",
        "--apps",
        "Payroll,Payroll EU",
    )
    assert data["compared"] == 2 * SESSIONS
    assert data["changes"] == [
        (
            "IdP `Entra` patches user `theo.okafor@acme-europe.example`: replace "
            f"{ENTERPRISE}:department = 'HR'"
        ),
        "move access rule `Contractors: no finance or HR` to #28",
        (
            'add access rule at #1: rule "Payroll freeze": deny when app == "Payroll" '
            'and country == "US"'
        ),
    ]
    found = verdicts(data)
    theo = found["deny (the default)", "allow (rule `European HR runs payroll`)"]
    assert theo["examples"] == ["theo.okafor@acme-europe.example"]
    assert theo["applications"] == {"Payroll EU": 1}
    # Moved last, the contractors' rule lets the finance rule decide first.
    assert (CONTRACTORS, "allow (rule `Finance to finance apps`)") in found
    freeze = [
        t for (_, after), t in found.items() if after == "deny (rule `Payroll freeze`)"
    ]
    assert freeze
    assert all(set(t["applications"]) == {"Payroll"} for t in freeze)


def test_a_scenario_then_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Options' changes follow the scenario's, in the documented order."""
    scenario = tmp_path / "s.toml"
    scenario.write_text('[[change]]\nadvance = "1d"\n', encoding="utf-8")
    data = report(
        capsys,
        "--scenario",
        str(scenario),
        "--scim-sync",
        "Okta=on",
        "--advance",
        "1h",
        *PAYROLL,
    )
    assert data["changes"] == [
        "time moves on by 1 day, 0:00:00",
        "IdP `Okta`: SCIM Sync on",
        "time moves on by 1:00:00",
    ]


def test_another_policy_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--policy: a modified copy of acme.policy, with the finance rule disabled."""
    policy = tmp_path / "new.policy"
    text = (ACME / "acme.policy").read_text(encoding="utf-8")
    edited = text.replace(
        '  rule "Finance to finance apps": allow',
        '  disabled rule "Finance to finance apps": allow',
    )
    assert edited != text
    policy.write_text(edited, encoding="utf-8")
    data = report(capsys, "--policy", str(policy), *PAYROLL)
    assert data["changes"] == [f"use the policy in `{policy}`"]
    befores = {before for before, _ in verdicts(data)}
    assert befores == {"allow (rule `Finance to finance apps`)"}
    assert data["access"]["gained"] == 0
    assert data["access"]["lost"] == data["changed"] > 0


def test_the_same_policy_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = whatif(
        capsys, "--policy", str(ACME / "acme.policy"), *PAYROLL, "--exit-code"
    )
    assert code == 0
    assert f"0 of {SESSIONS:,} decisions change" in out
    assert "add --reauthenticate" not in out


def test_jobs_give_the_same_report(capsys: pytest.CaptureFixture[str]) -> None:
    """--jobs 2 (a process pool) reports exactly what one process does."""
    alone = report(capsys, *ENABLE, *PAYROLL)
    shared = report(capsys, *ENABLE, *PAYROLL, "--jobs", "2")
    assert shared == alone
    assert alone["changed"] > 0


# -- bad input: exit 2, a message, no traceback ------------------------------------------


def test_no_changes_given(capsys: pytest.CaptureFixture[str]) -> None:
    message = bad_input(capsys, "whatif", str(ACME), *PAYROLL)
    assert message == (
        "no changes given: use --scenario, --policy, --enable-scim-attributes, "
        "--reauthenticate, ... (see --help)"
    )


@pytest.mark.parametrize(
    "option", [("--enable-scim-attributes", "Nope"), ("--scim-sync", "Nope=on")]
)
def test_an_unknown_idp(
    capsys: pytest.CaptureFixture[str], option: tuple[str, str]
) -> None:
    message = bad_input(capsys, "whatif", str(ACME), *option, *PAYROLL)
    assert message == "no IdP named `Nope` in the tenant (IdPs: `Okta`, `Entra`)"


def test_an_unknown_app(capsys: pytest.CaptureFixture[str]) -> None:
    message = bad_input(
        capsys, "whatif", str(ACME), *ENABLE, "--apps", "Payroll,Payrol"
    )
    assert message.startswith(
        "no application segment named `Payrol` (segments: GitLab,"
    )
    assert ", Payroll, " in message


def test_jobs_below_one(capsys: pytest.CaptureFixture[str]) -> None:
    message = bad_input(capsys, "whatif", str(ACME), *ENABLE, *PAYROLL, "--jobs", "0")
    assert message == "--jobs must be at least 1"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        (
            "--at",
            "2026-11-23T09:00:00",
            "argument --at: `2026-11-23T09:00:00` has no offset",
        ),
        ("--at", "tomorrow", "argument --at: expected an ISO 8601 timestamp"),
        ("--advance", "7x", "argument --advance: expected a duration such as 7d"),
        ("--advance", "7", "argument --advance: expected a duration such as 7d"),
        (
            "--scim-sync",
            "Okta=maybe",
            "argument --scim-sync: expected IDP=on or IDP=off",
        ),
        ("--scim-sync", "Okta", "argument --scim-sync: expected IDP=on or IDP=off"),
        ("--scim-sync", "=on", "argument --scim-sync: expected IDP=on or IDP=off"),
        ("--saml-attributes", "Okta=1", "argument --saml-attributes: expected IDP=on"),
        ("--types", "access,nope", "argument --types: expected access, forwarding"),
        ("--jobs", "two", "argument --jobs: invalid int value: 'two'"),
    ],
)
def test_bad_option_values(
    capsys: pytest.CaptureFixture[str], option: str, value: str, expected: str
) -> None:
    """Values argparse refuses: SystemExit(2) with the usage and the reason."""
    message = bad_usage(capsys, "whatif", str(ACME), "--reauthenticate", option, value)
    assert message.startswith(f"scimpolicy whatif: error: {expected}")


def test_a_missing_tenant_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere"
    message = bad_input(capsys, "whatif", str(missing), *ENABLE)
    assert message == f"No such file or directory: `{missing}`"


def test_malformed_sessions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A comma missing in sessions.json: the message names the file and the line."""
    tenant = Path(shutil.copytree(ACME, tmp_path / "acme"))
    sessions = tenant / "sessions.json"
    lines = sessions.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = next(i for i, line in enumerate(lines) if '"idp": "Okta",' in line)
    lines[broken] = lines[broken].replace('"Okta",', '"Okta"')
    sessions.write_text("".join(lines), encoding="utf-8")
    message = bad_input(capsys, "whatif", str(tenant), *ENABLE)
    # The parser notices at the next line's key.
    assert message.startswith(
        f"{sessions}: expecting ',' delimiter (at line {broken + 2}, column"
    )


def test_a_missing_scenario_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.toml"
    message = bad_input(capsys, "whatif", str(ACME), "--scenario", str(missing))
    assert message == f"No such file or directory: `{missing}`"


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ('[[change]]\nset_idp = "Okta"\nscim_sync = \n', "invalid value (at line 3,"),
        (
            '[[change]]\nadvance = "1d"\n\n[[change]]\nrename_user = "a@acme.example"\n',
            (
                "change 2: `rename_user` is not a kind of change: did you mean "
                "`remove_user`? (kinds: set_idp, reauthenticate,"
            ),
        ),
        (
            '[[change]]\nmove_rule = "Finance to finance apps"\n',
            "change 1: `position` is required for this kind of change (at line 1,",
        ),
        (
            '[[change]]\nmove_rule = "Finance to finance apps"\nposition = "3"\n',
            "change 1: `position`: expected an integer (at line 3,",
        ),
        (
            '[[change]]\nreauthenticate = "everyone"\nat = 2026-11-23T09:00:00\n',
            "change 1: `at`: add an offset (`Z` or `+HH:MM`) (at line 3,",
        ),
        (
            '[[change]]\nadd_rule = "rule nonsense"\n',
            (
                "change 1: `add_rule`: expected a rule name in double quotes after "
                "`rule` (at line 2, column 18)"
            ),
        ),
    ],
    ids=["toml", "unknown-kind", "missing", "wrong-type", "no-offset", "rule-syntax"],
)
def test_scenario_errors_name_the_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scenario: str, expected: str
) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(scenario, encoding="utf-8")
    message = bad_input(capsys, "whatif", str(ACME), "--scenario", str(path), *PAYROLL)
    assert message.startswith(f"{path}: {expected}")


def test_a_scenario_naming_an_unknown_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A rule name the policy does not have is found when the change applies."""
    path = tmp_path / "scenario.toml"
    path.write_text('[[change]]\nremove_rule = "No such rule"\n', encoding="utf-8")
    message = bad_input(capsys, "whatif", str(ACME), "--scenario", str(path), *PAYROLL)
    assert message.startswith(
        "no access rule `No such rule` (rules: `Unmanaged devices: no infrastructure`,"
    )


def test_a_scenario_moving_a_rule_past_the_end(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(
        '[[change]]\nmove_rule = "Finance to finance apps"\nposition = 29\n',
        encoding="utf-8",
    )
    message = bad_input(capsys, "whatif", str(ACME), "--scenario", str(path), *PAYROLL)
    assert "is outside the 28 access rules" in message


def test_a_policy_file_with_a_syntax_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The message names the --policy file and its line."""
    policy = tmp_path / "new.policy"
    text = (ACME / "acme.policy").read_text(encoding="utf-8")
    policy.write_text(
        text.replace('rule "IT to CI": allow', 'rule "IT to CI" allow'),
        encoding="utf-8",
    )
    line = 1 + next(
        i
        for i, row in enumerate(policy.read_text().splitlines())
        if '"IT to CI" allow' in row
    )
    message = bad_input(capsys, "whatif", str(ACME), "--policy", str(policy), *PAYROLL)
    assert message.startswith(
        f"{policy}: expected `:` after the rule name (at line {line}, column"
    )


def test_a_policy_file_with_a_check_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An unknown application: the checker's error, naming the --policy file and the
    line in it.

    Regression: the policy was only checked when applied, as a reformatted copy, so
    the message named `<what-if policy>` and a line of that copy (35, not 81).
    """
    policy = tmp_path / "new.policy"
    text = (ACME / "acme.policy").read_text(encoding="utf-8")
    policy.write_text(
        text.replace('app == "Payroll EU"', 'app == "Payroll EUX"'), encoding="utf-8"
    )
    line = 1 + next(
        i
        for i, row in enumerate(policy.read_text().splitlines())
        if "Payroll EUX" in row
    )
    message = bad_input(capsys, "whatif", str(ACME), "--policy", str(policy), *PAYROLL)
    assert message.splitlines()[:2] == [
        "policy has 1 error(s)",
        (
            f"error[unknown-application]: {policy}: rule `European HR runs payroll`: "
            f"unknown application `Payroll EUX` (at line {line}, column 10)"
        ),
    ]
    assert "help: did you mean `Payroll EU`?" in message
    assert "<what-if policy>" not in message


# -- help and the examples it gives ------------------------------------------------------


def test_help_shows_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["whatif", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: scimpolicy whatif")
    assert _whatif.COMMAND.examples in out


EXAMPLES = epilog_examples(_whatif.COMMAND)
# What each example's output must show, in the epilog's order.
SHOWN: tuple[tuple[str, ...], ...] = (
    (
        f" of {DECISIONS:,} decisions change; access: ",
        f"{CONTRACTORS}  ",
    ),
    (
        f"0 of {DECISIONS:,} decisions change\n",
        "add --reauthenticate to see what changes",
    ),
    ('"changes": [', '"transitions": ['),
    (
        "  - use the policy in `examples/acme/scenarios/next.policy`\n",
        "require_approval (rule `Managers: ERP on approval`)",
    ),
)


def test_the_examples_are_all_checked() -> None:
    assert len(EXAMPLES) == len(SHOWN) == 4


@pytest.mark.parametrize(
    ("argv", "shown"),
    list(zip(EXAMPLES, SHOWN, strict=False)),
    ids=[" ".join(argv) for argv in EXAMPLES[: len(SHOWN)]],
)
def test_each_example_works_as_written(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    shown: tuple[str, ...],
) -> None:
    """Each example of `whatif --help`, run as written from the repository's root."""
    monkeypatch.chdir(ROOT)
    code = main(argv)
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    for expected in shown:
        assert expected in out
    if "--json" in argv:
        data = json.loads(out)
        assert data["compared"] == 2 * SESSIONS
        assert len(data["changes"]) == 6
