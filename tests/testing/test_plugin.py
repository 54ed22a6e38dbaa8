"""The pytest plugin, run by pytest itself (pytester): configuration, fixtures, the
assertion helpers' failures, case files as items, and the errors a user can make."""

from __future__ import annotations

from pathlib import Path

import pytest

import scimpolicy.testing.plugin
from scimpolicy.testing.plugin import CaseItem
from scimpolicy.workspace.files import load_workspace
from tests.testing.tenants import write_tenant

pytest_plugins = ["pytester"]

ACME = Path(__file__).parents[2] / "examples" / "acme"

ALLOWED_TESTS = """
from scimpolicy.testing import RequestFactory, assert_allowed
from scimpolicy import Engine


def test_finance_reaches_payroll(
    scimpolicy_engine: Engine, scimpolicy_request: RequestFactory
) -> None:
    assert_allowed(scimpolicy_engine, scimpolicy_request("alice@example.com", app="Payroll"))


def test_contractor_reaches_payroll(
    scimpolicy_engine: Engine, scimpolicy_request: RequestFactory
) -> None:
    assert_allowed(scimpolicy_engine, scimpolicy_request("carl@example.com", app="Payroll"))
"""

FIXTURE_TESTS = """
from scimpolicy import CompiledPolicy, Directory, Engine, World
from scimpolicy.testing import DirectoryFactory, RequestFactory


def test_fixtures(
    scimpolicy_world: World,
    scimpolicy_engine: Engine,
    scimpolicy_policy: CompiledPolicy,
    scimpolicy_directory: DirectoryFactory,
    scimpolicy_request: RequestFactory,
) -> None:
    assert [idp.name for idp in scimpolicy_world.tenant.idps] == {idps!r}
    assert scimpolicy_engine is scimpolicy_world.engine()
    assert scimpolicy_policy is scimpolicy_world.compiled
    assert isinstance(scimpolicy_directory({idp!r}), Directory)
    assert scimpolicy_request({user!r}).idp == {idp!r}
"""

CASES = """\
tenant = "{tenant}"

[defaults]
app = "Payroll"

[[case]]
name = "Finance reaches payroll"
user = "alice@example.com"
expect = "allow"
rule = "Finance to payroll"

[[case]]
name = "Contractors reach payroll"
user = "carl@example.com"
expect = "allow"

[[case]]
name = "Before signing in again, contractors fall to the default"
user = "carl@example.com"
authenticated_at = 2026-11-19T09:00:00Z
expect = "deny"
rule = "default"
"""


def tiny(pytester: pytest.Pytester, folder: str = "tenant") -> Path:
    return write_tenant(pytester.path / folder)


def ini(pytester: pytest.Pytester, tenant: str) -> None:
    pytester.makeini(f"[pytest]\nscimpolicy_tenant = {tenant}\n")


def test_assert_allowed_failure_shows_the_explanation(
    pytester: pytest.Pytester,
) -> None:
    """A failing assert_allowed prints expected and got, then the explanation, at
    the test's line (the helper's frames are hidden)."""
    tiny(pytester)
    ini(pytester, "tenant")
    pytester.makepyfile(test_payroll=ALLOWED_TESTS)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*def test_contractor_reaches_payroll(*",
            ">       assert_allowed(*",
            (
                "E       AssertionError: access for `carl@example.com` (IdP `Okta`) to "
                "`Payroll`: expected allow, got deny (rule `Contractors: no payroll`)"
            ),
            "E       access decision: deny for `Payroll`",
            "E         decided by rule `Contractors: no payroll`",
            "E         reason code: BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
            "E         #1 `Contractors: no payroll`: matched",
            "test_payroll.py:14: AssertionError",
        ]
    )
    result.stdout.no_fnmatch_line("*assertions.py*")


def test_fixtures_with_the_command_line_option(pytester: pytest.Pytester) -> None:
    """--scimpolicy-tenant (relative to the current directory) configures every
    fixture; the header names the tenant."""
    folder = tiny(pytester, "tenants/tiny")
    pytester.makepyfile(
        FIXTURE_TESTS.format(idps=["Okta"], idp="Okta", user="alice@example.com")
    )
    result = pytester.runpytest("--scimpolicy-tenant=tenants/tiny")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"scimpolicy tenant: {folder}"])


def test_fixtures_with_the_ini_option_relative_to_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ini option is relative to the ini file's folder, wherever pytest runs."""
    tiny(pytester)
    ini(pytester, "tenant")
    sub = pytester.mkdir("sub")
    (sub / "test_fixtures.py").write_text(
        FIXTURE_TESTS.format(idps=["Okta"], idp="Okta", user="alice@example.com"),
        encoding="utf-8",
    )
    monkeypatch.chdir(sub)
    pytester.runpytest().assert_outcomes(passed=1)


def test_an_ini_override_without_an_ini_file_is_relative_to_the_rootdir(
    pytester: pytest.Pytester,
) -> None:
    """`-o scimpolicy_tenant=...` with no ini file resolves against the rootdir."""
    tiny(pytester)
    pytester.makepyfile(
        FIXTURE_TESTS.format(idps=["Okta"], idp="Okta", user="alice@example.com")
    )
    pytester.runpytest("-o", "scimpolicy_tenant=tenant").assert_outcomes(passed=1)


