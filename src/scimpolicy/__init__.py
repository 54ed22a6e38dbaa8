"""scimpolicy: what would Zscaler Private Access decide for these SCIM users, and why?

The names in :data:`__all__` are the supported public API; everything else is internal
and may move.
"""

from __future__ import annotations

from scimpolicy.errors import (
    DataFileError,
    FilterSyntaxError,
    InvalidSyntaxError,
    InvalidValueError,
    LoadError,
    MutabilityError,
    NoTargetError,
    PathSyntaxError,
    PreconditionFailedError,
    ResourceNotFoundError,
    ScimError,
    ScimPolicyError,
    SourceError,
    Span,
    TooManyError,
    UniquenessError,
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
    "Address",
    "DataFileError",
    "Directory",
    "EnterpriseUser",
    "FilterSyntaxError",
    "Group",
    "GroupRef",
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
    "PathSyntaxError",
    "PreconditionFailedError",
    "ResourceNotFoundError",
    "ScimError",
    "ScimPolicyError",
    "SourceError",
    "Span",
    "TooManyError",
    "UniquenessError",
    "User",
    "load_directory",
    "parse_filter",
    "render_filter",
]


def __dir__() -> list[str]:
    return list(__all__)
