"""The checker: every problem of a parsed policy, at once, before anything runs.

Stage: :class:`~scimpolicy.policy.nodes.Policy` (+ an optional catalogue of the
tenant's names) → a tuple of :class:`~scimpolicy.errors.Diagnostic`, errors first, each
with a stable code, a span into the text and, where one helps, a suggestion. Like
Cedar's validator it never stops at the first problem and never evaluates anything.

Codes: ``unknown-namespace``, ``unknown-attribute``, ``missing-attribute``,
``unexpected-attribute``, ``type-mismatch``, ``unknown-client-type``,
``unknown-platform``, ``invalid-country``, ``timeout-too-short``,
``duplicate-rule-name`` (errors); ``not-a-zpa-attribute`` (warning: ZPA's policy
criteria cannot use that SCIM attribute); and, given a catalogue,
``unknown-application``, ``unknown-segment-group``, ``unknown-idp`` (errors) and
``unknown-scim-group`` (a warning: the group may not be synced yet).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Final, Protocol

from scimpolicy._text import suggest
from scimpolicy.errors import Diagnostic, Severity, Span
from scimpolicy.policy.facts import CLIENT_TYPES, PLATFORMS
from scimpolicy.policy.nodes import (
    And,
    Compare,
    CompareOp,
    Contains,
    Criteria,
    Duration,
    In,
    Literal,
    Namespace,
    Not,
    Or,
    Policy,
    Present,
    Ref,
    Rule,
    TimeoutAction,
)
from scimpolicy.scim.schema import USER, ZPA_POLICY_ATTRIBUTES, AttrType

__all__ = ["MIN_TIMEOUT_MINUTES", "Catalog", "check_policy"]

MIN_TIMEOUT_MINUTES: Final = 10
"""ZPA's minimum re-authentication and idle timeout (SPEC §4)."""

_CONTEXT: Final = frozenset(
    {
        Namespace.APP,
        Namespace.SEGMENT_GROUP,
        Namespace.IDP,
        Namespace.CLIENT_TYPE,
        Namespace.PLATFORM,
        Namespace.COUNTRY,
        Namespace.TRUSTED_NETWORK,
        Namespace.MACHINE_GROUP,
    }
)
_COUNTRY: Final = re.compile(r"[A-Za-z]{2}")
_NAMED: Final = {
    Namespace.SAML: ("SAML attribute", "role"),
    Namespace.POSTURE: ("posture profile", "disk_encryption"),
}
_ZPA_NAMES: Final = frozenset(a.name.casefold() for a in ZPA_POLICY_ATTRIBUTES)
_SCIM_NAMES: Final = tuple(
    f"scim.{name}" for name in (*USER.attribute_names(), "groups")
)


class Catalog(Protocol):
    """The names a tenant defines; ``scimpolicy.Tenant`` provides them."""

    @property
    def applications(self) -> Collection[str]:
        """Application segment names."""
        ...

    @property
    def segment_groups(self) -> Collection[str]:
        """Segment group names."""
        ...

    @property
    def scim_groups(self) -> Collection[str]:
        """SCIM group display names, across the tenant's directories."""
        ...

    @property
    def idp_names(self) -> Collection[str]:
        """Identity provider names."""
        ...


def _render_ref(ref: Ref) -> str:
    return ".".join((ref.namespace, *ref.path))


def _did_you_mean(name: str, candidates: Collection[str]) -> str | None:
    found = suggest(name, candidates)
    return f"did you mean `{found}`?" if found else None


