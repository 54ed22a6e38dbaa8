"""What both grammars need from lark: building a parser, and locating its errors.

Used by ``scim.filter_parser`` and ``policy.parser``; lark's exceptions are read here
and never escape those modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import attrs
from lark import (
    Lark,
    Transformer,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
)

from scimpolicy.errors import Span

__all__ = ["ErrorSite", "build_parser", "error_site"]


def build_parser(
    grammar: str, transformer: Transformer[Any, Any], start: Sequence[str]
) -> Lark:
    """An LALR parser for ``scimpolicy/grammars/<grammar>``, transformer embedded.

    Callers build it once, lazily; ``cache=True`` is never used (lark would pickle the
    grammar to a predictable path in the shared temp directory).
    """
    return Lark.open_from_package(
        "scimpolicy.grammars",
        grammar,
        parser="lalr",
        lexer="contextual",
        transformer=transformer,
        start=list(start),
        maybe_placeholders=False,
    )


@attrs.frozen
class ErrorSite:
    """Where a parse failed and what could have come there.

    ``kind`` is the terminal found there, ``"$END"`` at the end of the text, or ``""``
    for a character no terminal takes; ``expected`` the terminals the parser would
    accept; ``stack`` the last values on the parser's stack (what came before).
    """

    span: Span
    kind: str
    expected: set[str]
    stack: list[object]


def error_site(exc: UnexpectedInput, text: str) -> ErrorSite:
    """Locate a lark error inside *text*."""
    pos, end, kind = len(text), len(text), "$END"
    expected: set[str] = set()
    if isinstance(exc, UnexpectedCharacters):
        pos, kind, expected = cast("int", exc.pos_in_stream), "", set(exc.allowed or ())
        end = pos + 1
    elif isinstance(exc, UnexpectedToken):
        expected = set(exc.expected)
        token = exc.token
        if token.type != "$END":
            pos, kind = cast("int", token.start_pos), token.type
            end = pos + len(token)
    stack: list[object] = []
    parser = getattr(exc, "interactive_parser", None)
    if parser is not None:  # exact, and knows whether the text may end here
        expected = set(parser.accepts())
        stack = list(parser.parser_state.value_stack[-4:])
    return ErrorSite(Span(pos, end), kind, expected, stack)
