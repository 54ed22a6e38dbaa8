"""SCIM schema tables: User, Group and the Enterprise User extension (RFC 7643 §4, §8).

Stage: data. Every other SCIM module reads attribute characteristics from here: the
serializer (types, mutability, ``returned``), the filter compiler (``caseExact``, type),
PATCH (mutability, multi-valued), the directory (uniqueness). Lookups are
case-insensitive (RFC 7643 §2.1).

Defaults follow RFC 7643 §2.2: ``required=False``, ``caseExact=False``,
``mutability=readWrite``, ``returned=default``, ``uniqueness=none``, ``type=string``.

Each attribute also names the Python field holding it in :mod:`scimpolicy.scim.models`
(``userName`` → ``user_name``, ``$ref`` → ``ref``).
"""

from __future__ import annotations

import enum
import re
from typing import Final

import attrs

__all__ = [
    "CORE_GROUP",
    "CORE_USER",
    "ENTERPRISE_USER",
    "GROUP",
    "USER",
    "ZPA_POLICY_ATTRIBUTES",
    "AttrType",
    "Attribute",
    "Mutability",
    "PolicyAttribute",
    "ResourceType",
    "Returned",
    "Schema",
    "Uniqueness",
]


class AttrType(enum.StrEnum):
    """Attribute data types (RFC 7643 §2.3)."""

    STRING = "string"
    BOOLEAN = "boolean"
    DECIMAL = "decimal"
    INTEGER = "integer"
    DATETIME = "dateTime"
    BINARY = "binary"
    REFERENCE = "reference"
    COMPLEX = "complex"


class Mutability(enum.StrEnum):
    """Whether and how an attribute's value may change (RFC 7643 §7)."""

    READ_ONLY = "readOnly"
    READ_WRITE = "readWrite"
    IMMUTABLE = "immutable"
    WRITE_ONLY = "writeOnly"


class Returned(enum.StrEnum):
    """When an attribute is returned in a response (RFC 7643 §7)."""

    ALWAYS = "always"
    NEVER = "never"
    DEFAULT = "default"
    REQUEST = "request"


class Uniqueness(enum.StrEnum):
    """The scope in which an attribute's value must be unique (RFC 7643 §7)."""

    NONE = "none"
    SERVER = "server"
    GLOBAL = "global"


def _python_name(name: str) -> str:
    if name == "$ref":
        return "ref"
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@attrs.frozen(eq=False)  # schema tables are singletons: identity is equality
class Attribute:
    """One attribute definition with its RFC 7643 §7 characteristics."""

    name: str
    type: AttrType = AttrType.STRING
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: Mutability = Mutability.READ_WRITE
    returned: Returned = Returned.DEFAULT
    uniqueness: Uniqueness = Uniqueness.NONE
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    description: str = ""
    python_name: str = attrs.field(init=False, repr=False)
    plain_text: bool = attrs.field(init=False, repr=False)
    required_subs: tuple[Attribute, ...] = attrs.field(init=False, repr=False)
    read_only: bool = attrs.field(init=False, repr=False)
    sub_table: dict[str, Attribute] = attrs.field(init=False, repr=False)
    """Sub-attributes by their exact names (see :meth:`sub` for any case)."""
    """A writable single-valued string, reference or binary: any ``str`` is valid."""
    _subs: dict[str, Attribute] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Frozen, so derived lookup tables are set once through object.__setattr__.
        object.__setattr__(self, "python_name", _python_name(self.name))
        plain = self.type in (AttrType.STRING, AttrType.REFERENCE, AttrType.BINARY)
        writable = self.mutability is not Mutability.READ_ONLY
        object.__setattr__(
            self, "plain_text", plain and writable and not self.multi_valued
        )
        object.__setattr__(self, "read_only", self.mutability is Mutability.READ_ONLY)
        exact = {sub.name: sub for sub in self.sub_attributes}
        object.__setattr__(self, "sub_table", exact)
        required = tuple(sub for sub in self.sub_attributes if sub.required)
        object.__setattr__(self, "required_subs", required)
        # Exact spellings first (what IdPs send), then the case-folded forms.
        subs = {sub.name: sub for sub in self.sub_attributes}
        subs.update({sub.name.casefold(): sub for sub in self.sub_attributes})
        object.__setattr__(self, "_subs", subs)

    @property
    def is_complex(self) -> bool:
        """True for complex attributes (those with sub-attributes)."""
        return self.type is AttrType.COMPLEX

    def sub(self, name: str) -> Attribute | None:
        """Return the sub-attribute called *name* (any case), or ``None``."""
        return self._subs.get(name) or self._subs.get(name.casefold())

    def to_scim(self) -> dict[str, object]:
        """Return the attribute definition as the ``/Schemas`` endpoint shows it."""
        body: dict[str, object] = {
            "name": self.name,
            "type": str(self.type),
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
        }
        if self.is_complex:
            body["subAttributes"] = [sub.to_scim() for sub in self.sub_attributes]
        else:
            body["caseExact"] = self.case_exact
        if self.canonical_values:
            body["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            body["referenceTypes"] = list(self.reference_types)
        body["mutability"] = str(self.mutability)
        body["returned"] = str(self.returned)
        body["uniqueness"] = str(self.uniqueness)
        return body


@attrs.frozen(eq=False)  # schema tables are singletons: identity is equality
class Schema:
    """A schema: its URN, its name and its top-level attributes."""

    id: str
    name: str
    attributes: tuple[Attribute, ...]
    description: str = ""
    _by_name: dict[str, Attribute] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        by_name = {
            attribute.name.casefold(): attribute for attribute in self.attributes
        }
        object.__setattr__(self, "_by_name", by_name)

    def attribute(self, name: str) -> Attribute | None:
        """Return the attribute called *name* (any case), or ``None``."""
        return self._by_name.get(name.casefold())

    def to_scim(self) -> dict[str, object]:
        """Return the schema as the ``/Schemas`` endpoint shows it (RFC 7643 §7)."""
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [attribute.to_scim() for attribute in self.attributes],
            "meta": {"resourceType": "Schema", "location": f"/Schemas/{self.id}"},
        }


