"""The ``scimpolicy`` command line.

Stage: the top. ``main(argv)`` parses arguments, runs one command and returns its exit
code; errors are printed without tracebacks.

Exit codes: 0 success, 1 the query ran but found nothing (``filter``), 2 bad usage or
bad input (a malformed filter, an unreadable file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Final

from scimpolicy._text import format_table
from scimpolicy.errors import ScimError, ScimPolicyError, SourceError
from scimpolicy.scim.loader import load_directory

__all__ = ["main"]

EXIT_OK: Final = 0
EXIT_NO_MATCH: Final = 1
EXIT_BAD_INPUT: Final = 2

_FILTER_EXAMPLES: Final = """\
examples:
  scimpolicy filter examples/acme/okta 'department eq "Engineering"'
  scimpolicy filter examples/acme/okta 'title sw "Dir" and active eq true' \
      --sort-by userName
  scimpolicy filter examples/acme/entra 'emails[type eq "work" and value co "paul"]' \
      --json
  scimpolicy filter examples/acme/okta --groups 'displayName sw "eng"'
"""

_USER_COLUMNS: Final = (
    ("userName", lambda r: r.get("userName", "")),
    ("displayName", lambda r: r.get("displayName", "")),
    ("title", lambda r: r.get("title", "")),
    (
        "department",
        lambda r: r.get(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", {}
        ).get("department", ""),
    ),
    ("active", lambda r: "" if "active" not in r else str(r["active"]).lower()),
)
_GROUP_COLUMNS: Final = (
    ("displayName", lambda r: r.get("displayName", "")),
    ("members", lambda r: str(len(r.get("members", [])))),
    ("id", lambda r: r.get("id", "")),
)


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="scimpolicy",
        description="Offline ZPA policy decisions over SCIM users and groups.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    query = commands.add_parser(
        "filter",
        help="query a SCIM directory folder with a SCIM filter (RFC 7644 §3.4.2.2)",
        description="Load users.json and groups.json from FOLDER and print the "
        "users (or groups) matching FILTER.",
        epilog=_FILTER_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    query.add_argument(
        "folder", metavar="FOLDER", help="folder with users.json/groups.json"
    )
    query.add_argument(
        "filter", metavar="FILTER", nargs="?", help="SCIM filter (all if omitted)"
    )
    query.add_argument(
        "--groups", action="store_true", help="query groups instead of users"
    )
    query.add_argument("--sort-by", metavar="ATTR", help="attribute to sort by")
    query.add_argument(
        "--descending", action="store_true", help="sort in descending order"
    )
    query.add_argument("--count", type=int, metavar="N", help="show at most N results")
    query.add_argument(
        "--attributes", metavar="A,B", help="attributes to return (with --json)"
    )
    query.add_argument(
        "--json", action="store_true", help="print the SCIM ListResponse"
    )
    return parser, {"filter": query}


def _run_filter(args: argparse.Namespace) -> int:
    directory = load_directory(args.folder)
    search = directory.search_groups if args.groups else directory.search_users
    result = search(
        args.filter,
        count=args.count,
        sort_by=args.sort_by,
        sort_order="descending" if args.descending else "ascending",
        attributes=args.attributes,
    )
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        columns = _GROUP_COLUMNS if args.groups else _USER_COLUMNS
        rows: list[list[str]] = [
            [str(get(resource)) for _, get in columns]
            for resource in result["Resources"]
        ]
        shown, total = result["itemsPerPage"], result["totalResults"]
        noun = "groups" if args.groups else "users"
        if rows:
            print(format_table([name for name, _ in columns], rows))
            print(
                f"\n{shown} of {total} {noun} shown"
                if shown < total
                else f"\n{total} {noun}"
            )
        else:
            print(
                f"no {noun} match"
                if total == 0
                else f"{total} {noun} match; none shown"
            )
    return EXIT_OK if result["totalResults"] else EXIT_NO_MATCH


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on *argv* (default: ``sys.argv[1:]``); return the code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser, commands = _parser()
    if arguments and arguments[0] in commands:
        # Intermixed parsing lets options sit between FOLDER and FILTER.
        args = commands[arguments[0]].parse_intermixed_args(arguments[1:])
        args.command = arguments[0]
    else:
        args = parser.parse_args(arguments)
    try:
        return int(_run_filter(args))
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
    except ScimError as error:
        print(f"error: {error.detail}", file=sys.stderr)
    except (OSError, ScimPolicyError) as error:
        print(f"error: {_os_message(error)}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _os_message(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.strerror}: `{error.filename}`"
    return str(error)
