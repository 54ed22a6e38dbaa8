"""The checker: every diagnostic at once, with codes, spans and suggestions."""

from __future__ import annotations

from collections.abc import Collection

import attrs
import pytest

from scimpolicy.errors import PolicyCheckError, PolicySyntaxError, Severity
from scimpolicy.policy.checker import check_policy
from scimpolicy.policy.loader import load_policy
from scimpolicy.policy.parser import parse_policy


def codes(text: str, catalog: object = None) -> list[tuple[str, str]]:
    found = check_policy(parse_policy(text), catalog)  # type: ignore[arg-type]
    return [(d.code, d.message) for d in found]


def access(criteria: str) -> str:
    return f'access:\n  rule "r": allow when {criteria}\n'


@pytest.mark.parametrize(
    ("criteria", "code", "message", "help_"),
    [
        (
            'scm.department == "x"',
            "unknown-namespace",
            "unknown reference `scm.department`",
            "did you mean `scim`?",
        ),
        (
            'scim.departmnt == "x"',
            "unknown-attribute",
            "unknown SCIM attribute `scim.departmnt`",
            "did you mean `scim.department`?",
        ),
        (
            'scim.name.givenNme == "x"',
            "unknown-attribute",
            "unknown SCIM attribute `scim.name.givenNme`",
            "did you mean `scim.name.givenName`?",
        ),
        (
            'scim.active == "yes"',
            "type-mismatch",
            '`scim.active` is true or false, so it cannot be compared with "yes"',
            "write `scim.active == true` or `scim.active == false`",
        ),
        (
            'posture.disk_encryption startswith "t"',
            "type-mismatch",
            "`startswith` needs text, but `posture.disk_encryption` is true or false",
            (
                "write `posture.disk_encryption == true` or "
                "`posture.disk_encryption == false`"
            ),
        ),
        (
            "scim.title == true",
            "type-mismatch",
            "`scim.title` holds text, so compare it with a quoted string, not true",
            'write `scim.title == "true"`',
        ),
        (
            'client_type == "client_conector"',
            "unknown-client-type",
            "unknown client type `client_conector`",
            "did you mean `client_connector`?",
        ),
        (
            'platform in ["mac", "windos"]',
            "unknown-platform",
            (
                "unknown platform `windos`: ZPA knows `mac`, `ios`, `windows`, "
                "`android`, `linux`"
            ),
            "did you mean `windows`?",
        ),
        (
            'country == "USA"',
            "invalid-country",
            "`USA` is not a two-letter ISO 3166 country code",
            None,
        ),
        (
            'app.name == "x"',
            "unexpected-attribute",
            "`app` has no attributes; write `app`",
            None,
        ),
        (
            'saml == "x"',
            "missing-attribute",
            "`saml` must name one SAML attribute, such as `saml.role`",
            None,
        ),
        (
            'scim == "x"',
            "missing-attribute",
            "`scim` must name an attribute, such as `scim.department`",
            None,
        ),
    ],
)
def test_criteria_errors(
    criteria: str, code: str, message: str, help_: str | None
) -> None:
    """Each kind of criteria error has its code, message and suggestion."""
    found = check_policy(parse_policy(access(criteria)))
    assert len(found) == 1, found
    assert (found[0].code, found[0].message, found[0].help) == (code, message, help_)
    assert found[0].severity is Severity.ERROR
    assert found[0].rule == "r"


def test_valid_criteria_have_no_diagnostics() -> None:
    """Every reference kind, used correctly, passes the checker."""
    text = access(
        'scim.department == "Eng" and scim.active == true and "SRE" in scim.groups '
        'and scim.emails.value endswith "@x.com" and scim.name.givenName is present '
        'and saml.role in ["a", "b"] and app == "Git" and segment_group == "Dev" '
        'and idp == "Okta" and client_type == "zpn_client_type_zapp" '
        'and platform == "MAC" and country == "de" and posture.crowdstrike == true '
        'and "HQ" in trusted_network and machine_group == "Laptops" '
        'and scim["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"]'
        ' == "7"'
    )
    assert check_policy(parse_policy(text)) == ()


