"""What-if: apply changes to a world and say whose decisions change, and how.

Stage: a world + changes → :class:`WhatIfReport`. Both worlds decide the same
population (the sessions, position by position, against every application); decisions
that differ are grouped by policy type, application and the pair of verdicts
(before → after), counted, with a few example users each. Access changes are also
summed as gains (now allowed) and losses (no longer allowed).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from itertools import zip_longest
from typing import Any, Final

import attrs

from scimpolicy._text import format_table
from scimpolicy.policy.decisions import Decision
from scimpolicy.policy.nodes import PolicyType, TimeoutAction
from scimpolicy.whatif.bulk import Population, Progress, Row, bulk_decide
from scimpolicy.whatif.changes import Change, apply_changes
from scimpolicy.workspace.world import World

__all__ = ["Transition", "Verdict", "WhatIfReport", "compare", "what_if"]


def _outcome(decision: Decision) -> str:
    outcome = decision.outcome
    if outcome is None:
        return "blocked"
    if isinstance(outcome, TimeoutAction):
        reauth, idle = outcome.reauth.minutes, outcome.idle.minutes
        text = f"reauth {_minutes(reauth)}, idle {_minutes(idle)}"
        return text + (" (expired)" if decision.expired else "")
    return str(outcome)


def _minutes(value: int | None) -> str:
    if value is None:
        return "never"
    for unit, size in (("d", 1440), ("h", 60)):
        if value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}m"


@attrs.frozen(order=True)
class Verdict:
    """What a decision says, as a what-if compares it: the outcome and what decided."""

    outcome: str
    decided_by: str

    @classmethod
    def of(cls, decision: Decision) -> Verdict:
        """The verdict of *decision*."""
        return cls(_outcome(decision), decision.decided_by)

    def __str__(self) -> str:
        return f"{self.outcome} ({self.decided_by})"


@attrs.frozen
class Transition:
    """One kind of change: *count* decisions of *policy_type* went from *before* to
    *after*, for *users* distinct users, across *apps* (application → decisions;
    ``None`` stands for forwarding, which is per session); *examples* are some of
    the users."""

    policy_type: PolicyType
    before: Verdict
    after: Verdict
    count: int
    users: int
    apps: tuple[tuple[str | None, int], ...]
    examples: tuple[str, ...]

    def apps_text(self, limit: int = 3) -> str:
        """The applications, most decisions first, at most *limit* named."""
        named = [app for app, _ in self.apps if app is not None]
        if not named:
            return "-"
        text = ", ".join(named[:limit])
        return text + (f" +{len(named) - limit}" if len(named) > limit else "")

    def to_json(self) -> dict[str, Any]:
        """JSON for scripts."""
        return {
            "policy": str(self.policy_type),
            "before": {
                "outcome": self.before.outcome,
                "decidedBy": self.before.decided_by,
            },
            "after": {
                "outcome": self.after.outcome,
                "decidedBy": self.after.decided_by,
            },
            "decisions": self.count,
            "users": self.users,
            "applications": {app or "": count for app, count in self.apps},
            "examples": list(self.examples),
        }


@attrs.frozen
class WhatIfReport:
    """The decisions that change, grouped by policy type and the pair of verdicts
    (access first, then forwarding, then timeout; most decisions first);
    ``bool(report)`` is true when any decision changes."""

    changes: tuple[str, ...]
    compared: int
    changed: int
    gained: int
    lost: int
    users_gaining: int
    users_losing: int
    transitions: tuple[Transition, ...]

    def __bool__(self) -> bool:
        return self.changed > 0

    def render(self, *, limit: int | None = 20) -> str:
        """A readable report: the changes, the totals, then the transitions, largest
        first (at most *limit* of them; ``None``: all)."""
        lines = ["What if:"] + [f"  - {change}" for change in self.changes]
        if not self.changes:
            lines.append("  (no changes)")
        lines.append("")
        lines.append(
            f"{self.changed:,} of {self.compared:,} decisions change"
            + (
                f"; access: {self.gained:,} gained by "
                f"{_count(self.users_gaining, 'user')}, {self.lost:,} lost by "
                f"{_count(self.users_losing, 'user')}"
                if self.gained or self.lost
                else ""
            )
        )
        shown = self.transitions if limit is None else self.transitions[:limit]
        if shown:
            rows = [
                [
                    str(t.policy_type),
                    str(t.before),
                    str(t.after),
                    f"{t.count:,}",
                    f"{t.users:,}",
                    t.apps_text(),
                    ", ".join(t.examples),
                ]
                for t in shown
            ]
            lines.append("")
            lines.append(
                format_table(
                    [
                        "policy",
                        "before",
                        "after",
                        "decisions",
                        "users",
                        "applications",
                        "e.g.",
                    ],
                    rows,
                )
            )
        hidden = len(self.transitions) - len(shown)
        if hidden > 0:
            lines.append(f"... and {hidden} more kinds of change (--all shows them)")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """JSON for scripts."""
        return {
            "changes": list(self.changes),
            "compared": self.compared,
            "changed": self.changed,
            "access": {
                "gained": self.gained,
                "lost": self.lost,
                "usersGaining": self.users_gaining,
                "usersLosing": self.users_losing,
            },
            "transitions": [t.to_json() for t in self.transitions],
        }


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


_ORDER: Final = {PolicyType.ACCESS: 0, PolicyType.FORWARDING: 1, PolicyType.TIMEOUT: 2}


class _Group:
    """The decisions of one transition, being counted."""

    def __init__(self) -> None:
        self.count = 0
        self.users: set[tuple[str, str]] = set()
        self.apps: dict[str | None, int] = {}
        self.examples: list[str] = []

    def add(self, who: tuple[str, str], app: str | None, examples: int) -> None:
        self.count += 1
        self.apps[app] = self.apps.get(app, 0) + 1
        if who not in self.users:
            self.users.add(who)
            if len(self.examples) < examples:
                self.examples.append(who[1])

    def transition(
        self, policy_type: PolicyType, before: Verdict, after: Verdict
    ) -> Transition:
        apps = sorted(self.apps.items(), key=lambda item: (-item[1], item[0] or ""))
        return Transition(
            policy_type,
            before,
            after,
            self.count,
            len(self.users),
            tuple(apps),
            tuple(self.examples),
        )


def compare(
    before: Iterable[Row],
    after: Iterable[Row],
    *,
    changes: Iterable[str] = (),
    examples: int = 3,
) -> WhatIfReport:
    """Compare two streams of rows made over the same population, in the same order.

    :raises ValueError: the streams do not line up (not the same population).
    """
    groups: dict[tuple[PolicyType, Verdict, Verdict], _Group] = {}
    compared = changed = gained = lost = 0
    gaining: set[tuple[str, str]] = set()
    losing: set[tuple[str, str]] = set()
    for old, new in zip_longest(before, after):
        if old is None or new is None or old[:6] != new[:6]:
            raise ValueError("the two runs do not decide the same requests")
        compared += 1
        a, b = old.decision, new.decision
        if a is b:
            continue  # a shared decision value: nothing changed
        va, vb = Verdict.of(a), Verdict.of(b)
        if va == vb:
            continue
        changed += 1
        who = (new.idp, new.user)
        if new.policy_type is PolicyType.ACCESS and a.allowed != b.allowed:
            if b.allowed:
                gained += 1
                gaining.add(who)
            else:
                lost += 1
                losing.add(who)
        group = groups.get((new.policy_type, va, vb))
        if group is None:
            group = groups[new.policy_type, va, vb] = _Group()
        group.add(who, new.app, examples)
    transitions = sorted(
        (group.transition(kind, va, vb) for (kind, va, vb), group in groups.items()),
        key=lambda t: (_ORDER[t.policy_type], -t.count, t.before, t.after),
    )
    return WhatIfReport(
        tuple(changes),
        compared,
        changed,
        gained,
        lost,
        len(gaining),
        len(losing),
        tuple(transitions),
    )


def what_if(
    world: World,
    changes: Iterable[Change],
    population: Population | None = None,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    examples: int = 3,
) -> WhatIfReport:
    """Apply *changes* to (a copy of) *world* and report the decisions that change
    over *population* (default: every session against every application, all three
    policy types). *world* itself never changes.

    A population that lists its own ``sessions`` decides exactly those sessions in
    both worlds, so changes to the world's sessions (``Reauthenticate``) do not
    show in it; leave ``sessions`` unset to follow the world's.
    """
    changes = tuple(changes)
    after, _ = apply_changes(world, changes)
    population = population or Population()
    total = [0, 0]

    def half(index: int) -> Progress | None:
        if progress is None:
            return None

        def report(done: int, total_one: int) -> None:
            total[index] = done
            progress(sum(total), 2 * total_one)

        return report

    return compare(
        bulk_decide(world, population, executor=executor, progress=half(0)),
        bulk_decide(after, population, executor=executor, progress=half(1)),
        changes=[change.describe() for change in changes],
        examples=examples,
    )
