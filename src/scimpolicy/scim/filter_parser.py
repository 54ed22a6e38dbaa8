"""Read SCIM filters and attribute paths (RFC 7644 §3.4.2.2, §3.5.2).

Stage: text → :mod:`scimpolicy.scim.filter_nodes`. Input is the text of a ``filter``
query parameter, a PATCH ``path``, or one ``sortBy`` / ``attributes`` entry; output is
a frozen syntax tree. Nothing here knows a schema: unknown attributes are the
matcher's business.

The grammar is ``scimpolicy/grammars/scim_filter.lark`` (LALR, contextual lexer), which
implements RFC 7644 Figure 1 with its errata::

    FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
    valuePath = attrPath "[" valFilter "]"      ; valFilter holds no valuePath (4690)
    attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
    logExp    = FILTER SP ("and" / "or") SP FILTER
    compValue = false / null / true / number / string   ; JSON (RFC 8259)
    compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le"
    attrPath  = [URI ":"] ATTRNAME *1subAttr
    ATTRNAME  = ALPHA *(nameChar)        ; and "$ref", which IdPs send
    subAttr   = "." ATTRNAME
    PATH      = attrPath / valuePath [subAttr]  ; §3.5.2, a PATCH path

Precedence, tightest first: ``( )``, ``not ( )``, ``and``, ``or`` (erratum 4670), with
``and`` and ``or`` left-associative. Operators and keywords are case-insensitive (Entra
sends ``Eq`` and ``True``); any run of spaces, tabs and newlines separates tokens.
Entra's ``emails[type eq "work"].value eq "x"`` reads as
``emails[type eq "work" and value eq "x"]``.

Invariants: lark's exceptions never escape; every error is a
:class:`~scimpolicy.errors.FilterSyntaxError` (or
:class:`~scimpolicy.errors.PathSyntaxError` for paths) with a span inside the text.
Texts longer than 10,000 characters or nested deeper than 64 levels are refused before
lark sees them; the LALR parser and the transformer are iterative, so no input can
cause a ``RecursionError`` here. Trees more than 200 operators deep (long ``or``
chains) are refused too, so recursive consumers such as ``render`` stay safe. Results
are cached: nodes are frozen, so sharing them is safe.
"""

from __future__ import annotations

import functools
import json
import math
import re
import string
from typing import Any, Final, cast

from lark import (
    Lark,
    LarkError,
    Token,
    Transformer,
    UnexpectedInput,
)

from scimpolicy._lark import build_parser, error_site
from scimpolicy.errors import FilterSyntaxError, PathSyntaxError, Span
from scimpolicy.scim.filter_nodes import (
    And,
    AttrPath,
    Compare,
    CompareOp,
    CompValue,
    Filter,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
)

__all__ = ["parse_attr_path", "parse_filter", "parse_patch_path"]

_MAX_LENGTH: Final = 10_000
_MAX_DEPTH: Final = 64  # of `(`, `not (` and `[`, checked before lark runs
# of nodes: `a pr or b pr or ...` nests too; deeper trees break recursive consumers
# (render, ==, repr, deepcopy) under Python's default recursion limit.
_MAX_NODE_DEPTH: Final = 200
_WHITESPACE: Final = " \t\r\n"

_OPS: Final = {op.value: op for op in CompareOp}
_LITERALS: Final[dict[str, CompValue]] = {"TRUE": True, "FALSE": False, "NULL": None}


class _RejectedError(Exception):
    """Text refused by a guard or a value Python cannot hold (``1e999``)."""

    def __init__(self, message: str, span: Span) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def _path(token: Token) -> AttrPath:
    text = str(token)
    urn = None
    if ":" in text:
        urn, _, text = text.rpartition(":")
    attr, _, sub = text.partition(".")
    start = cast("int", token.start_pos)
    return AttrPath(attr, sub or None, urn, Span(start, start + len(token)))


