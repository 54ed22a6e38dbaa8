"""The decision procedure: is there a request for which these criteria hold?

Stage: criteria → propositional formulas over atoms → a search for a model that the
theory of the language accepts. No external solver.

**Atoms.** Every leaf criterion reads the canonical values ``V`` of one reference (the
engine's ``reader``: SCIM strings case-folded, client types as ZPA's API values,
countries upper-cased) and is either *existential*, "some value satisfies φ" (``==``,
``in``, ``contains`` on a multi-valued reference, ``startswith``, ``endswith``,
``contains`` on a string, ``is present``), or the negation of one (``!=``,
``not in``, ``is absent``): the interpreter reads ``r != a`` as "no value of ``r`` is
``a``", which is exactly ``not (r == a)``. So a literal is ``Exists(φ)`` or
``ForAll(not φ)``.

**Theory.** A set of literals on one reference is satisfiable when:

- the reference is multi-valued (SAML attributes, ``scim.groups``, multi-valued SCIM
  attributes, ``trusted_network``): each ``Exists(φ)`` needs *its own* value
  satisfying φ and every ``not ψ``; values do not exclude each other;
- it is single-valued: no ``Exists`` (the attribute may be absent), or one value
  satisfying every φ and every ``not ψ`` (a single-valued attribute equals at most one
  value).

A value is looked for among the constants of the literals and values built from them
(a prefix, the substrings and a suffix joined by a separator that no constant holds,
and a fresh value): exact for ``==``, ``in``, ``is present`` and booleans; for
``startswith``/``endswith``/``contains`` the built values cover the combinations a
policy can write (documented as such).

**Gates.** For a gate state (SCIM criteria usable or not; SAML likewise), an unusable
atom is *unknown*; a rule matches only when its criteria are *true* (Kleene logic).
:func:`holds` gives the two-valued formula "the criteria are true", over the usable
atoms only; its negation is "the rule does not match".

**Search.** DPLL over atoms with unit propagation, checking the theory after each
assignment; the model found is a set of literals, from which ``example`` builds a
request.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator, Mapping
from typing import Any, Final, TypeAlias

import attrs

from scimpolicy.policy.facts import (
    CLIENT_TYPES,
    PLATFORMS,
    Gates,
    canonical,
    is_multi_valued,
)
from scimpolicy.policy.nodes import (
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    In,
    Namespace,
    Not,
    Or,
    Present,
    Ref,
)
from scimpolicy.scim.schema import USER, AttrType

__all__ = [
    "FALSE",
    "TRUE",
    "Atom",
    "Formula",
    "Model",
    "Test",
    "all_of",
    "any_of",
    "holds",
    "lit",
    "negate",
    "solve",
]


class Test(enum.Enum):
    """What an existential atom asks of one value."""

    EQUALS = "equals"  # value == constant
    IN = "in"  # value in constants
    PRESENT = "present"
    STARTSWITH = "startswith"
    ENDSWITH = "endswith"
    SUBSTRING = "contains"


@attrs.frozen(cache_hash=True)
class Atom:
    """``Exists v in ref: test(v, constants)`` (canonical constants)."""

    ref: Ref
    test: Test
    constants: tuple[Any, ...] = ()

    def accepts(self, value: Any) -> bool:
        """Whether one canonical value satisfies the test."""
        test = self.test
        if test is Test.PRESENT:
            return value not in (None, "")
        if test is Test.EQUALS or test is Test.IN:
            return any(_same(value, c) for c in self.constants)
        if not isinstance(value, str):
            return False
        text = self.constants[0]
        if test is Test.STARTSWITH:
            return value.startswith(text)
        if test is Test.ENDSWITH:
            return value.endswith(text)
        return text in value


def _same(value: Any, constant: Any) -> bool:
    # `True == 1` in Python; the language keeps booleans and numbers apart.
    return type(value) is type(constant) and value == constant


# -- formulas -------------------------------------------------------------------------

TRUE: Final = ("true",)
FALSE: Final = ("false",)
Formula: TypeAlias = tuple[Any, ...]
"""``("true",)``, ``("false",)``, ``("lit", atom, polarity)``, ``("and", parts)``,
``("or", parts)``."""


def lit(atom: Atom, polarity: bool) -> Formula:
    return ("lit", atom, polarity)


def all_of(parts: list[Formula]) -> Formula:
    """The conjunction, simplified (flattened, constants folded)."""
    flat: list[Formula] = []
    for part in parts:
        if part is FALSE or part == FALSE:
            return FALSE
        if part == TRUE:
            continue
        flat.extend(part[1] if part[0] == "and" else [part])
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else ("and", tuple(flat))


def any_of(parts: list[Formula]) -> Formula:
    """The disjunction, simplified."""
    flat: list[Formula] = []
    for part in parts:
        if part == TRUE:
            return TRUE
        if part == FALSE:
            continue
        flat.extend(part[1] if part[0] == "or" else [part])
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else ("or", tuple(flat))


def negate(formula: Formula) -> Formula:
    """The two-valued negation (literals flipped, ``and``/``or`` swapped)."""
    kind = formula[0]
    if kind == "true":
        return FALSE
    if kind == "false":
        return TRUE
    if kind == "lit":
        return lit(formula[1], not formula[2])
    parts = [negate(part) for part in formula[1]]
    return any_of(parts) if kind == "and" else all_of(parts)


def holds(criteria: Criteria | None, gates: Gates) -> Formula:
    """The formula "*criteria* evaluate to true" under *gates* (``None``: always)."""
    return TRUE if criteria is None else _true(criteria, gates)


def _true(node: Criteria, gates: Gates) -> Formula:
    if isinstance(node, And):
        return all_of([_true(node.left, gates), _true(node.right, gates)])
    if isinstance(node, Or):
        return any_of([_true(node.left, gates), _true(node.right, gates)])
    if isinstance(node, Not):
        return _false(node.operand, gates)
    if not _usable(node.ref, gates):
        return FALSE
    atom, polarity = _atom(node)
    return lit(atom, polarity)


def _false(node: Criteria, gates: Gates) -> Formula:
    """The formula "*node* evaluates to false" (not unknown)."""
    if isinstance(node, And):
        return any_of([_false(node.left, gates), _false(node.right, gates)])
    if isinstance(node, Or):
        return all_of([_false(node.left, gates), _false(node.right, gates)])
    if isinstance(node, Not):
        return _true(node.operand, gates)
    if not _usable(node.ref, gates):
        return FALSE
    atom, polarity = _atom(node)
    return lit(atom, not polarity)


def _usable(ref: Ref, gates: Gates) -> bool:
    return not ((ref.is_scim and not gates.scim) or (ref.is_saml and not gates.saml))


def _atom(node: Compare | In | Contains | Present) -> tuple[Atom, bool]:
    """The existential atom of a leaf and whether the leaf asserts it."""
    ref = _one_spelling(node.ref)
    if isinstance(node, Present):
        return Atom(ref, Test.PRESENT), not node.negated
    if isinstance(node, In):
        values = tuple(sorted({canonical(ref, v) for v in node.values}, key=repr))
        return Atom(ref, Test.IN, values), not node.negated
    if isinstance(node, Contains):
        return Atom(ref, Test.EQUALS, (canonical(ref, node.value),)), not node.negated
    value = canonical(ref, node.value)
    op = node.op
    if op is CompareOp.EQ or op is CompareOp.NE:
        return Atom(ref, Test.EQUALS, (value,)), op is CompareOp.EQ
    if not isinstance(value, str):
        # `startswith` on a non-string never holds: an atom no value satisfies.
        return Atom(ref, Test.IN, ()), True
    test = {
        CompareOp.STARTSWITH: Test.STARTSWITH,
        CompareOp.ENDSWITH: Test.ENDSWITH,
        CompareOp.CONTAINS: Test.SUBSTRING,
    }[op]
    return Atom(ref, test, (value,)), True


_GROUPS: Final = Ref("scim", ("groups",))  # group names, not the `groups` attribute


@functools.lru_cache(maxsize=4096)
def _one_spelling(ref: Ref) -> Ref:
    """*ref* written one way for each thing it reads: a SCIM attribute named by its
    URN or by its bare name, and a complex one with or without ``.value``, read the
    same values, so they must be one reference to the theory."""
    path = ref.path
    if not ref.is_scim or not path or len(path) > 2 or ref == _GROUPS:
        return ref
    name, urn = path[0], None
    if ":" in name:
        urn, _, name = name.rpartition(":")
    found = USER.resolve(name, urn)
    if found is None:
        return ref
    schema, attribute = found
    bare = USER.resolve(attribute.name)
    head = attribute.name
    if bare is None or bare[1] is not attribute:
        head = f"{schema.id}:{attribute.name}"
    if not attribute.is_complex:
        return ref if len(path) > 1 else Ref(ref.namespace, (head,))
    sub = attribute.sub(path[1] if len(path) > 1 else "value")
    return ref if sub is None else Ref(ref.namespace, (head, sub.name))


# -- theory -------------------------------------------------------------------------

Model = Mapping[Atom, bool]
_SEPARATOR: Final = "\u241f"  # no policy constant holds it
_DOMAINS: Final[dict[Namespace | None, tuple[str, ...]]] = {
    # Client Connector first: the client most requests come from.
    Namespace.CLIENT_TYPE: tuple(
        sorted(
            CLIENT_TYPES.values(), key=lambda v: v != CLIENT_TYPES["client_connector"]
        )
    ),
    Namespace.PLATFORM: PLATFORMS,
    Namespace.COUNTRY: ("US", "DE", "FR", "GB", "IN", "JP"),
}
# Where an empty string is a value; elsewhere the engine reads one as absent.
_EMPTY_IS_A_VALUE: Final = frozenset({Namespace.SAML, Namespace.TRUSTED_NETWORK})


def witness(ref: Ref, literals: Mapping[Atom, bool]) -> tuple[Any, ...] | None:
    """Values for *ref* satisfying every literal on it, or ``None`` if none exist."""
    positives = [atom for atom, polarity in literals.items() if polarity]
    negatives = [atom for atom, polarity in literals.items() if not polarity]
    if not positives:
        return ()
    boolean = _is_boolean(ref)
    if is_multi_valued(ref):
        values: list[Any] = []
        for atom in positives:
            found = _value([atom], negatives, ref, boolean=boolean)
            if found is _NONE:
                return None
            if not any(_same(found, v) for v in values):
                values.append(found)
        return tuple(values)
    found = _value(positives, negatives, ref, boolean=boolean)
    return None if found is _NONE else (found,)


def _is_boolean(ref: Ref) -> bool:
    """Whether *ref*'s values are booleans (posture results, ``scim.active``)."""
    if ref.kind is Namespace.POSTURE:
        return True
    if not ref.is_scim or len(ref.path) != 1 or ":" in ref.path[0]:
        return False
    found = USER.resolve(ref.path[0])
    return found is not None and found[1].type is AttrType.BOOLEAN