# Attributes every resource has (RFC 7643 §3.1). They belong to no schema URN but
# resolve as if they were part of the core schema.
COMMON_ATTRIBUTES: Final = (
    Attribute(
        "id",
        case_exact=True,
        mutability=Mutability.READ_ONLY,
        returned=Returned.ALWAYS,
        uniqueness=Uniqueness.SERVER,
        description="Unique identifier, assigned by the service provider.",
    ),
    Attribute(
        "externalId",
        case_exact=True,
        description="Identifier of the resource as defined by the provisioning client.",
    ),
    Attribute(
        "meta",
        AttrType.COMPLEX,
        mutability=Mutability.READ_ONLY,
        description="Resource metadata.",
        sub_attributes=(
            Attribute("resourceType", case_exact=True, mutability=Mutability.READ_ONLY),
            Attribute("created", AttrType.DATETIME, mutability=Mutability.READ_ONLY),
            Attribute(
                "lastModified", AttrType.DATETIME, mutability=Mutability.READ_ONLY
            ),
            Attribute(
                "location",
                AttrType.REFERENCE,
                case_exact=True,
                mutability=Mutability.READ_ONLY,
                reference_types=("uri",),
            ),
            Attribute("version", case_exact=True, mutability=Mutability.READ_ONLY),
        ),
    ),
)


def _multi(
    name: str,
    types: tuple[str, ...],
    *,
    value_type: AttrType = AttrType.STRING,
    value_case_exact: bool = False,
    reference_types: tuple[str, ...] = (),
    description: str = "",
) -> Attribute:
    """A multi-valued attribute with the canonical value/display/type/primary shape."""
    return Attribute(
        name,
        AttrType.COMPLEX,
        multi_valued=True,
        description=description,
        sub_attributes=(
            Attribute(
                "value",
                value_type,
                case_exact=value_case_exact,
                reference_types=reference_types,
            ),
            Attribute("display"),
            Attribute("type", canonical_values=types),
            Attribute("primary", AttrType.BOOLEAN),
        ),
    )


