"""``export_zpa``: a policy as ZPA v2 policy-rule JSON, the shapes it writes, the
round trip through ``import_zpa``, and the diagnostics for what ZPA cannot express.

ZPA facts: ``research/zpa.md`` §1 and §2.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scimpolicy import Severity
from scimpolicy.policy.formatter import format_policy
from scimpolicy.policy.parser import parse_policy
from scimpolicy.zpa import Catalogue, ZpaExport, export_zpa, import_zpa

FIXTURES = Path(__file__).parent / "fixtures"
OKTA = "216196257331281920"
ENTRA = "216196257331281921"
GIT = "216196257331291969"
PAYROLL = "216196257331291970"
INTRANET = "216196257331291971"
FINANCE_APPS = "216196257331291968"
OKTA_DEPARTMENT = "216196257331285825"  # SCIM attribute
ENTRA_DEPARTMENT = "216196257331285901"  # SCIM attribute
OKTA_SAML_DEPARTMENT = "216196257331285100"
ENTRA_SAML_DEPARTMENT = "216196257331285200"
HQ = "c7b4d4c6-2f1a-4e6b-9d3c-8a7b6c5d4e3f"
CROWDSTRIKE = "ad3b2d8d-4b3f-4a4a-8f0e-6a1f2c3d4e5f"


@cache
def catalogue() -> Catalogue:
    return Catalogue.load(FIXTURES / "catalogue")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@cache
def exported_fixtures() -> dict[str, list[dict[str, Any]]]:
    names = ("access-v1.json", "forwarding-v1.json", "timeout-v1.json")
    policy = import_zpa([fixture(name) for name in names], catalogue()).policy
    result = export_zpa(policy, catalogue())
    assert result.diagnostics == ()
    assert result.ok
    return result.to_json()


def export(text: str) -> ZpaExport:
    return export_zpa(parse_policy(text), catalogue())


def access(criteria: str) -> str:
    """An access policy: rule "Probe" with *criteria*, then rule "After"."""
    return (
        f'access:\n  rule "Probe": allow\n    when {criteria}\n'
        '  rule "After": deny\n    when app == "Payroll"\n'
    )


def conditions(text: str) -> list[dict[str, Any]]:
    """The conditions of the first exported access rule (which must export)."""
    result = export(text)
    assert result.diagnostics == ()
    first: list[dict[str, Any]] = result.to_json()["ACCESS_POLICY"][0]["conditions"]
    return first


def values(object_type: str, *ids: str) -> dict[str, Any]:
    return {"objectType": object_type, "values": list(ids)}


def entries(object_type: str, *pairs: tuple[str, str]) -> dict[str, Any]:
    return {
        "objectType": object_type,
        "entryValues": [{"lhs": lhs, "rhs": rhs} for lhs, rhs in pairs],
    }


def block(*operands: dict[str, Any], operator: str = "OR") -> dict[str, Any]:
    return {"operator": operator, "operands": list(operands)}


# -- the fixtures ------------------------------------------------------------------


def test_the_json_is_keyed_by_policy_set_type() -> None:
    assert list(exported_fixtures()) == [
        "ACCESS_POLICY",
        "CLIENT_FORWARDING_POLICY",
        "TIMEOUT_POLICY",
    ]


def test_an_empty_policy_set_is_left_out() -> None:
    result = export('forwarding:\n  rule "f": bypass\n')
    assert list(result.to_json()) == ["CLIENT_FORWARDING_POLICY"]
    assert export("").to_json() == {}


def test_access_rules_in_the_v2_shape() -> None:
    rules = exported_fixtures()["ACCESS_POLICY"]
    assert [r["ruleOrder"] for r in rules] == ["1", "2", "3", "4", "5"]
    contractors, git, finance, intranet, build = rules
    assert contractors == {
        "name": "Block contractors from finance",
        "action": "DENY",
        "disabled": False,
        "operator": "AND",
        "conditions": [
            block(values("APP_GROUP", FINANCE_APPS)),
            block(
                entries("SCIM_GROUP", (OKTA, "295020")),
                entries("SCIM", ("216196257331285826", "Contractor")),
            ),
        ],
        "ruleOrder": "1",
    }
    assert git["action"] == "ALLOW"
    assert git["conditions"] == [
        block(values("APP", GIT)),
        block(
            entries("SAML", (OKTA_SAML_DEPARTMENT, "Engineering")),
            entries("SCIM_GROUP", (OKTA, "295019")),
        ),
        block(values("CLIENT_TYPE", "zpn_client_type_zapp")),
        block(entries("POSTURE", (CROWDSTRIKE, "true"))),
    ]
    assert finance["conditions"] == [
        block(values("APP", PAYROLL)),
        block(
            entries("SAML", (ENTRA_SAML_DEPARTMENT, "Finance")),
            entries("SCIM_GROUP", (ENTRA, "295101")),
            operator="AND",
        ),
    ]
    assert intranet["conditions"] == [
        block(values("APP", INTRANET)),
        block(entries("TRUSTED_NETWORK", (HQ, "true"))),
        block(entries("PLATFORM", ("mac", "true"), ("windows", "true"))),
    ]
    assert build["disabled"] is True
    assert build["conditions"] == [block(values("MACHINE_GRP", "216196257331292300"))]


def test_access_default_deny_exports_nothing() -> None:
    """ZPA blocks when no access rule matches (zpa.md §1.4)."""
    names = [r["name"] for r in exported_fixtures()["ACCESS_POLICY"]]
    assert "Default_Rule" not in names
    result = export(
        'access:\n  rule "a": allow\n    when app == "Git"\n  default: deny\n'
    )
    assert result.diagnostics == ()
    assert len(result.to_json()["ACCESS_POLICY"]) == 1


def test_access_default_allow_is_a_last_catch_all_rule() -> None:
    result = export(
        'access:\n  rule "a": deny\n    when app == "Git"\n  default: allow\n'
    )
    assert result.ok
    (warning,) = result.diagnostics
    assert (warning.code, warning.severity) == ("access-default", Severity.WARNING)
    assert warning.message == (
        "ZPA's access default is always block; `default: allow` is exported as a last "
        "rule that matches every request"
    )
    assert result.to_json()["ACCESS_POLICY"][-1] == {
        "name": "Default allow",
        "action": "ALLOW",
        "ruleOrder": "2",
        "operator": "AND",
        "conditions": [],
    }


def test_forwarding_rules_and_their_default_rule_last() -> None:
    rules = exported_fixtures()["CLIENT_FORWARDING_POLICY"]
    bypass, allowed, default = rules
    assert (bypass["action"], bypass["ruleOrder"]) == ("BYPASS", "1")
    assert bypass["conditions"] == [
        block(values("IDP", ENTRA)),
        block(entries("COUNTRY_CODE", ("FR", "true"))),
    ]
    # The API's documented spelling, not the misspelling the importer also reads.
    assert (allowed["action"], allowed["ruleOrder"]) == ("INTERCEPT_ACCESSIBLE", "2")
    assert allowed["conditions"] == [
        block(values("CLIENT_TYPE", "zpn_client_type_zapp"))
    ]
    assert default == {
        "name": "Default_Rule",
        "defaultRule": True,
        "ruleOrder": "3",  # last, as in ZPA's own answers
        "operator": "AND",
        "conditions": [],
        "action": "INTERCEPT",
    }


def test_timeout_rules_in_seconds_as_strings() -> None:
    daily, default = exported_fixtures()["TIMEOUT_POLICY"]
    assert daily == {
        "name": "Contractors re-auth daily",
        "action": "RE_AUTH",
        "reauthTimeout": "86400",
        "reauthIdleTimeout": "1800",
        "disabled": False,
        "operator": "AND",
        "conditions": [block(entries("SCIM_GROUP", (OKTA, "295020")))],
        "ruleOrder": "1",
    }
    assert default["defaultRule"] is True
    assert (default["reauthTimeout"], default["reauthIdleTimeout"]) == ("604800", "-1")


def test_a_policy_without_defaults_exports_no_default_rules() -> None:
    result = export('timeout:\n  rule "t": reauth every 10m idle never\n')
    (only,) = result.to_json()["TIMEOUT_POLICY"]
    assert (only["reauthTimeout"], only["reauthIdleTimeout"]) == ("600", "-1")
    assert "defaultRule" not in only


@pytest.mark.parametrize(
    "names",
    [
        ["access-v1.json", "forwarding-v1.json", "timeout-v1.json"],
        ["access-v1.json"],
        ["access-v2.json"],
        ["forwarding-v1.json"],
        ["timeout-v1.json"],
    ],
)
def test_export_then_import_gives_the_same_text(names: list[str]) -> None:
    imported = import_zpa([fixture(name) for name in names], catalogue())
    exported = export_zpa(imported.policy, catalogue())
    again = import_zpa(list(exported.to_json().values()), catalogue())
    assert again.diagnostics == ()
    assert format_policy(again.policy) == format_policy(imported.policy)


def test_the_json_is_json() -> None:
    """Every value is a JSON type: the result dumps and loads back unchanged."""
    data = exported_fixtures()
    assert json.loads(json.dumps(data)) == data


# -- SAML and SCIM criteria and their IdPs ---------------------------------------


def test_an_or_block_without_idp_gets_an_operand_per_idp() -> None:
    """Both IdPs have a SCIM `department`, so both are asked."""
    assert conditions(access('scim.department == "Eng"')) == [
        block(entries("SCIM", (OKTA_DEPARTMENT, "Eng"), (ENTRA_DEPARTMENT, "Eng")))
    ]
    assert conditions(access('saml.department == "Eng" or app == "Git"')) == [
        block(
            entries(
                "SAML", (OKTA_SAML_DEPARTMENT, "Eng"), (ENTRA_SAML_DEPARTMENT, "Eng")
            ),
            values("APP", GIT),
        )
    ]


def test_a_criterion_of_one_idp_needs_no_idp() -> None:
    assert conditions(access('scim.userType == "Contractor"')) == [
        block(entries("SCIM", ("216196257331285826", "Contractor")))
    ]
    assert conditions(access('"Finance" in scim.groups')) == [
        block(entries("SCIM_GROUP", (ENTRA, "295101")))
    ]


def test_idp_beside_saml_or_scim_chooses_the_idp_and_is_not_exported() -> None:
    assert conditions(access('idp == "Entra" and scim.department == "Eng"')) == [
        block(entries("SCIM", (ENTRA_DEPARTMENT, "Eng")))
    ]


def test_idp_without_saml_or_scim_is_an_idp_operand() -> None:
    assert conditions(access('idp == "Okta" and app == "Git"')) == [
        block(values("IDP", OKTA)),
        block(values("APP", GIT)),
    ]


def test_idp_that_also_scopes_other_criteria_is_kept() -> None:
    """`idp == "Okta" and (scim... or app...)`: an Entra user on Git must not match."""
    found = conditions(
        access('idp == "Okta" and (scim.department == "Eng" or app == "Git")')
    )
    assert found == [
        block(values("IDP", OKTA)),
        block(entries("SCIM", (OKTA_DEPARTMENT, "Eng")), values("APP", GIT)),
    ]


def test_an_or_of_idp_scoped_blocks() -> None:
    """The importer's form of an OR block with operands of two IdPs."""
    text = access(
        '(idp == "Okta" and scim.department == "Eng") or (idp == "Entra" and '
        '"Finance" in scim.groups)'
    )
    assert conditions(text) == [
        block(
            entries("SCIM", (OKTA_DEPARTMENT, "Eng")),
            entries("SCIM_GROUP", (ENTRA, "295101")),
        )
    ]


