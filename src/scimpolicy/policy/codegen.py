"""Generated first-match functions: one per rule set and gate combination.

Stage: the enabled rules of a rule set + :class:`~scimpolicy.policy.facts.Gates` → a
Python function ``first_match(facts) -> int`` (the index of the first matching rule, or
``-1``). Short rule sets become an if-chain: each reference is read once, into a local,
just before the first rule that uses it, and the rules are tested in order as plain
``if`` statements, the fastest shape CPython offers for a few rules. Long rule sets of
equality tests (:data:`INDEX_MIN_RULES`) become a bitmask index instead, whose cost
hardly depends on where the first match is (:func:`_generate_indexed`).

Three-valued logic costs nothing at run time. A rule matches when its criteria are
*true*; "true" and "false" of a Kleene formula are both ordinary two-valued formulas
over the usable criteria (``T(a and b) = T(a) and T(b)``, ``F(a and b) = F(a) or F(b)``,
``T(not a) = F(a)``, ...), with a gated-off criterion neither true nor false, so the
generated code never sees *unknown*.

Safety: no user text ever becomes code. Every literal, value set and reader is bound in
the function's namespace under a generated name (``K3``, ``S1``, ``R0``); the source is
built only from those names, fixed operators and rule indexes. Criteria nested deeper
than :data:`MAX_INLINE_DEPTH` are not inlined (Python's parser limits nesting) but
called as compiled closures.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs

from scimpolicy.policy.facts import (
    Facts,
    Gates,
    canonical,
    is_multi_valued,
    reader,
    scalar_field,
    scalar_reader,
    scalar_value,
)
from scimpolicy.policy.nodes import (
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    In,
    Not,
    Or,
    Present,
    Ref,
    chain,
)

__all__ = ["INDEX_MIN_RULES", "MAX_INLINE_DEPTH", "generate_first_match"]

MAX_INLINE_DEPTH: Final = 40
"""Criteria nested deeper than this are called as closures, not inlined."""

INDEX_MIN_RULES: Final = 32
"""Rule sets this long (and mostly made of equality tests) get an indexed first match
instead of an if-chain: see :func:`_generate_indexed`."""


def _no_values(_: Facts) -> tuple[Any, ...]:
    return ()


def _present(values: tuple[Any, ...]) -> bool:
    return any(v not in (None, "") for v in values)


def _starts(values: tuple[Any, ...], text: str) -> bool:
    return any(isinstance(v, str) and v.startswith(text) for v in values)


def _ends(values: tuple[Any, ...], text: str) -> bool:
    return any(isinstance(v, str) and v.endswith(text) for v in values)


def _has(values: tuple[Any, ...], text: str) -> bool:
    return any(isinstance(v, str) and text in v for v in values)


_STRING_OPS: Final = {
    CompareOp.STARTSWITH: "_starts",
    CompareOp.ENDSWITH: "_ends",
    CompareOp.CONTAINS: "_has",
}


def _depth(node: Criteria) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(current, (And, Or)):
            stack += [(current.left, level + 1), (current.right, level + 1)]
        elif isinstance(current, Not):
            stack.append((current.operand, level + 1))
    return deepest


class _Generator:
    def __init__(self, gates: Gates) -> None:
        self.gates = gates
        self.namespace: dict[str, Any] = {
            "_present": _present,
            "_starts": _starts,
            "_ends": _ends,
            "_has": _has,
            "_scalar": scalar_value,
        }
        self.reads: list[str] = []
        self.locals: dict[tuple[Ref, bool], str] = {}
        self.held: set[str] = set()

    def bind(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def local(self, ref: Ref, *, scalar: bool) -> str:
        """The local variable holding *ref*'s values (a tuple) or single value."""
        key = (ref, scalar)
        found = self.locals.get(key)
        if found is not None:
            return found
        name = f"{'s' if scalar else 't'}{len(self.locals)}"
        inline = scalar_field(ref) if scalar else None
        if inline is not None:
            # The user (or its extension) once per function, then the field: as
            # scalar_reader, without two calls per attribute.
            holder = self.holder(enterprise=inline[0])
            self.reads.append(
                f"    {name} = None if {holder} is None else ("
                f"(_v.casefold() or None) if (_v := {holder}.{inline[1]}).__class__ "
                f"is str else _scalar(_v))"
            )
            self.locals[key] = name
            return name
        read = scalar_reader(ref) if scalar else reader(ref) or _no_values
        self.reads.append(f"    {name} = {self.bind('R', read)}(facts)")
        self.locals[key] = name
        return name

    def holder(self, *, enterprise: bool) -> str:
        """The local holding the user (``_u``) or its enterprise extension (``_e``),
        read on first use."""
        if "_u" not in self.held:
            self.held.add("_u")
            self.reads.append("    _u = facts.user")
        if not enterprise:
            return "_u"
        if "_e" not in self.held:
            self.held.add("_e")
            self.reads.append("    _e = None if _u is None else _u.enterprise")
        return "_e"

    def usable(self, ref: Ref) -> bool:
        return not (
            (ref.is_scim and not self.gates.scim)
            or (ref.is_saml and not self.gates.saml)
        )

    def truth(self, node: Criteria) -> str:
        """Source of "the criteria are true" (unknown counts as not true)."""
        if isinstance(node, And):
            return f"({self.truth(node.left)} and {self.truth(node.right)})"
        if isinstance(node, Or):
            return f"({self.truth(node.left)} or {self.truth(node.right)})"
        if isinstance(node, Not):
            return self.falsity(node.operand)
        if not self.usable(node.ref):
            return "False"
        return self.leaf(node)

    def falsity(self, node: Criteria) -> str:
        """Source of "the criteria are false" (unknown counts as not false)."""
        if isinstance(node, And):
            return f"({self.falsity(node.left)} or {self.falsity(node.right)})"
        if isinstance(node, Or):
            return f"({self.falsity(node.left)} and {self.falsity(node.right)})"
        if isinstance(node, Not):
            return self.truth(node.operand)
        if not self.usable(node.ref):
            return "False"
        return f"(not {self.leaf(node)})"

    def leaf(self, node: Compare | In | Contains | Present) -> str:
        ref = node.ref
        many = is_multi_valued(ref)
        if isinstance(node, Present):
            test = (
                f"_present({self.local(ref, scalar=False)})"
                if many
                else f"({self.local(ref, scalar=True)} is not None)"
            )
            return f"(not {test})" if node.negated else test
        if isinstance(node, In):
            wanted = self.bind("S", frozenset(canonical(ref, v) for v in node.values))
            if many:
                test = f"(not {wanted}.isdisjoint({self.local(ref, scalar=False)}))"
            else:
                test = f"({self.local(ref, scalar=True)} in {wanted})"
            return f"(not {test})" if node.negated else test
        value = self.bind("K", canonical(ref, node.value))
        if isinstance(node, Contains) or node.op in (CompareOp.EQ, CompareOp.NE):
            negated = (
                node.negated if isinstance(node, Contains) else node.op is CompareOp.NE
            )
            if many:
                op = "not in" if negated else "in"
                return f"({value} {op} {self.local(ref, scalar=False)})"
            op = "!=" if negated else "=="
            return f"({self.local(ref, scalar=True)} {op} {value})"
        if not isinstance(node.value, str):
            return "False"
        return f"{_STRING_OPS[node.op]}({self.local(ref, scalar=False)}, {value})"


