"""``scimpolicy check``: every problem of a policy file, with its line and column."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Final

from scimpolicy._text import read_utf8
from scimpolicy.cli._common import (
    EXIT_FOUND,
    EXIT_OK,
    Command,
    UsageError,
    print_json,
    world,
)
from scimpolicy.errors import (
    Diagnostic,
    PolicyCheckError,
    PolicySyntaxError,
    Severity,
)
from scimpolicy.policy.checker import check_policy
from scimpolicy.policy.nodes import Policy
from scimpolicy.policy.parser import parse_policy

__all__ = ["COMMAND"]

_EXAMPLES: Final = """\
examples:
  scimpolicy check examples/acme/acme.policy
  scimpolicy check examples/acme/acme.policy --tenant examples/acme
  scimpolicy check examples/acme/acme.policy --tenant examples/acme --json
"""

SYNTAX_ERROR: Final = "syntax-error"
"""The code a syntax error gets among the checker's diagnostics."""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("policy", metavar="POLICY", help="the policy file to check")
    parser.add_argument(
        "--tenant",
        metavar="TENANT",
        help="a tenant folder (or its tenant.toml): also check application, segment "
        "group, IdP and SCIM group names against it",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the findings as JSON"
    )


def _syntax_diagnostic(error: PolicySyntaxError) -> Diagnostic:
    return Diagnostic(SYNTAX_ERROR, Severity.ERROR, error.message, error.span)


def _diagnostics(
    path: str, source: str, tenant: str | None
) -> tuple[Policy | None, tuple[Diagnostic, ...]]:
    """The parsed policy (``None`` after a syntax error) and what is wrong with it."""
    catalog = None
    if tenant is not None:
        try:
            catalog = world(tenant).tenant
        except (PolicySyntaxError, PolicyCheckError) as error:
            # The tenant's own policy is broken. When it is the file being checked,
            # loading the tenant has checked it exactly as asked: that is the answer.
            own = error.origin is not None and (
                Path(error.origin).resolve() == Path(path).resolve()
            )
            if not own:
                raise UsageError(f"tenant `{tenant}`: {error}") from None
            if isinstance(error, PolicySyntaxError):
                return None, (_syntax_diagnostic(error),)
            return parse_policy(source), error.diagnostics
    try:
        policy = parse_policy(source)
    except PolicySyntaxError as error:
        return None, (_syntax_diagnostic(error),)
    return policy, check_policy(policy, catalog)


def _rule_counts(policy: Policy) -> str:
    counts = ", ".join(
        f"{rule_set.type} {len(rule_set.rules)}" for rule_set in policy.rule_sets()
    )
    total = sum(len(rule_set.rules) for rule_set in policy.rule_sets())
    disabled = sum(
        rule.disabled for rule_set in policy.rule_sets() for rule in rule_set.rules
    )
    counts += f"; {disabled} disabled" if disabled else ""
    return f"{_plural(total, 'rule')} ({counts})"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _to_json(diagnostic: Diagnostic, source: str) -> dict[str, Any]:
    line, column = (
        (None, None)
        if diagnostic.span is None
        else diagnostic.span.line_and_column(source)
    )
    return {
        "severity": str(diagnostic.severity),
        "code": diagnostic.code,
        "message": diagnostic.message,
        "line": line,
        "column": column,
        "rule": diagnostic.rule,
        "help": diagnostic.help,
    }


def _run(args: argparse.Namespace) -> int:
    path: str = args.policy
    source = read_utf8(path)
    policy, found = _diagnostics(path, source, args.tenant)
    errors = sum(d.severity is Severity.ERROR for d in found)
    warnings = sum(d.severity is Severity.WARNING for d in found)
    if args.json:
        print_json(
            {
                "file": path,
                "tenant": args.tenant,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": [_to_json(d, source) for d in found],
            }
        )
    else:
        for diagnostic in found:
            print(diagnostic.render(source, origin=path), end="\n\n")
        if found or policy is None:
            print(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}")
        else:
            print(f"ok: {_rule_counts(policy)}, no problems")
    return EXIT_FOUND if errors else EXIT_OK


COMMAND: Final = Command(
    name="check",
    help="report every problem of a policy file (syntax, names, types, timeouts)",
    description="Parse and check the policy file POLICY: unknown references and "
    "attributes (with suggestions), type errors, unknown client types and "
    "platforms, timeouts under ZPA's 10 minutes, duplicate rule names and, with "
    "--tenant, unknown applications, segment groups, IdPs and SCIM groups. Every "
    "finding shows its line, column and source line. Exit 0 when there are no "
    "errors (warnings allowed), 1 when the policy has errors, 2 when a file cannot "
    "be read or the tenant cannot be loaded.",
    examples=_EXAMPLES,
    arguments=_arguments,
    run=_run,
)
