"""``scimpolicy import-zpa`` and ``export-zpa``: ZPA API rule JSON in and out.

Both take the ID catalogue folder (``--catalogue``, docs/zpa-interop.md) that maps the
IDs of ZPA's JSON to the names of scimpolicy's policies. Diagnostics go to standard
error; a rule that cannot be carried over exactly is an error: the output is then not
written unless ``--partial`` says to write the rest (exit 1 either way).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

from scimpolicy._text import read_json
from scimpolicy.cli._common import EXIT_FOUND, EXIT_OK, Command
from scimpolicy.errors import Diagnostic, Severity
from scimpolicy.policy.formatter import format_policy
from scimpolicy.policy.loader import load_policy_file
from scimpolicy.policy.nodes import PolicyType
from scimpolicy.zpa import Catalogue, export_zpa, import_zpa

__all__ = ["EXPORT", "IMPORT"]

_IMPORT_EXAMPLES: Final = """\
examples:
  scimpolicy import-zpa tests/zpa/fixtures/access-v1.json \\
      --catalogue tests/zpa/fixtures/catalogue
  scimpolicy import-zpa tests/zpa/fixtures/access-v1.json \\
      tests/zpa/fixtures/forwarding-v1.json tests/zpa/fixtures/timeout-v1.json \\
      --catalogue tests/zpa/fixtures/catalogue --output zpa.policy
"""

_EXPORT_EXAMPLES: Final = """\
examples:
  scimpolicy export-zpa tests/zpa/fixtures/acme-zpa.policy \\
      --catalogue tests/zpa/fixtures/catalogue
  scimpolicy export-zpa tests/zpa/fixtures/acme-zpa.policy \\
      --catalogue tests/zpa/fixtures/catalogue --type access --output access.json
"""

_TYPES: Final = {
    "access": PolicyType.ACCESS,
    "forwarding": PolicyType.FORWARDING,
    "timeout": PolicyType.TIMEOUT,
}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalogue",
        required=True,
        metavar="DIR",
        help="the ID catalogue: ZPA API JSON for IdPs, SCIM attributes and groups, "
        "SAML attributes, segments, ... (docs/zpa-interop.md)",
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="write here instead of standard output"
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="write the output even when some rules could not be carried over",
    )


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "rules",
        metavar="RULES",
        nargs="+",
        help="ZPA rule JSON: a list of rules, a page, or a policy set",
    )
    _common(parser)


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("policy", metavar="POLICY", help="a scimpolicy policy file")
    _common(parser)
    parser.add_argument(
        "--type",
        choices=sorted(_TYPES),
        help="export one policy type as a JSON list (default: all, keyed by ZPA's "
        "policy set type)",
    )


def _run_import(args: argparse.Namespace) -> int:
    catalogue = Catalogue.load(args.catalogue)
    sources = [read_json(path)[1] for path in args.rules]
    result = import_zpa(sources, catalogue, origins=args.rules)
    return _finish(result.diagnostics, format_policy(result.policy), args)


def _run_export(args: argparse.Namespace) -> int:
    catalogue = Catalogue.load(args.catalogue)
    compiled = load_policy_file(args.policy)
    result = export_zpa(compiled.policy, catalogue)
    data: Any = result.rules[_TYPES[args.type]] if args.type else result.to_json()
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return _finish(result.diagnostics, text, args)


def _finish(
    diagnostics: tuple[Diagnostic, ...], text: str, args: argparse.Namespace
) -> int:
    for diagnostic in diagnostics:
        print(diagnostic.render(), file=sys.stderr)
    failed = any(d.severity is Severity.ERROR for d in diagnostics)
    if failed and not args.partial:
        print(
            "error: nothing written: some rules could not be carried over "
            "(--partial writes the rest)",
            file=sys.stderr,
        )
        return EXIT_FOUND
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_FOUND if failed else EXIT_OK


IMPORT: Final = Command(
    name="import-zpa",
    help="read ZPA API policy rules (JSON) into a scimpolicy policy",
    description="Read ZPA access, client forwarding and timeout rules as the ZPA API "
    "returns them (v1 conditions/operands, or the v2 values/entryValues form) and "
    "print the scimpolicy policy. IDs become names through the catalogue. An operand "
    "scimpolicy cannot evaluate (an unsupported objectType, an unknown ID) is an "
    "error naming the rule and operand. Exit 0 when every rule was imported, 1 when "
    "some could not be (nothing written without --partial; with it, those rules are "
    "written disabled), 2 on bad input.",
    examples=_IMPORT_EXAMPLES,
    arguments=_import_arguments,
    run=_run_import,
)

EXPORT: Final = Command(
    name="export-zpa",
    help="write a scimpolicy policy as ZPA API v2 rule JSON",
    description="Write a policy's access, client forwarding and timeout rules as ZPA "
    "API v2 rule JSON (values/entryValues operands, ruleOrder from 1, default rules "
    "last). Names become IDs through the catalogue. Criteria ZPA cannot express "
    "(not, !=, startswith, is present, a name the catalogue lacks) are errors naming "
    "the rule. Exit 0 when every rule was exported, 1 when some could not be "
    "(nothing written without --partial; with it, they are left out), 2 on bad input.",
    examples=_EXPORT_EXAMPLES,
    arguments=_export_arguments,
    run=_run_export,
)
