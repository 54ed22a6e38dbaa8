"""Declarative policy tests: case files, their results, and rule coverage.

Stage: a case file (TOML, ``docs/testing.md``) + a
:class:`~scimpolicy.workspace.world.World` → :class:`CaseReport`. A case names a
user's request — the user, the IdP, the application, the client context, the time,
the IdP settings — and the decision expected: the outcome and, optionally, the
deciding rule. Each case is decided with its explanation, so a failure says why, and
the traces give rule coverage: which rules no case made decide, and which no case even
reached.

``scimpolicy test`` runs case files from the shell; the pytest plugin collects them as
test items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import attrs

from scimpolicy._text import did_you_mean, stamp
from scimpolicy.errors import DataFileError, ScimPolicyError
from scimpolicy.policy.decisions import Decision, RuleStatus
from scimpolicy.policy.engine import Engine
from scimpolicy.policy.facts import CLIENT_TYPES, PLATFORMS, is_client_type
from scimpolicy.policy.nodes import (
    AccessAction,
    ForwardingAction,
    PolicyType,
)
from scimpolicy.workspace.files import TomlText, load_workspace, read_toml
from scimpolicy.workspace.sessions import SESSION_FIELDS, Session, parse_timestamp
from scimpolicy.workspace.world import World

__all__ = [
    "Case",
    "CaseError",
    "CaseFile",
    "CaseReport",
    "CaseResult",
    "RuleCoverage",
    "load_cases",
    "run_case_files",
    "run_cases",
]

_SETTINGS: Final = (
    "scim_sync",
    "scim_attributes_for_policy",
    "scim_attributes_enabled_at",
    "saml_attributes_for_policy",
)
_CASE_KEYS: Final = (
    "name",
    *SESSION_FIELDS,
    "app",
    "host",
    "port",
    "policy",
    "now",
    "expect",
    "rule",
    "expired",
    *_SETTINGS,
)
_OUTCOMES: Final[dict[PolicyType, tuple[str, ...]]] = {
    PolicyType.ACCESS: (*(str(a) for a in AccessAction), "blocked"),
    PolicyType.FORWARDING: (*(str(a) for a in ForwardingAction), "blocked"),
}


class CaseError(ScimPolicyError, ValueError):
    """Case files that cannot be run together (no tenant, different tenants)."""


DEFAULT: Final = "default"
"""The ``rule`` a case gives when the policy's default should decide."""


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@attrs.frozen
class Case:
    """One test case: a session asking for something, and what should be decided.

    ``expect`` is the outcome (``allow``, ``deny``, ``require_approval``,
    ``intercept``, ``intercept_accessible``, ``bypass``, ``blocked``, or for timeout
    ``reauth every 1d idle 30m``); ``rule`` the deciding rule's name, or ``default``;
    ``expired`` for timeout cases. ``settings`` override the IdP's policy settings
    for this case.
    """

    name: str
    session: Session
    policy_type: PolicyType
    expect: str
    rule: str | None = None
    expired: bool | None = None
    app: str | None = None
    host: str | None = None
    port: int | None = None
    now: datetime | None = None
    settings: tuple[tuple[str, Any], ...] = ()
    origin: str = ""
    line: int = 0

    @property
    def where(self) -> str:
        """``file:line`` of the case."""
        return f"{self.origin}:{self.line}"


