"""``scimpolicy test``: run declarative policy test cases, with rule coverage."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

from scimpolicy.cases import CaseReport, run_case_files
from scimpolicy.cli._common import EXIT_FOUND, EXIT_OK, Command, UsageError, print_json

__all__ = ["COMMAND"]

_EXAMPLES: Final = """\
examples:
  scimpolicy test examples/acme/tests/acme.cases.toml
  scimpolicy test examples/acme/tests --coverage
  scimpolicy test examples/acme/tests --fail-under 20 --json
"""

SUFFIX: Final = ".cases.toml"


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="CASES",
        help=f"case files, or folders searched for *{SUFFIX} files",
    )
    parser.add_argument(
        "--tenant",
        metavar="TENANT",
        help="the tenant folder (default: the `tenant` the case files name)",
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="print rule coverage: rules no case made decide, rules no case reached",
    )
    parser.add_argument(
        "--fail-under",
        type=float,
        metavar="PERCENT",
        help="exit 1 when fewer than PERCENT of the enabled rules decided a case",
    )
    parser.add_argument(
        "--json", action="store_true", help="print results and coverage as JSON"
    )


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            inside = sorted(path.rglob(f"*{SUFFIX}"))
            if not inside:
                raise UsageError(f"no *{SUFFIX} files in `{path}`")
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"no case file or folder `{path}`")
    return found


def _print(report: CaseReport, *, coverage: bool) -> None:
    origin = None
    for result in report.results:
        if result.case.origin != origin:
            origin = result.case.origin
            print(origin)
        print(f"  {result.render()}".replace("\n", "\n  "))
    if coverage:
        print()
        print(report.render_coverage())
    print()
    print(report.summary())


def _run(args: argparse.Namespace) -> int:
    report, _ = run_case_files(_files(args.paths), args.tenant)
    low = args.fail_under is not None and report.covered < args.fail_under
    if args.json:
        print_json(report.to_json())
    else:
        _print(report, coverage=args.coverage or args.fail_under is not None)
        if low:
            print(
                f"rule coverage {report.covered:.0f}% is under --fail-under "
                f"{args.fail_under:g}%"
            )
    return EXIT_FOUND if report.failed or low else EXIT_OK


COMMAND: Final = Command(
    name="test",
    help="run declarative policy test cases (TOML), with rule coverage",
    description="Decide each case of the case files (docs/testing.md) against the "
    "tenant and compare with the expected outcome and deciding rule; print PASS or "
    "FAIL per case (a failure with the decision's explanation) and `N passed, N "
    "failed`. --coverage adds which rules no case made decide and which no case "
    "reached. Exit 0 when every case passes (and coverage is at least "
    "--fail-under), 1 when not, 2 on bad input.",
    examples=_EXAMPLES,
    arguments=_arguments,
    run=_run,
)
