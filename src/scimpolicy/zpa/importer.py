"""Import ZPA policy rules (API JSON, v1 or v2 form) into a scimpolicy policy.

Stage: ZPA JSON → :class:`~scimpolicy.policy.nodes.Policy`. Rules come as the API
returns them: a list of rules, a page ``{"list": [...]}``, or a policy set
``{"policyType": "ACCESS_POLICY", "rules": [...]}``. Each rule's type follows from its
``action`` (``ALLOW``/``DENY``/``REQUIRE_APPROVAL``: access; ``INTERCEPT``,
``INTERCEPT_ACCESSIBLE``, ``BYPASS``: forwarding; ``RE_AUTH``: timeout); rules are
ordered by ``ruleOrder``; a rule with ``defaultRule: true`` gives the default.

Criteria, as ZPA combines them (``research/zpa.md`` §2.7): the rule's ``conditions``
are joined by the rule ``operator`` (``AND``), a condition's operands by its own
``operator`` (``OR`` unless it says ``AND``). SAML, SCIM and SCIM_GROUP operands belong
to an IdP, so they are scoped to it: an ``OR`` block of Okta attributes becomes
``idp == "Okta" and (saml.role == "x" or scim.department == "y")``. An operand
scimpolicy cannot evaluate (an unsupported ``objectType``, an unknown ID) is an error
diagnostic naming the rule and the operand, and its rule is imported disabled, so it
stays in its place and nothing is dropped silently.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

import attrs

from scimpolicy.errors import Diagnostic, Severity
from scimpolicy.policy.facts import CLIENT_TYPES
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
    Literal,
    Not,
    Or,
    Policy,
    PolicyType,
    Ref,
    Rule,
    RuleSet,
    TimeoutAction,
    chain,
)
from scimpolicy.zpa.catalogue import Catalogue, Kind

__all__ = ["ACTIONS", "POLICY_SET_TYPES", "ZpaImport", "import_zpa"]

ACTIONS: Final[dict[str, tuple[PolicyType, Action | None]]] = {
    "ALLOW": (PolicyType.ACCESS, AccessAction.ALLOW),
    "DENY": (PolicyType.ACCESS, AccessAction.DENY),
    "REQUIRE_APPROVAL": (PolicyType.ACCESS, AccessAction.REQUIRE_APPROVAL),
    "INTERCEPT": (PolicyType.FORWARDING, ForwardingAction.INTERCEPT),
    "INTERCEPT_ACCESSIBLE": (
        PolicyType.FORWARDING,
        ForwardingAction.INTERCEPT_ACCESSIBLE,
    ),
    # ZPA's API reference spells it this way too.
    "INTERCEPT_ACCESIBLE": (
        PolicyType.FORWARDING,
        ForwardingAction.INTERCEPT_ACCESSIBLE,
    ),
    "BYPASS": (PolicyType.FORWARDING, ForwardingAction.BYPASS),
    "RE_AUTH": (PolicyType.TIMEOUT, None),  # the durations come from the rule
}
"""ZPA ``action`` values: the policy type they belong to and scimpolicy's action."""

POLICY_SET_TYPES: Final[dict[str, PolicyType]] = {
    "ACCESS_POLICY": PolicyType.ACCESS,
    "GLOBAL_POLICY": PolicyType.ACCESS,
    "CLIENT_FORWARDING_POLICY": PolicyType.FORWARDING,
    "BYPASS_POLICY": PolicyType.FORWARDING,
    "TIMEOUT_POLICY": PolicyType.TIMEOUT,
    "REAUTH_POLICY": PolicyType.TIMEOUT,
}
"""ZPA ``policyType`` names of the policy sets scimpolicy evaluates (with aliases)."""

_MINIMUM_MINUTES: Final = 10  # the shortest timeout ZPA (and the language) accepts
_CLIENT_TYPE_NAMES: Final = {value: name for name, value in CLIENT_TYPES.items()}
_IDP_SCOPED: Final = frozenset({"SAML", "SCIM", "SCIM_GROUP"})
_UNSUPPORTED: Final = {
    "LOCATION": "ZIA locations",
    "EDGE_CONNECTOR_GROUP": "Cloud Connector groups",
    "CLOUD_CONNECTOR_GROUP": "Cloud Connector groups",
    "BRANCH_CONNECTOR_GROUP": "Branch Connector groups",
    "RISK_FACTOR_TYPE": "ZIA risk scores",
    "CHROME_ENTERPRISE": "Chrome Enterprise",
    "CHROME_POSTURE_PROFILE": "Chrome posture profiles",
    "CONSOLE": "privileged consoles",
    "USER_PORTAL": "user portals",
    "USER": "individual users",
}