class _Checker:
    def __init__(self, catalog: Catalog | None) -> None:
        self.catalog = catalog
        self.found: list[Diagnostic] = []
        self.rule: str | None = None

    def report(
        self,
        code: str,
        message: str,
        span: Span | None,
        *,
        help: str | None = None,  # noqa: A002  the diagnostic's field
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.found.append(Diagnostic(code, severity, message, span, help, self.rule))

    # -- rules -------------------------------------------------------------------

    def check(self, policy: Policy) -> tuple[Diagnostic, ...]:
        for rule_set in policy.rule_sets():
            seen: dict[str, Rule] = {}
            for rule in rule_set.rules:
                self.rule = rule.name
                if rule.name.casefold() in seen:
                    self.report(
                        "duplicate-rule-name",
                        f"{rule_set.type} rule `{rule.name}` is defined twice",
                        rule.name_span,
                    )
                seen.setdefault(rule.name.casefold(), rule)
                if isinstance(rule.action, TimeoutAction):
                    self.timeout(rule.action)
                if rule.criteria is not None:
                    for node in _leaves(rule.criteria):
                        self.leaf(node)
            self.rule = None
            if isinstance(rule_set.default, TimeoutAction):
                self.timeout(rule_set.default)
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        return tuple(sorted(self.found, key=lambda d: order[d.severity]))

    def timeout(self, action: TimeoutAction) -> None:
        self.duration("re-authentication", action.reauth)
        self.duration("idle", action.idle)

    def duration(self, label: str, duration: Duration) -> None:
        if duration.minutes is not None and duration.minutes < MIN_TIMEOUT_MINUTES:
            self.report(
                "timeout-too-short",
                f"the {label} timeout is {duration.minutes} minutes; ZPA's minimum is "
                f"{MIN_TIMEOUT_MINUTES} minutes",
                duration.span,
                help="use at least `10m`, or `never`",
            )

    # -- criteria ----------------------------------------------------------------

    def leaf(self, node: Compare | In | Contains | Present) -> None:
        kind = self.reference(node.ref)
        if kind is None:
            return
        if isinstance(node, Present):
            return
        values = node.values if isinstance(node, In) else (node.value,)
        for value in values:
            self.value(node, kind, value)
        if node.ref.is_scim and tuple(p.casefold() for p in node.ref.path) == (
            "groups",
        ):
            self.groups(node, values)

    def reference(self, ref: Ref) -> AttrType | None:
        """Check a reference; return the type its values have, ``None`` if invalid."""
        kind = ref.kind
        text = _render_ref(ref)
        if kind is None:
            self.report(
                "unknown-namespace",
                f"unknown reference `{text}`",
                ref.span,
                help=_did_you_mean(ref.namespace, [str(n) for n in Namespace]),
            )
            return None
        if kind in _CONTEXT:
            if ref.path:
                self.report(
                    "unexpected-attribute",
                    f"`{ref.namespace}` has no attributes; write `{ref.namespace}`",
                    ref.span,
                )
                return None
            return AttrType.STRING
        if len(ref.path) != 1 and kind in (Namespace.SAML, Namespace.POSTURE):
            noun, example = _NAMED[kind]
            self.report(
                "missing-attribute" if not ref.path else "unexpected-attribute",
                f"`{text}` must name one {noun}, such as `{ref.namespace}.{example}`",
                ref.span,
            )
            return None
        if kind is Namespace.SAML:
            return AttrType.STRING
        if kind is Namespace.POSTURE:
            return AttrType.BOOLEAN
        return self.scim(ref, text)

    def scim(self, ref: Ref, text: str) -> AttrType | None:
        if not ref.path:
            self.report(
                "missing-attribute",
                "`scim` must name an attribute, such as `scim.department`",
                ref.span,
            )
            return None
        if len(ref.path) == 1 and ref.path[0].casefold() == "groups":
            return AttrType.STRING
        name = ref.path[0]
        urn = None
        if ":" in name:
            urn, _, name = name.rpartition(":")
        found = USER.resolve(name, urn) if len(ref.path) <= 2 else None
        attribute = None if found is None else found[1]
        if attribute is not None and len(ref.path) == 2:
            attribute = attribute.sub(ref.path[1]) if attribute.is_complex else None
        elif attribute is not None and attribute.is_complex:
            attribute = attribute.sub("value")
        if attribute is None:
            self.report(
                "unknown-attribute",
                f"unknown SCIM attribute `{text}`",
                ref.span,
                help=_did_you_mean(text, _SCIM_NAMES),
            )
            return None
        dotted = ".".join((name, *ref.path[1:])).casefold()
        if dotted not in _ZPA_NAMES and f"{dotted}.value" not in _ZPA_NAMES:
            self.report(
                "not-a-zpa-attribute",
                f"ZPA's policy criteria cannot use `{text}`; scimpolicy evaluates it, "
                "but ZPA could not enforce this rule",
                ref.span,
                severity=Severity.WARNING,
            )
        return attribute.type

    def value(
        self, node: Compare | In | Contains, kind: AttrType, value: Literal
    ) -> None:
        ref = node.ref
        text = _render_ref(ref)
        span = node.span or ref.span
        text_op = (
            node.op
            if isinstance(node, Compare) and node.op not in (CompareOp.EQ, CompareOp.NE)
            else None
        )
        if kind is AttrType.BOOLEAN:
            if text_op is not None:
                message = f"`{text_op}` needs text, but `{text}` is true or false"
            elif not isinstance(value, bool):
                shown = f'"{value}"' if isinstance(value, str) else str(value)
                message = (
                    f"`{text}` is true or false, so it cannot be compared with {shown}"
                )
            else:
                return
            self.report(
                "type-mismatch",
                message,
                span,
                help=f"write `{text} == true` or `{text} == false`",
            )
            return
        if not isinstance(value, str):
            self.report(
                "type-mismatch",
                f"`{text}` holds text, so compare it with a quoted string, not "
                f"{str(value).lower()}",
                span,
                help=f'write `{text} == "{str(value).lower()}"`',
            )
            return
        self.known_value(ref.kind, value, span)

    def known_value(
        self, kind: Namespace | None, value: str, span: Span | None
    ) -> None:
        folded = value.casefold()
        client_types = (*CLIENT_TYPES, *CLIENT_TYPES.values())
        if kind is Namespace.CLIENT_TYPE and folded not in client_types:
            self.report(
                "unknown-client-type",
                f"unknown client type `{value}`",
                span,
                help=_did_you_mean(value, client_types),
            )
        elif kind is Namespace.PLATFORM and folded not in PLATFORMS:
            self.report(
                "unknown-platform",
                f"unknown platform `{value}`: ZPA knows "
                + ", ".join(f"`{p}`" for p in PLATFORMS),
                span,
                help=_did_you_mean(value, PLATFORMS),
            )
        elif kind is Namespace.COUNTRY and not _COUNTRY.fullmatch(value):
            self.report(
                "invalid-country",
                f"`{value}` is not a two-letter ISO 3166 country code",
                span,
            )
        elif self.catalog is not None:
            self.catalogued(kind, value, span)

    def catalogued(self, kind: Namespace | None, value: str, span: Span | None) -> None:
        assert self.catalog is not None  # noqa: S101  checked by the caller
        tables: dict[Namespace | None, tuple[str, str, Collection[str]]] = {
            Namespace.APP: (
                "unknown-application",
                "application",
                self.catalog.applications,
            ),
            Namespace.SEGMENT_GROUP: (
                "unknown-segment-group",
                "segment group",
                self.catalog.segment_groups,
            ),
            Namespace.IDP: ("unknown-idp", "identity provider", self.catalog.idp_names),
        }
        entry = tables.get(kind)
        if entry is None:
            return
        code, noun, names = entry
        if value not in names:
            self.report(
                code,
                f"unknown {noun} `{value}`",
                span,
                help=_did_you_mean(value, names),
            )

    def groups(
        self, node: Contains | Compare | In, values: tuple[Literal, ...]
    ) -> None:
        if self.catalog is None:
            return
        known = {name.casefold() for name in self.catalog.scim_groups}
        for value in values:
            if isinstance(value, str) and value.casefold() not in known:
                # A warning: directories change after a policy is loaded (the IdP
                # may sync the group later); ZPA itself only offers synced groups.
                self.report(
                    "unknown-scim-group",
                    f"no SCIM group `{value}` in the tenant's directories (yet)",
                    node.span,
                    help=_did_you_mean(value, self.catalog.scim_groups),
                    severity=Severity.WARNING,
                )


def _leaves(criteria: Criteria) -> Iterator[Compare | In | Contains | Present]:
    stack: list[Criteria] = [criteria]
    while stack:
        node = stack.pop()
        if isinstance(node, (And, Or)):
            stack.extend((node.right, node.left))
        elif isinstance(node, Not):
            stack.append(node.operand)
        else:
            yield node


def check_policy(
    policy: Policy, tenant: Catalog | None = None
) -> tuple[Diagnostic, ...]:
    """Every diagnostic for *policy*, errors first (empty when all is well).

    With a *tenant* (anything that has the :class:`Catalog` name collections),
    application, segment group, SCIM group and IdP names are checked against it too.
    """
    return _Checker(tenant).check(policy)
