"""``scimpolicy readiness``: what to fix before enabling SCIM Attributes for Policy."""

from __future__ import annotations

import argparse
from typing import Final

from scimpolicy.cli._common import (
    EXIT_FOUND,
    EXIT_OK,
    Command,
    print_json,
    timestamp,
    world,
)
from scimpolicy.cli._whatif import executor
from scimpolicy.whatif.bulk import TerminalProgress
from scimpolicy.whatif.readiness import readiness

__all__ = ["COMMAND"]

_EXAMPLES: Final = """\
examples:
  scimpolicy readiness examples/acme
  scimpolicy readiness examples/acme --idp Okta --at 2026-11-24T06:00:00Z --limit 3
  scimpolicy readiness examples/acme --json
"""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "tenant", metavar="TENANT", help="tenant folder (or its tenant.toml)"
    )
    parser.add_argument(
        "--idp",
        action="append",
        metavar="IDP",
        help="the IdP to check (repeatable; default: every IdP with SCIM Attributes "
        "for Policy off)",
    )
    parser.add_argument(
        "--at",
        type=timestamp,
        metavar="TIME",
        help="when it would be enabled (default: the tenant's now)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=10,
        metavar="N",
        help="examples shown per problem (default: 10)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="processes for the what-if"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _run(args: argparse.Namespace) -> int:
    base = world(args.tenant)
    with executor(args.jobs) as pool, TerminalProgress() as progress:
        report = readiness(base, args.idp, at=args.at, executor=pool, progress=progress)
    if args.json:
        print_json(report.to_json())
    else:
        print(report.render(limit=args.limit))
    return EXIT_OK if report.ready else EXIT_FOUND


COMMAND: Final = Command(
    name="readiness",
    help="what to fix before enabling SCIM Attributes for Policy",
    description="For each IdP (default: those with SCIM Attributes for Policy off), "
    "list the sessions whose users SCIM does not know, NameIDs that are not the "
    "SCIM userName, sessions of inactive users and sessions that would still have "
    "to re-authenticate, then the decisions that would change once everyone has. "
    "Exit 0 when every IdP is ready, 1 when not, 2 on bad input.",
    examples=_EXAMPLES,
    arguments=_arguments,
    run=_run,
)
