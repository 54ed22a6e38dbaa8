"""`scimpolicy filter` through ``main(argv)``: output, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scimpolicy.cli import main

ACME = Path(__file__).parents[2] / "examples" / "acme"


def test_filter_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    """`filter` prints matching users as a table and a count; exit 0."""
    code = main(["filter", str(ACME / "okta"), 'userName eq "ada.adams@acme.example"'])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].split() == [
        "userName",
        "displayName",
        "title",
        "department",
        "active",
    ]
    assert "ada.adams@acme.example" in out
    assert out.rstrip().endswith("1 users")


def test_filter_json_is_a_list_response(capsys: pytest.CaptureFixture[str]) -> None:
    """`--json` prints the SCIM ListResponse, honouring --count and --attributes."""
    code = main(
        [
            "filter",
            str(ACME / "okta"),
            'title sw "Dir"',
            "--json",
            "--count",
            "2",
            "--attributes",
            "userName",
            "--sort-by",
            "userName",
        ]
    )
    body = json.loads(capsys.readouterr().out)
    assert code == 0
    assert body["itemsPerPage"] == 2
    assert body["totalResults"] > 2
    assert set(body["Resources"][0]) == {"schemas", "id", "userName"}
    names = [r["userName"] for r in body["Resources"]]
    assert names == sorted(names)


def test_filter_groups_with_options_between_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Options may sit between FOLDER and FILTER; --groups queries groups."""
    code = main(
        ["filter", str(ACME / "entra"), "--groups", 'displayName eq "Contractors"']
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Contractors" in out


def test_no_match_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A query that matches nothing says so and exits 1."""
    assert main(["filter", str(ACME / "okta"), 'userName eq "nobody"']) == 1
    assert capsys.readouterr().out == "no users match\n"


def test_malformed_filter_exits_2_with_a_caret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A malformed filter is reported with its position, without a traceback; exit 2."""
    assert main(["filter", str(ACME / "okta"), "userName eq"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: unexpected end of filter: expected a value (at line 1, column 12)\n"
        "    userName eq\n"
        "               ^\n"
    )


def test_missing_folder_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A folder that does not exist is a clear error; exit 2."""
    assert main(["filter", str(tmp_path / "nowhere")]) == 2
    assert (
        capsys.readouterr().err
        == f"error: no directory folder at `{tmp_path / 'nowhere'}`\n"
    )


def test_bad_json_file_names_file_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A malformed users.json is reported with file, line and column; exit 2."""
    (tmp_path / "users.json").write_text('[\n  {"userName": "a@x.com",}\n]\n')
    assert main(["filter", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {tmp_path / 'users.json'}: expecting property name enclosed in double "
        "quotes (at line 2, column 26)\n"
        '      {"userName": "a@x.com",}\n'
        "                             ^\n"
    )


def test_rejected_resource_names_file_line_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A resource the directory rejects is reported with its file, line and field."""
    (tmp_path / "users.json").write_text(
        '{"Resources": [\n {"userName": "a@x.com"},\n {"userName": "b@x.com", "active": "maybe"}\n]}'
    )
    assert main(["filter", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        f"error: {tmp_path / 'users.json'}: resource 2: `active`: expected true or false, "
        "got a string (at line 3, column 2)"
    )


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """`filter --help` documents the command with examples."""
    with pytest.raises(SystemExit) as caught:
        main(["filter", "--help"])
    assert caught.value.code == 0
    assert "examples:" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown command exits 2 with argparse's usage message."""
    with pytest.raises(SystemExit) as caught:
        main(["frobnicate"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
