"""Read policy text (SPEC §4) into :mod:`scimpolicy.policy.nodes`.

Stage: text → nodes. Input is a whole policy (:func:`parse_policy`) or one criteria
expression as it follows ``when`` (:func:`parse_criteria`); output is a frozen
:class:`~scimpolicy.policy.nodes.Policy` or criteria node. Nothing here knows a tenant
or a schema: unknown namespaces, attributes, applications and the 10-minute minimum of
timeouts are the checker's business.

The grammar is ``scimpolicy/grammars/policy.lark`` (LALR, contextual lexer)::

    # comments run from `#` to the end of the line
    access:                                   # also `forwarding:` and `timeout:`,
      rule "Engineering to Git": allow        # each optional, at most once, any order
        when app in ["Git", "CI"] and (scim.department == "Engineering"
                                       or "SRE" in scim.groups)
      disabled rule "Legacy VPN": allow when app == "VPN"
      default: deny                           # at most one, after the rules

    timeout:
      rule "Contractors daily": reauth every 1d idle 30m when scim.userType == "C"
      default: reauth every 7d idle never

    actions      access: allow deny require_approval
                 forwarding: intercept intercept_accessible bypass
                 timeout: reauth every <duration> idle <duration>
    durations    never, or <int>d <int>h <int>m in that order: 1d 12h 1h30m 90m 2d6h
    criteria     or < and < not (prefix, repeatable) < ( ); and/or left-associative
    conditions   REF == LIT   REF != LIT   REF startswith|endswith|contains STRING
                 REF [not] in [LIT, ...]   LIT [not] in REF   REF is present|absent
    references   app   scim.department   scim.name.givenName   saml["http://x/claims/g"]
    literals     JSON strings, true, false, integers (no leading zeros)

Whitespace and newlines are insignificant; keywords are lowercase and case-sensitive,
and after a dot they are names (``scim.default``). A rule without ``when`` matches every
request; a missing section is an empty rule set whose default is ZPA's.

Invariants: lark's exceptions never escape; every error is a
:class:`~scimpolicy.errors.PolicySyntaxError` with a span inside the text, and parsing
stops at the first one. Texts longer than 1,000,000 characters or nested (parentheses,
``not``, lists) deeper than 100 levels are refused before lark sees them; the LALR
parser and the transformer are iterative, and criteria whose operators nest more than
200 levels deep (long ``and`` chains) are refused while they are built, so no input can
cause a ``RecursionError`` here or in the recursive ``==`` and ``repr`` of the nodes.
Syntax errors are found in text order; actions are checked against their section (and
``default`` placement) when the section ends, duplicate sections when the policy ends.
Results are cached: nodes are frozen, so sharing them is safe.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Final, NamedTuple, cast

from lark import Lark, LarkError, Token, Transformer, UnexpectedInput

from scimpolicy._lark import build_parser
from scimpolicy._text import did_you_mean
from scimpolicy.errors import PolicySyntaxError, Span
from scimpolicy.policy._syntax_errors import (
    check_section_name,
    explain,
    find_deep_nesting,
    section_name,
    shorten,
    word_list,
)
from scimpolicy.policy.nodes import (
    AccessAction,
    Action,
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    Duration,
    ForwardingAction,
    In,
    Literal,
    Not,
    Or,
    Policy,
    PolicyType,
    Present,
    Ref,
    Rule,
    RuleSet,
    TimeoutAction,
)

__all__ = ["parse_criteria", "parse_policy"]

_MAX_LENGTH: Final = 1_000_000
_MAX_NESTING: Final = 100  # of `(`, `[` and `not`, checked before lark runs
# of And/Or/Not nodes: `a and b and ...` nests too, and deeper trees break the
# recursive `==`, `hash` and `repr` of the nodes under Python's default limit.
_MAX_OPERATOR_DEPTH: Final = 200

_COMPARE_OPS: Final = {op.name: op for op in CompareOp}  # the grammar's terminal names
_ACTIONS: Final[dict[PolicyType, dict[str, Action]]] = {
    PolicyType.ACCESS: {action.value: action for action in AccessAction},
    PolicyType.FORWARDING: {action.value: action for action in ForwardingAction},
}
_REAUTH: Final = "reauth"
_TIMEOUT_FORM: Final = "`reauth every <duration> idle <duration>`"
_DURATION: Final = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?")
_MAX_DURATION_DIGITS: Final = 100
_INTEGER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)")


class _RejectedError(Exception):
    """Text refused by a guard or by a check the grammar leaves to the transformer."""

    def __init__(self, message: str, span: Span) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def _span(token: Token) -> Span:
    return Span(cast("int", token.start_pos), cast("int", token.end_pos))


# -- what the transformer hands upwards before a section says what actions mean -------


class _Expr(NamedTuple):
    """A criteria node with the text it covers (a rule's span ends at its last `)`)
    and its depth in And/Or/Not operators."""

    node: Criteria
    start: int
    end: int
    depth: int


class _RawAction(NamedTuple):
    word: Token
    every: Token | None  # `every`, when durations follow the word
    timeout: TimeoutAction | None
    end: int


class _RawRule(NamedTuple):
    name: str
    action: _RawAction
    criteria: Criteria | None
    disabled: bool
    span: Span
    name_span: Span

    def build(self, action: Action) -> Rule:
        """The rule, once its section has said what its action word means."""
        name, _, criteria, disabled, span, name_span = self
        return Rule(name, action, criteria, disabled, span, name_span)


class _RawDefault(NamedTuple):
    keyword: Token
    action: _RawAction


class _Header(NamedTuple):
    kind: PolicyType
    span: Span


# -- tokens to values ------------------------------------------------------------------


def _string(token: Token) -> str:
    text = str(token)
    # The terminal already excludes raw control characters and stray quotes.
    return text[1:-1] if "\\" not in text else cast("str", json.loads(text))


def _literal(token: Token) -> Literal:
    kind = token.type
    if kind == "STRING":
        return _string(token)
    if kind != "INT":
        return kind == "TRUE"
    text = str(token)
    if not _INTEGER.fullmatch(text):
        message = (
            f"invalid number `{shorten(text)}`: use an integer such as `42` or `-1`"
        )
        raise _RejectedError(message, _span(token))
    try:
        return int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits() allows
        message = f"number `{shorten(text)}` has too many digits"
        raise _RejectedError(message, _span(token)) from None


def _duration(token: Token) -> Duration:
    text, span = str(token), _span(token)
    if text == "never":
        return Duration(None, span)
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        message = (
            f"invalid duration `{shorten(text)}`: use days, hours and minutes such as "
            "`1d`, `12h`, `30m` or `never`"
        )
        raise _RejectedError(message, span)
    days, hours, minutes = (part or "0" for part in match.groups())
    if max(len(days), len(hours), len(minutes)) > _MAX_DURATION_DIGITS:
        raise _RejectedError(f"duration `{shorten(text)}` is too large", span)
    return Duration(int(days) * 1440 + int(hours) * 60 + int(minutes), span)


def _resolve(action: _RawAction, kind: PolicyType) -> Action:
    """The action *action* names in a section of type *kind*."""
    word, span = str(action.word), _span(action.word)
    if kind is PolicyType.TIMEOUT:
        if word == _REAUTH and action.timeout is not None:
            return action.timeout
        if word == _REAUTH:
            raise _RejectedError(f"expected `every` after `{_REAUTH}`", span)
        hint = did_you_mean(word, [_REAUTH]) or f": expected {_TIMEOUT_FORM}"
        raise _RejectedError(f"unknown timeout action `{shorten(word)}`{hint}", span)
    actions = _ACTIONS[kind]
    if word in actions and action.every is not None:
        message = f"unexpected `every`: {kind} actions take no durations"
        raise _RejectedError(message, _span(action.every))
    if word in actions:
        return actions[word]
    hint = did_you_mean(word, actions) or f": expected {word_list(actions)}"
    raise _RejectedError(f"unknown {kind} action `{shorten(word)}`{hint}", span)


def _deeper(depth: int, operator: Token) -> int:
    if depth >= _MAX_OPERATOR_DEPTH:
        message = (
            "criteria are too complex: operators nest more than "
            f"{_MAX_OPERATOR_DEPTH} levels deep"
        )
        raise _RejectedError(message, _span(operator))
    return depth + 1


class _Builder(Transformer[Token, Any]):
    """Builds policy nodes inside the LALR parser (lark's embedded transformer).

    Rules keep all their tokens, so each method picks its children by position.
    Criteria travel upwards as :class:`_Expr`; rules and defaults as raw records
    until their section says which actions their words name.
    """

    def policy(self, children: list[tuple[RuleSet, Span]]) -> Policy:
        """policy: section*"""
        found: dict[PolicyType, RuleSet] = {}
        for rule_set, header in children:
            if rule_set.type in found:
                message = f"section `{rule_set.type}` appears twice"
                raise _RejectedError(message, header)
            found[rule_set.type] = rule_set
        return Policy(**{kind.value: rule_set for kind, rule_set in found.items()})

    def section(self, children: list[Any]) -> tuple[RuleSet, Span]:
        """section: header item*  (the rule set, and its header for messages)"""
        header: _Header = children[0]
        rules: list[Rule] = []
        default: Action | None = None
        end = header.span.end
        for item in children[1:]:
            if isinstance(item, _RawDefault):
                if default is not None:
                    message = "`default` appears twice"
                    raise _RejectedError(message, _span(item.keyword))
                default = _resolve(item.action, header.kind)
                end = item.action.end
                continue
            if default is not None:
                raise _RejectedError("rules must come before `default`", item.span)
            rules.append(item.build(_resolve(item.action, header.kind)))
            end = item.span.end
        span = Span(header.span.start, end)
        return RuleSet(header.kind, tuple(rules), default, span), header.span

    def header(self, children: list[Token]) -> _Header:
        """header: SECTION  (a name and its colon)"""
        token = children[0]
        name = section_name(token)
        problem = check_section_name(name)
        if problem is not None:
            start = cast("int", token.start_pos)
            raise _RejectedError(problem, Span(start, start + len(name)))
        return _Header(PolicyType(name), _span(token))

    def rule(self, children: list[Any]) -> _RawRule:
        """rule: DISABLED? RULE STRING COLON action (WHEN or_exp)?"""
        first = children[0]
        disabled = first.type == "DISABLED"
        _, name_token, _, action, *when = children[1:] if disabled else children
        name = _string(name_token)
        if not name:
            raise _RejectedError("rule names cannot be empty", _span(name_token))
        criteria: _Expr | None = when[1] if when else None
        end = criteria.end if criteria is not None else action.end
        node = criteria.node if criteria is not None else None
        span = Span(first.start_pos, end)
        return _RawRule(name, action, node, disabled, span, _span(name_token))

    def default(self, children: list[Any]) -> _RawDefault:
        """default: DEFAULT COLON action"""
        return _RawDefault(children[0], children[2])

    def action(self, children: list[Token]) -> _RawAction:
        """action: NAME | NAME EVERY DURATION IDLE DURATION"""
        word = children[0]
        if len(children) == 1:
            return _RawAction(word, None, None, cast("int", word.end_pos))
        _, every, reauth, _, idle = children
        timeout = TimeoutAction(_duration(reauth), _duration(idle))
        return _RawAction(word, every, timeout, cast("int", idle.end_pos))

    def criteria_only(self, children: list[_Expr]) -> Criteria:
        """criteria_only: or_exp"""
        return children[0].node

    def or_(self, children: list[Any]) -> _Expr:
        """or_exp: or_exp OR and_exp"""
        left, operator, right = children
        depth = _deeper(max(left.depth, right.depth), operator)
        return _Expr(Or(left.node, right.node), left.start, right.end, depth)

    def and_(self, children: list[Any]) -> _Expr:
        """and_exp: and_exp AND not_exp"""
        left, operator, right = children
        depth = _deeper(max(left.depth, right.depth), operator)
        return _Expr(And(left.node, right.node), left.start, right.end, depth)

    def not_(self, children: list[Any]) -> _Expr:
        """not_exp: NOT not_exp"""
        operator, operand = children
        depth = _deeper(operand.depth, operator)
        return _Expr(Not(operand.node), operator.start_pos, operand.end, depth)

    def group(self, children: list[Any]) -> _Expr:
        """atom: LPAR or_exp RPAR"""
        opening, inner, closing = children
        return _Expr(inner.node, opening.start_pos, closing.end_pos, inner.depth)

    def compare(self, children: list[Any]) -> _Expr:
        """atom: ref (EQ | NE) literal | ref (STARTSWITH | ...) STRING"""
        ref, operator, value = children
        start, end = ref.span.start, value.end_pos
        node = Compare(
            ref, _COMPARE_OPS[operator.type], _literal(value), Span(start, end)
        )
        return _Expr(node, start, end, 0)

    def in_(self, children: list[Any]) -> _Expr:
        """atom: ref IN value_list | ref NOT IN value_list"""
        ref: Ref = children[0]
        values, end = children[-1]
        start = cast("Span", ref.span).start
        node = In(ref, values, len(children) == 4, Span(start, end))
        return _Expr(node, start, end, 0)

    def contains(self, children: list[Any]) -> _Expr:
        """atom: literal IN ref | literal NOT IN ref"""
        value, ref = children[0], children[-1]
        start, end = value.start_pos, ref.span.end
        node = Contains(_literal(value), ref, len(children) == 4, Span(start, end))
        return _Expr(node, start, end, 0)

    def present(self, children: list[Any]) -> _Expr:
        """atom: ref IS (PRESENT | ABSENT)"""
        ref, _, word = children
        start, end = ref.span.start, word.end_pos
        node = Present(ref, word.type == "ABSENT", Span(start, end))
        return _Expr(node, start, end, 0)

    def value_list(self, children: list[Token]) -> tuple[tuple[Literal, ...], int]:
        """value_list: LSQB literal (COMMA literal)* COMMA? RSQB"""
        values = tuple(_literal(token) for token in children[1:-1:2])
        return values, cast("int", children[-1].end_pos)

    def ref(self, children: list[Token]) -> Ref:
        """ref: NAME ATTR* | NAME LSQB STRING RSQB"""
        first, last = children[0], children[-1]
        span = Span(cast("int", first.start_pos), cast("int", last.end_pos))
        if last.type == "RSQB":
            return Ref(str(first), (_string(children[2]),), span)
        return Ref(str(first), tuple(str(attr)[1:] for attr in children[1:]), span)


@functools.cache
def _parser() -> Lark:
    return build_parser("policy.lark", _Builder(), ["policy", "criteria_only"])


@functools.lru_cache(maxsize=256)
def parse_policy(text: str) -> Policy:
    """Parse policy text (``access:``, ``forwarding:``, ``timeout:`` sections).

    Raises :class:`~scimpolicy.errors.PolicySyntaxError` with the offending span when
    *text* is not a policy. An empty text (or one of only comments) is a policy whose
    three rule sets are empty.
    """
    return cast("Policy", _parse(text, "policy"))


@functools.lru_cache(maxsize=256)
def parse_criteria(text: str) -> Criteria:
    """Parse one criteria expression, written as it follows ``when`` in a rule.

    Raises :class:`~scimpolicy.errors.PolicySyntaxError` with the offending span when
    *text* is not a criteria expression.
    """
    return cast("Criteria", _parse(text, "criteria"))


def _parse(text: str, noun: str) -> object:
    start = "policy" if noun == "policy" else "criteria_only"
    try:
        _check_size(text, noun)
        return _parser().parse(text, start=start)
    except UnexpectedInput as exc:
        message, span = explain(exc, text, noun)
        raise PolicySyntaxError(message, text, span) from None
    except _RejectedError as exc:
        raise PolicySyntaxError(exc.message, text, exc.span) from None
    except LarkError:  # not raised by the LALR parser today; kept so none can escape
        raise PolicySyntaxError(f"invalid {noun}", text, Span(0, len(text))) from None


def _check_size(text: str, noun: str) -> None:
    if len(text) > _MAX_LENGTH:
        verb = "is" if noun == "policy" else "are"
        message = f"{noun} {verb} too long: {len(text)} characters, the limit is "
        raise _RejectedError(f"{message}{_MAX_LENGTH}", Span(_MAX_LENGTH, len(text)))
    span = find_deep_nesting(text, _MAX_NESTING)
    if span is not None:
        message = f"criteria nest too deeply: more than {_MAX_NESTING} levels"
        raise _RejectedError(message, span)
