"""``scimpolicy bulk``: decide every session against every application."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable
from typing import Final

from scimpolicy._text import format_table
from scimpolicy.cli._common import EXIT_OK, Command, print_json, world
from scimpolicy.cli._whatif import executor, population, population_arguments
from scimpolicy.policy.nodes import PolicyType
from scimpolicy.whatif.bulk import (
    Row,
    TerminalProgress,
    bulk_decide,
    directory_sessions,
)
from scimpolicy.whatif.diff import Verdict

__all__ = ["COMMAND"]

_EXAMPLES: Final = """\
examples:
  # how the tenant's sessions fare, per policy type and outcome
  scimpolicy bulk examples/acme

  # every access decision for Payroll, as CSV
  scimpolicy bulk examples/acme --types access --apps Payroll --rows csv

  # every user in the SCIM directories (not just the sessions), two processes
  scimpolicy bulk examples/acme --directory-users --types access --jobs 2
"""

_COLUMNS: Final = (
    "session",
    "user",
    "idp",
    "client_type",
    "policy",
    "application",
    "outcome",
    "decided_by",
    "reason_code",
)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "tenant", metavar="TENANT", help="tenant folder (or its tenant.toml)"
    )
    parser.add_argument(
        "--directory-users",
        action="store_true",
        help="decide for every active user of every IdP's SCIM directory, signed "
        "in at the tenant's now, instead of the sessions seen",
    )
    population_arguments(parser)
    parser.add_argument(
        "--rows",
        choices=("csv", "jsonl"),
        help="stream every decision as CSV or JSON lines instead of the summary",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def _fields(row: Row) -> list[str]:
    decision = row.decision
    verdict = Verdict.of(decision)
    return [
        str(row.session),
        row.user,
        row.idp,
        row.client_type,
        str(row.policy_type),
        row.app or "",
        verdict.outcome,
        verdict.decided_by,
        "" if decision.reason_code is None else str(decision.reason_code),
    ]


def _stream(rows: Iterable[Row], kind: str) -> int:
    out = sys.stdout
    if kind == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(_COLUMNS)
        for row in rows:
            writer.writerow(_fields(row))
    else:
        for row in rows:
            record: dict[str, object] = dict(zip(_COLUMNS, _fields(row), strict=True))
            record["session"] = row.session
            record["application"] = row.app
            record["reason_code"] = record["reason_code"] or None
            out.write(json.dumps(record) + "\n")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    base = world(args.tenant)
    if args.directory_users:
        base = base.evolve(sessions=directory_sessions(base))
    chosen = population(args, base)
    with executor(args.jobs) as pool, TerminalProgress() as progress:
        rows = bulk_decide(base, chosen, executor=pool, progress=progress)
        if args.rows:
            return _stream(rows, args.rows)
        counts: Counter[tuple[PolicyType, str]] = Counter()
        allowed: Counter[str] = Counter()
        total = 0
        for row in rows:
            total += 1
            counts[row.policy_type, Verdict.of(row.decision).outcome] += 1
            if row.policy_type is PolicyType.ACCESS and row.decision.allowed:
                allowed[row.app or ""] += 1
    sessions = len(base.sessions)
    if args.json:
        print_json(
            {
                "sessions": sessions,
                "decisions": total,
                "outcomes": [
                    {"policy": str(kind), "outcome": outcome, "decisions": count}
                    for (kind, outcome), count in sorted(counts.items())
                ],
                "allowedByApplication": dict(sorted(allowed.items())),
            }
        )
        return EXIT_OK
    print(f"{total:,} decisions for {sessions:,} sessions\n")
    print(
        format_table(
            ["policy", "outcome", "decisions"],
            [
                [str(kind), outcome, f"{count:,}"]
                for (kind, outcome), count in sorted(counts.items())
            ],
        )
    )
    if allowed:
        print()
        print(
            format_table(
                ["application", "sessions allowed"],
                [[app, f"{count:,}"] for app, count in sorted(allowed.items())],
            )
        )
    return EXIT_OK


COMMAND: Final = Command(
    name="bulk",
    help="decide every session (or directory user) against every application",
    description="Decide the tenant's sessions (or, with --directory-users, every "
    "active SCIM user) against every application and client type, streaming the "
    "work; print a summary, or every decision as CSV or JSON lines. --jobs shares "
    "the work among processes, with the same results. A progress line shows on a "
    "terminal.",
    examples=_EXAMPLES,
    arguments=_arguments,
    run=_run,
)