def generate_first_match(
    rules: Iterable[tuple[int, Criteria | None]],
    gates: Gates,
    closure: Callable[[Criteria, Gates], Callable[[Facts], bool]],
    *,
    indexed: bool | None = None,
) -> Callable[[Facts], int]:
    """Generate ``first_match(facts)``: the index of the first rule whose criteria are
    true under *gates*, or ``-1``. *closure* compiles criteria too deep to inline.

    *indexed* chooses the shape: ``None`` (the default) indexes rule sets of at least
    :data:`INDEX_MIN_RULES` rules most of which are equality tests; ``True`` indexes
    whenever it can (tests use it to check both shapes agree); ``False`` never does.
    """
    rules = list(rules)
    if indexed is not False and (indexed or len(rules) >= INDEX_MIN_RULES):
        found = _generate_indexed(rules, gates, closure, force=bool(indexed))
        if found is not None:
            return found
    generator = _Generator(gates)
    body: list[str] = []
    for index, criteria in rules:
        if criteria is None:
            condition = "True"
        elif _depth(criteria) > MAX_INLINE_DEPTH:
            condition = f"{generator.bind('M', closure(criteria, gates))}(facts)"
        else:
            condition = generator.truth(criteria)
        # A reference is read just before the first rule that uses it: a request that
        # an early rule decides never pays for the references of later rules, and a
        # later rule is reached only after the read has run.
        body.extend(generator.reads)
        generator.reads.clear()
        body.append(f"    if {condition}:\n        return {int(index)}")
    source = "\n".join(["def first_match(facts):", *body, "    return -1", ""])
    namespace = generator.namespace
    exec(compile(source, "<scimpolicy rules>", "exec"), namespace)  # noqa: S102  generated from names only (see the module docstring)
    function: Callable[[Facts], int] = namespace["first_match"]
    return function


@attrs.define
class _Constraints:
    """What one rule's top-level ``and`` asks of indexed references."""

    single: dict[Ref, frozenset[Any]] = attrs.Factory(dict)  # value in this set
    multi: dict[Ref, set[Any]] = attrs.Factory(dict)  # these values among the values
    exact: bool = True  # the constraints are the whole criteria
    never: bool = False  # a conjunct can never be true under the gates


