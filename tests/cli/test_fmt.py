"""`scimpolicy fmt` through ``main(argv)``: printing, --check, --write, comments."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from scimpolicy.cli import main
from scimpolicy.policy.formatter import format_policy
from scimpolicy.policy.parser import parse_policy

ACME = Path(__file__).parents[2] / "examples" / "acme"

MESSY = (
    "timeout: default: reauth every 1440m idle never "
    'access: rule "a": allow when ((app=="Git"))\n'
)
CANONICAL = (
    'access:\n  rule "a": allow\n    when app == "Git"\n\n'
    "timeout:\n  default: reauth every 1d idle never\n"
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_prints_the_canonical_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With one file and no option, the canonical text goes to stdout; exit 0."""
    policy = _write(tmp_path / "p.policy", MESSY)
    assert main(["fmt", str(policy)]) == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (CANONICAL, "")
    assert policy.read_text(encoding="utf-8") == MESSY


def test_printing_warns_that_comments_are_not_kept(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Printing a file with comments says on stderr which lines are not printed."""
    assert main(["fmt", str(ACME / "acme.policy")]) == 0
    captured = capsys.readouterr()
    text = (ACME / "acme.policy").read_text(encoding="utf-8")
    assert captured.out == format_policy(parse_policy(text))
    assert captured.err == (
        f"warning: {ACME / 'acme.policy'}: the comments on lines 1, 2, 3, 4, 5 and 20 "
        "more are not printed: the canonical layout has none\n"
    )


def test_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--check names the files that are not canonical (exit 1) and changes nothing;
    all canonical: no output, exit 0."""
    messy = _write(tmp_path / "messy.policy", MESSY)
    tidy = _write(tmp_path / "tidy.policy", CANONICAL)
    assert main(["fmt", "--check", str(messy), str(tidy)]) == 1
    assert capsys.readouterr().out == f"would reformat {messy}\n"
    assert messy.read_text(encoding="utf-8") == MESSY
    assert main(["fmt", str(tidy), "--check"]) == 0
    assert capsys.readouterr().out == ""


def test_check_says_comments_would_be_lost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A file with comments is never canonical; --check says why."""
    assert main(["fmt", "--check", str(ACME / "acme.policy")]) == 1
    assert capsys.readouterr().out == (
        f"would reformat {ACME / 'acme.policy'} (its comments would be lost)\n"
    )


def test_write(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--write rewrites the files that change, keeps their permissions, leaves no
    temporary file; a second run has nothing to do."""
    messy = _write(tmp_path / "messy.policy", MESSY)
    tidy = _write(tmp_path / "tidy.policy", CANONICAL)
    messy.chmod(0o640)
    before = tidy.stat().st_mtime_ns
    assert main(["fmt", "--write", str(messy), str(tidy)]) == 0
    assert capsys.readouterr().out == f"reformatted {messy}\n"
    assert messy.read_text(encoding="utf-8") == CANONICAL
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640
    assert tidy.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy.policy", "tidy.policy"]
    assert main(["fmt", "--write", str(messy)]) == 0
    assert capsys.readouterr().out == ""


def test_a_failed_write_leaves_the_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the new text cannot be put in place, the file is as it was, the
    temporary file is gone, and the error is reported; exit 2."""
    messy = _write(tmp_path / "messy.policy", MESSY)

    def fail(*_: object) -> None:
        raise PermissionError(13, "Permission denied", str(messy))

    monkeypatch.setattr(shutil, "copymode", fail)
    assert main(["fmt", "--write", str(messy)]) == 2
    assert capsys.readouterr().err == f"error: Permission denied: `{messy}`\n"
    assert messy.read_text(encoding="utf-8") == MESSY
    assert [p.name for p in tmp_path.iterdir()] == ["messy.policy"]


def test_write_refuses_to_drop_comments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--write refuses a file with comments (exit 2, nothing written, not even the
    other files) unless --drop-comments is given."""
    commented = _write(tmp_path / "c.policy", "# keep me\n" + MESSY)
    messy = _write(tmp_path / "m.policy", MESSY)
    assert main(["fmt", "--write", str(messy), str(commented)]) == 2
    assert capsys.readouterr().err == (
        f"error: {commented}: the comments on line 1 would be lost: the canonical "
        "layout has none\n"
        "error: nothing was written; pass --drop-comments to reformat and lose the "
        "comments\n"
    )
    assert messy.read_text(encoding="utf-8") == MESSY
    assert commented.read_text(encoding="utf-8") == "# keep me\n" + MESSY

    assert main(["fmt", "--write", "--drop-comments", str(commented)]) == 0
    assert capsys.readouterr().out == f"reformatted {commented} (comments dropped)\n"
    assert commented.read_text(encoding="utf-8") == CANONICAL


def test_a_hash_in_a_string_is_not_a_comment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`#` inside a quoted string is text, so --write goes ahead."""
    policy = _write(tmp_path / "p.policy", 'access: rule "Team #1": allow\n')
    assert main(["fmt", "--write", str(policy)]) == 0
    assert capsys.readouterr().out == f"reformatted {policy}\n"
    assert policy.read_text(encoding="utf-8") == 'access:\n  rule "Team #1": allow\n'


def test_syntax_error_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A syntax error in any file: its position, exit 2, no file written."""
    messy = _write(tmp_path / "m.policy", MESSY)
    broken = _write(tmp_path / "b.policy", 'access:\n  rule "x" allow\n')
    assert main(["fmt", "--write", str(messy), str(broken)]) == 2
    assert capsys.readouterr().err == (
        f"error: {broken}: expected `:` after the rule name (at line 2, column 12)\n"
        '      rule "x" allow\n'
        "               ~~~~^\n"
    )
    assert messy.read_text(encoding="utf-8") == MESSY


def test_missing_file_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A file that is not there is bad input; exit 2."""
    assert main(["fmt", "--check", str(tmp_path / "nope.policy")]) == 2
    assert capsys.readouterr().err == (
        f"error: No such file or directory: `{tmp_path / 'nope.policy'}`\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["a.policy", "b.policy"],
            "give one file to print, or --check or --write for several",
        ),
        (["--drop-comments", "a.policy"], "--drop-comments applies to --write only"),
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Options that do not fit together exit 2 with a message."""
    assert main(["fmt", *argv]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_check_and_write_exclude_each_other(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--check and --write together is an argparse usage error (exit 2)."""
    with pytest.raises(SystemExit) as caught:
        main(["fmt", "--check", "--write", "a.policy"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`fmt --help` exits 0 and shows examples."""
    with pytest.raises(SystemExit) as caught:
        main(["fmt", "--help"])
    assert caught.value.code == 0
    assert "scimpolicy fmt --check examples/acme/acme.policy" in capsys.readouterr().out