def test_the_command_line_wins_over_the_ini_option(pytester: pytest.Pytester) -> None:
    """--scimpolicy-tenant replaces the ini file's tenant (here: acme, two IdPs)."""
    tiny(pytester)
    ini(pytester, "tenant")
    pytester.makepyfile(
        FIXTURE_TESTS.format(
            idps=["Okta", "Entra"], idp="Entra", user="nadia.wagner@acme-europe.example"
        )
    )
    pytester.runpytest(f"--scimpolicy-tenant={ACME}").assert_outcomes(passed=1)


def test_no_tenant_configured_is_a_clear_error(pytester: pytest.Pytester) -> None:
    """A fixture without a tenant errors (never skips) and says how to configure
    one."""
    pytester.makepyfile(ALLOWED_TESTS)
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_finance_reaches_payroll*",
            (
                'no scimpolicy tenant: set `scimpolicy_tenant = "path/to/tenant"` in the '
                "pytest configuration ([tool.pytest.ini_options] in pyproject.toml, or "
                "pytest.ini) or give --scimpolicy-tenant PATH"
            ),
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_tenant_that_cannot_be_loaded(pytester: pytest.Pytester) -> None:
    """A missing folder, or a policy with errors, fails the fixture with the
    reason, file and line."""
    pytester.makepyfile(ALLOWED_TESTS)
    result = pytester.runpytest("--scimpolicy-tenant=nowhere")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            (
                f"cannot load the tenant `{pytester.path / 'nowhere'}`: No such file or "
                f"directory: `{pytester.path / 'nowhere'}`"
            )
        ]
    )
    write_tenant(
        pytester.path / "broken", policy='access:\n  rule "x": allow\n    when'
    )
    result = pytester.runpytest("--scimpolicy-tenant=broken")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [f"cannot load the tenant `{pytester.path / 'broken'}`: *tiny.policy*line 3*"]
    )


def test_case_files_are_collected_as_items(pytester: pytest.Pytester) -> None:
    """Each [[case]] is an item named after the case, at its [[case]] line; a
    failing case shows its report (expected, got, explanation), not a traceback."""
    tiny(pytester)
    cases = pytester.mkdir("cases")
    (cases / "payroll.cases.toml").write_text(
        CASES.format(tenant="../tenant"), encoding="utf-8"
    )
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "cases/payroll.cases.toml::Finance reaches payroll PASSED*",
            "cases/payroll.cases.toml::Contractors reach payroll FAILED*",
            "*_ Contractors reach payroll _*",
            "FAIL  Contractors reach payroll  (cases/payroll.cases.toml:12)",
            "      expected allow, got deny (rule `Contractors: no payroll`)",
            "      access decision: deny for `Payroll`",
            "        decided by rule `Contractors: no payroll`",
            "        reason code: BRK_MT_SETUP_FAIL_REJECTED_BY_POLICY",
            "        #1 `Contractors: no payroll`: matched",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*CaseFailedError*")


def test_a_case_item_is_located_at_its_case(pytester: pytest.Pytester) -> None:
    """The item's location is the file and the [[case]] line (0-based, as pytest
    keeps it)."""
    tiny(pytester)
    (pytester.path / "payroll.cases.toml").write_text(
        CASES.format(tenant="tenant"), encoding="utf-8"
    )
    items, _ = pytester.inline_genitems()
    assert [item.name for item in items] == [
        "Finance reaches payroll",
        "Contractors reach payroll",
        "Before signing in again, contractors fall to the default",
    ]
    assert [item.location for item in items] == [
        ("payroll.cases.toml", 5, "Finance reaches payroll"),
        ("payroll.cases.toml", 11, "Contractors reach payroll"),
        (
            "payroll.cases.toml",
            16,
            "Before signing in again, contractors fall to the default",
        ),
    ]
    assert all(isinstance(item, CaseItem) for item in items)


def test_a_case_file_without_a_tenant_uses_the_configured_one(
    pytester: pytest.Pytester,
) -> None:
    """No `tenant` in the file: the ini option's tenant; settings per case apply."""
    tiny(pytester)
    ini(pytester, "tenant")
    text = CASES.replace('tenant = "{tenant}"\n', "").replace(
        'expect = "allow"\n\n[[case]]\nname = "Before',
        'expect = "deny"\n\n[[case]]\nname = "Before',
    )
    text += (
        '\n[[case]]\nname = "With SCIM attributes off, the SCIM rules are unknown"\n'
        'user = "carl@example.com"\nscim_attributes_for_policy = false\n'
        'expect = "deny"\nrule = "default"\n'
    )
    (pytester.path / "payroll.cases.toml").write_text(text, encoding="utf-8")
    pytester.runpytest().assert_outcomes(passed=4)