def _constraints(criteria: Criteria | None, generator: _Generator) -> _Constraints:
    found = _Constraints()
    if criteria is None:
        return found
    for node in chain(criteria, And):
        if isinstance(node, (And, Or, Not)) or node.__class__ is Present:
            found.exact = False
            continue
        ref = node.ref
        if not generator.usable(ref):
            found.never = True  # unknown: a conjunct of the rule is never true
            continue
        many = is_multi_valued(ref)
        if many and (
            (isinstance(node, Contains) and not node.negated)
            or (isinstance(node, Compare) and node.op is CompareOp.EQ)
        ):
            found.multi.setdefault(ref, set()).add(canonical(ref, node.value))
        elif isinstance(node, Compare) and node.op is CompareOp.EQ:
            allowed = frozenset({canonical(ref, node.value)})
            found.single[ref] = found.single.get(ref, allowed) & allowed
        elif isinstance(node, In) and not node.negated and not many:
            allowed = frozenset(canonical(ref, v) for v in node.values)
            found.single[ref] = found.single.get(ref, allowed) & allowed
        else:
            found.exact = False
    if any(len(values) > 1 for values in found.multi.values()):
        found.exact = False  # the index only knows "one of them is there"
    return found


def _single_of(ref: Ref, constraints: _Constraints) -> frozenset[Any] | None:
    return constraints.single.get(ref)


def _multi_of(ref: Ref, constraints: _Constraints) -> set[Any] | None:
    return constraints.multi.get(ref)


def _bits(
    table: list[_Constraints], values_of: Callable[[_Constraints], Any]
) -> tuple[int, dict[Any, int]]:
    """``(rules without a constraint, {value: rules naming it})`` as bitmasks, for
    one reference (*values_of* gives a rule's values for it, or ``None``)."""
    free = 0
    by_value: dict[Any, int] = {}
    for position, constraints in enumerate(table):
        values = values_of(constraints)
        if values is None:
            free |= 1 << position
            continue
        for value in values:
            by_value[value] = by_value.get(value, 0) | 1 << position
    return free, by_value


def _generate_indexed(
    rules: list[tuple[int, Criteria | None]],
    gates: Gates,
    closure: Callable[[Criteria, Gates], Callable[[Facts], bool]],
    *,
    force: bool,
) -> Callable[[Facts], int] | None:
    """``first_match`` as bitmask lookups: each rule is a bit (earlier rules lower);
    per indexed reference, a table gives the rules its value allows; ``and``-ing the
    masks leaves the candidates, and the lowest candidate whose criteria hold (checked
    only where the index is not the whole criteria) is the first match.

    Exact by construction: a rule's bit is cleared only by a conjunct that is false
    for the request (or never true under *gates*), and a candidate that the index does
    not fully describe is checked with its compiled criteria. ``None`` when too few
    rules are equality tests for the index to pay (unless *force*).
    """
    generator = _Generator(gates)
    table = [_constraints(criteria, generator) for _, criteria in rules]
    indexed = sum(1 for c in table if c.single or c.multi)
    if not force and indexed * 2 < len(rules):
        return None
    everything = 0
    exact = 0
    for position, constraints in enumerate(table):
        if not constraints.never:
            everything |= 1 << position
        if constraints.exact:
            exact |= 1 << position
    lines = [f"    m = {everything}"]
    for ref in sorted({ref for c in table for ref in c.single}, key=repr):
        free, allowing = _bits(table, functools.partial(_single_of, ref))
        masks = {value: mask | free for value, mask in allowing.items()}
        local = generator.local(ref, scalar=True)
        lines.append(f"    m &= {generator.bind('D', masks)}.get({local}, {free})")
    for ref in sorted({ref for c in table for ref in c.multi}, key=repr):
        free, needing = _bits(table, functools.partial(_multi_of, ref))
        local = generator.local(ref, scalar=False)
        lines.append(
            f"    _k = {free}\n    for _v in {local}:\n"
            f"        _k |= {generator.bind('N', needing)}.get(_v, 0)\n    m &= _k"
        )
    checks = [
        None if constraints.exact or criteria is None else closure(criteria, gates)
        for (_, criteria), constraints in zip(rules, table, strict=True)
    ]
    indexes = generator.bind("I", tuple(int(index) for index, _ in rules))
    check = generator.bind("C", tuple(checks))
    body = [
        *generator.reads,
        *lines,
        "    while m:",
        "        _low = m & -m",
        "        _at = _low.bit_length() - 1",
        f"        if _low & {exact} or {check}[_at](facts):",
        f"            return {indexes}[_at]",
        "        m ^= _low",
    ]
    source = "\n".join(["def first_match(facts):", *body, "    return -1", ""])
    namespace = generator.namespace
    exec(compile(source, "<scimpolicy rule index>", "exec"), namespace)  # noqa: S102  generated from names only (see the module docstring)
    function: Callable[[Facts], int] = namespace["first_match"]
    return function