def _value(token: Token) -> CompValue:
    text, kind = str(token), token.type
    if kind == "STRING":
        # The terminal already excludes raw control characters and stray quotes.
        return text[1:-1] if "\\" not in text else cast("str", json.loads(text))
    if kind != "NUMBER":
        return _LITERALS[kind]
    start = cast("int", token.start_pos)
    span = Span(start, start + len(text))
    if "." not in text and "e" not in text and "E" not in text:
        try:
            return int(text)
        except ValueError:  # more digits than sys.get_int_max_str_digits() allows
            message = f"number `{_shorten(text)}` has too many digits"
            raise _RejectedError(message, span) from None
    value = float(text)
    if not math.isfinite(value):
        raise _RejectedError(f"number `{_shorten(text)}` is out of range", span)
    return value


class _Builder(Transformer[Token, Filter]):
    """Builds filter nodes inside the LALR parser (lark's embedded transformer).

    Rules keep all their tokens, so each method picks its children by position.
    """

    def or_(self, children: list[Any]) -> Or:
        """filter: filter OR and_exp"""
        return Or(children[0], children[2])

    def and_(self, children: list[Any]) -> And:
        """and_exp: and_exp AND term"""
        return And(children[0], children[2])

    def compare(self, children: list[Any]) -> Compare:
        """term: ATTRPATH COMPOP (STRING | NUMBER | TRUE | FALSE | NULL)"""
        first, op, value = children
        span = Span(first.start_pos, value.end_pos)
        return Compare(_path(first), _OPS[op.lower()], _value(value), span)

    def present(self, children: list[Any]) -> Present:
        """term: ATTRPATH PR"""
        first, pr = children
        return Present(_path(first), Span(first.start_pos, pr.end_pos))

    def not_(self, children: list[Any]) -> Not:
        """term: NOT filter RPAR  (NOT is ``not`` and its ``(``)"""
        return Not(children[1])

    def group(self, children: list[Any]) -> Filter:
        """term: LPAR filter RPAR"""
        return cast("Filter", children[1])

    def value_path(self, children: list[Any]) -> ValuePath:
        """term: ATTRPATH LSQB val_filter RSQB"""
        first, _, inner, close = children
        return ValuePath(_path(first), inner, Span(first.start_pos, close.end_pos))

    def value_path_sub(self, children: list[Any]) -> ValuePath:
        """term: ATTRPATH LSQB val_filter RSQB SUBATTR (COMPOP value | PR)  (Entra)"""
        sub = children[4]
        name = Token("ATTRPATH", sub[1:], sub.start_pos + 1, end_pos=sub.end_pos)
        rest = [name, *children[5:]]
        inner = self.compare(rest) if len(rest) == 3 else self.present(rest)
        return self.value_path([*children[:2], And(children[2], inner), children[-1]])

    def patch_path(self, children: list[Any]) -> PatchPath:
        """patch_path: ATTRPATH [LSQB val_filter RSQB [SUBATTR]]"""
        first, last = children[0], children[-1]
        inner = children[2] if len(children) > 1 else None
        sub = str(last)[1:] if len(children) == 5 else None
        return PatchPath(_path(first), inner, sub, Span(first.start_pos, last.end_pos))


@functools.cache
def _parser() -> Lark:
    return build_parser("scim_filter.lark", _Builder(), ["filter", "patch_path"])


@functools.lru_cache(maxsize=4096)
def parse_filter(text: str) -> Filter:
    """Parse a SCIM filter (RFC 7644 §3.4.2.2) into a syntax tree.

    Raises :class:`~scimpolicy.errors.FilterSyntaxError` (400 ``invalidFilter``) with
    the offending span when *text* is not a filter.
    """
    return cast("Filter", _parse(text, "filter", FilterSyntaxError))