@attrs.frozen
class CaseResult:
    """A case, the decision made (with its trace) and what did not match."""

    case: Case
    decision: Decision
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Every expectation held."""
        return not self.problems

    def render(self) -> str:
        """The failure for people: what was expected, what happened, the explanation."""
        if self.passed:
            return f"PASS  {self.case.name}"
        lines = [f"FAIL  {self.case.name}  ({self.case.where})"]
        lines.extend(f"      {problem}" for problem in self.problems)
        lines.extend(f"      {line}" for line in self.decision.explain().splitlines())
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """JSON for scripts."""
        return {
            "name": self.case.name,
            "file": self.case.origin,
            "line": self.case.line,
            "passed": self.passed,
            "problems": list(self.problems),
            "decision": self.decision.to_json(),
        }


@attrs.frozen
class RuleCoverage:
    """How the cases exercised one enabled rule: how many it decided, how many
    reached it (it was considered: it decided or a later rule did)."""

    policy_type: PolicyType
    index: int
    rule: str
    decided: int
    reached: int


@attrs.frozen
class CaseReport:
    """The results of some cases, and the rule coverage they give."""

    results: tuple[CaseResult, ...]
    coverage: tuple[RuleCoverage, ...]

    @property
    def passed(self) -> int:
        """How many cases passed."""
        return sum(result.passed for result in self.results)

    @property
    def failed(self) -> int:
        """How many cases failed."""
        return len(self.results) - self.passed

    @property
    def covered(self) -> float:
        """The share of enabled rules that decided at least one case (0 to 100)."""
        if not self.coverage:
            return 100.0
        return 100 * sum(r.decided > 0 for r in self.coverage) / len(self.coverage)

    def summary(self) -> str:
        """``N passed, N failed``."""
        return f"{self.passed} passed, {self.failed} failed"

    def render_coverage(self) -> str:
        """Rule coverage for people: the share, then the rules never deciding and
        the rules never reached."""
        decided = sum(r.decided > 0 for r in self.coverage)
        total = len(self.coverage)
        headline = (
            f"rule coverage: {decided} of {total} enabled rules decided a case "
            f"({self.covered:.0f}%)"
        )
        lines = [headline]
        undecided = [r for r in self.coverage if r.decided == 0 and r.reached > 0]
        unreached = [r for r in self.coverage if r.reached == 0]
        if undecided:
            lines.append("reached but never deciding:")
            lines.extend(
                f"  {r.policy_type} #{r.index + 1} `{r.rule}` (reached by "
                f"{r.reached} case{'' if r.reached == 1 else 's'})"
                for r in undecided
            )
        if unreached:
            lines.append("never reached by any case:")
            lines.extend(
                f"  {r.policy_type} #{r.index + 1} `{r.rule}`" for r in unreached
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """JSON for scripts."""
        return {
            "passed": self.passed,
            "failed": self.failed,
            "cases": [result.to_json() for result in self.results],
            "coverage": {
                "percent": round(self.covered, 1),
                "rules": [
                    {
                        "policy": str(r.policy_type),
                        "index": r.index,
                        "rule": r.rule,
                        "decided": r.decided,
                        "reached": r.reached,
                    }
                    for r in self.coverage
                ],
            },
        }


@attrs.frozen
class CaseFile:
    """The cases of one file, and the tenant it names (``tenant = "..."``)."""

    path: Path
    tenant: Path | None
    cases: tuple[Case, ...]


# -- reading case files ---------------------------------------------------------------


class _Reader:
    """One ``[[case]]`` table (with the file's ``[defaults]``), errors at its keys."""

    def __init__(
        self, source: TomlText, data: Mapping[str, Any], index: int, line: int
    ) -> None:
        self.source, self.data, self.index, self.line = source, data, index, line

    def error(self, key: str | None, message: str) -> DataFileError:
        return self.source.error(
            f"case {self.index + 1}: {message}", "case", self.index, key
        )

    def get(self, key: str, kinds: tuple[type, ...], what: str) -> Any:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, kinds) or (
            isinstance(value, bool) and bool not in kinds
        ):
            raise self.error(key, f"`{key}`: expected {what}")
        return value

    def text(self, key: str, *, required: bool = False) -> Any:
        value = self.get(key, (str,), "a string")
        if required and not value:
            raise self.error(None, f"`{key}` is required")
        return value

    def moment(self, key: str) -> datetime | None:
        value = self.get(key, (str, datetime), "a date and time with an offset")
        if value is None or isinstance(value, datetime):
            if value is not None and value.tzinfo is None:
                raise self.error(key, f"`{key}`: add an offset (`Z` or `+HH:MM`)")
            return value
        try:
            return parse_timestamp(value)
        except ValueError as error:
            raise self.error(key, f"`{key}`: {error}") from None


def _policy_type(reader: _Reader) -> PolicyType:
    value = reader.text("policy")
    if value is None:
        has_app = reader.data.get("app") or reader.data.get("host")
        return PolicyType.ACCESS if has_app else PolicyType.FORWARDING
    try:
        return PolicyType(value)
    except ValueError:
        raise reader.error(
            "policy", "`policy`: expected access, forwarding or timeout"
        ) from None


def _expectation(reader: _Reader, kind: PolicyType) -> str:
    expect = reader.text("expect", required=True)
    if kind in _OUTCOMES:
        if _norm(expect) not in _OUTCOMES[kind]:
            raise reader.error(
                "expect",
                f"`expect`: {_article(str(kind))} {kind} case expects one of "
                f"{', '.join(_OUTCOMES[kind])}{did_you_mean(expect, _OUTCOMES[kind])}",
            )
        return _norm(expect)
    if _norm(expect) != "blocked" and not _norm(expect).startswith("reauth every "):
        raise reader.error(
            "expect",
            "`expect`: a timeout case expects `reauth every <interval> idle "
            "<interval or never>` (as the policy writes it) or `blocked`",
        )
    return _norm(expect)


