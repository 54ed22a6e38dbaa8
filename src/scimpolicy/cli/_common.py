"""What every command shares: exit codes, the command record, output helpers.

Exit codes (``docs/cli.md``): 0 success; 1 the command ran and its answer is "no" or
"something to look at" (no match, a policy with errors, decisions that change, not
ready, access not allowed); 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import attrs

from scimpolicy.workspace.files import load_workspace
from scimpolicy.workspace.sessions import parse_timestamp
from scimpolicy.workspace.world import World

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FOUND",
    "EXIT_OK",
    "Command",
    "UsageError",
    "print_json",
    "timestamp",
    "world",
]

EXIT_OK: Final = 0
EXIT_FOUND: Final = 1
EXIT_BAD_INPUT: Final = 2


class UsageError(Exception):
    """Arguments that parse but do not make sense together (exit 2, no traceback)."""


@attrs.frozen
class Command:
    """One sub-command: its name, help, examples, arguments and what it runs."""

    name: str
    help: str
    description: str
    examples: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def print_json(data: Any) -> None:
    """Print *data* as indented JSON on standard output."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def timestamp(text: str) -> datetime:
    """An argparse type: an ISO 8601 timestamp with an offset."""
    try:
        return parse_timestamp(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def world(path: str) -> World:
    """Load the tenant folder (or tenant file) *path*."""
    return load_workspace(path)