def test_saml_and_scim_criteria_joined_by_and_form_one_and_block() -> None:
    text = access(
        'app == "Git" and idp == "Okta" and scim.department == "Eng" and saml.role == "dev"'
    )
    assert conditions(text) == [
        block(values("APP", GIT)),
        block(
            entries("SCIM", (OKTA_DEPARTMENT, "Eng")),
            entries("SAML", ("216196257331285101", "dev")),
            operator="AND",
        ),
    ]


def test_an_and_block_with_an_attribute_of_two_idps_needs_idp() -> None:
    result = export(access('scim.department == "Eng" and saml.role == "dev"'))
    assert not result.ok
    (error,) = result.diagnostics
    assert (error.code, error.severity, error.rule) == (
        "cannot-export",
        Severity.ERROR,
        "Probe",
    )
    assert error.message == (
        '`department` exists in IdPs Okta, Entra: in an `and` block, write `idp == "..." '
        "and ...` to say which; the rule is left out"
    )
    assert [r["name"] for r in result.to_json()["ACCESS_POLICY"]] == ["After"]


def test_values_of_one_object_type_share_an_operand() -> None:
    text = access(
        'app in ["Git", "Payroll"] or segment_group == "Finance Apps" or app == "Git"'
    )
    assert conditions(text) == [
        block(values("APP", GIT, PAYROLL), values("APP_GROUP", FINANCE_APPS))
    ]