@attrs.frozen
class ZpaImport:
    """The policy read from ZPA rules, and what could not be read as it was."""

    policy: Policy
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no diagnostic is an error (every rule imported as it is)."""
        return all(d.severity is not Severity.ERROR for d in self.diagnostics)


def import_zpa(
    sources: Iterable[Any],
    catalogue: Catalogue,
    *,
    origins: Sequence[str | None] = (),
) -> ZpaImport:
    """Import ZPA rule JSON (each source: a list, a page or a policy set) into one
    policy; rules of each type keep their ``ruleOrder``.

    ``origins`` name the sources (file names) in the diagnostics, in order.
    """
    reader = _Reader(catalogue, None)
    found: dict[PolicyType, list[tuple[float, int, Rule]]] = {t: [] for t in PolicyType}
    defaults: dict[PolicyType, Action] = {}
    position = 0
    for number, source in enumerate(sources):
        reader.origin = origins[number] if number < len(origins) else None
        declared, rules = reader.rules_of(source)
        for raw in rules:
            position += 1
            imported = reader.rule(raw, declared, position)
            if imported is None:
                continue
            policy_type, order, rule, is_default = imported
            if is_default:
                defaults[policy_type] = rule.action
            else:
                found[policy_type].append((order, position, rule))
    rule_sets = {}
    reader.origin = None  # name clashes span sources
    for policy_type, entries in found.items():
        entries.sort(key=lambda item: (item[0], item[1]))
        rules = reader.unique_names([rule for _, _, rule in entries])
        rule_sets[policy_type] = RuleSet(
            policy_type, tuple(rules), defaults.get(policy_type)
        )
    return ZpaImport(
        Policy(
            rule_sets[PolicyType.ACCESS],
            rule_sets[PolicyType.FORWARDING],
            rule_sets[PolicyType.TIMEOUT],
        ),
        tuple(sorted(reader.diagnostics, key=lambda d: d.severity != Severity.ERROR)),
    )


class _Reader:
    def __init__(self, catalogue: Catalogue, origin: str | None) -> None:
        self.catalogue = catalogue
        self.origin = origin
        self.diagnostics: list[Diagnostic] = []
        self.rule_name: str | None = None
        self.broken = False

    def report(
        self,
        code: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        help: str | None = None,  # noqa: A002  Diagnostic's field
    ) -> None:
        if severity is Severity.ERROR:
            self.broken = True
        self.diagnostics.append(
            Diagnostic(
                code,
                severity,
                message,
                help=help,
                rule=self.rule_name,
                origin=self.origin,
            )
        )

    # -- sources and rules -------------------------------------------------------

    def rules_of(self, source: Any) -> tuple[PolicyType | None, list[Any]]:
        if isinstance(source, list):
            return None, source
        if isinstance(source, dict):
            if isinstance(source.get("rules"), list):
                declared = POLICY_SET_TYPES.get(str(source.get("policyType", "")))
                if source.get("policyType") is not None and declared is None:
                    self.report(
                        "unsupported-policy-set",
                        f"policy set `{source.get('policyType')}` is not one "
                        "scimpolicy evaluates (access, client forwarding, timeout)",
                    )
                    return None, []
                return declared, source["rules"]
            if isinstance(source.get("list"), list):
                return None, source["list"]
            if "action" in source or "conditions" in source:
                return None, [source]
        self.rule_name = None
        self.report(
            "not-zpa-rules",
            "expected ZPA rules: a list, a page with `list`, or a policy set with "
            "`rules`",
        )
        return None, []

    def rule(
        self, raw: Any, declared: PolicyType | None, position: int
    ) -> tuple[PolicyType, float, Rule, bool] | None:
        self.rule_name = None
        self.broken = False
        if not isinstance(raw, dict):
            self.report("not-a-rule", f"rule #{position}: expected an object")
            return None
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            name = f"Rule {raw.get('ruleOrder', position)}"
            self.rule_name = name
            self.report(
                "unnamed-rule",
                "the rule has no name; named after its order",
                severity=Severity.WARNING,
            )
        self.rule_name = name
        is_default = _flag(raw.get("defaultRule"))
        action_name = str(raw.get("action") or "").upper()
        if not action_name:
            if declared is None:
                self.report("missing-action", "the rule has no `action`")
                return None
            action_name = {
                PolicyType.ACCESS: "ALLOW",
                PolicyType.FORWARDING: "INTERCEPT",
                PolicyType.TIMEOUT: "RE_AUTH",
            }[declared]
        if action_name not in ACTIONS:
            self.report(
                "unsupported-action",
                f"action `{action_name}` is not one of access, client forwarding or "
                "timeout policies",
            )
            return None
        policy_type, action = ACTIONS[action_name]
        if declared is not None and declared is not policy_type:
            self.report(
                "action-type-mismatch",
                f"action `{action_name}` in a {declared} policy set",
            )
            return None
        if action is None:
            action = self.timeout_action(raw)
            if action is None:
                return None
        criteria = self.criteria(raw)
        order = _order(raw.get("ruleOrder"))
        if order is None and not is_default:
            order = math.inf
        disabled = _flag(raw.get("disabled")) or self.broken
        return (
            policy_type,
            order if order is not None else math.inf,
            Rule(name, action, criteria, disabled),
            is_default,
        )

    def timeout_action(self, raw: dict[str, Any]) -> TimeoutAction | None:
        durations = []
        for key in ("reauthTimeout", "reauthIdleTimeout"):
            value = raw.get(key)
            seconds = _integer(value)
            if seconds is None:
                self.report(
                    "bad-timeout",
                    f"`{key}` must be seconds (or -1 for never), got `{value}`",
                )
                return None
            if seconds < 0:
                durations.append(Duration(None))
                continue
            if seconds % 60:
                self.report(
                    "timeout-not-minutes",
                    f"`{key}` is {seconds} s, not whole minutes; read as "
                    f"{math.ceil(seconds / 60)} min",
                    severity=Severity.WARNING,
                )
            minutes = math.ceil(seconds / 60)
            if minutes < _MINIMUM_MINUTES:
                self.report(
                    "timeout-too-short",
                    f"`{key}` is {seconds} s; ZPA's minimum is {_MINIMUM_MINUTES} "
                    f"minutes; read as {_MINIMUM_MINUTES} min and the rule imported "
                    "disabled",
                )
                minutes = _MINIMUM_MINUTES
            durations.append(Duration(minutes))
        return TimeoutAction(durations[0], durations[1])

    def unique_names(self, rules: list[Rule]) -> list[Rule]:
        # Names are unique ignoring case (as the checker wants), new ones included.
        taken = {rule.name.casefold() for rule in rules}
        seen: set[str] = set()
        unique = []
        for rule in rules:
            if rule.name.casefold() not in seen:
                seen.add(rule.name.casefold())
                unique.append(rule)
                continue
            count = 2
            while f"{rule.name} ({count})".casefold() in taken:
                count += 1
            renamed = f"{rule.name} ({count})"
            taken.add(renamed.casefold())
            seen.add(renamed.casefold())
            self.rule_name = rule.name
            self.report(
                "duplicate-rule-name",
                f"a second rule with this name is imported as `{renamed}`",
                severity=Severity.WARNING,
            )
            unique.append(attrs.evolve(rule, name=renamed))
        return unique

    # -- criteria ----------------------------------------------------------------

    def criteria(self, raw: dict[str, Any]) -> Criteria | None:
        conditions = raw.get("conditions") or []
        if not isinstance(conditions, list):
            self.report("bad-conditions", "`conditions` must be a list")
            return None
        parts = [
            part
            for index, condition in enumerate(conditions)
            if (part := self.condition(condition, index)) is not None
        ]
        operator = str(raw.get("operator") or "AND").upper()
        return _join(parts, operator)

    def condition(self, condition: Any, index: int) -> Criteria | None:
        where = f"conditions[{index}]"
        if not isinstance(condition, dict):
            self.report("bad-condition", f"`{where}` must be an object")
            return None
        operator = str(condition.get("operator") or "OR").upper()
        if operator not in ("AND", "OR"):
            self.report("bad-operator", f"`{where}.operator` must be AND or OR")
            return None
        operands = condition.get("operands") or []
        if not isinstance(operands, list) or not all(
            isinstance(operand, dict) for operand in operands
        ):
            # Skipping them would widen the rule: report, and the rule is disabled.
            self.report("bad-operands", f"`{where}.operands` must be a list of objects")
            return None
        plain: list[Criteria] = []
        scoped: dict[str, list[Criteria]] = {}
        for number, (object_type, lhs, rhs, idp_id) in enumerate(_atoms(operands)):
            at = f"{where}.operands[{number}]"
            atom = self.atom(at, object_type, lhs, rhs, idp_id)
            if atom is None:
                continue
            node, scope = atom
            if scope is None:
                plain.append(node)
            else:
                scoped.setdefault(scope, []).append(node)
        parts = list(plain)
        for idp_name, nodes in scoped.items():
            block = _join(nodes, operator)
            assert block is not None  # noqa: S101  nodes is never empty
            parts.append(And(Compare(Ref("idp"), CompareOp.EQ, idp_name), block))
        joined = _join(parts, operator)
        if joined is None:
            return None
        if _flag(condition.get("negated")):
            self.report(
                "negated-condition",
                f"`{where}` is negated; ZPA does not document what that does, read "
                "as `not (...)`",
                severity=Severity.WARNING,
            )
            return Not(joined)
        return joined

    def atom(
        self, at: str, object_type: str, lhs: Any, rhs: Any, idp_id: Any
    ) -> tuple[Criteria, str | None] | None:
        if object_type in _UNSUPPORTED:
            self.report(
                "unsupported-operand",
                f"`{at}`: objectType `{object_type}` ({_UNSUPPORTED[object_type]}) is "
                "not something scimpolicy evaluates; the rule is imported disabled",
            )
            return None
        if object_type in ("APP", "APP_GROUP", "IDP", "MACHINE_GRP"):
            kind, namespace = {
                "APP": (Kind.APPLICATION, "app"),
                "APP_GROUP": (Kind.SEGMENT_GROUP, "segment_group"),
                "IDP": (Kind.IDP, "idp"),
                "MACHINE_GRP": (Kind.MACHINE_GROUP, "machine_group"),
            }[object_type]
            name = self.named(at, kind, rhs)
            return (
                None
                if name is None
                else (Compare(Ref(namespace), CompareOp.EQ, name), None)
            )
        if object_type == "CLIENT_TYPE":
            value = str(rhs)
            short = _CLIENT_TYPE_NAMES.get(value)
            if short is None:
                self.report(
                    "unknown-client-type", f"`{at}`: unknown client type `{value}`"
                )
                return None
            return Compare(Ref("client_type"), CompareOp.EQ, short), None
        if object_type in ("PLATFORM", "COUNTRY_CODE"):
            namespace = "platform" if object_type == "PLATFORM" else "country"
            truth = self.truth(at, rhs)
            if truth is None or not isinstance(lhs, str) or not lhs:
                if truth is not None:
                    self.report(
                        "bad-operand", f"`{at}`: `lhs` must name the {namespace}"
                    )
                return None
            op = CompareOp.EQ if truth else CompareOp.NE
            return Compare(
                Ref(namespace),
                op,
                lhs.lower() if namespace == "platform" else lhs.upper(),
            ), None
        if object_type == "POSTURE":
            name = self.named(at, Kind.POSTURE_PROFILE, lhs)
            truth = self.truth(at, rhs)
            if name is None or truth is None:
                return None
            return Compare(Ref("posture", (name,)), CompareOp.EQ, truth), None
        if object_type == "TRUSTED_NETWORK":
            name = self.named(at, Kind.TRUSTED_NETWORK, lhs)
            truth = self.truth(at, rhs)
            if name is None or truth is None:
                return None
            return Contains(name, Ref("trusted_network"), negated=not truth), None
        if object_type == "SAML":
            entry = self.catalogue.entry(Kind.SAML_ATTRIBUTE, lhs)
            if entry is None:
                self.unknown(at, Kind.SAML_ATTRIBUTE, lhs)
                return None
            saml_value = self.value(at, rhs)
            idp = self.idp_name(at, entry.idp_id)
            if saml_value is None or idp is None:
                return None
            return Compare(Ref("saml", (entry.name,)), CompareOp.EQ, saml_value), idp
        if object_type == "SCIM":
            entry = self.catalogue.entry(Kind.SCIM_ATTRIBUTE, lhs)
            if entry is None:
                self.unknown(at, Kind.SCIM_ATTRIBUTE, lhs)
                return None
            scim_value = self.value(at, rhs)
            idp = self.idp_name(at, idp_id if idp_id is not None else entry.idp_id)
            if scim_value is None or idp is None:
                return None
            path = tuple(entry.name.split("."))
            if entry.name.casefold() == "active" and isinstance(scim_value, str):
                # ZPA writes the boolean as a string; the language compares booleans.
                truth = self.truth(at, scim_value)
                if truth is None:
                    return None
                return Compare(Ref("scim", path), CompareOp.EQ, truth), idp
            return Compare(Ref("scim", path), CompareOp.EQ, scim_value), idp
        if object_type == "SCIM_GROUP":
            entry = self.catalogue.entry(Kind.SCIM_GROUP, rhs)
            if entry is None:
                self.unknown(at, Kind.SCIM_GROUP, rhs)
                return None
            idp = self.idp_name(at, lhs if lhs is not None else entry.idp_id)
            if idp is None:
                return None
            return Contains(entry.name, Ref("scim", ("groups",))), idp
        self.report(
            "unsupported-operand",
            f"`{at}`: unknown objectType `{object_type}`; the rule is imported "
            "disabled",
        )
        return None

    def named(self, at: str, kind: Kind, object_id: Any) -> str | None:
        name = self.catalogue.name(kind, object_id)
        if name is None:
            self.unknown(at, kind, object_id)
        return name

    def unknown(self, at: str, kind: Kind, object_id: Any) -> None:
        self.report(
            "unknown-id",
            f"`{at}`: no {kind.value.replace('-', ' ').rstrip('s')} has ID "
            f"`{object_id}` in the catalogue; the rule is imported disabled",
            help=f"add it to {kind.value}.json",
        )

    def idp_name(self, at: str, idp_id: Any) -> str | None:
        return self.named(at, Kind.IDP, idp_id)

    def truth(self, at: str, rhs: Any) -> bool | None:
        text = str(rhs).casefold()
        if text in ("true", "false"):
            return text == "true"
        self.report(
            "bad-operand", f'`{at}`: `rhs` must be "true" or "false", got `{rhs}`'
        )
        return None

    def value(self, at: str, rhs: Any) -> Literal | None:
        if isinstance(rhs, str):
            return rhs
        self.report("bad-operand", f"`{at}`: `rhs` must be a string, got `{rhs}`")
        return None


def _atoms(operands: list[dict[str, Any]]) -> Iterator[tuple[str, Any, Any, Any]]:
    """``(objectType, lhs, rhs, idpId)`` per value, for v1 and v2 operands alike (an
    entry value that is not an object has neither, which reads as a bad operand)."""
    for operand in operands:
        object_type = str(operand.get("objectType") or "").upper()
        idp_id = operand.get("idpId")
        if "values" in operand or "entryValues" in operand:
            for value in operand.get("values") or []:
                yield object_type, "id", value, idp_id
            for entry in operand.get("entryValues") or []:
                pair = entry if isinstance(entry, dict) else {}
                yield object_type, pair.get("lhs"), pair.get("rhs"), idp_id
        else:
            yield object_type, operand.get("lhs"), operand.get("rhs"), idp_id


def _join(parts: list[Criteria], operator: str) -> Criteria | None:
    """*parts* joined by ``or`` or ``and``, as one flat chain (``a and b and c``)."""
    kind: type[And | Or] = Or if operator == "OR" else And
    flat: list[Criteria] = []
    for part in parts:
        flat.extend(chain(part, kind))
    if not flat:
        return None
    node = flat[0]
    for part in flat[1:]:
        node = kind(node, part)
    return node


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() in ("true", "1", "yes")
    return bool(value)


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _order(value: Any) -> float | None:
    number = _integer(value)
    return None if number is None else float(number)
