"""`scimpolicy attributes` through ``main(argv)``: ZPA's SCIM Attributes page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scimpolicy.cli import main

ACME = Path(__file__).parents[2] / "examples" / "acme"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _users(folder: Path, *users: dict[str, Any]) -> Path:
    """A SCIM directory folder holding *users*."""
    folder.mkdir()
    (folder / "users.json").write_text(json.dumps(list(users)), encoding="utf-8")
    return folder


def test_the_table_of_an_idp(capsys: pytest.CaptureFixture[str]) -> None:
    """ZPA's 14 attributes with their headers and distinct-value counts; exit 0."""
    assert main(["attributes", str(ACME), "--idp", "Okta"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("  ")[0] == "attribute"
    assert lines[0].split() == [
        "attribute",
        "data",
        "type",
        "schema",
        "multi-valued",
        "required",
        "case",
        "sensitive",
        "values",
    ]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:16]}
    assert len(rows) == 14
    assert rows["active"] == ["Boolean", "User", "no", "no", "no", "1"]
    assert rows["department"] == ["String", "EnterpriseUser", "no", "no", "no", "10"]
    assert rows["emails.value"][2] == "yes"
    assert rows["userName"][3] == "yes"
    assert rows["userType"][-1] == "3"
    assert lines[-1] == (
        "14 attributes; values: distinct values among IdP `Okta`'s 2298 active users"
    )