_NONE: Final = object()


def _value(
    positives: list[Atom], negatives: list[Atom], ref: Ref, *, boolean: bool
) -> Any:
    """One value every positive accepts and no negative does, or ``_NONE``."""
    atoms = positives + negatives
    empty = ref.kind in _EMPTY_IS_A_VALUE
    for candidate in _candidates(atoms, positives, ref, boolean=boolean):
        if candidate == "" and not empty:
            continue
        if all(a.accepts(candidate) for a in positives) and not any(
            a.accepts(candidate) for a in negatives
        ):
            return candidate
    return _NONE


def _candidates(
    atoms: list[Atom], positives: list[Atom], ref: Ref, *, boolean: bool
) -> Iterator[Any]:
    fixed = [a for a in positives if a.test in (Test.EQUALS, Test.IN)]
    if fixed:
        # The value must be one of these constants.
        yield from fixed[0].constants
        return
    if boolean:
        yield True
        yield False
        return
    yield from (c for a in atoms for c in a.constants if isinstance(c, str))
    # Values the reference really takes, so that examples read naturally.
    yield from _DOMAINS.get(ref.kind, ())
    prefixes = sorted(
        (a.constants[0] for a in positives if a.test is Test.STARTSWITH), key=len
    )
    suffixes = sorted(
        (a.constants[0] for a in positives if a.test is Test.ENDSWITH), key=len
    )
    middles = [a.constants[0] for a in positives if a.test is Test.SUBSTRING]
    prefix = prefixes[-1] if prefixes else ""
    suffix = suffixes[-1] if suffixes else ""
    if prefix or middles or suffix:
        yield prefix + "".join(middles) + suffix
        yield prefix + _SEPARATOR.join(["", *middles, ""]) + suffix
    yield canonical(ref, "other")
    yield canonical(ref, "other" + _SEPARATOR + "value")
    # Holds no constant: avoids every `startswith`, `endswith` and `contains` that
    # some value avoids.
    yield _SEPARATOR