CORE_USER: Final = Schema(
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "User",
    description="User Account",
    attributes=(
        Attribute(
            "userName",
            required=True,
            uniqueness=Uniqueness.SERVER,
            description="Unique identifier; ZPA matches it to the SAML NameID.",
        ),
        Attribute(
            "name",
            AttrType.COMPLEX,
            description="The components of the user's real name.",
            sub_attributes=(
                Attribute("formatted"),
                Attribute("familyName"),
                Attribute("givenName"),
                Attribute("middleName"),
                Attribute("honorificPrefix"),
                Attribute("honorificSuffix"),
            ),
        ),
        Attribute("displayName", description="The name of the User, for display."),
        Attribute("nickName", description="The casual way to address the user."),
        Attribute(
            "profileUrl",
            AttrType.REFERENCE,
            reference_types=("external",),
            description="A fully qualified URL pointing to the User's online profile.",
        ),
        Attribute("title", description="The user's title, such as 'Vice President'."),
        Attribute(
            "userType",
            description="Relationship to the organization: Employee, Contractor, ...",
        ),
        Attribute("preferredLanguage", description="Preferred written language."),
        Attribute("locale", description="Default location for localization."),
        Attribute("timezone", description="Time zone in IANA format."),
        Attribute(
            "active", AttrType.BOOLEAN, description="The user's administrative status."
        ),
        Attribute(
            "password",
            mutability=Mutability.WRITE_ONLY,
            returned=Returned.NEVER,
            description="The User's cleartext password (never returned).",
        ),
        _multi("emails", ("work", "home", "other"), description="Email addresses."),
        _multi(
            "phoneNumbers",
            ("work", "home", "mobile", "fax", "pager", "other"),
            description="Phone numbers.",
        ),
        _multi(
            "ims",
            ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
            description="Instant messaging addresses.",
        ),
        _multi(
            "photos",
            ("photo", "thumbnail"),
            value_type=AttrType.REFERENCE,
            reference_types=("external",),
            description="URLs of images of the user.",
        ),
        Attribute(
            "addresses",
            AttrType.COMPLEX,
            multi_valued=True,
            description="Physical mailing addresses.",
            sub_attributes=(
                Attribute("formatted"),
                Attribute("streetAddress"),
                Attribute("locality"),
                Attribute("region"),
                Attribute("postalCode"),
                Attribute("country"),
                Attribute("type", canonical_values=("work", "home", "other")),
                Attribute("primary", AttrType.BOOLEAN),
            ),
        ),
        Attribute(
            "groups",
            AttrType.COMPLEX,
            multi_valued=True,
            mutability=Mutability.READ_ONLY,
            description="The user's groups; changed only through Group resources.",
            sub_attributes=(
                Attribute("value", mutability=Mutability.READ_ONLY),
                Attribute(
                    "$ref",
                    AttrType.REFERENCE,
                    mutability=Mutability.READ_ONLY,
                    reference_types=("User", "Group"),
                ),
                Attribute("display", mutability=Mutability.READ_ONLY),
                Attribute(
                    "type",
                    mutability=Mutability.READ_ONLY,
                    canonical_values=("direct", "indirect"),
                ),
            ),
        ),
        _multi("entitlements", (), description="Entitlements of the user."),
        _multi("roles", (), description="Roles of the user."),
        _multi(
            "x509Certificates",
            (),
            value_type=AttrType.BINARY,
            value_case_exact=True,
            description="DER-encoded X.509 certificates, base64.",
        ),
    ),
)

ENTERPRISE_USER: Final = Schema(
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "EnterpriseUser",
    description="Enterprise User",
    attributes=(
        Attribute("employeeNumber", description="Numeric or alphanumeric identifier."),
        Attribute("costCenter", description="Name of a cost center."),
        Attribute("organization", description="Name of an organization."),
        Attribute("division", description="Name of a division."),
        Attribute("department", description="Name of a department."),
        Attribute(
            "manager",
            AttrType.COMPLEX,
            description="The user's manager.",
            sub_attributes=(
                Attribute(
                    "value", description="The id of the manager's User resource."
                ),
                Attribute("$ref", AttrType.REFERENCE, reference_types=("User",)),
                Attribute("displayName", mutability=Mutability.READ_ONLY),
            ),
        ),
    ),
)

CORE_GROUP: Final = Schema(
    "urn:ietf:params:scim:schemas:core:2.0:Group",
    "Group",
    description="Group",
    attributes=(
        # RFC 7643 §4.2 calls displayName REQUIRED (the §8.7.1 schema says otherwise);
        # policies name groups by it, so scimpolicy requires it.
        Attribute("displayName", required=True, description="Human-readable name."),
        Attribute(
            "members",
            AttrType.COMPLEX,
            multi_valued=True,
            description="Users and groups that are members of this group.",
            sub_attributes=(
                # RFC 7643 §8.7.1 leaves it optional; a member without an id names
                # nobody, so scimpolicy requires it.
                Attribute("value", required=True, mutability=Mutability.IMMUTABLE),
                Attribute(
                    "$ref",
                    AttrType.REFERENCE,
                    mutability=Mutability.IMMUTABLE,
                    reference_types=("User", "Group"),
                ),
                Attribute(
                    "type",
                    mutability=Mutability.IMMUTABLE,
                    canonical_values=("User", "Group"),
                ),
                Attribute("display"),
            ),
        ),
    ),
)


