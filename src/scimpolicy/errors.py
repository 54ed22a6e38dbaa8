"""The one exception tree of scimpolicy, and source spans.

This module is the leaf of the package: it imports nothing from scimpolicy, so every
other module can raise these errors.

::

    ScimPolicyError(Exception)                   base for everything scimpolicy raises
    ├── SourceError(ScimPolicyError, ValueError)  text that could not be read: message,
    │   │                                         source, span, origin; renders a caret
    │   ├── FilterSyntaxError(.., ScimError)      400 invalidFilter (syntax, unknown
    │   │                                         attribute, operator/type mismatch)
    │   ├── PathSyntaxError(.., ScimError)        400 invalidPath (PATCH paths, sortBy,
    │   │                                         attributes)
    │   ├── PolicySyntaxError                     policy text that cannot be parsed
    │   └── DataFileError                         a JSON data file that cannot be loaded
    ├── PolicyCheckError(ScimPolicyError, ValueError)  a policy with error diagnostics
    ├── LoadError(ScimPolicyError, ValueError)    a resource of a bulk import rejected:
    │                                             kind, index, and the SCIM error
    ├── StoreError(ScimPolicyError)               a SCIM server's data folder that
    │                                             cannot be used (corrupt, in use)
    └── ScimError(ScimPolicyError)                RFC 7644 §3.12: status, scim_type,
                                                  detail
        ├── InvalidSyntaxError                    400 invalidSyntax
        ├── InvalidValueError                     400 invalidValue
        ├── MutabilityError                       400 mutability
        ├── NoTargetError                         400 noTarget
        ├── TooManyError                          400 tooMany
        ├── ResourceNotFoundError                 404
        ├── UniquenessError                       409 uniqueness
        └── PreconditionFailedError               412

Messages follow one style: they start lowercase, have no final period, put user input
in backticks and chain context with colons (``Operations[1]: path `emails[`: ...``).
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Final

import attrs

__all__ = [
    "DataFileError",
    "Diagnostic",
    "FilterSyntaxError",
    "InvalidSyntaxError",
    "InvalidValueError",
    "LoadError",
    "MutabilityError",
    "NoTargetError",
    "PathSyntaxError",
    "PolicyCheckError",
    "PolicySyntaxError",
    "PreconditionFailedError",
    "ResourceNotFoundError",
    "ScimError",
    "ScimPolicyError",
    "Severity",
    "SourceError",
    "Span",
    "StoreError",
    "TooManyError",
    "UniquenessError",
]

ERROR_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:Error"


@attrs.frozen
class Span:
    """A half-open range ``[start, end)`` of character offsets into a source text."""

    start: int
    end: int

    def line_and_column(self, source: str) -> tuple[int, int]:
        """Return the 1-based line and column of :attr:`start` in *source*."""
        start = min(self.start, len(source))
        line = source.count("\n", 0, start) + 1
        column = start - (source.rfind("\n", 0, start) + 1) + 1
        return line, column


class ScimPolicyError(Exception):
    """Base class of every exception scimpolicy raises on purpose."""


class SourceError(ScimPolicyError, ValueError):
    """Text that could not be read, with the offending span.

    ``str(error)`` is ``message (at line L, column C)`` followed by the source line and
    a ``~~~^`` marker under the span, so the reader sees exactly where the problem is.
    """

    def __init__(
        self, message: str, source: str, span: Span, *, origin: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span
        self.origin = origin

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_source_error,
            (type(self), self.message, self.source, self.span, self.origin),
        )

    @property
    def lineno(self) -> int:
        """The 1-based line of the span's start."""
        return self.span.line_and_column(self.source)[0]

    @property
    def colno(self) -> int:
        """The 1-based column of the span's start."""
        return self.span.line_and_column(self.source)[1]

    def headline(self) -> str:
        """The one-line form: ``origin: message (at line L, column C)``."""
        prefix = f"{self.origin}: " if self.origin else ""
        return f"{prefix}{self.message} (at line {self.lineno}, column {self.colno})"

    def __str__(self) -> str:
        line_start = self.source.rfind("\n", 0, self.span.start) + 1
        line_end = self.source.find("\n", line_start)
        if line_end == -1:
            line_end = len(self.source)
        line = self.source[line_start:line_end]
        start = min(self.span.start, line_end) - line_start
        end = max(min(self.span.end, line_end) - line_start, start + 1)
        marker = " " * start + "~" * (end - start - 1) + "^"
        return f"{self.headline()}\n    {line}\n    {marker}"


def _rebuild_source_error(
    cls: type[SourceError], message: str, source: str, span: Span, origin: str | None
) -> SourceError:
    return cls(message, source, span, origin=origin)


class PolicySyntaxError(SourceError):
    """Policy text (or a criteria expression) that cannot be parsed."""


class DataFileError(SourceError):
    """A data file (a SCIM export, a tenant file, a sessions file) that cannot be
    loaded."""


