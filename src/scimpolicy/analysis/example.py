"""Concrete example requests from the solver's models, and deciding them.

Stage: a model (literals the solver chose) → :class:`Example`: the gate state and the
values of every reference the literals mention, which is a request class's concrete
representative. :meth:`Example.facts` builds the engine's facts for it (a SCIM user
made through a real directory, so SCIM values are read exactly as the engine reads
them), and :func:`decide` runs a rule set on it with the reference interpreter: this is
how every finding and difference can be checked, and how the tests check them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from scimpolicy.analysis.logic import Atom, by_ref, witness
from scimpolicy.policy.facts import CLIENT_TYPES, Facts, Gates, is_multi_valued
from scimpolicy.policy.interpreter import interpret
from scimpolicy.policy.nodes import ZPA_DEFAULTS, Action, Namespace, Ref, RuleSet
from scimpolicy.scim.directory import Directory
from scimpolicy.scim.schema import USER

__all__ = ["Example", "decide", "example_of"]

_USER_NAME = "example.user@example.com"
_SHORT_CLIENT_TYPES = {value: name for name, value in CLIENT_TYPES.items()}


@attrs.frozen
class Example:
    """A request: which criteria are usable, and the values it has.

    ``values`` maps each reference to its canonical values (empty: absent); anything
    not listed is absent.
    """

    gates: Gates
    values: Mapping[Ref, tuple[Any, ...]]

    def describe(self) -> str:
        """One line, e.g. ``app="Payroll", scim.userType="contractor" (SCIM
        criteria not usable)``."""
        parts = []
        for ref, values in sorted(self.values.items(), key=lambda item: _name(item[0])):
            if not values:
                parts.append(f"no {_name(ref)}")
            elif is_multi_valued(ref):
                parts.append(f"{_name(ref)} has {', '.join(map(_show, values))}")
            elif ref.kind is Namespace.CLIENT_TYPE:
                short = _SHORT_CLIENT_TYPES.get(values[0], values[0])
                parts.append(f"{_name(ref)}={_show(short)}")
            else:
                parts.append(f"{_name(ref)}={_show(values[0])}")
        text = ", ".join(parts) or "any request"
        unusable = [
            name
            for name, usable in (("SCIM", self.gates.scim), ("SAML", self.gates.saml))
            if not usable
        ]
        if unusable:
            text += f" ({' and '.join(unusable)} criteria not usable)"
        return text

    def to_json(self) -> dict[str, Any]:
        """The example for programs: values by reference, and the gates."""
        return {
            "values": {
                _name(ref): list(values)
                for ref, values in sorted(
                    self.values.items(), key=lambda item: _name(item[0])
                )
            },
            "scim_usable": self.gates.scim,
            "saml_usable": self.gates.saml,
        }

    def facts(self) -> Facts:
        """The engine's facts for this request."""
        single: dict[Namespace, Any] = {}
        saml: dict[str, tuple[str, ...]] = {}
        posture: dict[str, bool] = {}
        networks: frozenset[str] = frozenset()
        groups: frozenset[str] = frozenset()
        scim: dict[Ref, tuple[Any, ...]] = {}
        for ref, values in self.values.items():
            kind = ref.kind
            if kind is Namespace.SAML:
                saml[ref.path[0]] = tuple(values)
            elif kind is Namespace.POSTURE:
                if values:
                    posture[ref.path[0]] = values[0]
            elif kind is Namespace.TRUSTED_NETWORK:
                networks = frozenset(values)
            elif kind is Namespace.SCIM:
                if [p.casefold() for p in ref.path] == ["groups"]:
                    groups = frozenset(values)
                else:
                    scim[ref] = values
            elif kind is not None and values:
                single[kind] = values[0]
        return Facts(
            user=_user(scim),
            scim_groups=groups,
            saml=MappingProxyType(saml),
            app=single.get(Namespace.APP),
            segment_group=single.get(Namespace.SEGMENT_GROUP),
            idp=single.get(Namespace.IDP),
            client_type=single.get(Namespace.CLIENT_TYPE),
            platform=single.get(Namespace.PLATFORM),
            country=single.get(Namespace.COUNTRY),
            posture=MappingProxyType(posture),
            trusted_networks=networks,
            machine_group=single.get(Namespace.MACHINE_GROUP),
        )


def example_of(model: Mapping[Atom, bool], gates: Gates) -> Example:
    """The example request of a consistent model."""
    values: dict[Ref, tuple[Any, ...]] = {}
    for ref, literals in by_ref(model).items():
        found = witness(ref, literals)
        if (
            found is None
        ):  # pragma: no cover - the solver only returns consistent models
            raise ValueError("inconsistent model")
        values[ref] = found
    return Example(gates, MappingProxyType(values))


def decide(rule_set: RuleSet, example: Example) -> tuple[Action, str | None]:
    """The action and deciding rule (``None``: the default) for *example*."""
    facts = example.facts()
    for rule in rule_set.rules:
        if rule.disabled:
            continue
        if interpret(rule.criteria, facts, example.gates).value is True:
            return rule.action, rule.name
    default = rule_set.default or ZPA_DEFAULTS[rule_set.type]
    return default, None


def _user(scim: Mapping[Ref, tuple[Any, ...]]) -> Any:
    """A SCIM user holding these values, made the way an IdP would provision it."""
    payload: dict[str, Any] = {"userName": _USER_NAME}
    for ref, values in scim.items():
        _put(payload, ref.path, values)
    directory = Directory()
    created = directory.create_user(payload)
    return directory.user(created["id"])


def _put(
    payload: dict[str, Any], path: tuple[str, ...], values: tuple[Any, ...]
) -> None:
    name, urn = path[0], None
    if ":" in name:
        urn, _, name = name.rpartition(":")
    found = USER.resolve(name, urn)
    if found is None or not values:
        return
    schema, attribute = found
    target = payload if schema is USER.schema else payload.setdefault(schema.id, {})
    if attribute.is_complex:
        sub = path[1] if len(path) > 1 else "value"
        if attribute.multi_valued:
            target[attribute.name] = [{sub: v} for v in values]
        else:
            target.setdefault(attribute.name, {})[sub] = values[0]
    elif attribute.multi_valued:
        target[attribute.name] = list(values)
    else:
        target[attribute.name] = values[0]


def _name(ref: Ref) -> str:
    if not ref.path:
        return ref.namespace
    if all(part.replace("_", "").isalnum() for part in ref.path):
        return ".".join((ref.namespace, *ref.path))
    return f'{ref.namespace}["{ref.path[0]}"]'


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)
