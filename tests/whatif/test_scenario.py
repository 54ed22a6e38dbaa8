"""Scenario files (``load_scenario``): each kind of ``[[change]]`` and its Change value,
and the errors, which name the file, the line and the key; ``parse_duration``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

from scimpolicy.errors import DataFileError, PolicySyntaxError
from scimpolicy.policy.nodes import PolicyType
from scimpolicy.policy.parser import parse_policy
from scimpolicy.whatif import changes as c
from scimpolicy.whatif.scenario import KINDS, load_scenario, parse_duration
from scimpolicy.workspace.files import load_workspace

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RULE = 'rule "Auditors read payroll": allow when app == "Payroll"'
POLICY = """\
access:
  rule "Everyone to the intranet": allow when app == "Intranet"
  default: deny
"""


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> tuple[c.Change, ...]:
    return load_scenario(write(tmp_path, text))


def failure(tmp_path: Path, text: str) -> DataFileError:
    """The DataFileError loading *text* raises; its message names the file."""
    path = write(tmp_path, text)
    with pytest.raises(DataFileError) as caught:
        load_scenario(path)
    assert caught.value.origin == str(path)
    assert str(caught.value).startswith(f"{path}: ")
    return caught.value


# -- each kind of change --------------------------------------------------------------


@attrs.frozen
class Kind:
    """A ``[[change]]`` table of one kind and the Change it becomes."""

    kind: str
    table: str
    expected: c.Change | None  # None: built from tmp_path (use_policy)


KINDS_CASES: tuple[Kind, ...] = (
    Kind(
        "set_idp",
        """set_idp = "Okta"
scim_sync = true
scim_attributes_for_policy = true
saml_attributes_for_policy = false
at = 2026-11-23T12:00:00Z""",
        c.SetIdp(
            "Okta",
            scim_sync=True,
            scim_attributes_for_policy=True,
            saml_attributes_for_policy=False,
            at=NOON,
        ),
    ),
    Kind(
        "reauthenticate",
        """reauthenticate = "everyone"
