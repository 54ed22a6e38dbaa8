"""The pytest plugin: fixtures for a tenant, and case files as test items.

Registered through the ``pytest11`` entry point as ``scimpolicy``, so installing
scimpolicy enables it (``-p no:scimpolicy`` disables it).

**Configuration.** The tenant folder (``docs/tenant-files.md``; or its
``tenant.toml``) the fixtures decide in:

- the ini option ``scimpolicy_tenant`` (``[tool.pytest.ini_options]`` of
  ``pyproject.toml``, or ``pytest.ini``), relative to the configuration file's
  folder (the rootdir when there is none);
- ``--scimpolicy-tenant PATH`` on the command line, relative to the current
  directory; it wins over the ini option.

**Fixtures** (session-scoped: worlds are immutable, and each tenant is loaded once per
session, shared with the case files naming it):

- ``scimpolicy_world``: the tenant as a :class:`~scimpolicy.workspace.world.World`;
  with no tenant configured, or one that cannot be loaded, every test using it fails
  with the reason (never a skip);
- ``scimpolicy_engine``: its :class:`~scimpolicy.policy.engine.Engine`;
- ``scimpolicy_policy``: its :class:`~scimpolicy.policy.compiler.CompiledPolicy`
  (``.policy`` the rules, ``.diagnostics`` the checker's warnings);
- ``scimpolicy_request``: a :class:`~scimpolicy.testing.factories.RequestFactory`,
  ``scimpolicy_request("mia.lopez@acme.example", app="Payroll")``;
- ``scimpolicy_directory``: a :class:`~scimpolicy.testing.factories.DirectoryFactory`,
  ``scimpolicy_directory("Okta")``: a fork of that IdP's SCIM directory, yours to
  change (function-scoped).

**Case files.** Every ``*.cases.toml`` file pytest meets is collected (``docs/
testing.md``): each ``[[case]]`` is a test item named after the case and located at
its ``[[case]]`` line. A file runs against the tenant it names (``tenant = ".."``,
relative to the file), else the configured one. An item fails with the case's report
(what was expected, what was decided, the decision's explanation), not a traceback.
A case file that cannot be read, an unknown IdP or application in it, or a tenant
that cannot be loaded is a collection error naming the file, the line and the key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs
import pytest

from scimpolicy.cases import Case, CaseResult, load_cases, run_cases
from scimpolicy.errors import ScimPolicyError
from scimpolicy.policy.compiler import CompiledPolicy
from scimpolicy.policy.engine import Engine
from scimpolicy.testing.factories import DirectoryFactory, RequestFactory
from scimpolicy.workspace.files import TENANT_FILE, load_workspace, read_toml
from scimpolicy.workspace.world import World

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

__all__ = [
    "CaseFileCollector",
    "CaseItem",
    "scimpolicy_directory",
    "scimpolicy_engine",
    "scimpolicy_policy",
    "scimpolicy_request",
    "scimpolicy_world",
]

INI: Final = "scimpolicy_tenant"
OPTION: Final = "--scimpolicy-tenant"
SUFFIX: Final = ".cases.toml"

NO_TENANT: Final = (
    f'no scimpolicy tenant: set `{INI} = "path/to/tenant"` in the pytest '
    "configuration ([tool.pytest.ini_options] in pyproject.toml, or pytest.ini) or "
    f"give {OPTION} PATH"
)


class _TenantError(Exception):
    """A tenant folder that could not be loaded (the message says why)."""


@attrs.frozen
class _Loaded:
    """A tenant folder, loaded or not."""

    world: World | None
    error: str | None = None  # why not


_WORLDS: Final = pytest.StashKey[dict[Path, _Loaded]]()
_VARIANTS: Final = pytest.StashKey[dict[tuple[Any, ...], World]]()


# -- configuration --------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--scimpolicy-tenant`` and the ``scimpolicy_tenant`` ini option."""
    group = parser.getgroup("scimpolicy", "scimpolicy policy tests")
    group.addoption(
        OPTION,
        dest="scimpolicy_tenant",
        metavar="PATH",
        default=None,
        help="the tenant folder (or its tenant.toml) the scimpolicy fixtures and "
        "case files without a `tenant` decide in; overrides the ini option",
    )
    parser.addini(
        INI,
        type="string",
        default="",
        help="the tenant folder (or its tenant.toml) the scimpolicy fixtures and "
        "case files without a `tenant` decide in, relative to this file",
    )


def _configured_tenant(config: pytest.Config) -> Path | None:
    """The tenant the command line or the ini file names, or ``None``."""
    given = config.getoption("scimpolicy_tenant")
    if given:
        return config.invocation_params.dir / str(given)
    value = str(config.getini(INI) or "").strip()
    if not value:
        return None
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    return base / value


def pytest_report_header(config: pytest.Config) -> str | None:
    """``scimpolicy tenant: PATH`` when one is configured."""
    tenant = _configured_tenant(config)
    return None if tenant is None else f"scimpolicy tenant: {tenant}"


def _key(path: Path) -> Path:
    path = path.resolve()
    return path / TENANT_FILE if path.is_dir() else path


