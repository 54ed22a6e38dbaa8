"""``scimpolicy fmt``: print, check or rewrite policy files in the canonical layout."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Final, NamedTuple

from scimpolicy._text import read_utf8
from scimpolicy.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_FOUND,
    EXIT_OK,
    Command,
    UsageError,
)
from scimpolicy.errors import PolicySyntaxError
from scimpolicy.policy.formatter import format_policy
from scimpolicy.policy.parser import parse_policy

__all__ = ["COMMAND", "comment_lines"]

_EXAMPLES: Final = """\
examples:
  scimpolicy fmt examples/acme/acme.policy > canonical.policy
  scimpolicy fmt --check examples/acme/acme.policy canonical.policy
  cp examples/acme/acme.policy mine.policy && \\
      scimpolicy fmt --write --drop-comments mine.policy
"""

# Outside its JSON strings, a `#` in policy text that parses starts a comment (see
# grammars/policy.lark: strings are the only tokens that may hold one).
_STRING_OR_COMMENT: Final = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*')


def comment_lines(text: str) -> tuple[int, ...]:
    """The 1-based lines of *text* (policy text that parses) holding a comment."""
    return tuple(
        text.count("\n", 0, found.start()) + 1
        for found in _STRING_OR_COMMENT.finditer(text)
        if found.group().startswith("#")
    )


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "policies",
        metavar="POLICY",
        nargs="+",
        help="policy files (one, unless --check or --write is given)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="change nothing; say which files are not in the canonical layout "
        "(exit 1 if any)",
    )
    mode.add_argument(
        "--write",
        action="store_true",
        help="rewrite the files that are not canonical, in place",
    )
    parser.add_argument(
        "--drop-comments",
        action="store_true",
        help="let --write rewrite files with comments (the canonical layout has "
        "none, so they are lost)",
    )


def _lines(numbers: tuple[int, ...]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    more = f" and {len(numbers) - 5} more" if len(numbers) > 5 else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


def _write(path: Path, text: str) -> None:
    """Replace *path* by *text* atomically: a temporary file in the same folder,
    written to disk and given the file's permissions, then renamed over it."""
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        shutil.copymode(path, temporary)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _File(NamedTuple):
    path: str
    text: str
    canonical: str
    comments: tuple[int, ...]  # the lines with comments, which formatting drops


def _read(path: str) -> _File:
    text = read_utf8(path)
    try:
        canonical = format_policy(parse_policy(text))
    except PolicySyntaxError as error:
        raise PolicySyntaxError(
            error.message, error.source, error.span, origin=path
        ) from None
    return _File(path, text, canonical, comment_lines(text))


def _run(args: argparse.Namespace) -> int:
    if len(args.policies) > 1 and not (args.check or args.write):
        raise UsageError("give one file to print, or --check or --write for several")
    if args.drop_comments and not args.write:
        raise UsageError("--drop-comments applies to --write only")
    # Every file is read and formatted before any is written: an error leaves all
    # of them untouched.
    files = [_read(path) for path in args.policies]
    if not (args.check or args.write):
        file = files[0]
        if file.comments:
            print(
                f"warning: {file.path}: the comments on {_lines(file.comments)} are "
                "not printed: the canonical layout has none",
                file=sys.stderr,
            )
        sys.stdout.write(file.canonical)
        return EXIT_OK
    changed = [file for file in files if file.text != file.canonical]
    if args.check:
        for file in changed:
            lost = " (its comments would be lost)" if file.comments else ""
            print(f"would reformat {file.path}{lost}")
        return EXIT_FOUND if changed else EXIT_OK
    commented = [file for file in changed if file.comments]
    if commented and not args.drop_comments:
        for file in commented:
            print(
                f"error: {file.path}: the comments on {_lines(file.comments)} would "
                "be lost: the canonical layout has none",
                file=sys.stderr,
            )
        print(
            "error: nothing was written; pass --drop-comments to reformat and lose "
            "the comments",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    for file in changed:
        _write(Path(file.path), file.canonical)
        dropped = " (comments dropped)" if file.comments else ""
        print(f"reformatted {file.path}{dropped}")
    return EXIT_OK


COMMAND: Final = Command(
    name="fmt",
    help="print, check or rewrite policy files in the canonical layout",
    description="Print the canonical text of POLICY (two-space indentation, `when` "
    "on its own line, sections in the order access, forwarding, timeout), or with "
    "--check list the files that are not canonical, or with --write rewrite them in "
    "place (atomically). The canonical layout has no comments: --write refuses files "
    "with comments unless --drop-comments is given. Exit 0 on success, 1 when "
    "--check finds files to reformat, 2 on a syntax error or an unreadable file "
    "(nothing is written then).",
    examples=_EXAMPLES,
    arguments=_arguments,
    run=_run,
)
