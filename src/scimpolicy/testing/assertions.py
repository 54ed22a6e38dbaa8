"""Assertion helpers: a decision that is not the one expected fails with its reasons.

Stage: a :class:`~scimpolicy.workspace.world.World` (or an
:class:`~scimpolicy.policy.engine.Engine`) and a
:class:`~scimpolicy.policy.decisions.Request` → the explained
:class:`~scimpolicy.policy.decisions.Decision`, or an :class:`AssertionError`.

Every helper decides with the explaining path (``explain_*``), so the decision it
returns carries its trace, and a failure's message is one line saying what was
expected and what was decided, followed by the decision's whole
:meth:`~scimpolicy.policy.decisions.Decision.explain` text: the gates, the notes and
every rule considered. The helpers set ``__tracebackhide__`` so pytest shows the
test's line, not theirs.

Outcomes read as case files write them (``docs/testing.md``): a request blocked
before any rule is read (the SCIM presence check, an unknown IdP) has the outcome
``blocked``, not ``deny``. :func:`assert_allowed` and :func:`assert_denied` are each
other's negation over access decisions.
"""

from __future__ import annotations

from typing import Final, NoReturn

from scimpolicy._text import did_you_mean
from scimpolicy.errors import PolicySyntaxError
from scimpolicy.policy.decisions import Decision, Request
from scimpolicy.policy.engine import Engine
from scimpolicy.policy.nodes import (
    AccessAction,
    Action,
    ForwardingAction,
    PolicyType,
    TimeoutAction,
)
from scimpolicy.policy.parser import parse_policy
from scimpolicy.workspace.world import World

__all__ = [
    "BLOCKED",
    "DEFAULT",
    "assert_allowed",
    "assert_blocked",
    "assert_decided_by",
    "assert_denied",
    "assert_outcome",
]

DEFAULT: Final = "default"
"""The rule name :func:`assert_decided_by` takes for the policy's default."""

BLOCKED: Final = "blocked"
"""The outcome :func:`assert_outcome` takes for a request blocked before any rule
(the SCIM presence check, or an unknown IdP)."""


def _engine(target: World | Engine) -> Engine:
    if isinstance(target, World):
        return target.engine()
    if isinstance(target, Engine):
        return target
    raise TypeError(
        f"expected a World or an Engine, got `{type(target).__name__}` (the "
        "scimpolicy_world and scimpolicy_engine fixtures give one)"
    )


def _policy_type(policy: PolicyType | str) -> PolicyType:
    try:
        return PolicyType(policy)
    except ValueError:
        raise ValueError(
            f"unknown policy type `{policy}`: expected access, forwarding or timeout"
        ) from None


def _decide(target: World | Engine, request: Request, policy: PolicyType) -> Decision:
    return _engine(target).decide(policy, request, explain=True)


def _outcome(decision: Decision) -> str:
    """The outcome as case files and policies write it; ``blocked`` when blocked."""
    if decision.blocked:
        return BLOCKED
    return str(decision.to_json()["outcome"])


def _said(decision: Decision) -> str:
    return f"{_outcome(decision)} ({decision.decided_by})"


def _subject(decision: Decision, request: Request) -> str:
    """``access for `user` (IdP `Okta`) to `Payroll```: the context of a failure."""
    text = f"{decision.policy_type} for `{request.user}` (IdP `{request.idp}`)"
    target = decision.application or request.app or request.host
    if target is not None:
        port = "" if request.port is None or request.app else f":{request.port}"
        text += f" to `{target}{port}`"
    return text


def _fail(request: Request, decision: Decision, expected: str, *notes: str) -> NoReturn:
    __tracebackhide__ = True
    head = f"{_subject(decision, request)}: expected {expected}, got {_said(decision)}"
    raise AssertionError("\n".join((head, *notes, decision.explain())))


def assert_allowed(engine: World | Engine, request: Request) -> Decision:
    """Access is allowed: the access decision is ``allow``.

    :returns: the decision, with its trace.
    :raises AssertionError: anything else, with the decision's explanation.
    """
    __tracebackhide__ = True
    decision = _decide(engine, request, PolicyType.ACCESS)
    if not decision.allowed:
        _fail(request, decision, "allow")
    return decision


def assert_denied(engine: World | Engine, request: Request) -> Decision:
    """Access is not granted: the access decision is anything but ``allow``.

    That is ``deny`` (by a rule or the default), ``require_approval`` (ZPA rejects the
    connection until someone approves it), ``blocked`` (the SCIM presence check or an
    unknown IdP) or a host no application segment covers. It is the negation of
    :func:`assert_allowed`; for one of these exactly, use :func:`assert_outcome` or
    :func:`assert_decided_by`.

    :returns: the decision, with its trace.
    :raises AssertionError: the decision is ``allow``, with its explanation.
    """
    __tracebackhide__ = True
    decision = _decide(engine, request, PolicyType.ACCESS)
    if decision.allowed:
        _fail(request, decision, "no access (deny, require_approval or blocked)")
    return decision


