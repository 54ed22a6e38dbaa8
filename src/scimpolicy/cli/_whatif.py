"""``scimpolicy whatif``: what changes if...? Decisions before and after, compared."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Final

from scimpolicy._text import read_utf8
from scimpolicy.cli._common import (
    EXIT_FOUND,
    EXIT_OK,
    Command,
    UsageError,
    print_json,
    timestamp,
    world,
)
from scimpolicy.errors import PolicyCheckError, PolicySyntaxError, Severity
from scimpolicy.policy.checker import check_policy
from scimpolicy.policy.facts import CLIENT_TYPES, is_client_type
from scimpolicy.policy.nodes import PolicyType
from scimpolicy.policy.parser import parse_policy
from scimpolicy.whatif.bulk import Population, TerminalProgress
from scimpolicy.whatif.changes import (
    AdvanceTime,
    Change,
    Reauthenticate,
    SetIdp,
    UsePolicy,
)
from scimpolicy.whatif.diff import what_if
from scimpolicy.whatif.scenario import load_scenario, parse_duration
from scimpolicy.workspace.world import World

__all__ = ["COMMAND", "population_arguments"]

_EXAMPLES: Final = """\
examples:
  # enable SCIM Attributes for Policy on Okta now; everyone signs in again
  scimpolicy whatif examples/acme --enable-scim-attributes Okta --reauthenticate

  # the same, without re-authentication (nothing changes yet: the gate)
  scimpolicy whatif examples/acme --enable-scim-attributes Okta

  # a scenario file, only the access policy, for two applications, as JSON
  scimpolicy whatif examples/acme --scenario examples/acme/scenarios/reorg.toml \\
      --types access --apps Payroll,GitLab --json

  # a proposed version of the policy, over a process pool
  scimpolicy whatif examples/acme --policy examples/acme/scenarios/next.policy --jobs 2
