"""Export a scimpolicy policy as ZPA v2 policy-rule JSON.

Stage: :class:`~scimpolicy.policy.nodes.Policy` → ZPA JSON, the inverse of
``importer``. A rule's criteria must have ZPA's shape: conditions joined by ``and``
(ZPA's rules match when all their conditions do, ``research/zpa.md`` §2.7), each
condition a single criterion or an ``or`` (or ``and``) of criteria ZPA has an operand
for. Names become IDs through the catalogue. SAML and SCIM criteria need their IdP:
from an ``idp == "Okta"`` beside them (which is then not exported on its own, unless
it also scopes other criteria), else every IdP that has the attribute or group (an
``or`` block; in an ``and`` block only one may). What ZPA cannot express (``not``,
``!=`` on SCIM, ``startswith``, ``is present``, a name the catalogue lacks, an ``or``
of ``and``s) is an error diagnostic naming the rule; that rule is left out of the
JSON, which the diagnostic says.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from scimpolicy.errors import Diagnostic, Severity
from scimpolicy.policy.facts import CLIENT_TYPES
from scimpolicy.policy.formatter import format_criteria
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
    Or,
    Policy,
    PolicyType,
    Rule,
    RuleSet,
    TimeoutAction,
    chain,
)
from scimpolicy.zpa.catalogue import Catalogue, Kind

__all__ = ["ZpaExport", "export_zpa"]

_ACTIONS: Final[dict[Action, str]] = {
    AccessAction.ALLOW: "ALLOW",
    AccessAction.DENY: "DENY",
    AccessAction.REQUIRE_APPROVAL: "REQUIRE_APPROVAL",
    ForwardingAction.INTERCEPT: "INTERCEPT",
    ForwardingAction.INTERCEPT_ACCESSIBLE: "INTERCEPT_ACCESSIBLE",
    ForwardingAction.BYPASS: "BYPASS",
}
_VALUES_TYPES: Final = ("APP", "APP_GROUP", "IDP", "CLIENT_TYPE", "MACHINE_GRP")
_BY_ID: Final = {
    "app": ("APP", Kind.APPLICATION),
    "segment_group": ("APP_GROUP", Kind.SEGMENT_GROUP),
    "idp": ("IDP", Kind.IDP),
    "machine_group": ("MACHINE_GRP", Kind.MACHINE_GROUP),
}

# One operand value: (objectType, lhs, rhs, IdP ID or None).
_Atom = tuple[str, str, str, str | None]


class _CannotExportError(Exception):
    """Internal: this rule has no ZPA form (the message says why)."""


@attrs.frozen
class ZpaExport:
    """ZPA v2 rule JSON per policy type, and what could not be exported."""

    rules: dict[PolicyType, list[dict[str, Any]]]
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every rule was exported."""
        return all(d.severity is not Severity.ERROR for d in self.diagnostics)

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        """``{"ACCESS_POLICY": [...], "CLIENT_FORWARDING_POLICY": [...], ...}``."""
        names = {
            PolicyType.ACCESS: "ACCESS_POLICY",
            PolicyType.FORWARDING: "CLIENT_FORWARDING_POLICY",
            PolicyType.TIMEOUT: "TIMEOUT_POLICY",
        }
        return {names[t]: rules for t, rules in self.rules.items() if rules}


def export_zpa(policy: Policy, catalogue: Catalogue) -> ZpaExport:
    """Write *policy* as ZPA v2 rules (``ruleOrder`` from 1, the default rule last)."""
    exporter = _Exporter(catalogue)
    rules = {
        rule_set.type: exporter.rule_set(rule_set) for rule_set in policy.rule_sets()
    }
    return ZpaExport(rules, tuple(exporter.diagnostics))