def _context(reader: _Reader) -> dict[str, Any]:
    """The session's client context, checked."""
    found: dict[str, Any] = {}
    client = reader.text("client_type")
    if client is not None:
        if not is_client_type(client):
            raise reader.error(
                "client_type",
                f"`client_type`: unknown client type `{client}`"
                f"{did_you_mean(client, CLIENT_TYPES)}",
            )
        found["client_type"] = client
    platform = reader.text("platform")
    if platform is not None and platform.casefold() not in PLATFORMS:
        raise reader.error(
            "platform", f"`platform`: expected one of {', '.join(PLATFORMS)}"
        )
    found["platform"] = platform
    found["country"] = reader.text("country")
    found["machine_group"] = reader.text("machine_group")
    saml = reader.get("saml", (dict,), "a table of strings or arrays of strings")
    if saml is not None:
        for key, value in saml.items():
            if not (
                isinstance(value, str)
                or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            ):
                raise reader.error("saml", f"`saml.{key}`: expected a string or array")
        found["saml"] = saml
    posture = reader.get("posture", (dict,), "a table of true/false values")
    if posture is not None:
        if not all(isinstance(v, bool) for v in posture.values()):
            raise reader.error("posture", "`posture`: expected true/false values")
        found["posture"] = posture
    networks = reader.get("trusted_networks", (list,), "an array of strings")
    if networks is not None:
        if not all(isinstance(v, str) for v in networks):
            raise reader.error("trusted_networks", "`trusted_networks`: strings")
        found["trusted_networks"] = networks
    return found


def _case(reader: _Reader, world: World | None) -> Case:
    unknown = sorted(set(reader.data) - set(_CASE_KEYS))
    if unknown:
        raise reader.error(
            unknown[0],
            f"unknown key `{unknown[0]}`{did_you_mean(unknown[0], _CASE_KEYS)}",
        )
    name = reader.text("name", required=True)
    user = reader.text("user", required=True)
    idp = reader.text("idp")
    if idp is None and world is not None and len(world.tenant.idps) == 1:
        idp = world.tenant.idps[0].name
    if idp is None:
        raise reader.error(None, "`idp` is required (the tenant has several IdPs)")
    if world is not None and world.tenant.idp(idp) is None:
        names = [i.name for i in world.tenant.idps]
        raise reader.error(
            "idp", f"`idp`: no IdP named `{idp}`{did_you_mean(idp, names)}"
        )
    kind = _policy_type(reader)
    app = reader.text("app")
    if app is not None and world is not None and world.tenant.segment(app) is None:
        names = list(world.applications())
        raise reader.error(
            "app", f"`app`: no application segment `{app}`{did_you_mean(app, names)}"
        )
    port = reader.get("port", (int,), "a port number")
    now = reader.moment("now")
    authenticated = reader.moment("authenticated_at")
    moment = now or (world.now if world is not None else None)
    signed_in = authenticated or moment
    if signed_in is None:
        raise reader.error(None, "`authenticated_at` or `now` is required")
    settings: list[tuple[str, Any]] = []
    for key in _SETTINGS:
        if key == "scim_attributes_enabled_at":
            value: Any = reader.moment(key)
        else:
            value = reader.get(key, (bool,), "true or false")
        if value is not None:
            settings.append((key, value))
    session = Session(user, idp, signed_in, **_context(reader))
    return Case(
        name,
        session,
        kind,
        _expectation(reader, kind),
        rule=reader.text("rule"),
        expired=reader.get("expired", (bool,), "true or false"),
        app=app,
        host=reader.text("host"),
        port=port,
        now=now,
        settings=tuple(settings),
        origin=reader.source.origin,
        line=reader.line,
    )


def _header_lines(source: TomlText) -> list[int]:
    """The line of each ``[[case]]`` header."""
    return [
        number
        for number, line in enumerate(source.text.splitlines(), start=1)
        if line.strip().replace(" ", "") == "[[case]]"
    ]