idp = "Entra"
at = "2026-11-23T13:00:00+01:00\"""",
        c.Reauthenticate(
            (),
            idp="Entra",
            at=datetime(2026, 11, 23, 13, tzinfo=timezone(timedelta(hours=1))),
        ),
    ),
    Kind("advance", 'advance = "1d12h"', c.AdvanceTime(timedelta(days=1, hours=12))),
    Kind("set_time", "set_time = 2026-11-23T12:00:00Z", c.SetTime(NOON)),
    Kind(
        "add_rule",
        f"""add_rule = '{RULE}'
policy = "access"
position = 3""",
        c.AddRule(PolicyType.ACCESS, RULE, 2),
    ),
    Kind(
        "remove_rule",
        """remove_rule = "Interns re-authenticate twice a day"
policy = "timeout\"""",
        c.RemoveRule(PolicyType.TIMEOUT, "Interns re-authenticate twice a day"),
    ),
    Kind(
        "move_rule",
        """move_rule = "Contractors: no finance or HR"
position = 1""",
        c.MoveRule(PolicyType.ACCESS, "Contractors: no finance or HR", 0),
    ),
    Kind(
        "replace_rule",
        f"""replace_rule = "Finance to finance apps"
rule = '{RULE}'""",
        c.ReplaceRule(PolicyType.ACCESS, "Finance to finance apps", RULE),
    ),
    Kind(
        "disable_rule",
        """disable_rule = "Phones and tablets: allowed apps only"
policy = "forwarding\"""",
        c.SetRuleDisabled(
            PolicyType.FORWARDING, "Phones and tablets: allowed apps only"
        ),
    ),
    Kind(
        "enable_rule",
        'enable_rule = "Legal hold: contracts read-only for Legal"',
        c.SetRuleDisabled(
            PolicyType.ACCESS,
            "Legal hold: contracts read-only for Legal",
            disabled=False,
        ),
    ),
    Kind("use_policy", 'use_policy = "new.policy"', None),
    Kind(
        "add_user",
        """add_user = { userName = "new.hire@acme.example", active = true, title = "CFO" }
idp = "Okta\"""",
        c.AddUser(
            "Okta",
            {"userName": "new.hire@acme.example", "active": True, "title": "CFO"},
        ),
    ),
    Kind(
        "add_group",
        """add_group = { displayName = "Auditors" }
idp = "Okta\"""",
        c.AddGroup("Okta", {"displayName": "Auditors"}),
    ),
    Kind(
        "remove_user",
        """remove_user = "mia.lopez@acme.example"
idp = "Okta\"""",
        c.RemoveUser("Okta", "mia.lopez@acme.example"),
    ),
    Kind(
        "remove_group",
        """remove_group = "Contractors"
idp = "Okta\"""",
        c.RemoveGroup("Okta", "Contractors"),
    ),
    Kind(
        "patch_user",
        f"""patch_user = "jonas.muller@acme.example"
idp = "Okta"
operations = [
  {{ op = "replace", path = "{ENTERPRISE}:department", value = "Engineering" }},
  {{ op = "remove", path = "title" }},
]""",
        c.PatchUser(
            "Okta",
            "jonas.muller@acme.example",
            [
                {
                    "op": "replace",
                    "path": f"{ENTERPRISE}:department",
                    "value": "Engineering",
                },
                {"op": "remove", "path": "title"},
            ],
        ),
    ),
    Kind(
        "patch_group",
        """patch_group = "Finance"
idp = "Okta"
operations = [{ op = "replace", path = "displayName", value = "Finance EMEA" }]""",
        c.PatchGroup(
            "Okta",
            "Finance",
            [{"op": "replace", "path": "displayName", "value": "Finance EMEA"}],
        ),
    ),
    Kind(
        "replace_user",
        """replace_user = "mia.lopez@acme.example"
idp = "Okta"

[change.payload]
userName = "mia.lopez@acme.example"
userType = "Employee\"""",
        c.ReplaceUser(
            "Okta",
            "mia.lopez@acme.example",
            {"userName": "mia.lopez@acme.example", "userType": "Employee"},
        ),
    ),
    Kind(
        "add_to_group",
        """add_to_group = "mia.lopez@acme.example"
idp = "Okta"
group = "Finance\"""",
        c.AddToGroup("Okta", "mia.lopez@acme.example", "Finance"),
    ),
    Kind(
        "remove_from_group",
        """remove_from_group = "mia.lopez@acme.example"
idp = "Okta"
group = "Contractors\"""",
        c.RemoveFromGroup("Okta", "mia.lopez@acme.example", "Contractors"),
    ),
    Kind(
        "move_user",
        """move_user = "jonas.muller@acme.example"
idp = "Okta"
from_group = "Finance"
to_group = "Engineering\"""",
        c.MoveUser("Okta", "jonas.muller@acme.example", "Finance", "Engineering"),
    ),
)


def test_every_kind_has_a_case() -> None:
    """The cases below cover KINDS exactly (a new kind needs a case)."""
    assert sorted(case.kind for case in KINDS_CASES) == sorted(KINDS)


@pytest.mark.parametrize("case", KINDS_CASES, ids=lambda case: case.kind)
def test_each_kind_becomes_its_change(tmp_path: Path, case: Kind) -> None:
    """One ``[[change]]`` table of each kind gives the Change value with its
    parameters (positions are 1-based in the file, 0-based in the value)."""
    expected = case.expected
    if expected is None:  # use_policy: the file, relative to the scenario
        policy = write(tmp_path, POLICY, "new.policy")
        expected = c.UsePolicy(parse_policy(POLICY), f"the policy in `{policy}`")
    changes = load(tmp_path, f"[[change]]\n{case.table}\n")
    assert changes == (expected,)


def test_changes_keep_their_order_and_a_description_is_allowed(tmp_path: Path) -> None:
    """Tables become changes in file order; `description` is the one other key."""
    changes = load(
        tmp_path,
        """description = "two steps"

[[change]]
set_idp = "Okta"
scim_attributes_for_policy = true

[[change]]
reauthenticate = ["mia.lopez@acme.example", "jonas.muller@acme.example"]
""",
    )
    assert changes == (
        c.SetIdp("Okta", scim_attributes_for_policy=True),
        c.Reauthenticate(["mia.lopez@acme.example", "jonas.muller@acme.example"]),
    )


