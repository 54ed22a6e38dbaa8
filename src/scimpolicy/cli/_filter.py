"""``scimpolicy filter``: query a SCIM directory folder with a SCIM filter."""

from __future__ import annotations

import argparse
import json
from typing import Final

from scimpolicy._text import format_table
from scimpolicy.cli._common import EXIT_FOUND, EXIT_OK, Command
from scimpolicy.scim.loader import load_directory

__all__ = ["COMMAND"]

_FILTER_EXAMPLES: Final = """\
examples:
  scimpolicy filter examples/acme/okta 'department eq "Engineering"'
  scimpolicy filter examples/acme/okta 'title sw "Dir" and active eq true' \
      --sort-by userName
  scimpolicy filter examples/acme/entra 'emails[type eq "work" and value co "sofia"]' \
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


def _arguments(query: argparse.ArgumentParser) -> None:
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
    return EXIT_OK if result["totalResults"] else EXIT_FOUND


COMMAND: Final = Command(
    name="filter",
    help="query a SCIM directory folder with a SCIM filter (RFC 7644 §3.4.2.2)",
    description="Load users.json and groups.json from FOLDER and print the users "
    "(or groups) matching FILTER. Exit 1 when nothing matches.",
    examples=_FILTER_EXAMPLES,
    arguments=_arguments,
    run=_run_filter,
)