def consistent(model: Mapping[Atom, bool]) -> bool:
    """Whether some request satisfies every literal of *model*."""
    return all(witness(ref, lits) is not None for ref, lits in by_ref(model).items())


def by_ref(model: Mapping[Atom, bool]) -> dict[Ref, dict[Atom, bool]]:
    grouped: dict[Ref, dict[Atom, bool]] = {}
    for atom, polarity in model.items():
        grouped.setdefault(atom.ref, {})[atom] = polarity
    return grouped


# -- search -------------------------------------------------------------------------


def solve(formula: Formula) -> dict[Atom, bool] | None:
    """A theory-consistent assignment making *formula* true, or ``None``."""
    return _search(formula, {})


def _search(formula: Formula, model: dict[Atom, bool]) -> dict[Atom, bool] | None:
    formula = _assign(formula, model)
    if formula == FALSE:
        return None
    units = _units(formula)
    if units:
        extended = dict(model)
        for atom, polarity in units:
            if extended.get(atom, polarity) is not polarity:
                return None
            extended[atom] = polarity
        touched = {atom.ref for atom, _ in units}
        grouped = by_ref(extended)
        if any(witness(ref, grouped[ref]) is None for ref in touched):
            return None
        return _search(formula, extended)
    if formula == TRUE:
        return model
    atom, polarity = _choose(formula)
    for value in (polarity, not polarity):
        extended = {**model, atom: value}
        if witness(atom.ref, by_ref(extended)[atom.ref]) is None:
            continue
        found = _search(formula, extended)
        if found is not None:
            return found
    return None


def _assign(formula: Formula, model: Mapping[Atom, bool]) -> Formula:
    kind = formula[0]
    if kind == "lit":
        known = model.get(formula[1])
        if known is None:
            return formula
        return TRUE if known is formula[2] else FALSE
    if kind in ("true", "false"):
        return formula
    parts = [_assign(part, model) for part in formula[1]]
    return all_of(parts) if kind == "and" else any_of(parts)


def _units(formula: Formula) -> list[tuple[Atom, bool]]:
    """Literals the formula forces (itself a literal, or conjuncts that are)."""
    if formula[0] == "lit":
        return [(formula[1], formula[2])]
    if formula[0] == "and":
        return [(p[1], p[2]) for p in formula[1] if p[0] == "lit"]
    return []


def _choose(formula: Formula) -> tuple[Atom, bool]:
    """A literal to branch on: the first of the smallest disjunction."""
    if formula[0] == "and":
        smallest = min(formula[1], key=_size)
        return _choose(smallest)
    first = formula[1][0] if formula[0] == "or" else formula
    while first[0] != "lit":
        first = first[1][0]
    return first[1], first[2]


def _size(formula: Formula) -> int:
    return 1 if formula[0] == "lit" else len(formula[1])