@pytest.mark.parametrize(
    ("criteria", "operand"),
    [
        ('platform != "linux"', entries("PLATFORM", ("linux", "false"))),
        ('platform == "Mac"', entries("PLATFORM", ("mac", "true"))),
        ('country == "fr"', entries("COUNTRY_CODE", ("FR", "true"))),
        ('"HQ" not in trusted_network', entries("TRUSTED_NETWORK", (HQ, "false"))),
        (
            'posture["CrowdStrike running"] == false',
            entries("POSTURE", (CROWDSTRIKE, "false")),
        ),
        (
            'client_type == "web_browser"',
            values("CLIENT_TYPE", "zpn_client_type_exporter"),
        ),
        (
            'client_type == "zpn_client_type_zapp"',
            values("CLIENT_TYPE", "zpn_client_type_zapp"),
        ),
        ('idp in ["Okta", "Entra"]', values("IDP", OKTA, ENTRA)),
        (
            'idp == "Okta" and scim.active == true',
            entries("SCIM", ("216196257331285827", "true")),
        ),
    ],
)
def test_single_criteria(criteria: str, operand: dict[str, Any]) -> None:
    assert conditions(access(criteria)) == [block(operand)]


# -- what ZPA cannot express -------------------------------------------------------

NESTED_AND = (
    "an `and` inside an `or` block has no ZPA form (ZPA joins the criteria of one "
    "block with one operator)"
)


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ('not app == "Git"', 'ZPA has no operand for `not app == "Git"`'),
        (
            'app == "Git" and not (platform == "mac" or platform == "ios")',
            'ZPA has no operand for `not (platform == "mac" or platform == "ios")`',
        ),
        ('scim.department != "x"', 'ZPA has no operand for `scim.department != "x"`'),
        ('saml.role != "x"', 'ZPA has no operand for `saml.role != "x"`'),
        ('app startswith "G"', 'ZPA has no operand for `app startswith "G"`'),
        (
            "scim.department is present",
            "ZPA has no operand for `scim.department is present`",
        ),
        (
            '"Contractors" not in scim.groups',
            'ZPA has no operand for `"Contractors" not in scim.groups`',
        ),
        ('app not in ["Git"]', 'ZPA has no operand for `app not in ["Git"]`'),
        (
            '(app == "Git" and platform == "mac") or country == "FR"',
            NESTED_AND,
        ),
        (
            '(idp == "Okta" and (saml.role == "dev" or app == "Git")) or country == "FR"',
            NESTED_AND,
        ),
        ('app == "Gitt"', "no application `Gitt` in the catalogue"),
        ('segment_group == "HR Apps"', "no segment group `HR Apps` in the catalogue"),
        (
            '"Interns" in scim.groups',
            "no IdP in the catalogue has the scim group `Interns`",
        ),
        (
            'scim.title == "CFO"',
            "no IdP in the catalogue has the scim attribute `title`",
        ),
        (
            'idp == "Entra" and scim.userType == "x"',
            "no scim attribute `userType` of IdP `Entra` in the catalogue",
        ),
        ("posture.Defender == true", "no posture profile `Defender` in the catalogue"),
        ('"Branch" in trusted_network', "no trusted network `Branch` in the catalogue"),
        ('client_type == "fax"', "unknown client type `fax`"),
        (
            'idp == "Okta" and saml.role in ["dev", "ops"] and scim.userType == "y"',
            "an `in` list inside an `and` block",
        ),
    ],
)
def test_criteria_zpa_cannot_express(criteria: str, message: str) -> None:
    """An error naming the rule; the rule is left out and the next one moves up."""
    result = export(access(criteria))
    assert not result.ok
    (error,) = result.diagnostics
    assert (error.code, error.severity, error.rule) == (
        "cannot-export",
        Severity.ERROR,
        "Probe",
    )
    assert error.message == f"{message}; the rule is left out"
    (after,) = result.to_json()["ACCESS_POLICY"]
    assert (after["name"], after["ruleOrder"]) == ("After", "1")


def test_rule_orders_stay_consecutive_around_left_out_rules() -> None:
    result = export(
        "access:\n"
        '  rule "one": allow\n    when app == "Git"\n'
        '  rule "bad": allow\n    when not app == "Git"\n'
        '  rule "two": allow\n    when app == "Payroll"\n'
        '  rule "worse": allow\n    when app == "Nowhere"\n'
        '  rule "three": allow\n    when app == "Intranet"\n'
        "  default: allow\n"
    )
    assert [(d.code, d.rule) for d in result.diagnostics] == [
        ("cannot-export", "bad"),
        ("cannot-export", "worse"),
        ("access-default", None),
    ]
    assert [(r["name"], r["ruleOrder"]) for r in result.to_json()["ACCESS_POLICY"]] == [
        ("one", "1"),
        ("two", "2"),
        ("three", "3"),
        ("Default allow", "4"),
    ]