def _load_world(config: pytest.Config, path: Path) -> World:
    """The tenant at *path*, loaded once per session (a failure is kept, too).

    :raises _TenantError: the tenant cannot be loaded.
    """
    worlds = config.stash.setdefault(_WORLDS, {})
    key = _key(path)
    loaded = worlds.get(key)
    if loaded is None:
        try:
            loaded = _Loaded(load_workspace(path))
        except OSError as error:
            where = f": `{error.filename}`" if error.filename else ""
            loaded = _Loaded(None, f"{error.strerror or error}{where}")
        except ScimPolicyError as error:
            loaded = _Loaded(None, str(error))
        worlds[key] = loaded
    if loaded.world is None:
        raise _TenantError(f"cannot load the tenant `{path}`: {loaded.error}")
    return loaded.world


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def scimpolicy_world(pytestconfig: pytest.Config) -> World:
    """The configured tenant (``scimpolicy_tenant`` or ``--scimpolicy-tenant``)."""
    tenant = _configured_tenant(pytestconfig)
    if tenant is None:
        pytest.fail(NO_TENANT, pytrace=False)
    try:
        return _load_world(pytestconfig, tenant)
    except _TenantError as error:
        message = str(error)
    pytest.fail(message, pytrace=False)  # outside `except`: no chained traceback


@pytest.fixture(scope="session")
def scimpolicy_engine(scimpolicy_world: World) -> Engine:
    """The engine deciding requests in the configured tenant."""
    return scimpolicy_world.engine()


@pytest.fixture(scope="session")
def scimpolicy_policy(scimpolicy_world: World) -> CompiledPolicy:
    """The configured tenant's policy, compiled (checked against the tenant)."""
    return scimpolicy_world.compiled


@pytest.fixture(scope="session")
def scimpolicy_request(scimpolicy_world: World) -> RequestFactory:
    """``scimpolicy_request(user, app=..., ...)``: a request in the configured
    tenant, a fresh sign-in at its ``now`` unless told otherwise."""
    return RequestFactory(scimpolicy_world)


@pytest.fixture
def scimpolicy_directory(scimpolicy_world: World) -> DirectoryFactory:
    """``scimpolicy_directory("Okta")``: a fork of that IdP's SCIM directory."""
    return DirectoryFactory(scimpolicy_world)


# -- case files -----------------------------------------------------------------------


class CaseFailedError(AssertionError):
    """A case whose decision is not the one expected."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.render())
        self.result = result


def _with_settings(config: pytest.Config, world: World, case: Case) -> World:
    """*world* with the case's IdP settings (one world per distinct settings)."""
    if not case.settings:
        return world
    variants = config.stash.setdefault(_VARIANTS, {})
    key = (id(world), case.session.idp, case.settings)
    found = variants.get(key)
    if found is None:
        idp = attrs.evolve(world.idp(case.session.idp), **dict(case.settings))
        found = variants[key] = world.with_idp(idp)
    return found


class CaseItem(pytest.Item):
    """One ``[[case]]`` of a case file."""

    def __init__(self, *, case: Case, world: World, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.world = world

    def runtest(self) -> None:
        """Decide the case with its explanation; fail when an expectation fails."""
        world = _with_settings(self.config, self.world, self.case)
        report = run_cases(world, [attrs.evolve(self.case, settings=())])
        result = report.results[0]
        if not result.passed:
            raise CaseFailedError(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        """A failed case is its report: expected, got, and the explanation."""
        if isinstance(excinfo.value, CaseFailedError):
            return excinfo.value.result.render()
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The case file and the case's ``[[case]]`` line."""
        return self.path, self.case.line - 1 if self.case.line else None, self.name


class CaseFileCollector(pytest.File):
    """A ``*.cases.toml`` file: its cases are the items."""

    def collect(self) -> Iterator[CaseItem]:
        """Read the file, load its tenant, and give one item per case."""
        path = _shown(self.path)
        try:
            world = _load_world(self.config, _tenant_of(path, self.config))
            cases = load_cases(path, world).cases
        except (ScimPolicyError, _TenantError, OSError) as error:
            raise self.CollectError(str(error)) from error
        for case in cases:
            yield CaseItem.from_parent(self, name=case.name, case=case, world=world)


def _tenant_of(path: Path, config: pytest.Config) -> Path:
    """The tenant the case file names, else the configured one (``load_cases``
    checks the rest of the file, with the tenant's names).

    :raises _TenantError: neither names one.
    """
    _, data = read_toml(path)
    named = data.get("tenant")
    if named is not None:
        if not isinstance(named, str):
            load_cases(path)  # raises its error at the key
        return Path(os.path.normpath(path.parent / str(named)))  # no `x/..` shown
    configured = _configured_tenant(config)
    if configured is None:
        raise _TenantError(
            f'{path}: no tenant: give `tenant = "folder"` in the case file, or '
            f"{NO_TENANT.removeprefix('no scimpolicy tenant: ')}"
        )
    return configured


def _shown(path: Path) -> Path:
    """*path* relative to the current directory when it is under it (for messages)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> CaseFileCollector | None:
    """Collect ``*.cases.toml`` files."""
    if file_path.name.endswith(SUFFIX):
        return CaseFileCollector.from_parent(parent, path=file_path)
    return None
