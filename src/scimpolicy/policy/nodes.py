"""The policy syntax tree: three ordered rule lists and their criteria.

Stage: data. ``parser`` builds these nodes from text, ``formatter`` prints them back,
``checker`` validates them, ``compiler`` and ``interpreter`` evaluate them.

Invariants: nodes are frozen; spans never take part in equality, so a policy and its
formatted-then-parsed copy are equal; reference names are stored as written (SCIM
attribute names compare case-insensitively, as their ``eq`` functions say).
"""

from __future__ import annotations

import enum
from typing import Final, TypeAlias

import attrs

from scimpolicy.errors import Span

__all__ = [
    "ZPA_DEFAULTS",
    "AccessAction",
    "Action",
    "And",
    "Compare",
    "CompareOp",
    "Contains",
    "Criteria",
    "Duration",
    "ForwardingAction",
    "In",
    "Literal",
    "Namespace",
    "Not",
    "Or",
    "Policy",
    "PolicyType",
    "Present",
    "Ref",
    "Rule",
    "RuleSet",
    "TimeoutAction",
    "chain",
]


class PolicyType(enum.StrEnum):
    """The three policy types scimpolicy evaluates (section headers in the text)."""

    ACCESS = "access"
    FORWARDING = "forwarding"
    TIMEOUT = "timeout"


class AccessAction(enum.StrEnum):
    """Access policy actions (ZPA ``ALLOW``, ``DENY``, ``REQUIRE_APPROVAL``)."""

    ALLOW = "allow"
    DENY = "deny"
    REQUIRE_APPROVAL = "require_approval"


class ForwardingAction(enum.StrEnum):
    """Client forwarding actions (ZPA ``INTERCEPT``, ``INTERCEPT_ACCESSIBLE``, ...)."""

    INTERCEPT = "intercept"
    INTERCEPT_ACCESSIBLE = "intercept_accessible"
    BYPASS = "bypass"


@attrs.frozen
class Duration:
    """A timeout in minutes; ``minutes=None`` means ``never``."""

    minutes: int | None
    span: Span | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def never(self) -> bool:
        """True for ``never``."""
        return self.minutes is None


@attrs.frozen
class TimeoutAction:
    """``reauth every <duration> idle <duration>`` (ZPA ``RE_AUTH``)."""

    reauth: Duration
    idle: Duration


Action: TypeAlias = AccessAction | ForwardingAction | TimeoutAction


class Namespace(enum.StrEnum):
    """What a reference reads: SCIM attributes and groups, SAML, or client context."""

    SCIM = "scim"
    SAML = "saml"
    APP = "app"
    SEGMENT_GROUP = "segment_group"
    IDP = "idp"
    CLIENT_TYPE = "client_type"
    PLATFORM = "platform"
    COUNTRY = "country"
    POSTURE = "posture"
    TRUSTED_NETWORK = "trusted_network"
    MACHINE_GROUP = "machine_group"


_NAMESPACES: Final = {str(namespace): namespace for namespace in Namespace}


def _fold_path(path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.casefold() for part in path)


@attrs.frozen(cache_hash=True)
class Ref:
    """A reference: ``scim.department``, ``scim.name.givenName``, ``scim.groups``,
    ``saml.role``, ``saml["http://schemas.example/claims/role"]``,
    ``posture.crowdstrike``, ``app``, ``client_type``, ...

    ``namespace`` is the first name as written (the checker reports unknown ones);
    ``path`` the names after it, empty for the context namespaces (``app``,
    ``platform``, ...). SCIM paths compare ignoring case (RFC 7643 §2.1); SAML attribute
    and posture profile names compare as written.
    """

    namespace: str = attrs.field(eq=False)
    path: tuple[str, ...] = attrs.field(default=(), eq=False)
    span: Span | None = attrs.field(default=None, eq=False, repr=False)
    # What equality and hashing use, computed once: the namespace and the path,
    # case-folded for SCIM.
    _identity: tuple[str, tuple[str, ...]] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        key = _fold_path(self.path) if self.namespace == Namespace.SCIM else self.path
        object.__setattr__(self, "_identity", (self.namespace, key))

    @property
    def kind(self) -> Namespace | None:
        """The namespace, or ``None`` when the text named an unknown one."""
        return _NAMESPACES.get(self.namespace)

    @property
    def is_scim(self) -> bool:
        """True for ``scim.*`` (SCIM attributes and ``scim.groups``)."""
        return self.namespace == Namespace.SCIM

    @property
    def is_saml(self) -> bool:
        """True for ``saml.*``."""
        return self.namespace == Namespace.SAML


