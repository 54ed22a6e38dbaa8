"""The command line as a whole: the registry, help, and a reader that goes away."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from scimpolicy.cli import COMMANDS, main

ACME = Path(__file__).parents[2] / "examples" / "acme"


def test_every_command_is_registered_once() -> None:
    """Every command, each once, in the documented order."""
    assert [command.name for command in COMMANDS] == [
        "filter",
        "check",
        "fmt",
        "eval",
        "attributes",
        "whatif",
        "bulk",
        "readiness",
        "test",
        "serve",
        "import-zpa",
        "export-zpa",
        "lint",
        "diff",
    ]


def test_top_level_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """`scimpolicy --help` exits 0 and names every command and the exit codes."""
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    for command in COMMANDS:
        assert command.name in out
    assert "Exit codes" in out


def test_a_closed_pipe_ends_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Output into a pipe whose reader has gone (`... | head`) stops the command with
    status 141 (128 + SIGPIPE) and no error message."""
    read, write = os.pipe()
    os.close(read)
    stream = os.fdopen(write, "w", buffering=1)
    monkeypatch.setattr("sys.stdout", stream)
    try:
        code = main(["bulk", str(ACME), "--types", "access", "--rows", "csv"])
    finally:
        monkeypatch.undo()
        with contextlib.suppress(BrokenPipeError):
            stream.close()
    assert code == 141
    assert capsys.readouterr().err == ""