def load_cases(path: str | Path, world: World | None = None) -> CaseFile:
    """Read a case file. With *world*, IdP and application names are checked
    against it (and ``now`` defaults to its).

    :raises DataFileError: TOML that cannot be read, an unknown key, a missing or
        mistyped field, an unknown IdP or application (file, line, key).
    """
    file = Path(path)
    source, data = read_toml(file)
    extra = sorted(set(data) - {"tenant", "defaults", "case"})
    if extra:
        raise source.error(
            f"unknown key `{extra[0]}` (a case file has `tenant`, [defaults] and "
            "[[case]] tables)",
            None,
            0,
            extra[0],
        )
    tenant = data.get("tenant")
    if tenant is not None and not isinstance(tenant, str):
        raise source.error("`tenant`: expected a path", None, 0, "tenant")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise source.error("`defaults`: expected a table", None, 0, "defaults")
    unknown = sorted(set(defaults) - set(_CASE_KEYS))
    if unknown:
        raise source.error(
            f"unknown key `{unknown[0]}` in [defaults]"
            f"{did_you_mean(unknown[0], _CASE_KEYS)}",
            "defaults",
            0,
            unknown[0],
        )
    tables = data.get("case", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise source.error("`case`: expected [[case]] tables", None, 0, "case")
    lines = _header_lines(source)
    cases = []
    names: set[str] = set()
    for index, table in enumerate(tables):
        line = lines[index] if index < len(lines) else 0
        case = _case(_Reader(source, {**defaults, **table}, index, line), world)
        if case.name in names:
            raise source.error(
                f"case {index + 1}: a second case named `{case.name}`",
                "case",
                index,
                "name",
            )
        names.add(case.name)
        cases.append(case)
    return CaseFile(
        file, None if tenant is None else file.parent / tenant, tuple(cases)
    )


# -- running them ---------------------------------------------------------------------


def _outcome(decision: Decision) -> str:
    if decision.blocked:
        return "blocked"
    text = decision.to_json()["outcome"]
    return _norm(str(text))


def _said(decision: Decision) -> str:
    return f"{_outcome(decision)} ({decision.decided_by})"


def _check(case: Case, decision: Decision) -> tuple[str, ...]:
    problems = []
    if _outcome(decision) != case.expect:
        problems.append(f"expected {case.expect}, got {_said(decision)}")
    if case.rule is not None:
        if case.rule.casefold() == DEFAULT:
            if decision.rule is not None or decision.blocked:
                problems.append(
                    f"expected the default to decide, got {_said(decision)}"
                )
        elif decision.rule is None or decision.rule.casefold() != case.rule.casefold():
            problems.append(
                f"expected rule `{case.rule}` to decide, got {_said(decision)}"
            )
    if case.expired is not None and decision.expired != case.expired:
        state = "expired" if case.expired else "valid"
        due = decision.expires_at
        due_text = "" if due is None else f" (due {stamp(due)})"
        problems.append(f"expected the session {state}{due_text}")
    return tuple(problems)


def _world_for(world: World, case: Case, cache: dict[Any, Engine]) -> Engine:
    """The engine for *case*'s IdP settings (shared by cases with the same)."""
    key = (case.session.idp, case.settings)
    found = cache.get(key)
    if found is None:
        if case.settings:
            idp = attrs.evolve(world.idp(case.session.idp), **dict(case.settings))
            found = world.with_idp(idp).engine()
        else:
            found = world.engine()
        cache[key] = found
    return found


def run_cases(world: World, cases: Iterable[Case]) -> CaseReport:
    """Decide every case (with its explanation) and measure rule coverage."""
    cache: dict[Any, Engine] = {}
    results = []
    decided: dict[tuple[PolicyType, int], int] = {}
    reached: dict[tuple[PolicyType, int], int] = {}
    for case in cases:
        engine = _world_for(world, case, cache)
        request = case.session.request(
            case.now or world.now, app=case.app, host=case.host, port=case.port
        )
        decision = engine.decide(case.policy_type, request, explain=True)
        results.append(CaseResult(case, decision, _check(case, decision)))
        for entry in decision.trace:
            if entry.status is not RuleStatus.DISABLED:
                key = (case.policy_type, entry.index)
                reached[key] = reached.get(key, 0) + 1
        if decision.rule_index is not None:
            key = (case.policy_type, decision.rule_index)
            decided[key] = decided.get(key, 0) + 1
    coverage = tuple(
        RuleCoverage(
            kind,
            index,
            rule.name,
            decided.get((kind, index), 0),
            reached.get((kind, index), 0),
        )
        for kind in PolicyType
        for index, rule in enumerate(world.policy.rule_set(kind).rules)
        if not rule.disabled
    )
    return CaseReport(tuple(results), coverage)


def _tenant_of(path: Path) -> Path | None:
    """The tenant a case file names (``tenant = "..."``), relative to the file."""
    source, data = read_toml(path)
    tenant = data.get("tenant")
    if tenant is None:
        return None
    if not isinstance(tenant, str):
        raise source.error("`tenant`: expected a path", None, 0, "tenant")
    return path.parent / tenant


def run_case_files(
    paths: Sequence[str | Path], tenant: str | Path | None = None
) -> tuple[CaseReport, tuple[CaseFile, ...]]:
    """Load and run case files against *tenant* (or the tenant each file names; all
    files must name the same one when *tenant* is not given)."""
    folders = set()
    if tenant is None:
        for path in paths:
            named = _tenant_of(Path(path))
            if named is None:
                raise CaseError(
                    f'{path}: no tenant: give `tenant = "folder"` in the case file '
                    "(or the tenant folder to the command)"
                )
            folders.add(named.resolve())
        if len(folders) > 1:
            raise CaseError(
                "the case files name different tenants: run them separately"
            )
        tenant = folders.pop()
    world = load_workspace(tenant)
    files = tuple(load_cases(path, world) for path in paths)
    report = run_cases(world, (case for file in files for case in file.cases))
    return report, files
