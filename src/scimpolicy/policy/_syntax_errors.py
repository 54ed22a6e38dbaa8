"""Say what is wrong with policy text: lark's errors in words, and the nesting guard.

Helpers of :mod:`scimpolicy.policy.parser`. :func:`explain` turns a lark
``UnexpectedInput`` into a message and a span inside the text; it names what the
parser could take next in words (``a rule name in double quotes``, ``an action``,
``a value``) rather than terminal names. :func:`find_deep_nesting` is the guard that
runs before lark. Both scan text outside strings and comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, cast

from lark import Token, UnexpectedInput

from scimpolicy._lark import error_site
from scimpolicy._text import did_you_mean
from scimpolicy.errors import Span

__all__ = [
    "check_section_name",
    "explain",
    "find_deep_nesting",
    "section_name",
    "shorten",
    "word_list",
]

_SECTIONS: Final = ("access", "forwarding", "timeout")
# Brackets, `not` (apart from `not in`) and whatever ends a run of `not`s, outside
# strings and comments; a string may be unterminated.
_SCAN: Final = re.compile(
    r'"(?:[^"\\\x00-\x1f]|\\.)*"?'
    r"|#[^\n]*"
    r"|not(?:\s+in)?(?![A-Za-z0-9_.-])"
    r"|[()\[\]]"
    r"|[A-Za-z0-9_.-]+"
    r'|[^\s"#()\[\]A-Za-z0-9_.-]+'
)
_STRING: Final = (
    r'"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"'
)
_STRING_BODY: Final = re.compile(
    r'[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*'
)
_NAME: Final = r"[A-Za-z_][A-Za-z0-9_-]*"
# A reference as the grammar lexes it: `app`, `scim.name.givenName`, `saml["x"]`.
_REF_AT: Final = re.compile(rf"{_NAME}(?:\[{_STRING}\]|(?:[ \t\r\n]*\.{_NAME})*)")

_COMPARISON: Final = "a comparison (`==`, `!=`, `in`, `startswith`, ...)"
# Tokens that can begin a condition: found where the parser wanted `when` or `and`,
# they mean a forgotten keyword.
_CRITERIA_START: Final = frozenset(
    {"NAME", "STRING", "INT", "TRUE", "FALSE", "NOT", "LPAR"}
)
_KEYWORDS: Final = frozenset(
    {"RULE", "DISABLED", "DEFAULT", "WHEN", "EVERY", "IDLE", "AND", "OR", "NOT", "IN"}
    | {"IS", "PRESENT", "ABSENT", "STARTSWITH", "ENDSWITH", "CONTAINS"}
)
_CONDITION_KEYWORDS: Final = frozenset({"not", "true", "false"})
# After these a message may say "after `==`" even when the next token is lines away.
_PUNCTUATION: Final = frozenset(
    {"EQ", "NE", "COLON", "COMMA", "LPAR", "LSQB", "WHEN", "AND", "OR", "NOT", "IN"}
    | {"IS", "STARTSWITH", "ENDSWITH", "CONTAINS", "EVERY", "IDLE", "RULE", "DEFAULT"}
)
_WORDS: Final = {
    "AND": "`and`",
    "OR": "`or`",
    "RPAR": "`)`",
    "COMMA": "`,`",
    "RSQB": "`]`",
    "EVERY": "`every`",
    "IDLE": "`idle`",
    "DURATION": "a duration such as `1d`, `30m` or `never`",
    "WHEN": "`when`",
    "COLON": "`:`",
    "IN": "`in`",
    "NOT": "`not in`",
    "PRESENT": "`present`",
    "ABSENT": "`absent`",
    "RULE": "`rule`",
    "DEFAULT": "`default`",
    "SECTION": "a section such as `access:`",
}


def explain(exc: UnexpectedInput, text: str, noun: str) -> tuple[str, Span]:
    """Turn a lark error into a message and a span inside *text*."""
    site = error_site(exc, text)
    span, kind, expected, stack = site.span, site.kind, site.expected, site.stack
    pos = span.start
    if kind == "" and text[pos] == '"':
        return _bad_string(text, pos)
    if kind == "$END":
        return _unexpected_end(text, expected, _previous(stack), noun), span
    return _unexpected(text, kind, span, expected, stack)


def _previous(stack: list[object]) -> list[Token]:
    """The last one or two tokens before the failure, unless a rule has reduced them."""
    previous: list[Token] = []
    for value in reversed(stack[-2:]):
        if not isinstance(value, Token):
            break
        previous.insert(0, value)
    return previous


def _unexpected_end(
    text: str, expected: set[str], previous: list[Token], noun: str
) -> str:
    opener = _innermost_open(text)
    if opener == "(" and "RPAR" in expected:
        return "expected `)` to close the `(`"
    if opener == "[" and "RSQB" in expected:
        return "expected `]` to close the `[`"
    return f"unexpected end of {noun}: expected {_describe(expected, previous)}"


def _unexpected(
    text: str, kind: str, span: Span, expected: set[str], stack: list[object]
) -> tuple[str, Span]:
    pos, word = span.start, text[span.start : span.end]
    previous = _previous(stack)
    last = previous[-1] if previous else None
    if last is not None and last.type == "SECTION":
        # LALR reduces the header only when a valid token follows it, so the
        # transformer has not seen this one yet.
        name = section_name(last)
        problem = check_section_name(name)
        if problem is not None:
            return problem, Span(_start_of(last), _start_of(last) + len(name))
    if word != word.lower() and word.lower() in _keywords(expected):
        return (
            f"keywords are lowercase: write `{word.lower()}` instead of `{word}`",
            span,
        )
    if "EQ" in expected:
        return _no_comparison(text, span, stack)
    after_reauth = last is not None and last.type == "NAME" and last == "reauth"
    if after_reauth and "EVERY" in expected:
        return "expected `every` after `reauth`", span
    same_line = "\n" not in text[_end_of(last, pos) : pos]
    if "WHEN" in expected and kind in _CRITERIA_START and same_line:
        return "expected `when` before the criteria", span
    if "AND" in expected and kind in _CRITERIA_START and same_line:
        return "expected `and` or `or` between conditions", span
    if kind in {"RPAR", "RSQB"} and not expected & {"RPAR", "RSQB"}:
        if kind == "RSQB" and last is not None and last.type == "LSQB":
            return "expected a value: a list cannot be empty", span
        if last is None or last.type not in _PUNCTUATION:
            return f"unexpected `{word}`", span
    if kind == "NAME" and "SECTION" in expected and word in _SECTIONS:
        return f"expected `:` after `{word}`", span
    if not same_line and (last is None or last.type not in _PUNCTUATION):
        previous = []  # "after `x`" would point at a token lines away
    after = _after(previous)
    return f"expected {_describe(expected, previous)}{after}", span


def _keywords(expected: set[str]) -> set[str]:
    """The keywords, as written, that the parser could take next."""
    found = {name.lower() for name in expected if name in _KEYWORDS}
    if "OR" in expected:
        found.add("and")
    if "INT" in expected:
        found |= {"true", "false"}
    return found


def _no_comparison(text: str, span: Span, stack: list[object]) -> tuple[str, Span]:
    """Say that the reference before *span* lacks its comparison."""
    # The reference's first name is on the parser's stack; the rest of it may be
    # reduced already (`.a.b`) or still be tokens (`["x"]`).
    names = [value for value in stack if isinstance(value, Token)]
    names = [token for token in names if token.type == "NAME"]
    found = _REF_AT.match(text, _start_of(names[-1])) if names else None
    if found is None:  # not reached today: the stack always holds the name
        return f"expected {_COMPARISON} after the reference", span
    ref = found.group()
    if ref.lower() in _CONDITION_KEYWORDS and ref != ref.lower():
        message = f"keywords are lowercase: write `{ref.lower()}` instead of `{ref}`"
        return message, Span(found.start(), found.end())
    return f"expected {_COMPARISON} after `{shorten(ref)}`", span


def section_name(token: Token) -> str:
    """The name in a ``SECTION`` token (``access :`` → ``access``)."""
    return token[: token.index(":")].rstrip(" \t")


def check_section_name(name: str) -> str | None:
    """What is wrong with a section header's name, or ``None``."""
    if name in _SECTIONS:
        return None
    if name.lower() == "default":  # `Default:` is lexed as a section header
        return f"keywords are lowercase: write `default` instead of `{name}`"
    hint = did_you_mean(name, _SECTIONS) or f": expected {word_list(_SECTIONS)}"
    return f"unknown section `{shorten(name)}`{hint}"


