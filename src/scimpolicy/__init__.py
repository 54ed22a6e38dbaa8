"""scimpolicy: what would Zscaler Private Access decide for these SCIM users, and why?

The names in :data:`__all__` are the supported public API; everything else is internal
and may move.
"""

from __future__ import annotations

from scimpolicy.cases import (
    Case,
    CaseReport,
    CaseResult,
    RuleCoverage,
    load_cases,
    run_case_files,
    run_cases,
)
from scimpolicy.errors import (
    DataFileError,
    Diagnostic,
    FilterSyntaxError,
    InvalidSyntaxError,
    InvalidValueError,
    LoadError,
    MutabilityError,
    NoTargetError,
    PathSyntaxError,
    PolicyCheckError,
    PolicySyntaxError,
    PreconditionFailedError,
    ResourceNotFoundError,
    ScimError,
    ScimPolicyError,
    Severity,
    SourceError,
    Span,
    TooManyError,
    UniquenessError,
)
from scimpolicy.policy.checker import check_policy
from scimpolicy.policy.compiler import CompiledPolicy, compile_policy
from scimpolicy.policy.decisions import (
    Decision,
    ReasonCode,
    Request,
    RuleStatus,
    RuleTrace,
)
from scimpolicy.policy.engine import Engine
from scimpolicy.policy.facts import Facts, Gates
from scimpolicy.policy.formatter import format_criteria, format_policy
from scimpolicy.policy.interpreter import Outcome, interpret
from scimpolicy.policy.loader import load_policy, load_policy_file
from scimpolicy.policy.nodes import (
    AccessAction,
    Duration,
    ForwardingAction,
    Policy,
    PolicyType,
    Rule,
    RuleSet,
    TimeoutAction,
)
from scimpolicy.policy.parser import parse_criteria, parse_policy
from scimpolicy.policy.tenant import (
    ApplicationSegment,
    GateReport,
    IdentityProvider,
    PortRange,
    Tenant,
)
from scimpolicy.scim.directory import Directory, GroupRef, IgnoredAttributeWarning
from scimpolicy.scim.filter_nodes import render as render_filter
from scimpolicy.scim.filter_parser import parse_filter
from scimpolicy.scim.loader import load_directory
from scimpolicy.scim.models import (
    Address,
    EnterpriseUser,
    Group,
    Manager,
    Member,
    Meta,
    MultiValue,
    Name,
    User,
)
from scimpolicy.scim.schema import ZPA_POLICY_ATTRIBUTES
from scimpolicy.whatif.bulk import Population, Row, TerminalProgress, bulk_decide
from scimpolicy.whatif.changes import (
    AddGroup,
    AddRule,
    AddToGroup,
    AddUser,
    AdvanceTime,
    Change,
    ChangeError,
    MoveRule,
    MoveUser,
    PatchGroup,
    PatchUser,
    Reauthenticate,
    RemoveFromGroup,
    RemoveGroup,
    RemoveRule,
    RemoveUser,
    ReplaceRule,
    ReplaceUser,
    SetIdp,
    SetRuleDisabled,
    SetTime,
    UsePolicy,
    apply_changes,
)
from scimpolicy.whatif.diff import Transition, Verdict, WhatIfReport, what_if
from scimpolicy.whatif.readiness import ReadinessReport, readiness
from scimpolicy.whatif.scenario import load_scenario
from scimpolicy.workspace.files import load_workspace
from scimpolicy.workspace.sessions import Session, load_sessions
from scimpolicy.workspace.world import World

__all__ = [
    "ZPA_POLICY_ATTRIBUTES",
    "AccessAction",
    "AddGroup",
    "AddRule",
    "AddToGroup",
    "AddUser",
    "Address",
    "AdvanceTime",
    "ApplicationSegment",
    "Case",
    "CaseReport",
    "CaseResult",
    "Change",
    "ChangeError",
    "CompiledPolicy",
    "DataFileError",
    "Decision",
    "Diagnostic",
    "Directory",
    "Duration",
    "Engine",
    "EnterpriseUser",
    "Facts",
    "FilterSyntaxError",
    "ForwardingAction",
    "GateReport",
    "Gates",
    "Group",
    "GroupRef",
    "IdentityProvider",
    "IgnoredAttributeWarning",
    "InvalidSyntaxError",
    "InvalidValueError",
    "LoadError",
    "Manager",
    "Member",
    "Meta",
    "MoveRule",
    "MoveUser",
    "MultiValue",
    "MutabilityError",
    "Name",
    "NoTargetError",
    "Outcome",
    "PatchGroup",
    "PatchUser",
    "PathSyntaxError",
    "Policy",
    "PolicyCheckError",
    "PolicySyntaxError",
    "PolicyType",
    "Population",
    "PortRange",
    "PreconditionFailedError",
    "ReadinessReport",
    "ReasonCode",
    "Reauthenticate",
    "RemoveFromGroup",
    "RemoveGroup",
    "RemoveRule",
    "RemoveUser",
    "ReplaceRule",
    "ReplaceUser",
    "Request",
    "ResourceNotFoundError",
    "Row",
    "Rule",
    "RuleCoverage",
    "RuleSet",
    "RuleStatus",
    "RuleTrace",
    "ScimError",
    "ScimPolicyError",
    "Session",
    "SetIdp",
    "SetRuleDisabled",
    "SetTime",
    "Severity",
    "SourceError",
    "Span",
    "Tenant",
    "TerminalProgress",
    "TimeoutAction",
    "TooManyError",
    "Transition",
    "UniquenessError",
    "UsePolicy",
    "User",
    "Verdict",
    "WhatIfReport",
    "World",
    "apply_changes",
    "bulk_decide",
    "check_policy",
    "compile_policy",
    "format_criteria",
    "format_policy",
    "interpret",
    "load_cases",
    "load_directory",
    "load_policy",
    "load_policy_file",
    "load_scenario",
    "load_sessions",
    "load_workspace",
    "parse_criteria",
    "parse_filter",
    "parse_policy",
    "readiness",
    "render_filter",
    "run_case_files",
    "run_cases",
    "what_if",
]


def __dir__() -> list[str]:
    return list(__all__)