MATCHED: Final = 0
NOT_MATCHED: Final = 1
UNKNOWN: Final = 2
DISABLED: Final = 3
MAX_EXPLAIN_DEPTH: Final = 20
"""Criteria nested deeper than this are explained by the fallback, not inlined."""

Explained = tuple[int, ...]
"""Flat ``(rule index, status, culprit)`` triples, one per rule considered; the
culprit is a position in the explainer's node table (``-1``: none, for matched and
disabled rules). Plain ints, so whole explanations hash and compare cheaply."""


@attrs.frozen(eq=False)
class Explainer:
    """A generated explanation function and the table its culprit numbers index."""

    run: Callable[[Facts], Explained]
    nodes: tuple[Criteria, ...]
    #: The formatted text of each node, filled on first use (a cache, not state).
    texts: dict[int, str] = attrs.field(factory=dict, init=False, repr=False)


class _Explainer(_Generator):
    def __init__(self, gates: Gates) -> None:
        super().__init__(gates)
        self.table: list[Criteria] = []
        self.positions: dict[int, int] = {}

    def number(self, node: Criteria) -> int:
        """The node's position in the table (added on first use)."""
        found = self.positions.get(id(node))
        if found is None:
            found = self.positions[id(node)] = len(self.table)
            self.table.append(node)
        return found

    def culprit(self, node: Criteria, *, unknown: bool) -> str:
        """Source choosing the culprit node (by its table number) of a criteria tree
        whose value is false (or unknown): follow the operand carrying that value, as
        the reference trace does."""
        if isinstance(node, (And, Or)):
            carries = (
                f"(not {self.truth(node.left)} and not {self.falsity(node.left)})"
                if unknown
                else self.falsity(node.left)
            )
            left = self.culprit(node.left, unknown=unknown)
            right = self.culprit(node.right, unknown=unknown)
            return f"({left} if {carries} else {right})"
        if isinstance(node, Not) and unknown:
            return self.culprit(node.operand, unknown=unknown)
        return str(self.number(node))


def _subnodes(node: Criteria) -> Iterable[Criteria]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, (And, Or)):
            stack += [current.left, current.right]
        elif isinstance(current, Not):
            stack.append(current.operand)


def generate_explainer(
    rules: Iterable[tuple[int, Criteria | None, bool]],
    gates: Gates,
    fallback: Callable[[Criteria, Facts], tuple[int, Criteria | None]],
) -> Explainer:
    """Generate the explanation of a rule set under *gates*: for every rule up to and
    including the first match, its index, status (:data:`MATCHED`,
    :data:`NOT_MATCHED`, :data:`UNKNOWN`, :data:`DISABLED`) and culprit. *fallback*
    explains criteria too deep to inline, given the facts."""
    generator = _Explainer(gates)
    body: list[str] = ["    out = []"]
    for index, criteria, disabled in rules:
        position = int(index)
        if disabled:
            body.append(f"    out += ({position}, {DISABLED}, -1)")
            continue
        if criteria is None:
            body.append(
                f"    out += ({position}, {MATCHED}, -1)\n    return tuple(out)"
            )
            continue
        if _depth(criteria) > MAX_EXPLAIN_DEPTH:
            for node in _subnodes(criteria):
                generator.number(node)
            explain = generator.bind("X", functools.partial(fallback, criteria))
            number = generator.bind("P", generator.positions)
            body.append(
                f"    _status, _node = {explain}(facts)\n"
                f"    out += ({position}, _status, -1 if _node is None else "
                f"{number}[id(_node)])\n"
                f"    if _status == {MATCHED}:\n        return tuple(out)"
            )
            continue
        truth, falsity = generator.truth(criteria), generator.falsity(criteria)
        false_culprit = generator.culprit(criteria, unknown=False)
        unknown_culprit = generator.culprit(criteria, unknown=True)
        body.extend(generator.reads)
        generator.reads.clear()
        body.append(
            f"    if {truth}:\n"
            f"        out += ({position}, {MATCHED}, -1)\n        return tuple(out)\n"
            f"    if {falsity}:\n"
            f"        out += ({position}, {NOT_MATCHED}, {false_culprit})\n"
            f"    else:\n"
            f"        out += ({position}, {UNKNOWN}, {unknown_culprit})"
        )
    source = "\n".join(["def explain(facts):", *body, "    return tuple(out)", ""])
    namespace = generator.namespace
    exec(compile(source, "<scimpolicy explanations>", "exec"), namespace)  # noqa: S102  generated from names only (see the module docstring)
    return Explainer(namespace["explain"], tuple(generator.table))