def _start_of(token: Token) -> int:
    return cast("int", token.start_pos)


def _end_of(token: Token | None, default: int) -> int:
    if token is None or token.end_pos is None:
        return default
    return token.end_pos


def _after(previous: list[Token]) -> str:
    if not previous:
        return ""
    last = previous[-1]
    if last.type == "STRING" and len(previous) == 2 and previous[0].type == "RULE":
        return " after the rule name"
    shown = str(last)
    if "`" in shown or not shown.isprintable():
        return ""
    return f" after `{shorten(shown)}`"


def _describe(expected: set[str], previous: list[Token]) -> str:
    """Name in words what the parser could take next."""
    last = previous[-1].type if previous else ""
    if "EQ" in expected:
        return _COMPARISON
    if {"NAME", "NOT", "LPAR"} <= expected:
        return "a condition"
    if "NAME" in expected:
        return "an action" if last == "COLON" else "a reference such as `scim.groups`"
    if "INT" in expected:
        return "a value"
    if "STRING" in expected:
        if last == "RULE":
            return "a rule name in double quotes"
        return "a name in double quotes" if last == "LSQB" else "a string"
    if expected == {"LSQB"}:
        return 'a list such as `["a", "b"]`'
    if expected == {"SECTION", "$END"}:
        return _WORDS["SECTION"]
    if "OR" in expected:
        # LALR shares these states between contexts and may have reduced a finished
        # condition before seeing the bad token; `and` could always have followed it.
        expected = {*expected, "AND"}
    words = [word for name, word in _WORDS.items() if name in expected]
    return _join(words) if words else "nothing more"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def word_list(words: Iterable[str]) -> str:
    """```a`, `b` or `c```: names in backticks joined for a message."""
    return _join([f"`{word}`" for word in words])