class Severity(enum.StrEnum):
    """How bad a diagnostic is: errors stop a policy from loading, the rest inform."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@attrs.frozen
class Diagnostic:
    """One finding of the policy checker.

    ``code`` is a stable slug (``unknown-attribute``), ``message`` one line in the
    house style, ``span`` where in the text (when known), ``help`` a suggestion
    ("did you mean `scim.department`?"), ``rule`` the rule's name, if any, and
    ``origin`` the file it is about when that is not the policy text (an imported
    ZPA rule file).
    """

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    help: str | None = None
    rule: str | None = None
    origin: str | None = None

    def render(self, source: str | None = None, *, origin: str | None = None) -> str:
        """Render as ``error[code]: message (at line L, column C)``, the source line
        with a ``~~~^`` marker, and the help, when the source is given."""
        head = f"{self.severity}[{self.code}]: "
        context = f"rule `{self.rule}`: " if self.rule else ""
        origin = origin or self.origin
        lines: list[str]
        if source is not None and self.span is not None:
            located = SourceError(
                context + self.message, source, self.span, origin=origin
            )
            lines = str(located).split("\n")
            lines[0] = head + lines[0]
        else:
            prefix = f"{origin}: " if origin else ""
            lines = [f"{head}{prefix}{context}{self.message}"]
        if self.help:
            lines.append(f"    help: {self.help}")
        return "\n".join(lines)


class PolicyCheckError(ScimPolicyError, ValueError):
    """A policy with error diagnostics; ``diagnostics`` holds all of them (errors
    first), and ``str()`` renders every one against the source."""

    def __init__(
        self,
        diagnostics: tuple[Diagnostic, ...],
        source: str | None = None,
        *,
        origin: str | None = None,
    ) -> None:
        errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
        super().__init__(f"policy has {errors} error(s)")
        self.diagnostics = diagnostics
        self.source = source
        self.origin = origin

    def __str__(self) -> str:
        rendered = [d.render(self.source, origin=self.origin) for d in self.diagnostics]
        return "\n".join([str(self.args[0]), *rendered])

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_check_error, (self.diagnostics, self.source, self.origin))


def _rebuild_check_error(
    diagnostics: tuple[Diagnostic, ...], source: str | None, origin: str | None
) -> PolicyCheckError:
    return PolicyCheckError(diagnostics, source, origin=origin)


class LoadError(ScimPolicyError, ValueError):
    """A resource of a bulk import was rejected; nothing was imported.

    ``kind`` is ``"users"`` or ``"groups"``, ``index`` the resource's position in that
    input and ``cause`` the :class:`ScimError` saying what is wrong with it.
    """

    def __init__(self, kind: str, index: int, cause: ScimError) -> None:
        super().__init__(f"{kind}[{index}]: {cause.detail}")
        self.kind = kind
        self.index = index
        self.cause = cause

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.kind, self.index, self.cause))


class StoreError(ScimPolicyError):
    """A SCIM server's data folder that cannot be opened: corrupt, from a newer
    version, or in use by another server. Nothing was loaded."""


class ScimError(ScimPolicyError):
    """An error with a SCIM meaning (RFC 7644 §3.12): HTTP status, ``scimType``, detail.

    :meth:`to_scim` gives the RFC error response body.
    """

    status: ClassVar[int] = 400
    scim_type: ClassVar[str | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def to_scim(self) -> dict[str, Any]:
        """Return the RFC 7644 §3.12 error body (``status`` is a string there)."""
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type is not None:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


class InvalidSyntaxError(ScimError):
    """The request body could not be read or holds attributes the schema lacks."""

    scim_type = "invalidSyntax"


class InvalidValueError(ScimError):
    """A required value is missing or a value has the wrong type or form."""

    scim_type = "invalidValue"


class MutabilityError(ScimError):
    """The change would modify a read-only or immutable attribute."""

    scim_type = "mutability"


class NoTargetError(ScimError):
    """A PATCH path or filter selected nothing that the operation could act on."""

    scim_type = "noTarget"


class TooManyError(ScimError):
    """The query would return more results than allowed."""

    scim_type = "tooMany"


class ResourceNotFoundError(ScimError):
    """No resource has that id."""

    status = 404


class UniquenessError(ScimError):
    """A value that must be unique (``userName``) is already taken."""

    status = 409
    scim_type = "uniqueness"


class PreconditionFailedError(ScimError):
    """The ``If-Match`` version no longer matches the resource (RFC 7644 §3.14)."""

    status = 412


class _SourceScimError(SourceError, ScimError):
    """A SCIM error raised for a span of text (a filter or a path)."""

    def __init__(
        self, message: str, source: str, span: Span, *, origin: str | None = None
    ) -> None:
        SourceError.__init__(self, message, source, span, origin=origin)
        self.detail = self.headline()


class FilterSyntaxError(_SourceScimError):
    """A filter that cannot be used: a syntax error, an unknown attribute or a
    comparison the attribute's type does not allow (RFC 7644 §3.4.2.2)."""

    scim_type = "invalidFilter"


class PathSyntaxError(_SourceScimError):
    """An attribute path (PATCH ``path``, ``sortBy``, ``attributes``) that is malformed
    or names an attribute the schema does not have."""

    scim_type = "invalidPath"