@functools.lru_cache(maxsize=4096)
def parse_patch_path(text: str) -> PatchPath:
    """Parse a PATCH ``path`` (RFC 7644 §3.5.2): ``attrPath`` or
    ``attrPath "[" valFilter "]" ["." subAttr]``.

    Raises :class:`~scimpolicy.errors.PathSyntaxError` (400 ``invalidPath``).
    """
    return cast("PatchPath", _parse(text, "patch_path", PathSyntaxError))


def parse_attr_path(text: str) -> AttrPath:
    """Parse a plain attribute path such as a ``sortBy`` value or an ``attributes``
    entry: ``[URN ":"] attr ["." sub]``, with no ``[...]`` filter.

    Raises :class:`~scimpolicy.errors.PathSyntaxError` (400 ``invalidPath``).
    """
    path = parse_patch_path(text)
    if path.filter is not None:
        start = text.index("[")
        raise PathSyntaxError(
            "unexpected `[`: a value filter is not allowed here",
            text,
            Span(start, start + 1),
        )
    return path.attr


def _parse(
    text: str, start: str, error: type[FilterSyntaxError | PathSyntaxError]
) -> object:
    noun = "filter" if start == "filter" else "path"
    try:
        _check_size(text, noun)
        result = cast("Filter | PatchPath", _parser().parse(text, start=start))
        node = result.filter if isinstance(result, PatchPath) else result
        if node is not None:
            _check_node_depth(text, node, noun)
    except UnexpectedInput as exc:
        message, span = _explain(exc, text, noun)
        raise error(message, text, span) from None
    except _RejectedError as exc:
        raise error(exc.message, text, exc.span) from None
    except LarkError:  # not raised by the LALR parser today; kept so none can escape
        raise error(f"invalid {noun}", text, Span(0, len(text))) from None
    return result


def _check_size(text: str, noun: str) -> None:
    if len(text) > _MAX_LENGTH:
        message = f"{noun} is too long: {len(text)} characters, the limit is "
        raise _RejectedError(f"{message}{_MAX_LENGTH}", Span(_MAX_LENGTH, len(text)))
    if not text.strip(_WHITESPACE):
        raise _RejectedError(f"empty {noun}", Span(0, len(text)))
    if text.count("(") + text.count("[") <= _MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKETS.finditer(text):
        char = match.group()
        if char in "([":
            depth += 1
            if depth > _MAX_DEPTH:
                message = f"{noun} is nested too deeply: more than {_MAX_DEPTH} levels"
                raise _RejectedError(message, Span(match.start(), match.start() + 1))
        elif char in ")]":
            depth = max(depth - 1, 0)