Literal: TypeAlias = str | bool | int


def _typed(value: Literal) -> tuple[type, Literal]:
    # `True == 1` in Python; in the language `true` and `1` are different literals.
    return (type(value), value)


def _typed_all(values: tuple[Literal, ...]) -> tuple[tuple[type, Literal], ...]:
    return tuple(_typed(value) for value in values)


class CompareOp(enum.StrEnum):
    """Comparison operators (the text's spelling)."""

    EQ = "=="
    NE = "!="
    STARTSWITH = "startswith"
    ENDSWITH = "endswith"
    CONTAINS = "contains"


@attrs.frozen
class Compare:
    """``ref == "x"``, ``ref != "x"``, ``ref startswith "x"``, ..."""

    ref: Ref
    op: CompareOp
    value: Literal = attrs.field(eq=_typed)
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class In:
    """``ref in ["a", "b"]`` (or ``not in``): some value of ``ref`` is in the list."""

    ref: Ref
    values: tuple[Literal, ...] = attrs.field(eq=_typed_all)
    negated: bool = False
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Contains:
    """``"SRE" in scim.groups`` (or ``not in``): some value of ``ref`` is ``value``."""

    value: Literal = attrs.field(eq=_typed)
    ref: Ref
    negated: bool = False
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Present:
    """``ref is present`` / ``ref is absent``."""

    ref: Ref
    negated: bool = False
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class And:
    """``left and right``."""

    left: Criteria
    right: Criteria


@attrs.frozen
class Or:
    """``left or right``."""

    left: Criteria
    right: Criteria


@attrs.frozen
class Not:
    """``not operand``."""

    operand: Criteria


Criteria: TypeAlias = Compare | In | Contains | Present | And | Or | Not


def chain(node: Criteria, kind: type[And | Or]) -> list[Criteria]:
    """The operands of a chain of ``and`` (or ``or``), in order: ``a and (b and c)``
    gives ``[a, b, c]``; a node of another kind is a chain of one."""
    if isinstance(node, kind):
        return [*chain(node.left, kind), *chain(node.right, kind)]
    return [node]


@attrs.frozen
class Rule:
    """``[disabled] rule "name": action [when criteria]``; no criteria matches all."""

    name: str
    action: Action
    criteria: Criteria | None = None
    disabled: bool = False
    span: Span | None = attrs.field(default=None, eq=False, repr=False)
    name_span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class RuleSet:
    """One policy type's ordered rules and its default (``None``: ZPA's default)."""

    type: PolicyType
    rules: tuple[Rule, ...] = ()
    default: Action | None = None
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


ZPA_DEFAULTS: Final[dict[PolicyType, Action]] = {
    PolicyType.ACCESS: AccessAction.DENY,
    PolicyType.FORWARDING: ForwardingAction.INTERCEPT,
    PolicyType.TIMEOUT: TimeoutAction(Duration(7 * 24 * 60), Duration(None)),
}
"""What ZPA does when no rule matches and the policy gives no default (SPEC §4)."""


@attrs.frozen
class Policy:
    """The three ordered policies. A section missing from the text is empty."""

    access: RuleSet = attrs.field(factory=lambda: RuleSet(PolicyType.ACCESS))
    forwarding: RuleSet = attrs.field(factory=lambda: RuleSet(PolicyType.FORWARDING))
    timeout: RuleSet = attrs.field(factory=lambda: RuleSet(PolicyType.TIMEOUT))

    def rule_set(self, policy_type: PolicyType) -> RuleSet:
        """The rule set of one policy type (a member or its name)."""
        if policy_type.__class__ is not PolicyType:
            policy_type = PolicyType(policy_type)
        if policy_type is PolicyType.ACCESS:
            return self.access
        if policy_type is PolicyType.FORWARDING:
            return self.forwarding
        return self.timeout

    def rule_sets(self) -> tuple[RuleSet, RuleSet, RuleSet]:
        """The three rule sets in evaluation order of the text."""
        return (self.access, self.forwarding, self.timeout)
