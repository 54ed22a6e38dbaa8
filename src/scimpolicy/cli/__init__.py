"""The ``scimpolicy`` command line.

Stage: the top. ``main(argv)`` parses arguments, runs one command and returns its exit
code; errors are printed without tracebacks. Each command lives in its own module
and is listed in :data:`COMMANDS`; the exit codes are in
:mod:`scimpolicy.cli._common` and ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Final

from scimpolicy.cli import (
    _analysis,
    _attributes,
    _bulk,
    _check,
    _eval,
    _filter,
    _fmt,
    _readiness,
    _serve,
    _test,
    _whatif,
    _zpa,
)
from scimpolicy.cli._common import EXIT_BAD_INPUT, Command, UsageError
from scimpolicy.errors import PolicyCheckError, ScimError, ScimPolicyError, SourceError

__all__ = ["COMMANDS", "main"]

EXIT_BROKEN_PIPE: Final = 141
"""128 + SIGPIPE: standard output was closed by its reader."""

COMMANDS: Final[tuple[Command, ...]] = (
    _filter.COMMAND,
    _check.COMMAND,
    _fmt.COMMAND,
    _eval.COMMAND,
    _attributes.COMMAND,
    _whatif.COMMAND,
    _bulk.COMMAND,
    _readiness.COMMAND,
    _test.COMMAND,
    _serve.COMMAND,
    _zpa.IMPORT,
    _zpa.EXPORT,
    _analysis.LINT,
    _analysis.DIFF,
)


def _parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="scimpolicy",
        description="What would Zscaler Private Access decide, and why? Offline, over "
        "SCIM users and groups, identity-provider settings, sessions and policies.",
        epilog="Run `scimpolicy COMMAND --help` for a command's options and "
        "examples.\n\nExit codes: 0 success; 1 the answer is no, or there is "
        "something to look at;\n2 bad usage or bad input; 141 standard output was "
        "closed by its reader.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    found: dict[str, argparse.ArgumentParser] = {}
    for command in COMMANDS:
        sub = commands.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            epilog=command.examples,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.arguments(sub)
        found[command.name] = sub
    return parser, found


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on *argv* (default: ``sys.argv[1:]``); return the code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser, parsers = _parsers()
    if arguments and arguments[0] in parsers:
        # Intermixed parsing lets options sit between positional arguments.
        args = parsers[arguments[0]].parse_intermixed_args(arguments[1:])
        args.command = arguments[0]
    else:
        args = parser.parse_args(arguments)
    command = next(c for c in COMMANDS if c.name == args.command)
    try:
        return int(command.run(args))
    except BrokenPipeError:
        # The reader went away (`scimpolicy bulk ... | head`): stop quietly, with the
        # status a process killed by SIGPIPE has, and no error at interpreter exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except PolicyCheckError as error:
        print(f"error: {error}", file=sys.stderr)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
    except ScimError as error:
        print(f"error: {error.detail}", file=sys.stderr)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
    except (OSError, ScimPolicyError) as error:
        print(f"error: {_os_message(error)}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _os_message(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.strerror}: `{error.filename}`"
    return str(error)