def _check_node_depth(text: str, node: Filter, noun: str) -> None:
    lowered = text.lower()
    bound = lowered.count("and") + lowered.count("or") + text.count("(")
    if bound + text.count("[") <= _MAX_NODE_DEPTH:
        return
    stack: list[tuple[Filter, int]] = [(node, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_NODE_DEPTH:
            while isinstance(node, (And, Or, Not)):
                node = node.operand if isinstance(node, Not) else node.left
            message = f"{noun} is too complex: operators nest more than "
            span = node.span or Span(0, len(text))
            raise _RejectedError(f"{message}{_MAX_NODE_DEPTH} levels deep", span)
        if isinstance(node, (And, Or)):
            stack += [(node.right, depth + 1), (node.left, depth + 1)]
        elif isinstance(node, Not):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ValuePath):
            stack.append((node.filter, depth + 1))


# Brackets outside JSON strings; a string may run unterminated to the end.
_BRACKETS: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[()\[\]]', re.DOTALL)


def _innermost_open(text: str) -> str | None:
    """The innermost ``(`` or ``[`` still open at the end of *text*."""
    stack: list[str] = []
    for match in _BRACKETS.finditer(text):
        char = match.group()
        if char in "([":
            stack.append(char)
        elif char in ")]" and stack:
            stack.pop()
    return stack[-1] if stack else None


_WORDS: Final = {
    "ATTRPATH": "an attribute name",
    "COMPOP": "a comparison operator",
    "STRING": "a value",
    "SUBATTR": "a sub-attribute",
    "LSQB": "`[`",
    "AND": "`and`",
    "OR": "`or`",
    "RPAR": "`)`",
    "RSQB": "`]`",
}
_NAME_CHARS: Final = frozenset(string.ascii_letters + string.digits + "_-$:.")
_NUMBER_LIKE: Final = re.compile(r"-?\.?[0-9][0-9A-Za-z_.+-]*")
_STRING_BODY: Final = re.compile(
    r'[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*'
)


def _explain(exc: UnexpectedInput, text: str, noun: str) -> tuple[str, Span]:
    """Turn a lark error into a message and a span inside *text*."""
    site = error_site(exc, text)
    span, kind, expected = site.span, site.kind, site.expected
    pos = span.start
    # LALR merges states, so lark may offer `)` or `]` where none is open: drop them.
    opener = _innermost_open(text[:pos])
    expected.discard("RSQB" if opener == "(" else "RPAR")
    expected.discard("RSQB" if opener is None else "$END")
    if kind == "$END":
        if opener == "(" and "RPAR" in expected:
            return "expected `)` to close the `(`", span
        if opener == "[" and "RSQB" in expected:
            return "expected `]` to close the `[`", span
        return f"unexpected end of {noun}: expected {_describe(expected, noun)}", span
    if kind == "" and text[pos] == '"':
        return _bad_string(text, pos)
    if "COMPOP" in expected:
        name = _name_before(text, pos)
        if kind == "LSQB" and opener == "[":
            return "unexpected `[`: value filters cannot be nested", span
        if name.casefold() == "not":
            return "expected `(` after `not`", span
        return f"expected a comparison operator or `pr` after `{name}`", span
    if "STRING" in expected:
        number = _NUMBER_LIKE.match(text, pos)
        if kind == "" and number:
            return f"invalid number `{_shorten(number.group())}`", Span(
                pos, number.end()
            )
        return f"expected a value after `{_name_before(text, pos)}`", span
    if kind in {"RPAR", "RSQB"}:
        return f"unexpected `{text[pos]}`", span
    if kind == "" and "ATTRPATH" not in expected:
        return f"unexpected character {_show(text[pos])}", span
    return f"expected {_describe(expected, noun)}", span


def _describe(expected: set[str], noun: str) -> str:
    if "COMPOP" in expected:
        return "a comparison operator or `pr`"
    words = [word for name, word in _WORDS.items() if name in expected]
    if words and words[0] in {_WORDS["ATTRPATH"], _WORDS["STRING"]}:
        return words[0]
    if "$END" in expected or not words:
        words.append(f"the end of the {noun}")
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _bad_string(text: str, quote: int) -> tuple[str, Span]:
    """Say what stops the string opened at *quote* from being a JSON string."""
    stop = cast("re.Match[str]", _STRING_BODY.match(text, quote + 1)).end()
    if stop == len(text):
        return "unterminated string", Span(quote, len(text))
    char = text[stop]
    if char == "\\":
        escape = text[stop : stop + 2] if text[stop + 1 : stop + 2] != "u" else "\\u"
        if stop + 1 == len(text):
            return "unterminated string", Span(quote, len(text))
        return f"invalid escape {_show(escape)} in string", Span(stop, stop + 2)
    return f"unescaped control character {_show(char)} in string", Span(stop, stop + 1)


def _name_before(text: str, pos: int) -> str:
    """The attribute path or keyword just before *pos* (without a leading ``.``)."""
    head = text[:pos].rstrip(_WHITESPACE)
    start = len(head)
    while start and head[start - 1] in _NAME_CHARS:
        start -= 1
    return _shorten(head[start:].lstrip("."))


def _show(text: str) -> str:
    if text.isprintable() and text.strip() and "`" not in text:
        return f"`{text}`"
    return " ".join(f"U+{ord(char):04X}" for char in text)


def _shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"