class _Exporter:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.diagnostics: list[Diagnostic] = []

    def rule_set(self, rule_set: RuleSet) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for rule in rule_set.rules:
            try:
                body = self.rule(rule)
            except _CannotExportError as error:
                self.diagnostics.append(
                    Diagnostic(
                        "cannot-export",
                        Severity.ERROR,
                        f"{error}; the rule is left out",
                        rule=rule.name,
                    )
                )
                continue
            body["ruleOrder"] = str(len(out) + 1)
            out.append(body)
        default = rule_set.default
        if default is not None:
            out.extend(self.default(rule_set.type, default, len(out) + 1))
        return out

    def default(
        self, policy_type: PolicyType, action: Action, order: int
    ) -> list[dict[str, Any]]:
        if policy_type is PolicyType.ACCESS:
            if action is AccessAction.DENY:
                return []  # ZPA blocks when no access rule matches
            self.diagnostics.append(
                Diagnostic(
                    "access-default",
                    Severity.WARNING,
                    f"ZPA's access default is always block; `default: {action}` is "
                    "exported as a last rule that matches every request",
                )
            )
            return [
                {
                    "name": f"Default {action}",
                    "action": _ACTIONS[action],
                    "ruleOrder": str(order),
                    "operator": "AND",
                    "conditions": [],
                }
            ]
        body = {
            "name": "Default_Rule",
            "defaultRule": True,
            "ruleOrder": str(order),
            "operator": "AND",
            "conditions": [],
            **self.action(action),
        }
        return [body]

    def rule(self, rule: Rule) -> dict[str, Any]:
        operator, conditions = self.conditions(rule.criteria)
        return {
            "name": rule.name,
            **self.action(rule.action),
            "disabled": rule.disabled,
            "operator": operator,
            "conditions": conditions,
        }

    def action(self, action: Action) -> dict[str, Any]:
        if isinstance(action, TimeoutAction):
            return {
                "action": "RE_AUTH",
                "reauthTimeout": _seconds(action.reauth),
                "reauthIdleTimeout": _seconds(action.idle),
            }
        return {"action": _ACTIONS[action]}

    # -- criteria ----------------------------------------------------------------

    def conditions(self, criteria: Criteria | None) -> tuple[str, list[dict[str, Any]]]:
        if criteria is None:
            return "AND", []
        if isinstance(criteria, Or):
            return "AND", [self.condition(criteria, None)]
        conjuncts = chain(criteria, And)
        scopes = [_idp_of(c) for c in conjuncts]
        named = [name for name in scopes if name is not None]
        scope = None
        if len(set(named)) == 1 and any(
            _needs_idp(c) for c, s in zip(conjuncts, scopes, strict=True) if s is None
        ):
            scope = named[0]
            # `idp == ...` goes without saying only when all it scopes is SAML/SCIM
            # (ZPA ties those to their IdP); `(scim.x == "1" or app == "Git")` keeps it.
            if all(
                _idp_bound(c)
                for c, s in zip(conjuncts, scopes, strict=True)
                if s is None and _needs_idp(c)
            ):
                conjuncts = [
                    c for c, s in zip(conjuncts, scopes, strict=True) if s is None
                ]
        # Single SAML/SCIM criteria joined by `and` form one AND block, as the ZPA
        # console builds it; everything else is a condition of its own.
        block = [c for c in conjuncts if _needs_idp(c) and not isinstance(c, Or | And)]
        conditions = [
            self.condition(c, scope)
            for c in conjuncts
            if len(block) < 2 or c not in block
        ]
        if len(block) > 1:
            atoms = [atom for c in block for atom in self.atoms(c, scope, single=True)]
            conditions.append(_condition("AND", atoms))
        return "AND", conditions

    def condition(self, node: Criteria, scope: str | None) -> dict[str, Any]:
        if isinstance(node, Or):
            atoms: list[_Atom] = []
            for part in chain(node, Or):
                atoms.extend(self.disjunct(part, scope))
            return _condition("OR", atoms)
        return _condition("OR", self.atoms(node, scope, single=False))

    def disjunct(self, node: Criteria, scope: str | None) -> list[_Atom]:
        if isinstance(node, And):
            parts = chain(node, And)
            names = [_idp_of(p) for p in parts]
            rest = [p for p, n in zip(parts, names, strict=True) if n is None]
            idps = [n for n in names if n is not None]
            if len(idps) == 1 and len(rest) == 1 and _idp_bound(rest[0]):
                found: list[_Atom] = []
                for inner in chain(rest[0], Or):
                    found.extend(self.atoms(inner, idps[0], single=False))
                return found
            raise _CannotExportError(
                "an `and` inside an `or` block has no ZPA form (ZPA joins the "
                "criteria of one block with one operator)"
            )
        return self.atoms(node, scope, single=False)

    def atoms(self, node: Criteria, scope: str | None, *, single: bool) -> list[_Atom]:
        """The operand values of one criterion (``in`` lists give several)."""
        if isinstance(node, Compare):
            return self.compare(node, node.value, scope, single=single)
        if isinstance(node, In) and not node.negated:
            found: list[_Atom] = []
            if single and len(node.values) > 1:
                raise _CannotExportError("an `in` list inside an `and` block")
            for value in node.values:
                found.extend(
                    self.compare(
                        Compare(node.ref, CompareOp.EQ, value),
                        value,
                        scope,
                        single=single,
                    )
                )
            return found
        if isinstance(node, Contains):
            ref = node.ref
            if ref.namespace == "trusted_network":
                network = self.id_of(Kind.TRUSTED_NETWORK, str(node.value))
                return [
                    (
                        "TRUSTED_NETWORK",
                        network,
                        "false" if node.negated else "true",
                        None,
                    )
                ]
            if (
                ref.is_scim
                and [p.casefold() for p in ref.path] == ["groups"]
                and not node.negated
            ):
                return [
                    (
                        "SCIM_GROUP",
                        self.id_of(Kind.IDP, idp),
                        self.id_of(Kind.SCIM_GROUP, str(node.value), idp),
                        idp,
                    )
                    for idp in self.idps_for(
                        Kind.SCIM_GROUP, str(node.value), scope, single=single
                    )
                ]
        raise _CannotExportError(f"ZPA has no operand for `{_text(node)}`")

    def compare(
        self, node: Compare, value: Any, scope: str | None, *, single: bool
    ) -> list[_Atom]:
        ref = node.ref
        namespace = ref.namespace
        if namespace in _BY_ID and node.op is CompareOp.EQ and isinstance(value, str):
            return [self.by_id(namespace, value)]
        if (
            namespace == "client_type"
            and node.op is CompareOp.EQ
            and isinstance(value, str)
        ):
            folded = value.casefold()
            api = CLIENT_TYPES.get(folded, folded)
            if api not in CLIENT_TYPES.values():
                raise _CannotExportError(f"unknown client type `{value}`")
            return [("CLIENT_TYPE", "id", api, None)]
        if (
            namespace in ("platform", "country")
            and isinstance(value, str)
            and node.op in (CompareOp.EQ, CompareOp.NE)
        ):
            object_type = "PLATFORM" if namespace == "platform" else "COUNTRY_CODE"
            lhs = value.lower() if namespace == "platform" else value.upper()
            return [
                (object_type, lhs, "true" if node.op is CompareOp.EQ else "false", None)
            ]
        if (
            namespace == "posture"
            and len(ref.path) == 1
            and isinstance(value, bool)
            and node.op is CompareOp.EQ
        ):
            udid = self.id_of(Kind.POSTURE_PROFILE, ref.path[0])
            return [("POSTURE", udid, "true" if value else "false", None)]
        if (
            ref.is_saml
            and len(ref.path) == 1
            and node.op is CompareOp.EQ
            and isinstance(value, str)
        ):
            return [
                ("SAML", self.id_of(Kind.SAML_ATTRIBUTE, ref.path[0], idp), value, idp)
                for idp in self.idps_for(
                    Kind.SAML_ATTRIBUTE, ref.path[0], scope, single=single
                )
            ]
        if (
            ref.is_scim
            and ref.path
            and node.op is CompareOp.EQ
            and isinstance(value, str | bool)
        ):
            name = ".".join(ref.path)
            text = str(value).lower() if isinstance(value, bool) else value
            return [
                ("SCIM", self.id_of(Kind.SCIM_ATTRIBUTE, name, idp), text, idp)
                for idp in self.idps_for(
                    Kind.SCIM_ATTRIBUTE, name, scope, single=single
                )
            ]
        raise _CannotExportError(f"ZPA has no operand for `{_text(node)}`")

    # -- names to IDs --------------------------------------------------------------

    def by_id(self, namespace: str, name: str) -> _Atom:
        object_type, kind = _BY_ID[namespace]
        return (object_type, "id", self.id_of(kind, name), None)

    def id_of(self, kind: Kind, name: str, idp: str | None = None) -> str:
        idp_id = None if idp is None else self.catalogue.id_of(Kind.IDP, idp)
        found = self.catalogue.id_of(kind, name, idp_id)
        if found is None:
            where = f" of IdP `{idp}`" if idp else ""
            raise _CannotExportError(
                f"no {kind.value.replace('-', ' ').rstrip('s')} `{name}`{where} in the "
                "catalogue"
            )
        return found

    def idps_for(
        self, kind: Kind, name: str, scope: str | None, *, single: bool
    ) -> list[str]:
        """The IdPs (names) a SAML/SCIM criterion is exported for."""
        if scope is not None:
            return [scope]
        idp_ids = self.catalogue.idps_with(kind, name)
        names = [n for i in idp_ids if (n := self.catalogue.name(Kind.IDP, i))]
        if not names:
            what = kind.value.replace("-", " ").rstrip("s")
            raise _CannotExportError(f"no IdP in the catalogue has the {what} `{name}`")
        if single and len(names) > 1:
            raise _CannotExportError(
                f"`{name}` exists in IdPs {', '.join(names)}: in an `and` block, write "
                '`idp == "..." and ...` to say which'
            )
        return names


