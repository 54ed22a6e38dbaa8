"""A tour of the SCIM directory: provision like an IdP, query, PATCH, fork.

Run: ``python examples/directory_tour.py``
"""

from __future__ import annotations

from pathlib import Path

from scimpolicy import Directory, FilterSyntaxError, UniquenessError, load_directory

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def main() -> None:
    directory = Directory()

    # Provision two users and a group, as Okta or Entra would over SCIM.
    alice = directory.create_user(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": "alice@example.com",
            "name": {"givenName": "Alice", "familyName": "Nakamura"},
            "userType": "Employee",
            "emails": [{"value": "alice@example.com", "type": "work", "primary": True}],
            ENTERPRISE: {"department": "Engineering"},
        }
    )
    bob = directory.create_user(
        {"userName": "bob@example.com", "userType": "Contractor", "active": True}
    )
    sre = directory.create_group(
        {"displayName": "SRE", "members": [{"value": alice["id"]}]}
    )

    # userName is unique ignoring case.
    try:
        directory.create_user({"userName": "ALICE@example.com"})
    except UniquenessError as error:
        print(f"409 {error.scim_type}: {error.detail}")

    # Filters: the full RFC 7644 grammar; bare `department` means the Enterprise one.
    engineers = directory.search_users(
        'department eq "engineering" and userType eq "Employee"'
    )
    print("engineers:", [u["userName"] for u in engineers["Resources"]])
    try:
        directory.search_users('departmnt eq "x"')
    except FilterSyntaxError as error:
        print(error)

    # Entra-style PATCH: capitalised op, string boolean, valuePath with sub-attribute.
    directory.patch_user(
        bob["id"],
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {
                    "op": "Add",
                    "path": 'emails[type eq "work"].value',
                    "value": "bob@example.com",
                },
            ],
        },
    )
    print(
        "bob active for policy:",
        directory.user_by_name("bob@example.com", active_only=True),
    )

    # Group membership changes through the group; users see it in `groups`.
    directory.patch_group(
        sre["id"],
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": bob["id"]}]}
            ],
        },
    )
    print("bob's groups:", sorted(directory.group_names_of(bob["id"])))

    # A fork is O(1) and independent: ask "what if" without touching the original.
    what_if = directory.fork()
    what_if.delete_user(alice["id"])
    print(
        "SRE members, original:",
        len(directory.get_group(sre["id"])["members"]),
        "fork:",
        len(what_if.get_group(sre["id"])["members"]),
    )

    # The bundled example: Acme's Okta export.
    acme = load_directory(Path(__file__).parent / "acme" / "okta")
    contractors = acme.search_users(
        'userType eq "Contractor" and active eq true', count=0
    )
    print("active Acme contractors:", contractors["totalResults"])


if __name__ == "__main__":
    main()
