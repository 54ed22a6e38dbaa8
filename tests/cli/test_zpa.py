"""`scimpolicy import-zpa` and `scimpolicy export-zpa` through ``main(argv)``: output,
files, diagnostics, exit codes, `--partial`, and the help examples as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scimpolicy.cli import _zpa, main
from tests.cli.support import epilog_examples

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "zpa" / "fixtures"
CATALOGUE = str(FIXTURES / "catalogue")
RULES = [
    str(FIXTURES / f"{name}.json")
    for name in ("access-v1", "forwarding-v1", "timeout-v1")
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_prints_the_policy_the_fixture_holds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "import-zpa", *RULES, "--catalogue", CATALOGUE)
    assert (code, err) == (0, "")
    # tests/zpa/fixtures/acme-zpa.policy is this output, kept for the export examples.
    assert out == (FIXTURES / "acme-zpa.policy").read_text(encoding="utf-8")


def test_export_then_import_gives_the_policy_back(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    exported = tmp_path / "zpa.json"
    code, out, err = run(
        capsys,
        "export-zpa",
        str(FIXTURES / "acme-zpa.policy"),
        "--catalogue",
        CATALOGUE,
        "--output",
        str(exported),
    )
    assert (code, out, err) == (0, "", "")
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert sorted(data) == [
        "ACCESS_POLICY",
        "CLIENT_FORWARDING_POLICY",
        "TIMEOUT_POLICY",
    ]
    files = []
    for name, rules in data.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(rules), encoding="utf-8")
        files.append(str(path))
    code, out, _ = run(capsys, "import-zpa", *files, "--catalogue", CATALOGUE)
    assert code == 0
    assert out == (FIXTURES / "acme-zpa.policy").read_text(encoding="utf-8")


def test_export_one_type_is_a_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "export-zpa",
        str(FIXTURES / "acme-zpa.policy"),
        "--catalogue",
        CATALOGUE,
        "--type",
        "timeout",
    )
    assert code == 0
    rules = json.loads(out)
    assert [rule["name"] for rule in rules] == [
        "Contractors re-auth daily",
        "Default_Rule",
    ]
    assert rules[1]["defaultRule"] is True


def write_rules(tmp_path: Path, rules: list[dict[str, object]]) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    return str(path)


UNSUPPORTED: dict[str, object] = {
    "name": "Risky users",
    "action": "DENY",
    "ruleOrder": "1",
    "conditions": [
        {
            "operator": "OR",
            "operands": [
                {"objectType": "RISK_FACTOR_TYPE", "lhs": "ZIA", "rhs": "HIGH"}
            ],
        }
    ],
}


def test_an_import_error_writes_nothing_without_partial(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = write_rules(tmp_path, [UNSUPPORTED])
    output = tmp_path / "out.policy"
    code, out, err = run(
        capsys, "import-zpa", rules, "--catalogue", CATALOGUE, "--output", str(output)
    )
    assert code == 1
    assert out == ""
    assert "error[unsupported-operand]" in err
    assert f"{rules}: rule `Risky users`: `conditions[0].operands[0]`" in err
    assert "nothing written" in err
    assert not output.exists()

    code, out, err = run(
        capsys, "import-zpa", rules, "--catalogue", CATALOGUE, "--partial"
    )
    assert code == 1
    assert 'disabled rule "Risky users": deny' in out


def test_an_export_error_names_the_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "p.policy"
    policy.write_text(
        'access:\n  rule "Not Git": deny when not (app == "Git")\n'
        '  rule "Git": allow when app == "Git"\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "export-zpa", str(policy), "--catalogue", CATALOGUE)
    assert (code, out) == (1, "")
    assert "error[cannot-export]: rule `Not Git`" in err
    code, out, _ = run(
        capsys, "export-zpa", str(policy), "--catalogue", CATALOGUE, "--partial"
    )
    assert code == 1
    assert [rule["name"] for rule in json.loads(out)["ACCESS_POLICY"]] == ["Git"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import-zpa", "missing.json", "--catalogue", CATALOGUE], "missing.json"),
        (
            ["import-zpa", RULES[0], "--catalogue", "no-such-folder"],
            "no catalogue folder",
        ),
        (["export-zpa", "missing.policy", "--catalogue", CATALOGUE], "missing.policy"),
    ],
)
def test_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_malformed_json_says_where(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('[{"name": "x",}]', encoding="utf-8")
    code, _, err = run(capsys, "import-zpa", str(broken), "--catalogue", CATALOGUE)
    assert code == 2
    assert "line 1, column 15" in err


@pytest.mark.parametrize("command", [_zpa.IMPORT, _zpa.EXPORT], ids=lambda c: c.name)
def test_the_help_examples_run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    command: object,
) -> None:
    monkeypatch.chdir(ROOT)
    examples = epilog_examples(command)  # type: ignore[arg-type]
    assert len(examples) == 2
    for argv in examples:
        if "--output" in argv:  # keep the repository clean
            index = argv.index("--output") + 1
            argv[index] = str(tmp_path / argv[index])
        assert main(argv) == 0, capsys.readouterr().err