def test_an_empty_scenario_has_no_changes(tmp_path: Path) -> None:
    assert load(tmp_path, 'description = "nothing yet"\n') == ()


def test_reauthenticate_takes_one_nameid(tmp_path: Path) -> None:
    changes = load(tmp_path, '[[change]]\nreauthenticate = "mia.lopez@acme.example"\n')
    assert changes == (c.Reauthenticate(["mia.lopez@acme.example"]),)


def test_the_rule_text_of_a_multiline_string_is_kept(tmp_path: Path) -> None:
    """A rule over several lines (a TOML literal string) is passed on as written."""
    text = 'rule "Freeze": deny\n    when app == "Payroll"'
    changes = load(
        tmp_path, f"[[change]]\nadd_rule = '''{text}'''\npolicy = \"access\"\n"
    )
    assert changes == (c.AddRule(PolicyType.ACCESS, text),)


def test_the_acme_scenario_applies_to_the_acme_tenant() -> None:
    """The bundled reorganisation scenario loads and applies to the acme world."""
    acme = Path(__file__).parents[2] / "examples" / "acme"
    changes = load_scenario(acme / "scenarios" / "reorg.toml")
    assert len(changes) == 6
    world = load_workspace(acme)
    after, undo = c.apply_changes(world, changes)
    assert len(undo) == len(changes)
    assert after.idp("Okta").scim_attributes_for_policy


# -- errors: file, line, key ------------------------------------------------------------


def test_a_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = failure(tmp_path, '[[change]]\nset_idp = "Okta"\nscim_sync = \n')
    assert error.lineno == 3


def test_an_unknown_top_level_key(tmp_path: Path) -> None:
    error = failure(
        tmp_path, '# a scenario\ntitle = "Q1"\n\n[[change]]\nadvance = "1d"\n'
    )
    assert error.lineno == 2
    assert "unknown key `title`" in error.message


def test_change_must_be_tables(tmp_path: Path) -> None:
    error = failure(tmp_path, "change = 3\n")
    assert error.lineno == 1
    assert "`change`: expected [[change]] tables" in error.message


def test_a_table_without_a_kind(tmp_path: Path) -> None:
    """No kind key: the error points at the table's header and lists the kinds."""
    error = failure(
        tmp_path, '[[change]]\nadvance = "1d"\n\n[[change]]\nidp = "Okta"\n'
    )
    assert error.lineno == 4
    assert error.message.startswith("change 2: no kind: give exactly one of set_idp,")


def test_a_table_with_two_kinds(tmp_path: Path) -> None:
    """Two kind keys: the error points at the second."""
    error = failure(tmp_path, '[[change]]\nset_idp = "Okta"\nadvance = "1d"\n')
    assert error.lineno == 3
    assert error.message.startswith("change 1: 2 kinds: give exactly one of")


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('move_rule = "Contractors: no finance or HR"', "position"),
        ('add_to_group = "mia.lopez@acme.example"\nidp = "Okta"', "group"),
        ('remove_user = "mia.lopez@acme.example"', "idp"),
        ('patch_user = "mia.lopez@acme.example"\nidp = "Okta"', "operations"),
        ('replace_rule = "Finance to finance apps"', "rule"),
    ],
)
def test_a_missing_parameter(tmp_path: Path, table: str, key: str) -> None:
    """A parameter the kind needs is missing: the error names it, at the header."""
    error = failure(tmp_path, f"# header next\n[[change]]\n{table}\n")
    assert error.lineno == 2
    assert error.message == f"change 1: `{key}` is required for this kind of change"