def test_search(capsys: pytest.CaptureFixture[str]) -> None:
    """--search keeps the attributes whose name contains the text, ignoring case;
    no match: exit 1."""
    assert main(["attributes", str(ACME), "--idp", "Entra", "--search", "NAME"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines()[2:-2]]
    assert names == [
        "displayName",
        "name.familyName",
        "name.formatted",
        "name.givenName",
        "nickName",
        "userName",
    ]
    assert out.splitlines()[-1].startswith("6 of 14 attributes; ")
    assert main(["attributes", str(ACME), "--idp", "Entra", "--search", "zzz"]) == 1
    assert capsys.readouterr().out == "no attribute name contains `zzz`\n"


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    """--json uses ZPA's attribute-header field names and full schema URNs."""
    assert main(["attributes", str(ACME), "--idp", "Entra", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["idp"], body["activeUsers"]) == ("Entra", 759)
    assert len(body["attributes"]) == 14
    department = next(a for a in body["attributes"] if a["name"] == "department")
    assert department == {
        "name": "department",
        "dataType": "String",
        "schemaURI": ENTERPRISE,
        "multivalued": False,
        "required": False,
        "caseSensitive": False,
        "values": 10,
    }


def test_values(capsys: pytest.CaptureFixture[str]) -> None:
    """--values lists an attribute's distinct values, most users first."""
    assert (
        main(["attributes", str(ACME), "--idp", "Entra", "--values", "Department"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "department   users",
        "-----------  -----",
        "Engineering  229",
        "Sales        114",
    ]
    assert lines[-1] == (
        "10 distinct values (ignoring case) among IdP `Entra`'s 759 active users"
    )


def test_values_of_a_directory_folder_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A SCIM directory folder works without --idp; --values --json."""
    assert (
        main(["attributes", str(ACME / "okta"), "--values", "userType", "--json"]) == 0
    )
    body = json.loads(capsys.readouterr().out)
    assert body["idp"] is None
    assert body["values"] == [
        {"value": "Employee", "users": 1960},
        {"value": "Contractor", "users": 266},
        {"value": "Intern", "users": 72},
    ]


def test_values_ignore_case_and_inactive_users(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Values are distinct ignoring case, shown as most users spell them; a user
    counts once per value; inactive users are not there (ZPA deletes them)."""
    folder = _users(
        tmp_path / "dir",
        {"userName": "a@x.com", ENTERPRISE: {"department": "eng"}},
        {"userName": "b@x.com", ENTERPRISE: {"department": "Eng"}},
        {"userName": "c@x.com", ENTERPRISE: {"department": "Eng"}},
        {"userName": "d@x.com", ENTERPRISE: {"department": "HR"}, "active": False},
        {
            "userName": "e@x.com",
            "emails": [{"value": "E@x.com"}, {"value": "e@X.com", "type": "work"}],
        },
    )
    assert main(["attributes", str(folder), "--values", "department"]) == 0
    assert capsys.readouterr().out == (
        "department  users\n"
        "----------  -----\n"
        "Eng         3\n"
        "\n"
        "1 distinct values (ignoring case) among the directory's 4 active users\n"
    )
    assert main(["attributes", str(folder), "--values", "emails.value", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["values"] == [
        {"value": "E@x.com", "users": 1}
    ]
    assert main(["attributes", str(folder), "--values", "nickName"]) == 0
    assert capsys.readouterr().out == (
        "none of the directory's 4 active users has a value for `nickName`\n"
    )


def test_a_tenant_with_one_idp_needs_no_idp(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With one IdP in the tenant, --idp may be left out."""
    _users(tmp_path / "dir", {"userName": "a@x.com", "title": "CEO"})
    (tmp_path / "p.policy").write_text("")
    (tmp_path / "tenant.toml").write_text(
        'policy = "p.policy"\n[[idp]]\nname = "Only"\ndirectory = "dir"\n'
    )
    assert main(["attributes", str(tmp_path), "--values", "title"]) == 0
    assert capsys.readouterr().out.endswith(" among IdP `Only`'s 1 active users\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            [str(ACME)],
            "the tenant has several IdPs: pick one with --idp (`Okta`, `Entra`)",
        ),
        (
            [str(ACME), "--idp", "okta"],
            "no IdP named `okta` in the tenant: did you mean `Okta`? (IdPs: `Okta`, `Entra`)",
        ),
        (
            [str(ACME), "--idp", "Okta", "--values", "departmnt"],
            (
                "`departmnt` is not one of ZPA's SCIM policy attributes: did you mean "
                "`department`?"
            ),
        ),
        (
            [str(ACME), "--idp", "Okta", "--values", "locale"],
            (
                "`locale` is not one of ZPA's SCIM policy attributes (active, costCenter, "
                "department, displayName, division, emails.value, name.familyName, "
                "name.formatted, name.givenName, nickName, organization, title, userName, "
                "userType)"
            ),
        ),
        (
            [str(ACME / "okta"), "--idp", "Okta"],
            (
                f"--idp applies to a tenant folder; `{ACME / 'okta'}` is one IdP's SCIM "
                "directory folder"
            ),
        ),
        (
            [str(ACME.parent)],
            (
                f"`{ACME.parent}` is neither a tenant folder (tenant.toml) nor a SCIM "
                "directory folder (users.json, groups.json)"
            ),
        ),
    ],
)
def test_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Unknown IdPs and attributes, and folders that are neither kind: exit 2."""
    assert main(["attributes", *argv]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_malformed_users_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A tenant whose users.json is malformed: exit 2 with the file and position."""
    acme = Path(shutil.copytree(ACME, tmp_path / "acme"))
    (acme / "okta" / "users.json").write_text('[{"userName": "a@x.com",}]')
    assert main(["attributes", str(acme), "--idp", "Okta"]) == 2
    assert capsys.readouterr().err == (
        f"error: {acme / 'okta' / 'users.json'}: expecting property name enclosed in "
        "double quotes (at line 1, column 25)\n"
        '    [{"userName": "a@x.com",}]\n'
        "                            ^\n"
    )


def test_search_and_values_exclude_each_other(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--search and --values together is an argparse usage error (exit 2)."""
    with pytest.raises(SystemExit) as caught:
        main(["attributes", str(ACME), "--search", "a", "--values", "title"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`attributes --help` exits 0 and shows examples."""
    with pytest.raises(SystemExit) as caught:
        main(["attributes", "--help"])
    assert caught.value.code == 0
    assert "scimpolicy attributes examples/acme --idp Okta" in capsys.readouterr().out
