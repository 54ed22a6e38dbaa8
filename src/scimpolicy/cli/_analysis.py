"""``scimpolicy lint`` and ``scimpolicy diff``: what a policy's rules can never do, and
what a change to a policy really changes, each with an example request.

A tenant folder gives its policy and restricts the requests considered to the
tenant's (its IdPs and their settings, its applications); a policy file alone is
analysed for every request the language allows.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

from scimpolicy.analysis import analyze, diff
from scimpolicy.cli._common import EXIT_FOUND, EXIT_OK, Command, print_json, world
from scimpolicy.policy.loader import load_policy_file
from scimpolicy.policy.nodes import Policy
from scimpolicy.policy.tenant import Tenant

__all__ = ["DIFF", "LINT"]

_LINT_EXAMPLES: Final = """\
examples:
  scimpolicy lint examples/acme
  scimpolicy lint examples/acme/scenarios/next.policy --json
"""

_DIFF_EXAMPLES: Final = """\
examples:
  scimpolicy diff examples/acme/acme.policy examples/acme/scenarios/next.policy
  scimpolicy diff examples/acme/acme.policy examples/acme/scenarios/next.policy \\
      --tenant examples/acme --json
"""


def _lint_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", metavar="POLICY|TENANT", help="a policy file, or a tenant folder"
    )
    parser.add_argument("--json", action="store_true", help="print findings as JSON")


def _diff_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("before", metavar="BEFORE", help="the policy as it is")
    parser.add_argument("after", metavar="AFTER", help="the policy as it would be")
    parser.add_argument(
        "--tenant",
        metavar="DIR",
        help="check both policies against this tenant and consider only its requests",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the differences as JSON"
    )


def _policy_and_tenant(target: str) -> tuple[Policy, Tenant | None]:
    if Path(target).is_dir():
        loaded = world(target)
        return loaded.compiled.policy, loaded.tenant
    return load_policy_file(target).policy, None


def _run_lint(args: argparse.Namespace) -> int:
    policy, tenant = _policy_and_tenant(args.target)
    findings = analyze(policy, tenant)
    if args.json:
        print_json([finding.to_json() for finding in findings])
    elif findings:
        print("\n".join(finding.render() for finding in findings))
        print(f"\n{len(findings)} finding{'s' if len(findings) != 1 else ''}")
    else:
        print("no findings")
    return EXIT_FOUND if findings else EXIT_OK


def _run_diff(args: argparse.Namespace) -> int:
    tenant = world(args.tenant).tenant if args.tenant else None
    before = load_policy_file(args.before, tenant).policy
    after = load_policy_file(args.after, tenant).policy
    differences = diff(before, after, tenant)
    if args.json:
        print_json([difference.to_json() for difference in differences])
    elif differences:
        print("\n".join(difference.render() for difference in differences))
        count = len(differences)
        print(
            f"\n{count} kind{'s' if count != 1 else ''} of request decided differently"
        )
    else:
        print("no request is decided differently")
    return EXIT_FOUND if differences else EXIT_OK


LINT: Final = Command(
    name="lint",
    help="find rules that never decide, change nothing, or wait on SCIM gates",
    description="Analyse a policy exactly: contradictory rules (criteria never true), "
    "unreachable rules (an earlier rule always decides first), redundant rules "
    "(removing them changes no outcome) and gate hazards (a deny, bypass or timeout "
    "rule with SCIM criteria that another rule overrides while a user's SCIM "
    "criteria are not usable), each with an example request. Exit 0 when there is "
    "nothing to report, 1 when there is, 2 on bad input.",
    examples=_LINT_EXAMPLES,
    arguments=_lint_arguments,
    run=_run_lint,
)

DIFF: Final = Command(
    name="diff",
    help="what two policies decide differently, with example requests",
    description="Compare two policies exactly: every pair of deciding rules (or "
    "defaults) whose outcomes differ for some request, with an example request for "
    "each. Empty exactly when every request gets the same outcome. Exit 0 when the "
    "policies agree, 1 when they do not, 2 on bad input.",
    examples=_DIFF_EXAMPLES,
    arguments=_diff_arguments,
    run=_run_diff,
)
