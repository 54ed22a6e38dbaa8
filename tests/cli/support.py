"""Helpers shared by the command-line tests."""

from __future__ import annotations

import shlex

from scimpolicy.cli._common import Command


def epilog_examples(command: Command) -> list[list[str]]:
    """The command lines of *command*'s examples epilog, without the program name."""
    text = command.examples.replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        if line.strip().startswith("scimpolicy "):
            argv = shlex.split(line)
            assert argv[:2] == ["scimpolicy", command.name]
            found.append(argv[1:])
    return found
