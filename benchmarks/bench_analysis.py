"""Time ``analyze`` and ``diff`` on the 200-rule workload of research/policy-engines.md
§5.1 (the rules and users of ``bench_policy.py``), and check what they report.

Run from the repository root: ``python benchmarks/bench_analysis.py [--repeats N]``.

Measured (best and median of the repeats, wall time):

- ``analyze`` of the 200-rule access policy (contradictory, unreachable, redundant,
  gate hazards; every rule, every gate state that matters);
- ``diff`` of the policy with itself, and with copies where one *reachable* rule (one
  that decides for some user of the 10,000) has its action flipped, a value of one of
  its tests changed, or is moved to the top.

Checked, not timed: no rule reported unreachable decides for any of the 10,000 users
(``bench_policy``'s own first-match oracle), and every ``diff`` example is decided
differently by the two policies (the reference interpreter). Speeds are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs
import bench_policy as workload
from harness import cpu_model

from scimpolicy.analysis import analyze, decide, diff
from scimpolicy.policy.nodes import AccessAction, Policy
from scimpolicy.policy.parser import parse_policy


def timed(body: Callable[[], object], repeats: int) -> tuple[list[float], object]:
    samples, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = body()
        samples.append(time.perf_counter() - started)
    return samples, result


def edited(policy: Policy, specs: tuple[Any, ...], index: int, how: str) -> Policy:
    """*policy* with rule *index* edited *how* (one rule, as a reviewer would)."""
    rules = list(policy.access.rules)
    rule = rules[index]
    if how == "action flipped":
        flipped = (
            AccessAction.ALLOW
            if rule.action is AccessAction.DENY
            else AccessAction.DENY
        )
        rules[index] = attrs.evolve(rule, action=flipped)
    elif how == "value changed":
        spec = specs[index]
        first = spec.tests[0]
        test = dataclasses.replace(first, values=("changed", *first.values[1:]))
        spec = dataclasses.replace(spec, tests=(test, *spec.tests[1:]))
        text = workload.Scimpolicy.policy([spec])
        rules[index] = attrs.evolve(
            rule, criteria=parse_policy(text).access.rules[0].criteria
        )
    else:  # moved to the top
        rules.insert(0, rules.pop(index))
    return attrs.evolve(policy, access=attrs.evolve(policy.access, rules=tuple(rules)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rules = workload.make_rules(200)
    people = workload.make_people(10_000)
    policy = parse_policy(workload.Scimpolicy.policy(rules))
    decided = Counter(workload.first_match(rules, person)[1] for person in people)
    reachable = sorted(i for i in decided if i is not None)

    print(
        "# analyze and diff on the 200-rule workload (research/policy-engines.md §5.1)"
    )
    print(f"- Python {platform.python_version()}, {cpu_model()}, {platform.platform()}")
    print(
        f"- rules: {len(rules)}; users: {len(people)}; rules deciding for some user: "
        f"{len(reachable)}"
    )
    print()
    print("| what | best s | median s | result |")
    print("|---|---|---|---|")

    samples, found = timed(lambda: analyze(policy), args.repeats)
    findings = list(found)  # type: ignore[call-overload]
    kinds = Counter(str(f.kind) for f in findings)
    unreachable = {int(f.rule[1:]) for f in findings if str(f.kind) == "unreachable"}
    wrong = sorted(unreachable & set(reachable))
    print(
        f"| analyze | {min(samples):.3f} | {statistics.median(samples):.3f} | "
        f"{', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))} |"
    )

    failures = [
        f"rule r{i:03d} reported unreachable decides for some user" for i in wrong
    ]
    middle = reachable[len(reachable) // 2]
    cases = [("itself", policy)] + [
        (f"rule r{middle:03d} {how}", edited(policy, rules, middle, how))
        for how in ("action flipped", "value changed", "moved to the top")
    ]
    for name, other in cases:
        samples, result = timed(functools.partial(diff, policy, other), args.repeats)
        differences = list(result)  # type: ignore[call-overload]
        for difference in differences:
            before = decide(policy.access, difference.example)[0]
            after = decide(other.access, difference.example)[0]
            if before == after:
                failures.append(f"diff with {name}: an example both decide {before}")
        print(
            f"| diff with {name} | {min(samples):.3f} | "
            f"{statistics.median(samples):.3f} | {len(differences)} differences |"
        )
    print()
    print("Checks: " + ("; ".join(failures) if failures else "all passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