def _condition(operator: str, atoms: list[_Atom]) -> dict[str, Any]:
    """A v2 condition: one operand per objectType, values or entry values."""
    operands: dict[tuple[str, str | None], dict[str, Any]] = {}
    for object_type, lhs, rhs, _ in atoms:
        if object_type in _VALUES_TYPES:
            operand = operands.setdefault(
                (object_type, None), {"objectType": object_type, "values": []}
            )
            if rhs not in operand["values"]:
                operand["values"].append(rhs)
        else:
            key = (object_type, None)
            operand = operands.setdefault(
                key, {"objectType": object_type, "entryValues": []}
            )
            entry = {"lhs": lhs, "rhs": rhs}
            if entry not in operand["entryValues"]:
                operand["entryValues"].append(entry)
    return {"operator": operator, "operands": list(operands.values())}


def _idp_of(node: Criteria) -> str | None:
    if (
        isinstance(node, Compare)
        and node.ref.namespace == "idp"
        and node.op is CompareOp.EQ
        and isinstance(node.value, str)
    ):
        return node.value
    return None


def _needs_idp(node: Criteria) -> bool:
    """Whether *node* holds a SAML or SCIM criterion (which ZPA ties to an IdP)."""
    if isinstance(node, And | Or):
        return _needs_idp(node.left) or _needs_idp(node.right)
    ref = getattr(node, "ref", None)
    return ref is not None and (ref.is_saml or ref.is_scim)


def _idp_bound(node: Criteria) -> bool:
    """Whether every criterion in *node* is SAML or SCIM (all of it tied to an IdP)."""
    if isinstance(node, And | Or):
        return _idp_bound(node.left) and _idp_bound(node.right)
    ref = getattr(node, "ref", None)
    return ref is not None and (ref.is_saml or ref.is_scim)


def _seconds(duration: Duration) -> str:
    return "-1" if duration.minutes is None else str(duration.minutes * 60)


def _text(node: Criteria) -> str:
    return format_criteria(node)