def assert_blocked(
    engine: World | Engine,
    request: Request,
    *,
    policy: PolicyType | str = PolicyType.ACCESS,
) -> Decision:
    """The request is blocked before any rule is read: the SCIM presence check (a
    user missing from the IdP's SCIM directory, or inactive, with SCIM Sync on) or an
    unknown IdP.

    :returns: the decision, with its notes saying why.
    :raises AssertionError: a rule or the default decided, with the explanation.
    """
    __tracebackhide__ = True
    decision = _decide(engine, request, _policy_type(policy))
    if not decision.blocked:
        _fail(request, decision, BLOCKED)
    return decision


def _rule_notes(engine: Engine, kind: PolicyType, rule: str) -> tuple[str, ...]:
    """Why *rule* could never decide, when it is not a rule that can."""
    rules = engine.policy.policy.rule_set(kind).rules
    for known in rules:
        if known.name.casefold() == rule.casefold():
            return ("(that rule is disabled)",) if known.disabled else ()
    for other in PolicyType:
        if any(
            known.name.casefold() == rule.casefold()
            for known in engine.policy.policy.rule_set(other).rules
        ):
            return (f'(`{rule}` is a {other} rule: give policy="{other}")',)
    names = [known.name for known in rules]
    return (f"(no {kind} rule is named `{rule}`{did_you_mean(rule, names)})",)


def assert_decided_by(
    engine: World | Engine,
    request: Request,
    rule: str,
    *,
    policy: PolicyType | str = PolicyType.ACCESS,
) -> Decision:
    """The rule named *rule* decides (names compare ignoring case, as ZPA's rule
    names are unique ignoring case), or with ``rule="default"`` the policy's default
    does (not a block, not a host no segment covers).

    :returns: the decision, with its trace.
    :raises AssertionError: something else decided, with the explanation (and a
        note when no enabled rule has that name).
    """
    __tracebackhide__ = True
    kind = _policy_type(policy)
    resolved = _engine(engine)
    decision = _decide(resolved, request, kind)
    if rule.casefold() == DEFAULT:
        if decision.decided_by != "the default":
            _fail(request, decision, "the default to decide")
    elif decision.rule is None or decision.rule.casefold() != rule.casefold():
        _fail(
            request,
            decision,
            f"rule `{rule}` to decide",
            *_rule_notes(resolved, kind, rule),
        )
    return decision


_KINDS: Final[dict[str, PolicyType]] = {
    **{str(action): PolicyType.ACCESS for action in AccessAction},
    **{str(action): PolicyType.FORWARDING for action in ForwardingAction},
}


def _timeout(text: str) -> TimeoutAction:
    try:
        action = parse_policy(f"timeout:\n  default: {text}\n").timeout.default
    except PolicySyntaxError:
        action = None
    if isinstance(action, TimeoutAction):
        return action
    raise ValueError(
        f"`{text}` is not an outcome: expected allow, deny, require_approval, "
        "intercept, intercept_accessible, bypass, blocked, or a timeout such as "
        "`reauth every 1d idle 30m`"
    )


def _expected(
    outcome: str | Action, policy: PolicyType | str | None
) -> tuple[PolicyType, Action | None]:
    """The policy type and the action expected (``None``: blocked)."""
    kind = None if policy is None else _policy_type(policy)
    wanted: Action | None
    text = " ".join(str(outcome).split()).casefold()
    if isinstance(outcome, TimeoutAction):
        wanted, own = outcome, PolicyType.TIMEOUT
    elif text == BLOCKED:
        return kind or PolicyType.ACCESS, None
    elif text in _KINDS:
        own = _KINDS[text]
        wanted = (
            AccessAction(text) if own is PolicyType.ACCESS else ForwardingAction(text)
        )
    else:
        wanted, own = _timeout(str(outcome)), PolicyType.TIMEOUT
    if kind is not None and kind is not own:
        raise ValueError(f"`{outcome}` is a {own} outcome, not a {kind} one")
    return own, wanted


def assert_outcome(
    engine: World | Engine,
    request: Request,
    outcome: str | Action,
    *,
    policy: PolicyType | str | None = None,
) -> Decision:
    """The decision's outcome is *outcome*.

    *outcome* is an action (``AccessAction.DENY``) or its text as a policy writes
    it: ``allow``, ``deny``, ``require_approval``, ``intercept``,
    ``intercept_accessible``, ``bypass``, ``reauth every 1d idle 30m`` (compared as
    durations: ``24h`` is ``1d``), or ``blocked`` for a request blocked before any
    rule (which is then not ``deny``). The policy type follows from the outcome
    (``blocked``: access) unless *policy* names it.

    :returns: the decision, with its trace.
    :raises AssertionError: another outcome, with the decision's explanation.
    :raises ValueError: *outcome* is not an outcome, or not one of *policy*'s.
    """
    __tracebackhide__ = True
    kind, wanted = _expected(outcome, policy)
    decision = _decide(engine, request, kind)
    if wanted is None:
        matched, text = decision.blocked, BLOCKED
    else:
        matched = not decision.blocked and decision.outcome == wanted
        text = str(Decision(kind, wanted).to_json()["outcome"])
    if not matched:
        _fail(request, decision, text)
    return decision