@pytest.mark.parametrize(
    ("table", "key", "expected"),
    [
        ('move_rule = "x"\nposition = "3"', "position", "an integer"),
        ('move_rule = "x"\nposition = true', "position", "an integer"),
        (f"add_rule = '{RULE}'\nposition = 2.5", "position", "an integer"),
        ('set_idp = "Okta"\nscim_sync = "yes"', "scim_sync", "true or false"),
        ("set_idp = 7", "set_idp", "a string"),
        ('remove_user = "x"\nidp = ["Okta"]', "idp", "a string"),
        ('set_idp = "Okta"\nat = 12', "at", "a string or a date and time"),
        (
            'patch_user = "x"\nidp = "Okta"\noperations = "replace"',
            "operations",
            "an array",
        ),
        ('replace_user = "x"\nidp = "Okta"\npayload = "{}"', "payload", "a table"),
        ('add_user = "x"\nidp = "Okta"', "add_user", "a table"),
        ("reauthenticate = 3", "reauthenticate", "a string or an array"),
    ],
)
def test_a_wrong_type(tmp_path: Path, table: str, key: str, expected: str) -> None:
    """A mistyped parameter: the error is on its line and says what is expected."""
    text = f"[[change]]\n{table}\n"
    error = failure(tmp_path, text)
    assert error.message == f"change 1: `{key}`: expected {expected}"
    lines = text.splitlines()
    assert lines[error.lineno - 1].startswith(f"{key} =")


def test_reauthenticate_names_must_be_strings(tmp_path: Path) -> None:
    error = failure(tmp_path, '[[change]]\nreauthenticate = ["a@b.example", 3]\n')
    assert error.lineno == 2
    assert error.message == "change 1: `reauthenticate`: expected NameIDs"


def test_a_bad_duration(tmp_path: Path) -> None:
    error = failure(tmp_path, '[[change]]\n\nadvance = "a week"\n')
    assert error.lineno == 3
    assert error.message == (
        "change 1: `advance`: expected a duration such as 7d, 12h, 30m or 1d12h, got "
        "`a week`"
    )


def test_a_toml_datetime_without_offset(tmp_path: Path) -> None:
    error = failure(
        tmp_path, '[[change]]\nset_idp = "Okta"\nat = 2026-11-23T09:00:00\n'
    )
    assert error.lineno == 3
    assert error.message == "change 1: `at`: add an offset (`Z` or `+HH:MM`)"


def test_a_string_timestamp_without_offset(tmp_path: Path) -> None:
    error = failure(tmp_path, '[[change]]\nset_time = "2026-11-23T09:00:00"\n')
    assert error.lineno == 2
    assert error.message.startswith("change 1: `set_time`: ")
    assert "offset" in error.message


def test_a_string_that_is_no_timestamp(tmp_path: Path) -> None:
    error = failure(
        tmp_path, '[[change]]\nreauthenticate = "everyone"\nat = "monday"\n'
    )
    assert error.lineno == 3
    assert error.message.startswith("change 1: `at`: ")


def test_an_unknown_policy_type(tmp_path: Path) -> None:
    error = failure(tmp_path, '[[change]]\nremove_rule = "x"\npolicy = "nope"\n')
    assert error.lineno == 3
    assert error.message == "change 1: `policy`: expected access, forwarding or timeout"


@pytest.mark.parametrize(
    "operations",
    [
        '["replace"]',
        '[{ path = "title", value = "CTO" }]',
        '[{ op = "replace", path = "title", value = "CTO" }, "remove"]',
        "[]",
    ],
)
def test_operations_must_be_tables_with_op(tmp_path: Path, operations: str) -> None:
    error = failure(
        tmp_path,
        f'[[change]]\npatch_group = "Finance"\nidp = "Okta"\noperations = {operations}\n',
    )
    assert error.lineno == 4
    assert error.message.startswith("change 1: `operations`: expected SCIM PATCH ")


def test_a_key_that_does_not_apply(tmp_path: Path) -> None:
    """An extra key is an error, not ignored (here `idp` on a time change)."""
    error = failure(
        tmp_path,
        '[[change]]\nadvance = "7d"\n\n[[change]]\nadvance = "1d"\nidp = "Okta"\n',
    )
    assert error.lineno == 6
    assert error.message == "change 2: `idp` does not apply to this change"


