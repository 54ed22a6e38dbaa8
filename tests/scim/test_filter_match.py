"""Filter semantics over the directory: rows F4-F13 of ``research/scim.md`` §1.1."""

from __future__ import annotations

import pytest

from scimpolicy import Directory, FilterSyntaxError
from tests.scim.support import ENTERPRISE, new_directory, user


@pytest.fixture(scope="module")
def directory() -> Directory:
    directory = new_directory()
    directory.create_user(
        {
            **user(
                "bjensen@example.com",
                title="Tour Guide",
                userType="Employee",
                active=True,
                department="Eng",
                employeeNumber="701984",
            ),
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": True},
                {"value": "babs@jensen.org", "type": "home"},
            ],
            "externalId": "EXT-1",
        }
    )
    directory.create_user(
        {
            **user(
                "jsmith@example.com", title="Director", active=False, department="HR"
            ),
            "emails": [{"value": "jsmith@corp.example", "type": "work"}],
        }
    )
    directory.create_user(user("noone@example.com"))
    return directory


def matching(directory: Directory, text: str) -> list[str]:
    response = directory.search_users(text, sort_by="userName")
    return [resource["userName"].split("@")[0] for resource in response["Resources"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # F4: attribute names and operators ignore case
        ('UserName Eq "bjensen@example.com"', ["bjensen"]),
        ('USERNAME EQ "bjensen@example.com"', ["bjensen"]),
        # F5: caseExact false → case-insensitive comparison; externalId is caseExact
        ('userName eq "BJENSEN@EXAMPLE.COM"', ["bjensen"]),
        ('title co "GUIDE"', ["bjensen"]),
        ('externalId eq "EXT-1"', ["bjensen"]),
        ('externalId eq "ext-1"', []),
        # F6: eq ne co sw ew pr
        ('title ne "Director"', ["bjensen", "noone"]),
        ('title sw "dir"', ["jsmith"]),
        ('title ew "guide"', ["bjensen"]),
        ("title pr", ["bjensen", "jsmith"]),
        ("not (title pr)", ["noone"]),
        # F7: gt/ge/lt/le on strings and dateTimes
        ('title gt "E"', ["bjensen"]),
        ('title le "Director"', ["jsmith"]),
        ('meta.created lt "2026-11-23T09:00:01Z"', ["bjensen"]),
        ('meta.lastModified ge "2026-11-23T09:00:01Z"', ["jsmith", "noone"]),
        # F8: multi-valued → any value; sub-attribute notation; `emails co` compares value
        ('emails.value ew "@jensen.org"', ["bjensen"]),
        ('emails co "corp.example"', ["jsmith"]),
        ('name.familyName eq "jensen"', ["bjensen"]),
        ('emails.type eq "home"', ["bjensen"]),
        # F9: valuePath with and/or inside, and or of two valuePaths
        ('emails[type eq "work" and value co "@example.com"]', ["bjensen"]),
        ('emails[type eq "home"] or emails[value sw "jsmith"]', ["bjensen", "jsmith"]),
        ('emails[type eq "work" and not (value co "example.com")]', ["jsmith"]),
        # F10/F11: URN-qualified paths and bare extension names
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "j"', ["jsmith"]),
        (f'{ENTERPRISE}:department eq "eng"', ["bjensen"]),
        ('department eq "HR"', ["jsmith"]),
        (f'schemas eq "{ENTERPRISE}"', ["bjensen", "jsmith"]),
        # F14: Entra's valuePath followed by a sub-attribute comparison
        ('emails[type eq "work"].value eq "jsmith@corp.example"', ["jsmith"]),
        # F2: and binds tighter than or
        (
            'title eq "Director" or active eq true and userType eq "Employee"',
            ["bjensen", "jsmith"],
        ),
        (
            '(title eq "Director" or active eq true) and userType eq "Employee"',
            ["bjensen"],
        ),
        # booleans, Entra string booleans, null
        ("active eq false", ["jsmith"]),
        ('active eq "True"', ["bjensen"]),
        ("nickName eq null", ["bjensen", "jsmith", "noone"]),
        ("title ne null", ["bjensen", "jsmith"]),
        # indexed lookups combined with scans
        (
            'userName eq "bjensen@example.com" or userName eq "jsmith@example.com"',
            ["bjensen", "jsmith"],
        ),
        ('userName eq "bjensen@example.com" and title eq "nope"', []),
        ('id eq "id-2"', ["jsmith"]),
        ('id eq "id-2" and not (id eq "id-2")', []),
    ],
)
def test_filter_semantics(directory: Directory, text: str, expected: list[str]) -> None:
    """F4-F11, F14: each filter selects exactly the expected users."""
    assert matching(directory, text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # F7: ordering booleans is invalid
        ("active gt true", "`gt` cannot compare booleans: `active` is true or false"),
        # F13: unknown attribute, with a suggestion
        ('titel eq "x"', "unknown attribute `titel` for a User: did you mean `title`?"),
        (
            'name.givenNme eq "x"',
            "unknown attribute `name.givenNme`: did you mean `name.givenName`?",
        ),
        ('urn:x:y:department eq "x"', "unknown schema `urn:x:y`"),
        ('active eq "yes"', "`active` is a boolean: compare it with true or false"),
        ("title eq 3", "`title` is a string: compare it with a quoted string"),
        (
            'name eq "x"',
            "`name` is complex: compare one of its sub-attributes, such as `name.formatted`",
        ),
        (
            'meta.created gt "yesterday"',
            "`created` is a dateTime: expected a value such as `2026-11-23T09:00:00Z`",
        ),
        ('emails[kind eq "x"]', "unknown sub-attribute `kind` of `emails`"),
        ('title[value eq "x"]', "`title` has no sub-attributes to filter with `[...]`"),
        ("title lt null", "`lt` cannot compare with null"),
    ],
)
def test_invalid_filters(directory: Directory, text: str, message: str) -> None:
    """F7/F13: filters the schema cannot answer are 400 invalidFilter, with a position."""
    with pytest.raises(FilterSyntaxError) as caught:
        directory.search_users(text)
    error = caught.value
    assert error.message == message
    assert (error.status, error.scim_type) == (400, "invalidFilter")
    assert 0 <= error.span.start <= error.span.end <= len(text)


def test_unknown_attribute_error_points_at_the_attribute(directory: Directory) -> None:
    """F13: the rendered error shows the filter with a marker under the attribute."""
    with pytest.raises(FilterSyntaxError) as caught:
        directory.search_users('userName eq "a" and titel eq "x"')
    assert str(caught.value) == (
        "unknown attribute `titel` for a User: did you mean `title`? (at line 1, column 21)\n"
        '    userName eq "a" and titel eq "x"\n'
        "                        ~~~~^"
    )


def test_groups_filters(directory: Directory) -> None:
    """F12: group attributes; a user-only attribute is unknown on groups."""
    with pytest.raises(
        FilterSyntaxError, match="unknown attribute `userName` for a Group"
    ):
        directory.search_groups('userName eq "x"')
    assert directory.search_groups('displayName sw "x"')["totalResults"] == 0