"""


def _switch(text: str) -> tuple[str, bool]:
    name, _, state = text.rpartition("=")
    if not name or state.casefold() not in {"on", "off"}:
        raise argparse.ArgumentTypeError(f"expected IDP=on or IDP=off, got `{text}`")
    return name, state.casefold() == "on"


def _duration(text: str) -> object:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _types(text: str) -> tuple[PolicyType, ...]:
    try:
        return tuple(PolicyType(part) for part in _names(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected access, forwarding, timeout (comma-separated), got `{text}`"
        ) from None


def population_arguments(parser: argparse.ArgumentParser) -> None:
    """The options choosing which requests are decided (shared with ``bulk``)."""
    parser.add_argument(
        "--apps",
        type=_names,
        metavar="A,B",
        help="only these applications (default: every segment)",
    )
    parser.add_argument(
        "--client-types",
        type=_names,
        metavar="T,U",
        help="decide each session with each of these client types (default: the "
        "session's own)",
    )
    parser.add_argument(
        "--types",
        type=_types,
        metavar="TYPES",
        default=(PolicyType.ACCESS, PolicyType.FORWARDING, PolicyType.TIMEOUT),
        help="policy types, comma-separated (default: access,forwarding,timeout)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        default=1,
        help="share the work among N processes (default: 1, this process)",
    )


def population(args: argparse.Namespace, world: World) -> Population:
    """The population the options describe; unknown applications and client types
    are an error."""
    if args.apps:
        known = set(world.applications())
        unknown = [app for app in args.apps if app not in known]
        if unknown:
            raise UsageError(
                f"no application segment named `{unknown[0]}` (segments: "
                f"{', '.join(world.applications())})"
            )
    if args.client_types:
        unknown = [t for t in args.client_types if not is_client_type(t)]
        if unknown:
            raise UsageError(
                f"unknown client type `{unknown[0]}` (client types: "
                f"{', '.join(CLIENT_TYPES)})"
            )
    return Population(
        apps=args.apps, client_types=args.client_types, policy_types=args.types
    )


@contextlib.contextmanager
def executor(jobs: int) -> Iterator[Executor | None]:
    """A process pool of *jobs* workers, or ``None`` for this process."""
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if jobs == 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=min(jobs, os.cpu_count() or jobs)) as pool:
        yield pool


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "tenant", metavar="TENANT", help="tenant folder (or its tenant.toml)"
    )
    parser.add_argument(
        "--scenario",
        metavar="FILE",
        help="changes from a scenario file (docs/whatif.md), applied first",
    )
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="use this policy file instead of the tenant's",
    )
    parser.add_argument(
        "--enable-scim-attributes",
        action="append",
        default=[],
        metavar="IDP",
        help="turn SCIM Attributes for Policy on for IDP (at --at)",
    )
    parser.add_argument(
        "--disable-scim-attributes",
        action="append",
        default=[],
        metavar="IDP",
        help="turn SCIM Attributes for Policy off for IDP",
    )
    parser.add_argument(
        "--scim-sync",
        action="append",
        default=[],
        type=_switch,
        metavar="IDP=on|off",
        help="turn SCIM Sync on or off",
    )
    parser.add_argument(
        "--saml-attributes",
        action="append",
        default=[],
        type=_switch,
        metavar="IDP=on|off",
        help="turn SAML Attributes for Policy on or off",
    )
    parser.add_argument(
        "--at",
        type=timestamp,
        metavar="TIME",
        help="when the settings change and sessions re-authenticate (default: the "
        "tenant's now)",
    )
    parser.add_argument(
        "--reauthenticate",
        action="store_true",
        help="then every session signs in again (at --at)",
    )
    parser.add_argument(
        "--advance",
        type=_duration,
        metavar="DURATION",
        help="then time moves on (7d, 12h, 30m, 1d12h)",
    )
    population_arguments(parser)
    parser.add_argument(
        "--examples",
        type=int,
        default=3,
        metavar="N",
        help="example users per kind of change (default: 3)",
    )
    parser.add_argument(
        "--all", action="store_true", help="show every kind of change, not the top 20"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when some decision changes (as `git diff --exit-code`)",
    )


def _changes(args: argparse.Namespace, base: World) -> list[Change]:
    """The changes the options ask for, in the documented order."""
    found: list[Change] = []
    if args.scenario:
        found.extend(load_scenario(args.scenario))
    if args.policy:
        text = read_utf8(args.policy)
        try:
            policy = parse_policy(text)
        except PolicySyntaxError as error:
            raise PolicySyntaxError(
                error.message, error.source, error.span, origin=args.policy
            ) from None
        # Checked here, against the file's own text, so that errors name the file
        # and its lines (UsePolicy checks a reformatted copy).
        diagnostics = check_policy(policy, base.tenant)
        if any(d.severity is Severity.ERROR for d in diagnostics):
            raise PolicyCheckError(diagnostics, text, origin=args.policy)
        found.append(UsePolicy(policy, f"the policy in `{args.policy}`"))
    for idp, on in args.scim_sync:
        found.append(SetIdp(idp, scim_sync=on, at=args.at))
    found.extend(
        SetIdp(idp, scim_attributes_for_policy=True, at=args.at)
        for idp in args.enable_scim_attributes
    )
    found.extend(
        SetIdp(idp, scim_attributes_for_policy=False, at=args.at)
        for idp in args.disable_scim_attributes
    )
    for idp, on in args.saml_attributes:
        found.append(SetIdp(idp, saml_attributes_for_policy=on, at=args.at))
    if args.reauthenticate:
        found.append(Reauthenticate(at=args.at))
    if args.advance is not None:
        found.append(AdvanceTime(args.advance))
    return found


def _run(args: argparse.Namespace) -> int:
    base = world(args.tenant)
    changes = _changes(args, base)
    if not changes:
        raise UsageError(
            "no changes given: use --scenario, --policy, --enable-scim-attributes, "
            "--reauthenticate, ... (see --help)"
        )
    chosen = population(args, base)
    with executor(args.jobs) as pool, TerminalProgress() as progress:
        report = what_if(
            base,
            changes,
            chosen,
            executor=pool,
            progress=progress,
            examples=args.examples,
        )
    if args.json:
        print_json(report.to_json())
    else:
        print(report.render(limit=None if args.all else 20))
        if not report and args.enable_scim_attributes and not args.reauthenticate:
            print(
                "\nSCIM criteria count only for sessions authenticated after SCIM "
                "Attributes for Policy is enabled: add --reauthenticate to see what "
                "changes once users sign in again."
            )
    return EXIT_FOUND if report and args.exit_code else EXIT_OK


COMMAND: Final = Command(
    name="whatif",
    help="what changes if...? compare every session's decisions before and after",
    description="Apply changes to a copy of the tenant (IdP settings flipped, "
    "re-authentication, time moving on, another policy, or a scenario file with "
    "SCIM and rule changes), decide every session against every application before "
    "and after, and report who gains, who loses and which rule now decides. The "
    "tenant's files are never changed. Exit 0 (with --exit-code: 1 when some "
    "decision changes), 2 on bad input.",
    examples=_EXAMPLES,
    arguments=_arguments,
    run=_run,
)
