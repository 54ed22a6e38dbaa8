"""Load a policy: parse, check, compile, in one call that fails with everything wrong.

Stage: policy text → :class:`~scimpolicy.policy.compiler.CompiledPolicy`. A syntax
error stops at once (:class:`~scimpolicy.errors.PolicySyntaxError`); otherwise every
error diagnostic is reported together in one
:class:`~scimpolicy.errors.PolicyCheckError`. Warnings do not stop loading; they are
kept on the result.
"""

from __future__ import annotations

from pathlib import Path

from scimpolicy._text import read_utf8
from scimpolicy.errors import PolicyCheckError, PolicySyntaxError, Severity
from scimpolicy.policy.checker import Catalog, check_policy
from scimpolicy.policy.compiler import CompiledPolicy, compile_policy
from scimpolicy.policy.parser import parse_policy

__all__ = ["load_policy", "load_policy_file"]


def load_policy(
    text: str, tenant: Catalog | None = None, *, origin: str | None = None
) -> CompiledPolicy:
    """Parse, check (against *tenant*'s names when given) and compile a policy.

    :param origin: where the text came from (a file name), for messages.
    :raises PolicySyntaxError: the text cannot be parsed.
    :raises PolicyCheckError: the checker found errors; ``.diagnostics`` has them all.
    """
    try:
        policy = parse_policy(text)
    except PolicySyntaxError as error:
        if origin is None:
            raise
        raise PolicySyntaxError(
            error.message, error.source, error.span, origin=origin
        ) from None
    diagnostics = check_policy(policy, tenant)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        raise PolicyCheckError(diagnostics, text, origin=origin)
    return compile_policy(policy, diagnostics)


def load_policy_file(path: str | Path, tenant: Catalog | None = None) -> CompiledPolicy:
    """:func:`load_policy` for a UTF-8 file; messages name the file."""
    file = Path(path)
    return load_policy(read_utf8(file), tenant, origin=str(file))
