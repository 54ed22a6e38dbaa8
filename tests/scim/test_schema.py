"""Schema tables: RFC 7643 characteristics, model fields, ZPA's policy attributes."""

from __future__ import annotations

import attrs
import pytest

from scimpolicy import ZPA_POLICY_ATTRIBUTES
from scimpolicy.scim import models
from scimpolicy.scim.schema import (
    COMMON_ATTRIBUTES,
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE_USER,
    GROUP,
    USER,
    AttrType,
    Mutability,
    Returned,
    Uniqueness,
)


def test_user_name_characteristics() -> None:
    """A7: userName is required, case-insensitive and unique per server."""
    user_name = CORE_USER.attribute("USERNAME")
    assert user_name is not None
    assert (user_name.required, user_name.case_exact, user_name.uniqueness) == (
        True,
        False,
        Uniqueness.SERVER,
    )


def test_common_attributes() -> None:
    """A6/M1: id is readOnly, caseExact, returned always; meta is readOnly."""
    by_name = {a.name: a for a in COMMON_ATTRIBUTES}
    assert by_name["id"].mutability is Mutability.READ_ONLY
    assert by_name["id"].returned is Returned.ALWAYS
    assert by_name["id"].case_exact
    assert by_name["externalId"].case_exact
    assert by_name["meta"].mutability is Mutability.READ_ONLY


def test_special_characteristics() -> None:
    """A8/A9/A11: password never returned; groups read-only; member ids immutable."""
    password = CORE_USER.attribute("password")
    assert password is not None
    assert (password.mutability, password.returned) == (
        Mutability.WRITE_ONLY,
        Returned.NEVER,
    )
    groups = CORE_USER.attribute("groups")
    assert groups is not None
    assert groups.mutability is Mutability.READ_ONLY
    members = CORE_GROUP.attribute("members")
    assert members is not None
    value = members.sub("value")
    assert value is not None
    assert value.mutability is Mutability.IMMUTABLE
    certificate = CORE_USER.attribute("x509Certificates")
    assert certificate is not None
    assert certificate.sub("value").type is AttrType.BINARY  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("schema", "cls"),
    [
        (CORE_USER, models.User),
        (ENTERPRISE_USER, models.EnterpriseUser),
        (CORE_GROUP, models.Group),
    ],
)
def test_every_attribute_has_a_model_field(schema: object, cls: type) -> None:
    """Each schema attribute (except derived `groups`) is a field of its model."""
    fields = {f.name for f in attrs.fields(cls)}
    for attribute in schema.attributes:  # type: ignore[attr-defined]
        if attribute.name != "groups":
            assert attribute.python_name in fields, attribute.name


def test_bare_extension_names_resolve_to_the_enterprise_extension() -> None:
    """F11: `department` resolves to the Enterprise extension; URN forms resolve too."""
    found = USER.resolve("department")
    assert found is not None
    assert found[0] is ENTERPRISE_USER
    assert (
        USER.resolve("department", "urn:ietf:params:scim:schemas:core:2.0:User") is None
    )
    assert (
        USER.resolve("userName", "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER")
        is not None
    )
    assert USER.resolve("id", CORE_USER.id) is not None
    assert GROUP.resolve("department") is None


def test_zpa_policy_attributes_all_resolve() -> None:
    """SPEC §3: every ZPA policy attribute names a real schema attribute."""
    assert len(ZPA_POLICY_ATTRIBUTES) == 14
    for policy_attribute in ZPA_POLICY_ATTRIBUTES:
        name, _, sub = policy_attribute.path.partition(".")
        found = USER.resolve(name, policy_attribute.schema)
        assert found is not None, policy_attribute.name
        if sub:
            assert found[1].sub(sub) is not None


def test_schema_documents_render_for_discovery() -> None:
    """D3: schemas and resource types render as the discovery endpoints show them."""
    body = CORE_USER.to_scim()
    assert body["id"] == "urn:ietf:params:scim:schemas:core:2.0:User"
    emails = next(a for a in body["attributes"] if a["name"] == "emails")  # type: ignore[attr-defined]
    assert emails["multiValued"] is True
    assert {s["name"] for s in emails["subAttributes"]} == {
        "value",
        "display",
        "type",
        "primary",
    }
    assert USER.to_scim()["schemaExtensions"] == [
        {"schema": ENTERPRISE_USER.id, "required": False}
    ]