def test_non_zpa_scim_attribute_is_a_warning() -> None:
    """A SCIM attribute ZPA does not offer in criteria is a warning, not an error."""
    found = check_policy(parse_policy(access('scim.locale == "de"')))
    assert [(d.code, d.severity) for d in found] == [
        ("not-a-zpa-attribute", Severity.WARNING)
    ]


def test_timeouts_below_ten_minutes() -> None:
    """Re-authentication and idle timeouts must be at least 10 minutes, or never."""
    text = (
        'timeout:\n  rule "quick": reauth every 5m idle 9m\n'
        "  default: reauth every 10m idle never\n"
    )
    assert codes(text) == [
        (
            "timeout-too-short",
            "the re-authentication timeout is 5 minutes; ZPA's minimum is 10 minutes",
        ),
        (
            "timeout-too-short",
            "the idle timeout is 9 minutes; ZPA's minimum is 10 minutes",
        ),
    ]


def test_duplicate_rule_names_within_a_policy_type() -> None:
    """Rule names are unique (ignoring case) within a policy type, not across types."""
    text = (
        'access:\n  rule "A": allow\n  rule "a": deny\n'
        'forwarding:\n  rule "A": bypass\n'
    )
    assert codes(text) == [("duplicate-rule-name", "access rule `a` is defined twice")]


@attrs.frozen
class Catalog:
    applications: Collection[str] = ("Git", "Payroll")
    segment_groups: Collection[str] = ("Finance",)
    scim_groups: Collection[str] = ("SRE", "Engineering")
    idp_names: Collection[str] = ("Okta",)


def test_names_checked_against_a_catalog() -> None:
    """With a tenant, unknown applications, segment groups, SCIM groups and IdPs."""
    text = access(
        'app in ["Git", "Payrol"] and segment_group == "Fin" and "SRR" in scim.groups '
        'and idp == "Okta"'
    )
    assert codes(text, Catalog()) == [
        ("unknown-application", "unknown application `Payrol`"),
        ("unknown-segment-group", "unknown segment group `Fin`"),
        ("unknown-scim-group", "no SCIM group `SRR` in the tenant's directories (yet)"),
    ]
    assert codes(text) == []


def test_all_diagnostics_at_once_errors_first() -> None:
    """The checker reports everything in one pass, errors before warnings."""
    text = access('scim.locale == "x" and scim.nope == "y" and platform == "beos"')
    assert [d.code for d in check_policy(parse_policy(text))] == [
        "unknown-attribute",
        "unknown-platform",
        "not-a-zpa-attribute",
    ]


def test_load_policy_raises_one_error_with_every_diagnostic() -> None:
    """load_policy raises PolicyCheckError carrying all errors, rendered with carets."""
    text = 'access:\n  rule "r": allow\n    when scim.departmnt == "Eng" and platform == "beos"\n'
    with pytest.raises(PolicyCheckError) as caught:
        load_policy(text, origin="acme.policy")
    assert [d.code for d in caught.value.diagnostics] == [
        "unknown-attribute",
        "unknown-platform",
    ]
    assert str(caught.value) == (
        "policy has 2 error(s)\n"
        "error[unknown-attribute]: acme.policy: rule `r`: unknown SCIM attribute "
        "`scim.departmnt` (at line 3, column 10)\n"
        '        when scim.departmnt == "Eng" and platform == "beos"\n'
        "             ~~~~~~~~~~~~~^\n"
        "    help: did you mean `scim.department`?\n"
        "error[unknown-platform]: acme.policy: rule `r`: unknown platform `beos`: ZPA "
        "knows `mac`, `ios`, `windows`, `android`, `linux` (at line 3, column 38)\n"
        '        when scim.departmnt == "Eng" and platform == "beos"\n'
        "                                         ~~~~~~~~~~~~~~~~~^"
    )


def test_load_policy_keeps_warnings_and_names_the_file_in_syntax_errors() -> None:
    """Warnings do not stop loading; syntax errors carry the file name."""
    loaded = load_policy(access('scim.locale == "de"'))
    assert [d.code for d in loaded.diagnostics] == ["not-a-zpa-attribute"]
    with pytest.raises(PolicySyntaxError) as caught:
        load_policy("access:\n  rule", origin="acme.policy")
    assert caught.value.headline().startswith("acme.policy: ")
