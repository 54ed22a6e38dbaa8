"""The engine: ZPA's decision for a request, step by step as SPEC §5 orders it.

Stage: a :class:`~scimpolicy.policy.tenant.Tenant`, a compiled policy and a
:class:`~scimpolicy.policy.decisions.Request` → a
:class:`~scimpolicy.policy.decisions.Decision`:

1. **IdP and application.** The request's IdP is looked up; the application is the
   named segment, or the most specific segment for the host and port.
2. **Presence gate.** With SCIM Sync on, a user missing from the IdP's directory or
   inactive is blocked before any rule is read (``BRK_MT_SETUP_FAIL_SCIM_INACTIVE``),
   for the tenant's presence client types (Client Connector by default).
3. **Usable criteria.** The IdP's settings and the session's authentication time say
   whether SCIM and SAML criteria count (:meth:`IdentityProvider.gates`).
4. **First match.** The compiled policy finds the first enabled rule whose criteria
   are true (unusable criteria are unknown; Kleene logic); otherwise the default, the
   policy's own or ZPA's.
5. **Timeout** decisions say when re-authentication is due and whether the session has
   expired at ``now`` (``BRK_MT_SETUP_FAIL_SAML_EXPIRED``); **forwarding** decisions
   with ``intercept_accessible`` list the applications the access policy allows.

``decide_*`` take the fast path; ``explain_*`` give the same decision with the trace of
every rule considered (generated code too: status and culprit criterion per rule, held
to the reference interpreter by property tests). Evaluation never raises for bad data:
an unknown IdP or application is reported in the decision.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final, NamedTuple

from scimpolicy.policy.codegen import (
    DISABLED,
    MATCHED,
    NOT_MATCHED,
    UNKNOWN,
    Explainer,
)
from scimpolicy.policy.compiler import CompiledPolicy, compile_policy
from scimpolicy.policy.decisions import (
    ACCESS_REASONS,
    Decision,
    ReasonCode,
    Request,
    RuleStatus,
    RuleTrace,
)
from scimpolicy.policy.facts import CLIENT_TYPES, Facts, Gates
from scimpolicy.policy.formatter import format_criteria
from scimpolicy.policy.nodes import (
    ZPA_DEFAULTS,
    AccessAction,
    Action,
    Compare,
    Contains,
    Criteria,
    ForwardingAction,
    In,
    Policy,
    PolicyType,
    Present,
    RuleSet,
    TimeoutAction,
)
from scimpolicy.policy.tenant import ApplicationSegment, Tenant

__all__ = ["Engine"]


class _Context(NamedTuple):
    """What one request resolves to before any rule is read (a named tuple: one is
    built per decision)."""

    facts: Facts
    gates: Gates
    notes: tuple[str, ...]
    application: str | None
    blocked: bool = False
    unresolved: bool = False
    scim_reason: str | None = None
    saml_reason: str | None = None


_MAX_CACHED: Final = 100_000
"""Distinct access decisions kept for reuse (notes can name users, so bound it)."""
#: Distinct traces kept per engine before the cache starts over.
_TRACE_CACHE_SIZE: Final = 4096

_STATUS: Final = {
    MATCHED: RuleStatus.MATCHED,
    NOT_MATCHED: RuleStatus.NOT_MATCHED,
    UNKNOWN: RuleStatus.UNKNOWN,
    DISABLED: RuleStatus.DISABLED,
}
_GATES: Final = {
    (scim, saml): Gates(scim, saml) for scim in (True, False) for saml in (True, False)
}


_CLIENT_TYPE_NAMES: dict[str, str] = {}


def _client_type(value: str) -> str:
    """The API name of a client type as a request spells it (memoized: few exist)."""
    found = _CLIENT_TYPE_NAMES.get(value)
    if found is None:
        folded = value.casefold()
        found = CLIENT_TYPES.get(folded, folded)
        if len(_CLIENT_TYPE_NAMES) < 256:
            _CLIENT_TYPE_NAMES[value] = found
    return found


def _text(texts: dict[int, str], position: int, node: Criteria) -> str:
    """The formatted criterion at a table position (formatted once per explainer)."""
    found = texts.get(position)
    if found is None:
        found = texts[position] = format_criteria(node)
    return found


class Engine:
    """Decides requests against one tenant and one policy.

    ``Engine(tenant, policy)`` takes a compiled policy (from ``load_policy``) or a
    parsed :class:`~scimpolicy.policy.nodes.Policy`. It is immutable and thread-safe;
    it reads the directories as they are at each call.
    """

    def __init__(self, tenant: Tenant, policy: CompiledPolicy | Policy) -> None:
        self.tenant = tenant
        self.policy = (
            policy if isinstance(policy, CompiledPolicy) else compile_policy(policy)
        )
        # (rule, action, notes, application) -> the access decision (values: shared)
        self._access: dict[
            tuple[int | None, Action, tuple[str, ...], str | None], Decision
        ] = {}
        # (explainer, its raw output, the gate reasons) -> the trace
        self._traces: dict[
            tuple[Explainer, tuple[int, ...], str | None, str | None],
            tuple[RuleTrace, ...],
        ] = {}

    # -- public ------------------------------------------------------------------

    def decide_access(self, request: Request) -> Decision:
        """The access decision (allow, deny, require approval) for the request's app."""
        return self._decide(PolicyType.ACCESS, request, explain=False)

    def decide_forwarding(self, request: Request) -> Decision:
        """The client-forwarding decision (intercept, intercept accessible, bypass)."""
        return self._decide(PolicyType.FORWARDING, request, explain=False)

    def decide_timeout(self, request: Request) -> Decision:
        """The timeout decision: when re-authentication is due, expired at ``now``?"""
        return self._decide(PolicyType.TIMEOUT, request, explain=False)

    def explain_access(self, request: Request) -> Decision:
        """:meth:`decide_access` with the trace of every rule considered."""
        return self._decide(PolicyType.ACCESS, request, explain=True)

    def explain_forwarding(self, request: Request) -> Decision:
        """:meth:`decide_forwarding` with the trace of every rule considered."""
        return self._decide(PolicyType.FORWARDING, request, explain=True)

    def explain_timeout(self, request: Request) -> Decision:
        """:meth:`decide_timeout` with the trace of every rule considered."""
        return self._decide(PolicyType.TIMEOUT, request, explain=True)

    def decide(
        self,
        policy_type: PolicyType,
        request: Request,
        *,
        explain: bool = False,
        app: str | None = None,
    ) -> Decision:
        """The decision of one policy type (``explain`` adds the trace).

        *app* names the application segment to decide for instead of the request's
        own ``app``, ``host`` and ``port``: one request can be decided for every
        application without building a request per application (bulk evaluation
        does).
        """
        if policy_type.__class__ is not PolicyType:
            policy_type = PolicyType(policy_type)  # "access" works as well
        return self._decide(policy_type, request, explain=explain, segment_name=app)

    def clear_trace_cache(self) -> None:
        """Forget the explanations kept for reuse (at most a few thousand distinct
        traces are kept; every decision is still evaluated afresh)."""
        self._traces.clear()

    # -- steps -------------------------------------------------------------------

    def _context(self, request: Request, segment_name: str | None = None) -> _Context:
        notes: list[str] = []
        if segment_name is None and request.app is None and request.host is None:
            segment, application, unresolved = None, None, False
        else:
            segment, application, unresolved = self._application(
                request, segment_name, notes
            )
        idp = self.tenant.idp(request.idp)
        client_type = _client_type(request.client_type)
        user = None if idp is None else idp.directory.user_by_name(request.user)
        present = False
        groups: frozenset[str] = frozenset()
        if idp is not None and user is not None and user.is_active:
            present, groups = True, idp.directory.group_names_of(user.id)
        # Positionally, in Facts' field order (one is built per decision).
        base = Facts(
            user if present else None,
            groups,
            request.saml,
            application,
            None if segment is None else segment.segment_group,
            request.idp,
            client_type,
            request.platform,
            request.country,
            request.posture,
            request.trusted_networks,
            request.machine_group,
        )
        if idp is None:
            notes.append(
                f"no IdP named `{request.idp}` in the tenant: the request is blocked"
            )
            return _Context(
                base, Gates(scim=False), tuple(notes), application, blocked=True
            )
        report = idp.gates(request.authenticated_at)
        if user is None:
            notes.append(
                f"`{request.user}` is not in IdP `{idp.name}`'s SCIM directory"
            )
        elif not user.is_active:
            notes.append(
                f"`{user.user_name}` is inactive in SCIM (active=false): absent for "
                "policy"
            )
        gated = client_type in self.tenant.presence_client_types
        if idp.scim_sync and gated and not present:
            notes.append(
                "SCIM Sync is on, so ZPA blocks the user before reading any rule"
            )
            return _Context(base, Gates(), tuple(notes), application, blocked=True)
        if report.scim_reason is not None:
            notes.append(f"SCIM criteria unusable: {report.scim_reason}")
        if report.saml_reason is not None:
            notes.append(f"SAML criteria unusable: {report.saml_reason}")
        return _Context(
            base,
            _GATES[report.scim, report.saml],
            tuple(notes) if notes else (),
            application,
            False,  # noqa: FBT003  positional: blocked (a named tuple)
            unresolved,
            report.scim_reason,
            report.saml_reason,
        )

    def _application(
        self, request: Request, segment_name: str | None, notes: list[str]
    ) -> tuple[ApplicationSegment | None, str | None, bool]:
        """``(segment, application name, unresolved)`` for the request."""
        name = segment_name or request.app
        if name is not None:
            segment = self.tenant.segment(name)
            if segment is None and self.tenant.segments:
                notes.append(f"no application segment named `{name}` in the tenant")
            return segment, name, False
        if request.host is None:
            return None, None, False
        segment = self.tenant.resolve(request.host, request.port)
        if segment is None:
            where = (
                request.host
                if request.port is None
                else f"{request.host}:{request.port}"
            )
            notes.append(f"no application segment covers `{where}`")
            return None, None, True
        return segment, segment.name, False

    def _decide(
        self,
        policy_type: PolicyType,
        request: Request,
        *,
        explain: bool,
        segment_name: str | None = None,
    ) -> Decision:
        context = self._context(request, segment_name)
        if context.blocked:
            outcome: Action | None = (
                AccessAction.DENY if policy_type is PolicyType.ACCESS else None
            )
            scim = self.tenant.idp(request.idp) is not None
            return Decision(
                policy_type,
                outcome,
                reason_code=ReasonCode.SCIM_INACTIVE if scim else None,
                blocked=True,
                notes=context.notes,
                application=context.application,
            )
        if context.unresolved and policy_type is PolicyType.ACCESS:
            return Decision(
                policy_type,
                AccessAction.DENY,
                reason_code=ReasonCode.NO_POLICY_FOUND,
                notes=context.notes,
            )
        rule_set = self.policy.policy.rule_set(policy_type)
        found = self.policy.matcher(policy_type, context.gates)(context.facts)
        index: int | None = None
        name: str | None = None
        if found < 0:
            action = rule_set.default or ZPA_DEFAULTS[policy_type]
        else:
            rule = rule_set.rules[found]
            index, name, action = found, rule.name, rule.action
        reason, due, expired, allowed = None, None, False, None
        if isinstance(action, AccessAction):
            if not explain:
                # An access decision is a function of these alone: reuse the value.
                key = (index, action, context.notes, context.application)
                decision = self._access.get(key)
                if decision is None:
                    decision = Decision(
                        policy_type,
                        action,
                        rule=name,
                        rule_index=index,
                        reason_code=ACCESS_REASONS[action],
                        notes=context.notes,
                        application=context.application,
                    )
                    if len(self._access) < _MAX_CACHED:
                        self._access[key] = decision
                return decision
            reason = ACCESS_REASONS[action]
        elif isinstance(action, TimeoutAction):
            if action.reauth.minutes is not None:
                due = request.authenticated_at + timedelta(
                    minutes=action.reauth.minutes
                )
                expired = request.now >= due
                reason = ReasonCode.SAML_EXPIRED if expired else None
        elif action is ForwardingAction.INTERCEPT_ACCESSIBLE:
            allowed = self._allowed_apps(request)
        return Decision(
            policy_type,
            action,
            rule=name,
            rule_index=index,
            reason_code=reason,
            notes=context.notes,
            trace=self._trace(policy_type, rule_set, context) if explain else (),
            application=context.application,
            expires_at=due,
            expired=expired,
            allowed_apps=allowed,
        )

    def _allowed_apps(self, request: Request) -> tuple[str, ...]:
        """The segments the access policy allows this user (SPEC §5.6)."""
        return tuple(
            segment.name
            for segment in self.tenant.segments
            if self._decide(
                PolicyType.ACCESS, request, explain=False, segment_name=segment.name
            ).allowed
        )

    def _trace(
        self, policy_type: PolicyType, rule_set: RuleSet, context: _Context
    ) -> tuple[RuleTrace, ...]:
        """Every rule up to the deciding one, with the criterion that failed each one
        that did not match (generated code; the property tests hold it to the
        reference interpreter)."""
        explainer = self.policy.explainer(policy_type, context.gates)
        raw = explainer.run(context.facts)
        # Whole traces recur from request to request: the same rules fail on the same
        # criteria. The explainer is part of the key (identity-hashed and kept alive by
        # it), so a position is never read against another explainer's table.
        key = (explainer, raw, context.scim_reason, context.saml_reason)
        found = self._traces.get(key)
        if found is not None:
            return found
        nodes, texts = explainer.nodes, explainer.texts
        entries: list[RuleTrace] = []
        for at in range(0, len(raw), 3):
            index, status, position = raw[at], raw[at + 1], raw[at + 2]
            node = None if position < 0 else nodes[position]
            reason = None
            if status == UNKNOWN and isinstance(node, (Compare, In, Contains, Present)):
                reason = (
                    context.scim_reason if node.ref.is_scim else context.saml_reason
                )
            entries.append(
                RuleTrace(
                    index,
                    rule_set.rules[index].name,
                    _STATUS[status],
                    None if node is None else _text(texts, position, node),
                    reason,
                )
            )
        trace = tuple(entries)
        if len(self._traces) >= _TRACE_CACHE_SIZE:
            self._traces.clear()
        self._traces[key] = trace
        return trace