def test_use_policy_with_a_missing_file(tmp_path: Path) -> None:
    """The policy file is read relative to the scenario: a missing one is an OSError
    naming it."""
    path = write(tmp_path, '[[change]]\nuse_policy = "missing.policy"\n')
    with pytest.raises(OSError, match=r"missing\.policy") as caught:
        load_scenario(path)
    assert caught.value.filename == str(tmp_path / "missing.policy")


def test_use_policy_with_a_syntax_error_names_that_file(tmp_path: Path) -> None:
    policy = write(
        tmp_path, 'access:\n  default: deny\n  rule "x" allow\n', "bad.policy"
    )
    path = write(tmp_path, '[[change]]\nuse_policy = "bad.policy"\n')
    with pytest.raises(PolicySyntaxError) as caught:
        load_scenario(path)
    assert caught.value.origin == str(policy)
    assert str(caught.value).startswith(f"{policy}: ")
    assert caught.value.lineno == 3


# Regressions: rule texts were only parsed when the change was applied, so a syntax
# error in `add_rule` or `rule` named neither the scenario file nor its line (and
# load_scenario, documented to raise PolicySyntaxError for them, did not).


def test_a_rule_syntax_error_points_into_the_scenario_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[[change]]\nadd_rule = "rule nonsense"\n')
    with pytest.raises(PolicySyntaxError) as caught:
        load_scenario(path)
    error = caught.value
    assert error.origin == str(path)
    assert error.message == (
        "change 1: `add_rule`: expected a rule name in double quotes after `rule`"
    )
    assert (error.lineno, error.colno) == (2, 18)  # at `nonsense`


def test_a_replacement_rule_error_points_at_its_line(tmp_path: Path) -> None:
    """In a multi-line rule the caret lands on the line of the file at fault."""
    text = """\
[[change]]
replace_rule = "Finance to finance apps"
rule = '''rule "Finance to finance apps": allow
    when segment_group == "Finance Apps" and and'''
"""
    path = write(tmp_path, text)
    with pytest.raises(PolicySyntaxError) as caught:
        load_scenario(path)
    assert caught.value.origin == str(path)
    assert caught.value.message.startswith("change 1: `rule`: ")
    assert caught.value.lineno == 4


def test_a_rule_escaped_in_the_file_points_at_the_key(tmp_path: Path) -> None:
    """A rule whose text is not in the file verbatim (escapes): the error is at the
    key, with the position inside the rule."""
    path = write(tmp_path, '[[change]]\nadd_rule = "rule \\"x\\": allow when"\n')
    with pytest.raises(PolicySyntaxError) as caught:
        load_scenario(path)
    assert caught.value.origin == str(path)
    assert caught.value.lineno == 2
    assert "(in the rule: line 1, column" in caught.value.message


def test_add_rule_takes_exactly_one_rule(tmp_path: Path) -> None:
    error = failure(
        tmp_path,
        "[[change]]\nadd_rule = '''"
        'rule "a": allow when app == "CRM"\n'
        'rule "b": allow when app == "CI"'
        "'''\n",
    )
    assert error.lineno == 2
    assert error.message.startswith("change 1: `add_rule`: expected exactly one rule")


# Regression: `position = 0` became index -1, reported when applied as "position -1 is
# outside the 28 access rules", without the file or the line.


@pytest.mark.parametrize("kind", ["add_rule", "move_rule"])
@pytest.mark.parametrize("position", [0, -3])
def test_a_position_below_one(tmp_path: Path, kind: str, position: int) -> None:
    value = f"'{RULE}'" if kind == "add_rule" else '"Finance to finance apps"'
    error = failure(tmp_path, f"[[change]]\n{kind} = {value}\nposition = {position}\n")
    assert error.lineno == 3
    assert error.message == "change 1: `position`: expected 1 or more (1 is first)"


# -- durations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("1d2h3m", timedelta(days=1, hours=2, minutes=3)),
        ("0m", timedelta(0)),
        ("-2h", timedelta(hours=-2)),
        ("-1d12h", -timedelta(days=1, hours=12)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "7", "7x", "d", "-", "--2h", "12h1d", "7 d", "1.5h", "7D", "+7d"]
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration such as 7d") as caught:
        parse_duration(text)
    assert f"got `{text}`" in str(caught.value)