@attrs.frozen(eq=False)  # schema tables are singletons: identity is equality
class ResourceType:
    """A resource type: its core schema and its extensions (RFC 7643 §6).

    :meth:`resolve` finds the schema and attribute for a name, with or without a URN.
    Bare extension names (``department``) resolve to the extension when the core schema
    lacks them: ZPA's policy attribute list uses bare names (a deliberate choice; RFC
    7644 §3.10 only says clients SHOULD qualify extension attributes).
    """

    name: str
    endpoint: str
    schema: Schema
    extensions: tuple[Schema, ...] = ()
    description: str = ""

    @property
    def schemas(self) -> tuple[Schema, ...]:
        """The core schema followed by the extensions."""
        return (self.schema, *self.extensions)

    def schema_by_urn(self, urn: str) -> Schema | None:
        """Return the core or extension schema with this URN (any case), or ``None``."""
        folded = urn.casefold()
        for schema in self.schemas:
            if schema.id.casefold() == folded:
                return schema
        return None

    def resolve(
        self, attr: str, urn: str | None = None
    ) -> tuple[Schema, Attribute] | None:
        """Return ``(schema, attribute)`` for a top-level name, or ``None``."""
        if urn is not None:
            schema = self.schema_by_urn(urn)
            if schema is None:
                return None
            found = schema.attribute(attr)
            if found is None and schema is self.schema:
                found = _common(attr)
            return None if found is None else (schema, found)
        found = self.schema.attribute(attr) or _common(attr)
        if found is not None:
            return self.schema, found
        for extension in self.extensions:
            found = extension.attribute(attr)
            if found is not None:
                return extension, found
        return None

    def attribute_names(self) -> tuple[str, ...]:
        """Every attribute name, dotted for sub-attributes (for "did you mean")."""
        names: list[str] = []
        for schema in self.schemas:
            attributes = schema.attributes + (
                COMMON_ATTRIBUTES if schema is self.schema else ()
            )
            for attribute in attributes:
                names.append(attribute.name)
                names.extend(
                    f"{attribute.name}.{sub.name}" for sub in attribute.sub_attributes
                )
        return tuple(names)

    def to_scim(self) -> dict[str, object]:
        """Return the resource type as the ``/ResourceTypes`` endpoint shows it."""
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": [
                {"schema": extension.id, "required": False}
                for extension in self.extensions
            ],
            "meta": {
                "resourceType": "ResourceType",
                "location": f"/ResourceTypes/{self.name}",
            },
        }


_COMMON_BY_NAME: Final = {
    attribute.name.casefold(): attribute for attribute in COMMON_ATTRIBUTES
}


def _common(name: str) -> Attribute | None:
    return _COMMON_BY_NAME.get(name.casefold())


USER: Final = ResourceType(
    "User", "/Users", CORE_USER, (ENTERPRISE_USER,), description="User Account"
)
GROUP: Final = ResourceType("Group", "/Groups", CORE_GROUP, description="Group")


@attrs.frozen
class PolicyAttribute:
    """A SCIM attribute ZPA offers in policy criteria (SPEC §3)."""

    name: str
    schema: str
    path: str
    type: AttrType = AttrType.STRING
    multi_valued: bool = False


# ZPA's supported policy attributes. ZPA reports every one as caseSensitive false, so
# policy comparisons on them ignore case whatever the RFC's caseExact says.
ZPA_POLICY_ATTRIBUTES: Final = (
    PolicyAttribute("active", CORE_USER.id, "active", AttrType.BOOLEAN),
    PolicyAttribute("costCenter", ENTERPRISE_USER.id, "costCenter"),
    PolicyAttribute("department", ENTERPRISE_USER.id, "department"),
    PolicyAttribute("displayName", CORE_USER.id, "displayName"),
    PolicyAttribute("division", ENTERPRISE_USER.id, "division"),
    PolicyAttribute("emails.value", CORE_USER.id, "emails.value", multi_valued=True),
    PolicyAttribute("name.familyName", CORE_USER.id, "name.familyName"),
    PolicyAttribute("name.formatted", CORE_USER.id, "name.formatted"),
    PolicyAttribute("name.givenName", CORE_USER.id, "name.givenName"),
    PolicyAttribute("nickName", CORE_USER.id, "nickName"),
    PolicyAttribute("organization", ENTERPRISE_USER.id, "organization"),
    PolicyAttribute("title", CORE_USER.id, "title"),
    PolicyAttribute("userName", CORE_USER.id, "userName"),
    PolicyAttribute("userType", CORE_USER.id, "userType"),
)