def _innermost_open(text: str) -> str | None:
    """The innermost ``(`` or ``[`` still open at the end of *text*."""
    stack: list[str] = []
    for match in _SCAN.finditer(text):
        token = match.group()
        if token in {"(", "["}:
            stack.append(token)
        elif token in {")", "]"} and stack:
            stack.pop()
    return stack[-1] if stack else None


def find_deep_nesting(text: str, limit: int) -> Span | None:
    """The first ``(``, ``[`` or ``not`` that nests deeper than *limit*, if any.

    A run of ``not``s nests until the operand it applies to begins; a parenthesised
    operand keeps them open until its ``)``.
    """
    if text.count("(") + text.count("[") + text.count("not") <= limit:
        return None
    pending = [0]  # `not`s waiting for their operand, per open bracket
    depth = 0
    for match in _SCAN.finditer(text):
        lexeme = match.group()
        if lexeme[0] == "#":
            continue
        if lexeme in {"(", "["}:
            pending.append(0)
            depth += 1
        elif lexeme == "not":
            pending[-1] += 1
            depth += 1
        else:
            if lexeme in {")", "]"} and len(pending) > 1:
                depth -= 1 + pending.pop()
            depth -= pending[-1]
            pending[-1] = 0
            continue
        if depth > limit:
            return Span(match.start(), match.end())
    return None


def _bad_string(text: str, quote: int) -> tuple[str, Span]:
    """Say what stops the string opened at *quote* from being a JSON string."""
    stop = cast("re.Match[str]", _STRING_BODY.match(text, quote + 1)).end()
    if stop == len(text) or text[stop] in "\r\n":
        return "unterminated string", Span(quote, stop)
    char = text[stop]
    if char == "\\":
        if stop + 1 == len(text) or text[stop + 1] in "\r\n":
            return "unterminated string", Span(quote, stop + 1)
        escape = text[stop : stop + 2] if text[stop + 1] != "u" else "\\u"
        return f"invalid escape {_show(escape)} in string", Span(stop, stop + 2)
    return f"unescaped control character {_show(char)} in string", Span(stop, stop + 1)


def _show(text: str) -> str:
    if text.isprintable() and text.strip() and "`" not in text:
        return f"`{text}`"
    return " ".join(f"U+{ord(char):04X}" for char in text)


def shorten(text: str, limit: int = 100) -> str:
    """*text*, cut to *limit* characters with an ellipsis."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"