def test_a_case_file_without_any_tenant_is_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    """Neither the file nor the configuration names a tenant: say how to give one."""
    (pytester.path / "payroll.cases.toml").write_text(
        CASES.replace('tenant = "{tenant}"\n', ""), encoding="utf-8"
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting payroll.cases.toml*",
            (
                'payroll.cases.toml: no tenant: give `tenant = "folder"` in the case file, '
                'or set `scimpolicy_tenant = "path/to/tenant"` in the pytest configuration*'
            ),
        ]
    )


def test_a_malformed_case_file_is_a_collection_error_at_its_line(
    pytester: pytest.Pytester,
) -> None:
    """The DataFileError's message (file, line, key, suggestion) is the collection
    error; no traceback."""
    tiny(pytester)
    text = CASES.format(tenant="tenant").replace('expect = "allow"', 'expct = "allow"')
    (pytester.path / "payroll.cases.toml").write_text(text, encoding="utf-8")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting payroll.cases.toml*",
            (
                "payroll.cases.toml: case 1: unknown key `expct`: did you mean `expect`? "
                "(at line 9, column 1)"
            ),
            '    expct = "allow"',
            "    ~~~~^",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_case_naming_an_unknown_application(pytester: pytest.Pytester) -> None:
    """Names are checked against the tenant at collection, with a suggestion."""
    tiny(pytester)
    text = CASES.format(tenant="tenant").replace('app = "Payroll"', 'app = "Payrol"')
    (pytester.path / "payroll.cases.toml").write_text(text, encoding="utf-8")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*`app`: no application segment `Payrol`: did you mean `Payroll`?*"]
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tenant = 3\n", "payroll.cases.toml: `tenant`: expected a path*"),
        ('tenant = "nowhere"\n', "cannot load the tenant `nowhere`: No such file*"),
        ("tenant = [\n", "payroll.cases.toml: *"),
    ],
)
def test_a_case_files_tenant_that_cannot_be_loaded(
    pytester: pytest.Pytester, text: str, message: str
) -> None:
    """A tenant that is not a path, or cannot be loaded, or TOML that cannot be
    read, is a collection error of the case file."""
    (pytester.path / "payroll.cases.toml").write_text(text, encoding="utf-8")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_tenant_is_loaded_once_per_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two case files naming the tenant (spelt differently) and the fixtures share
    one load; a tenant that failed is not loaded again either."""
    loads: list[Path] = []
    real = load_workspace

    def counting(path: Path) -> object:
        loads.append(Path(path))
        return real(path)

    monkeypatch.setattr(scimpolicy.testing.plugin, "load_workspace", counting)
    folder = tiny(pytester)
    ini(pytester, "tenant")
    (pytester.path / "a.cases.toml").write_text(
        CASES.format(tenant="tenant"), encoding="utf-8"
    )
    sub = pytester.mkdir("sub")
    (sub / "b.cases.toml").write_text(
        CASES.format(tenant="../tenant/tenant.toml"), encoding="utf-8"
    )
    pytester.makepyfile(
        FIXTURE_TESTS.format(idps=["Okta"], idp="Okta", user="alice@example.com")
    )
    pytester.runpytest().assert_outcomes(passed=5, failed=2)
    assert len(loads) == 1
    assert loads[0].resolve() == folder.resolve()

    loads.clear()
    (pytester.path / "a.cases.toml").write_text(
        CASES.format(tenant="nowhere"), encoding="utf-8"
    )
    (sub / "b.cases.toml").write_text(
        CASES.format(tenant=pytester.path / "nowhere"), encoding="utf-8"
    )
    result = pytester.runpytest("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "cannot load the tenant `nowhere`: No such file or directory: `nowhere`",
            (
                f"cannot load the tenant `{pytester.path / 'nowhere'}`: No such file or "
                "directory: `nowhere`"
            ),
        ]
    )
    assert sorted(path.name for path in loads) == ["nowhere", "tenant"]


def test_an_error_inside_a_case_shows_its_traceback(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a case's failure is shown as its report; a bug is a traceback."""

    def broken(*_: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(scimpolicy.testing.plugin, "run_cases", broken)
    tiny(pytester)
    (pytester.path / "payroll.cases.toml").write_text(
        CASES.format(tenant="tenant"), encoding="utf-8"
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["E*RuntimeError: boom"])


def test_the_acme_case_file_passes(pytester: pytest.Pytester) -> None:
    """The example's case file, collected by pytest from where it is, passes."""
    result = pytester.runpytest(str(ACME / "tests" / "acme.cases.toml"))
    result.assert_outcomes(passed=12)


def test_the_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    """-p no:scimpolicy: no fixtures, no case files."""
    tiny(pytester)
    (pytester.path / "payroll.cases.toml").write_text(
        CASES.format(tenant="tenant"), encoding="utf-8"
    )
    result = pytester.runpytest("-p", "no:scimpolicy")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_importing_the_testing_package_needs_neither_pytest_nor_hypothesis(
    pytester: pytest.Pytester,
) -> None:
    """`scimpolicy.testing` imports no test-only dependency (a fresh interpreter)."""
    result = pytester.runpython_c(
        "import sys, scimpolicy.testing; "
        "print(sorted({'pytest', '_pytest', 'hypothesis'} & set(sys.modules)))"
    )
    assert result.ret == 0
    assert result.stdout.str().strip() == "[]"
