"""scimpolicy: what would Zscaler Private Access decide for these SCIM users, and why?

The names in :data:`__all__` are the supported public API; everything else is internal
and may move.
"""

from __future__ import annotations

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

__all__ = [
    "ZPA_POLICY_ATTRIBUTES",
    "AccessAction",
    "Address",
    "ApplicationSegment",
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
    "MultiValue",
    "MutabilityError",
    "Name",
    "NoTargetError",
    "Outcome",
    "PathSyntaxError",
    "Policy",
    "PolicyCheckError",
    "PolicySyntaxError",
    "PolicyType",
    "PortRange",
    "PreconditionFailedError",
    "ReasonCode",
    "Request",
    "ResourceNotFoundError",
    "Rule",
    "RuleSet",
    "RuleStatus",
    "RuleTrace",
    "ScimError",
    "ScimPolicyError",
    "Severity",
    "SourceError",
    "Span",
    "Tenant",
    "TimeoutAction",
    "TooManyError",
    "UniquenessError",
    "User",
    "check_policy",
    "compile_policy",
    "format_criteria",
    "format_policy",
    "interpret",
    "load_directory",
    "load_policy",
    "load_policy_file",
    "parse_criteria",
    "parse_filter",
    "parse_policy",
    "render_filter",
]


def __dir__() -> list[str]:
    return list(__all__)
