"""``load_directory``: users.json and groups.json exports (docs/directory.md, API).

Each file is a SCIM ListResponse or a plain JSON array; ids are kept so members
resolve; any error names the file, the line and column of the offending resource and
the field, and nothing is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scimpolicy import DataFileError, LoadError, load_directory
from tests.scim.support import check_indexes, dump, new_directory, user

SHAPE = "expected a JSON array of resources or a ListResponse with `Resources`"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text", ['"hello"', "42", "null", "true", '{"Resources": {"a": 1}}']
)
def test_a_file_of_the_wrong_shape_is_refused(tmp_path: Path, text: str) -> None:
    """A top-level value that is neither an array nor a ListResponse is a DataFileError."""
    path = write(tmp_path, "users.json", text)
    with pytest.raises(DataFileError) as caught:
        load_directory(tmp_path)
    error = caught.value
    assert error.message == SHAPE
    assert error.origin == str(path)
    assert (error.lineno, error.colno) == (1, 1)


@pytest.mark.parametrize("bad", ['"bob@x.com"', "[1, 2]", "null", "7"])
def test_a_resource_that_is_not_an_object_is_refused_at_its_position(
    tmp_path: Path, bad: str
) -> None:
    """Every resource must be an object; the error points at the offending value."""
    text = f'[\n  {{"userName": "a@x.com"}},\n  {bad}\n]\n'
    path = write(tmp_path, "users.json", text)
    with pytest.raises(DataFileError) as caught:
        load_directory(tmp_path)
    error = caught.value
    assert error.message == "expected a JSON object for each resource"
    assert error.origin == str(path)
    assert (error.lineno, error.colno) == (3, 3)
    assert text[error.span.start : error.span.end] == bad


def test_a_non_object_group_is_refused_in_groups_json(tmp_path: Path) -> None:
    """The shape check applies to groups.json too, and names that file."""
    write(tmp_path, "users.json", "[]")
    path = write(tmp_path, "groups.json", '{"Resources": [\n  "Payroll"\n]}')
    with pytest.raises(DataFileError) as caught:
        load_directory(tmp_path)
    assert caught.value.origin == str(path)
    assert (caught.value.lineno, caught.value.colno) == (2, 3)


def test_either_file_may_be_missing(tmp_path: Path) -> None:
    """Only users.json, or only groups.json, loads what is there."""
    users_only = tmp_path / "users-only"
    users_only.mkdir()
    write(users_only, "users.json", json.dumps([{**user("a@x.com"), "id": "u1"}]))
    loaded = load_directory(users_only)
    assert [u.user_name for u in loaded.users()] == ["a@x.com"]
    assert list(loaded.groups()) == []
    groups_only = tmp_path / "groups-only"
    groups_only.mkdir()
    write(groups_only, "groups.json", json.dumps({"Resources": [{"displayName": "G"}]}))
    loaded = load_directory(groups_only)
    assert list(loaded.users()) == []
    assert [g.display_name for g in loaded.groups()] == ["G"]


def test_an_empty_list_response_loads_nothing(tmp_path: Path) -> None:
    """RFC 7644 §3.4.2: `Resources` may be left out when totalResults is 0."""
    write(
        tmp_path,
        "users.json",
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 0,
            }
        ),
    )
    loaded = load_directory(tmp_path)
    assert list(loaded.users()) == []


def test_the_resources_key_ignores_case(tmp_path: Path) -> None:
    """RFC 7643 §2.1: `resources` is read like `Resources`."""
    write(tmp_path, "users.json", json.dumps({"resources": [user("a@x.com")]}))
    assert [u.user_name for u in load_directory(tmp_path).users()] == ["a@x.com"]


def test_a_rejected_group_points_at_its_line_in_groups_json(tmp_path: Path) -> None:
    """A group naming an unknown member is reported at its own line, with the cause."""
    write(tmp_path, "users.json", json.dumps([{**user("a@x.com"), "id": "u1"}]))
    path = write(
        tmp_path,
        "groups.json",
        '[\n  {"displayName": "G", "members": [{"value": "u1"}]},\n'
        '  {"displayName": "H",\n   "members": [{"value": "ghost"}]}\n]\n',
    )
    with pytest.raises(DataFileError) as caught:
        load_directory(tmp_path)
    error = caught.value
    assert error.message == "resource 2: `members`: no user or group has id `ghost`"
    assert error.origin == str(path)
    assert (error.lineno, error.colno) == (3, 3)
    cause = error.__cause__
    assert isinstance(cause, LoadError)
    assert (cause.kind, cause.index) == ("groups", 1)


def test_a_group_missing_its_display_name_is_reported_with_the_field(
    tmp_path: Path,
) -> None:
    """The message names the resource number and the field at fault."""
    write(
        tmp_path,
        "groups.json",
        '{"schemas": [], "Resources": [\n  {"displayName": "G"},\n    {"members": []}\n]}',
    )
    with pytest.raises(DataFileError) as caught:
        load_directory(tmp_path)
    assert (
        caught.value.message == "resource 2: missing required attribute `displayName`"
    )
    assert (caught.value.lineno, caught.value.colno) == (3, 5)


def test_an_id_used_by_a_user_and_a_group_is_refused(tmp_path: Path) -> None:
    """Ids are kept, so one id for a user and a group is reported in groups.json."""
    write(tmp_path, "users.json", json.dumps([{**user("a@x.com"), "id": "x"}]))
    path = write(tmp_path, "groups.json", json.dumps([{"displayName": "G", "id": "x"}]))
    with pytest.raises(DataFileError) as caught:
        load_directory(tmp_path)
    assert caught.value.message == "resource 1: id `x` is used twice"
    assert caught.value.origin == str(path)


def test_loading_into_an_existing_directory(tmp_path: Path) -> None:
    """`directory=` adds the files to that directory and returns it."""
    directory = new_directory()
    existing = directory.create_user(user("old@x.com"))
    write(tmp_path, "users.json", json.dumps([{**user("new@x.com"), "id": "u9"}]))
    write(
        tmp_path,
        "groups.json",
        json.dumps(
            [
                {
                    "displayName": "G",
                    "members": [{"value": "u9"}, {"value": existing["id"]}],
                }
            ]
        ),
    )
    loaded = load_directory(tmp_path, directory=directory)
    assert loaded is directory
    assert sorted(u.user_name for u in directory.users()) == ["new@x.com", "old@x.com"]
    assert directory.group_names_of(existing["id"]) == {"G"}
    assert directory.group_names_of("u9") == {"G"}
    check_indexes(directory)


def test_a_failed_load_leaves_an_existing_directory_unchanged(tmp_path: Path) -> None:
    """All or nothing: a clash with a user already there loads nothing and says where."""
    directory = new_directory()
    directory.create_user(user("taken@x.com"))
    before = dump(directory)
    path = write(
        tmp_path,
        "users.json",
        '[\n  {"userName": "fine@x.com"},\n  {"userName": "TAKEN@x.com"}\n]',
    )
    with pytest.raises(DataFileError) as caught:
        load_directory(tmp_path, directory=directory)
    assert caught.value.message == "resource 2: userName `TAKEN@x.com` is already taken"
    assert caught.value.origin == str(path)
    assert (caught.value.lineno, caught.value.colno) == (3, 3)
    assert dump(directory) == before


def test_a_missing_folder_is_file_not_found(tmp_path: Path) -> None:
    """A folder that does not exist is FileNotFoundError naming it."""
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match="no directory folder at"):
        load_directory(missing)


# -- fixed problems (regression tests) ---------------------------------------------


def test_a_single_resource_object_is_not_silently_ignored(tmp_path: Path) -> None:
    """A users.json holding one User object (not a list) is an error, not an empty load."""
    write(tmp_path, "users.json", json.dumps(user("a@x.com")))
    with pytest.raises(DataFileError) as caught:
        load_directory(tmp_path)
    assert caught.value.message == SHAPE


def test_a_nested_resources_key_does_not_confuse_the_offsets(tmp_path: Path) -> None:
    """A ListResponse whose earlier field holds a `Resources` array still loads."""
    write(
        tmp_path,
        "users.json",
        json.dumps({"x-export": {"Resources": []}, "Resources": [user("a@x.com")]}),
    )
    assert [u.user_name for u in load_directory(tmp_path).users()] == ["a@x.com"]
