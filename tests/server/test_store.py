"""The SCIM server's storage (scimpolicy.server.store) and the directory hooks it uses.

- A memory-only store keeps writes in memory; a durable one reopens with the same
  resources, byte for byte (ids, versions, timestamps), and never issues an old version
  again.
- Bearer tokens: 48 alphanumerics, shown once, stored only as a SHA-256 digest; a new
  one revokes the old one.
- A refused write, or one whose commit fails, changes nothing in memory or on disk, and
  the store goes on working.
- ``Directory.transaction`` records what a group of writes touched and undoes them all
  on failure; ``Directory.from_records`` checks every record it rebuilds.
- Corrupt, foreign, newer or busy data folders are refused with ``StoreError``.
- Property: any sequence of writes, refused ones included, reopens as the live store.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimpolicy.errors import (
    LoadError,
    ResourceNotFoundError,
    ScimError,
    StoreError,
    UniquenessError,
)
from scimpolicy.scim.directory import Directory, to_record
from scimpolicy.server.store import DATABASE_NAME, Store, read_directory
from tests.scim.support import check_indexes, group, new_directory, patch, user

IDP: Final = "okta"
Operation = Callable[[Directory], object]
Write = Callable[[Directory], dict[str, Any]]  # a write that returns the resource
# "users" and "groups", as to_record makes them
Records = dict[str, list[dict[str, Any]]]


# -- helpers -------------------------------------------------------------------------


def everything(directory: Directory) -> str:
    """Every user and group as SCIM JSON, in listing order, as one JSON text."""
    return json.dumps(
        {"users": directory.search_users(), "groups": directory.search_groups()}
    )


def state_of(directory: Directory) -> tuple[str, int]:
    """:func:`everything` and the version counter: what a failed write must not change."""
    check_indexes(directory)
    return everything(directory), directory._state.version


def rows(folder: Path) -> list[tuple[Any, ...]]:
    """The stored rows, read through SQLite beside the store (WAL lets readers in)."""
    with contextlib.closing(sqlite3.connect(folder / DATABASE_NAME)) as connection:
        idps = connection.execute(
            "SELECT name, token_sha256 FROM idp ORDER BY rowid"
        ).fetchall()
        resources = connection.execute(
            "SELECT * FROM resource ORDER BY rowid"
        ).fetchall()
    return [*idps, *resources]


def edit(folder: Path, *statements: str) -> None:
    """Change a closed store's database behind its back."""
    with contextlib.closing(sqlite3.connect(folder / DATABASE_NAME)) as connection:
        for statement in statements:
            connection.execute(statement)
        connection.commit()


def version_number(resource: dict[str, Any]) -> int:
    match = re.fullmatch(r'W/"(\d+)"', resource["meta"]["version"])
    assert match is not None
    return int(match.group(1))


def create_user(name: str, **attributes: Any) -> Write:
    return lambda directory: directory.create_user(user(name, **attributes))


def set_title(user_id: str, title: str) -> Write:
    operation = {"op": "replace", "path": "title", "value": title}
    return lambda directory: directory.patch_user(user_id, patch(operation))


def assert_unlocked(folder: Path) -> None:
    """Nobody holds the folder's lock (a refused open released it)."""
    with (folder / "lock").open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "data"


# -- memory only -------------------------------------------------------------------


def test_a_memory_store_keeps_writes_in_memory() -> None:
    store = Store.open(None, [IDP])
    assert store.folder is None
    assert store.idps == (IDP,)
    created = store.write(IDP, create_user("ada"))
    assert store.directory(IDP).get_user(created["id"]) == created
    token = store.new_token(IDP)

    store.close()
    store.close()

    assert store.directory(IDP).get_user(created["id"]) == created
    assert store.authenticate(IDP, token)
    with pytest.raises(KeyError):
        store.directory("entra")


# -- durable round trip -------------------------------------------------------------


def test_a_reopened_store_serves_the_same_resources(folder: Path) -> None:
    with Store.open(folder, [IDP]) as store:
        assert store.folder == folder
        write = store.write
        ada = write(IDP, create_user("ada", title="Engineer"))["id"]
        bob = write(IDP, create_user("bob", department="Eng"))["id"]
        cyd = write(IDP, create_user("cyd"))["id"]
        # `outer` is stored before `inner`, which it nests: loading must cope.
        outer = write(IDP, lambda d: d.create_group(group("outer", cyd)))["id"]
        inner = write(IDP, lambda d: d.create_group(group("inner", ada, bob)))["id"]
        add_inner = {"op": "add", "path": "members", "value": [{"value": inner}]}
        write(IDP, lambda d: d.patch_group(outer, patch(add_inner)))
        write(IDP, set_title(ada, "Director"))
        write(IDP, lambda d: d.replace_user(cyd, user("cyd", active=False)))
        bob_last = store.directory(IDP).get_user(bob)
        write(IDP, lambda d: d.delete_user(bob))  # rewrites `inner`
        directory = store.directory(IDP)
        assert [m["value"] for m in directory.get_group(inner)["members"]] == [ada]
        live = everything(directory)
        resources = {
            **{i: json.dumps(directory.get_user(i)) for i in (ada, cyd)},
            **{i: json.dumps(directory.get_group(i)) for i in (outer, inner)},
        }
        issued = max(
            version_number(bob_last),
            *(version_number(json.loads(text)) for text in resources.values()),
        )

    with Store.open(folder) as again:
        directory = again.directory(IDP)
        assert everything(directory) == live
        assert {
            **{i: json.dumps(directory.get_user(i)) for i in (ada, cyd)},
            **{i: json.dumps(directory.get_group(i)) for i in (outer, inner)},
        } == resources
        check_indexes(directory)
        with pytest.raises(ResourceNotFoundError):
            directory.get_user(bob)
        # ETags are never reused: later writes get versions above every old one.
        later = again.write(IDP, create_user("dan"))
        patched = again.write(IDP, set_title(ada, "VP"))
    assert issued < version_number(later) < version_number(patched)


def test_a_version_given_out_before_a_restart_is_never_given_again(
    folder: Path,
) -> None:
    with Store.open(folder, [IDP]) as store:
        store.write(IDP, create_user("ada"))
        newest = store.write(IDP, create_user("bob"))
        store.write(IDP, lambda d: d.delete_user(newest["id"]))
    # The newest version on disk is now ada's; bob's was higher and is gone.
    with Store.open(folder) as again:
        later = again.write(IDP, create_user("cyd"))
    assert version_number(later) > version_number(newest)


def test_a_closed_store_refuses_writes(folder: Path) -> None:
    store = Store.open(folder, [IDP])
    store.close()
    for write in (
        lambda: store.write(IDP, create_user("ada")),
        lambda: store.new_token(IDP),
        lambda: store.add_idp("entra"),
    ):
        with pytest.raises(StoreError, match="closed"):
            write()
    assert list(store.directory(IDP).users()) == []


def test_a_patched_resource_keeps_its_place_in_listings(folder: Path) -> None:
    with Store.open(folder, [IDP]) as store:
        ada = store.write(IDP, create_user("ada"))["id"]
        store.write(IDP, create_user("bob"))
        store.write(IDP, set_title(ada, "Director"))
        live = everything(store.directory(IDP))
    with Store.open(folder) as again:
        users = again.directory(IDP).search_users()["Resources"]
        assert [u["userName"] for u in users] == ["ada", "bob"]
        assert everything(again.directory(IDP)) == live


# -- tokens ------------------------------------------------------------------------


def test_tokens_are_shown_once_and_stored_as_digests(folder: Path) -> None:
    with Store.open(folder, [IDP, "entra"]) as store:
        assert not store.has_token(IDP)
        first = store.new_token(IDP)
        second = store.new_token(IDP)
        for token in (first, second):
            assert re.fullmatch(r"[A-Za-z0-9]{48}", token)
        assert first != second
        assert not store.authenticate(IDP, first)  # revoked by the second
        assert store.authenticate(IDP, second)
        assert store.has_token(IDP)
        assert not store.has_token("entra")
        assert not store.authenticate("entra", second)
        digest = hashlib.sha256(second.encode()).hexdigest()
        assert store._digests == {IDP: digest, "entra": None}  # the token is gone
        with pytest.raises(KeyError):
            store.new_token("google")

    stored = (folder / DATABASE_NAME).read_bytes()
    assert digest.encode() in stored
    for path in folder.iterdir():
        for token in (first, second):
            assert token.encode() not in path.read_bytes()
    assert (IDP, digest) in rows(folder)

    with Store.open(folder) as again:
        assert again.authenticate(IDP, second)
        assert not again.authenticate(IDP, first)
        assert not again.authenticate("google", second)
        assert not again.has_token("google")


# -- identity providers -------------------------------------------------------------


def test_an_idp_is_added_once() -> None:
    store = Store.open(None, [IDP, IDP])
    assert store.idps == (IDP,)
    with pytest.raises(ValueError, match="exists already"):
        store.add_idp(IDP)


@pytest.mark.parametrize(
    "name", ["", "   ", "a/b", "/", "tab\there", "line\nbreak", "nul\x00", "del\x7f"]
)
def test_bad_idp_names_are_refused(name: str, folder: Path) -> None:
    with pytest.raises(ValueError, match="identity provider"):
        Store.open(None).add_idp(name)
    with Store.open(folder, ["entra"]):
        pass
    with pytest.raises(ValueError, match="identity provider"):
        Store.open(folder, [IDP, name])
    assert_unlocked(folder)
    with Store.open(folder) as store:  # nothing was added, not even `okta`
        assert store.idps == ("entra",)
    with pytest.raises(ValueError, match="identity provider"):
        Store.open(folder / "new", [IDP, name])
    assert not (folder / "new").exists()  # the names are checked first


def test_open_keeps_the_idps_it_has_and_adds_new_ones(folder: Path) -> None:
    with Store.open(folder, [IDP, "entra"]) as store:
        ada = store.write("entra", create_user("ada"))
        token = store.new_token(IDP)
    with Store.open(folder, ["google", "entra", IDP]) as store:
        assert store.idps == (IDP, "entra", "google")
        assert store.directory("entra").get_user(ada["id"]) == ada
        assert store.authenticate(IDP, token)
        assert not store.has_token("google")
        store.add_idp("jumpcloud")
    with Store.open(folder) as store:
        assert store.idps == (IDP, "entra", "google", "jumpcloud")


# -- refused and failed writes ----------------------------------------------------------


def test_a_refused_write_changes_nothing(folder: Path) -> None:
    def bob_then_ada_again(directory: Directory) -> None:
        directory.create_user(user("bob"))
        directory.create_user(user("ADA"))

    with Store.open(folder, [IDP]) as store:
        store.write(IDP, create_user("ada"))
        before = state_of(store.directory(IDP))
        on_disk = rows(folder)

        with pytest.raises(UniquenessError):
            store.write(IDP, create_user("Ada"))
        with pytest.raises(UniquenessError):
            store.write(IDP, bob_then_ada_again)  # bob was created, then undone
        with pytest.raises(ResourceNotFoundError):
            store.write(IDP, set_title("nobody", "x"))

        assert state_of(store.directory(IDP)) == before
        assert rows(folder) == on_disk
    with Store.open(folder) as again:
        assert state_of(again.directory(IDP)) == before


@contextlib.contextmanager
def failing_save(store: Store) -> Iterator[None]:
    """The store's database refuses to save (say, the disk is full)."""
    error = sqlite3.OperationalError("database or disk is full")
    with mock.patch.object(store._database, "save", side_effect=error):
        yield


class _CommitFails:
    """A connection whose next COMMIT fails and leaves the transaction open, as
    SQLite may do for SQLITE_BUSY, SQLITE_FULL or SQLITE_IOERR."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.armed = True

    def execute(self, sql: str, *parameters: Any) -> sqlite3.Cursor:
        if sql == "COMMIT" and self.armed:
            self.armed = False
            raise sqlite3.OperationalError("disk I/O error")
        return self._connection.execute(sql, *parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


@contextlib.contextmanager
def failing_commit(store: Store) -> Iterator[None]:
    """Every statement of the save runs, then COMMIT fails."""
    database = store._database
    assert database is not None
    with mock.patch.object(database, "_connection", _CommitFails(database._connection)):
        yield


WRITES: Final[dict[str, Callable[[dict[str, str]], Operation]]] = {
    "create": lambda _: create_user("cyd"),
    "patch": lambda ids: set_title(ids["ada"], "Director"),
    # bob is listed first and is a member of `team`, which `all` follows in listings
    "delete": lambda ids: lambda directory: directory.delete_user(ids["bob"]),
}
FAILURES: Final = {"save": failing_save, "commit": failing_commit}


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("write", WRITES)
def test_a_failed_commit_is_undone_in_memory(
    write: str, failure: str, folder: Path
) -> None:
    with Store.open(folder, [IDP]) as store:
        bob = store.write(IDP, create_user("bob"))["id"]
        ada = store.write(IDP, create_user("ada"))["id"]
        team = store.write(IDP, lambda d: d.create_group(group("team", bob, ada)))
        store.write(IDP, lambda d: d.create_group(group("all", team["id"])))
        directory = store.directory(IDP)
        before = state_of(directory)
        on_disk = rows(folder)

        with FAILURES[failure](store), pytest.raises(sqlite3.OperationalError):
            store.write(IDP, WRITES[write]({"ada": ada, "bob": bob}))

        assert state_of(directory) == before
        assert rows(folder) == on_disk
        # The store goes on working, and the same write now succeeds.
        store.write(IDP, WRITES[write]({"ada": ada, "bob": bob}))
        live = state_of(directory)
    with Store.open(folder) as again:
        assert state_of(again.directory(IDP)) == live


# -- Directory.transaction --------------------------------------------------------------


def test_directory_transactions_do_not_nest() -> None:
    directory = new_directory()
    with directory.transaction():
        with pytest.raises(RuntimeError, match="do not nest"), directory.transaction():
            pass
        directory.create_user(user("ada"))
    with directory.transaction() as changes:
        directory.create_user(user("bob"))
    assert list(changes.users) == ["id-2"]


def test_changes_name_what_a_transaction_touched_as_it_was_before() -> None:
    directory = new_directory()
    ada = directory.create_user(user("ada"))["id"]
    bob = directory.create_user(user("bob"))["id"]
    team = directory.create_group(group("team", ada, bob))["id"]
    ada_before, bob_before = directory.user(ada), directory.user(bob)
    team_before = directory.group(team)
    version = directory._state.version

    with directory.transaction() as changes:
        directory.patch_user(ada, patch({"op": "add", "path": "title", "value": "a"}))
        directory.patch_user(ada, patch({"op": "add", "path": "title", "value": "b"}))
        cyd = directory.create_user(user("cyd"))["id"]
        directory.delete_user(bob)  # rewrites team

    assert changes.version == version
    assert changes.users == {ada: ada_before, cyd: None, bob: bob_before}
    assert changes.groups == {team: team_before}
    assert directory._state.changes is None


def test_a_failed_transaction_leaves_the_directory_as_it_was() -> None:
    directory = new_directory()
    bob = directory.create_user(user("bob"))["id"]
    ada = directory.create_user(user("ada", externalId="A1"))["id"]
    team = directory.create_group(group("team", bob, ada))["id"]
    directory.create_group(group("all", team))
    before = state_of(directory)

    def swap_names_then_delete() -> None:
        with directory.transaction():
            rename = {"op": "replace", "path": "userName"}
            directory.patch_user(ada, patch({**rename, "value": "bob2"}))
            directory.patch_user(bob, patch({**rename, "value": "ada"}))
            directory.create_user(user("bob"))
            directory.delete_user(bob)
            directory.delete_group(team)
            raise ValueError("change of plan")

    with pytest.raises(ValueError, match="change of plan"):
        swap_names_then_delete()
    assert state_of(directory) == before


@pytest.mark.parametrize("parent_writes_after_the_fork", [False, True])
def test_a_fork_taken_inside_a_transaction_keeps_what_it_saw(
    parent_writes_after_the_fork: bool,
) -> None:
    directory = new_directory()
    forks: list[Directory] = []

    def fork_then_fail() -> None:
        with directory.transaction():
            directory.create_user(user("ada"))
            forks.append(directory.fork())
            if parent_writes_after_the_fork:
                directory.create_user(user("bob"))
            raise ValueError("undo")

    with pytest.raises(ValueError, match="undo"):
        fork_then_fail()
    assert [u.user_name for u in directory.users()] == []
    assert [u.user_name for u in forks[0].users()] == ["ada"]
    check_indexes(directory)
    check_indexes(forks[0])


def test_a_fork_taken_inside_a_transaction_writes_on_its_own() -> None:
    directory = new_directory()
    with directory.transaction() as changes:
        ada = directory.create_user(user("ada"))["id"]
        fork = directory.fork()
        fork.create_user(user("bob"))
        directory.create_user(user("cyd"))
    assert set(changes.users) == {ada, "id-3"}  # not the fork's bob (id-2)
    with fork.transaction() as fork_changes:
        fork.create_user(user("dan"))
    assert list(fork_changes.users) == ["id-4"]
    assert [u.user_name for u in directory.users()] == ["ada", "cyd"]
    assert [u.user_name for u in fork.users()] == ["ada", "bob", "dan"]


def test_an_import_inside_a_transaction_is_recorded_and_undone() -> None:
    directory = new_directory()
    users = [{**user("bob"), "id": "b"}, {**user("cyd"), "id": "c"}]
    with directory.transaction() as changes:
        directory.import_resources(users, [{**group("team", "b"), "id": "t"}])
    assert set(changes.users) == {"b", "c"}
    assert set(changes.groups) == {"t"}

    directory = new_directory()
    directory.create_user(user("ada"))
    before = state_of(directory)
    with pytest.raises(LoadError), directory.transaction():
        directory.import_resources(users, [{**group("team", "nobody"), "id": "t"}])
    assert state_of(directory) == before


# -- Directory.from_records -------------------------------------------------------------


def records() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two users and two groups (`all` nests `team`), as :func:`to_record` stores them."""
    directory = new_directory()
    ada = directory.create_user(user("ada", password="pw"))["id"]  # noqa: S106
    bob = directory.create_user(user("bob"))["id"]
    team = directory.create_group(group("team", ada, bob))["id"]
    directory.create_group(group("all", team))
    return (
        [to_record(u) for u in directory.users()],
        [to_record(g) for g in directory.groups()],
    )


def test_from_records_rebuilds_the_directory() -> None:
    users, groups = records()
    rebuilt = Directory.from_records(users, groups[::-1])
    assert [to_record(u) for u in rebuilt.users()] == users
    assert [to_record(g) for g in rebuilt.groups()] == groups[::-1]
    assert rebuilt._state.version == 4
    check_indexes(rebuilt)


def _drop_meta(records: Records) -> None:
    del records["users"][1]["meta"]


def _bad_version(records: Records) -> None:
    records["groups"][1]["meta"]["version"] = 'W/"two"'


def _bad_time(records: Records) -> None:
    records["users"][0]["meta"]["lastModified"] = "yesterday"


def _naive_time(records: Records) -> None:
    records["groups"][0]["meta"]["created"] = "2026-11-23T09:00:00"


def _same_name(records: Records) -> None:
    records["users"][1]["userName"] = "ADA"


def _no_member(records: Records) -> None:
    records["groups"][1]["members"] = [{"value": "nobody"}]


def _same_id(records: Records) -> None:
    records["groups"][0]["id"] = records["users"][0]["id"]


@pytest.mark.parametrize(
    ("damage", "kind", "index", "detail"),
    [
        (_drop_meta, "users", 1, "`meta`: expected an object"),
        (_bad_version, "groups", 1, '`meta.version`: expected W/"<number>"'),
        (_bad_time, "users", 0, "`meta.lastModified`: expected a date and time"),
        (_naive_time, "groups", 0, "`meta.created`: expected a date and time"),
        (_same_name, "users", 1, "userName `ADA` is already taken"),
        (_no_member, "groups", 1, "`members`: no user or group has id `nobody`"),
        (_same_id, "groups", 0, "is used twice"),
    ],
)
def test_from_records_names_the_first_bad_record(
    damage: Callable[[Records], None],
    kind: str,
    index: int,
    detail: str,
) -> None:
    users, groups = records()
    damage({"users": users, "groups": groups})
    with pytest.raises(LoadError) as caught:
        Directory.from_records(users, groups)
    assert (caught.value.kind, caught.value.index) == (kind, index)
    assert detail in caught.value.cause.detail
    assert str(caught.value).startswith(f"{kind}[{index}]: ")


# -- refused folders ------------------------------------------------------------------


def stored_user(folder: Path) -> str:
    """Make a store holding one user; return the user's id."""
    with Store.open(folder, [IDP]) as store:
        return str(store.write(IDP, create_user("ada"))["id"])


def test_a_file_that_is_not_sqlite_is_refused(folder: Path) -> None:
    folder.mkdir()
    (folder / DATABASE_NAME).write_bytes(b"this is not a database\x00" * 300)
    with pytest.raises(StoreError, match="not a usable scimpolicy store") as caught:
        Store.open(folder, [IDP])
    assert str(folder / DATABASE_NAME) in str(caught.value)
    assert_unlocked(folder)


def test_a_foreign_sqlite_database_is_refused(folder: Path) -> None:
    folder.mkdir()
    edit(folder, "CREATE TABLE notes (text)", "PRAGMA user_version = 1")
    with pytest.raises(StoreError, match="not a usable scimpolicy store") as caught:
        Store.open(folder, [IDP])
    assert str(folder / DATABASE_NAME) in str(caught.value)
    assert_unlocked(folder)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "UPDATE resource SET body = '{\"id\": '",
            "identity provider `okta`: stored user `{id}`: not valid JSON",
        ),
        (
            "UPDATE resource SET body = json_remove(body, '$.userName')",
            "identity provider `okta`: stored user `{id}` is not valid: ",
        ),
        (
            "UPDATE resource SET id = 'someone-else'",
            (
                "identity provider `okta`: stored user `someone-else`: "
                "the row does not hold that resource"
            ),
        ),
        (
            "UPDATE resource SET body = '[1, 2]'",
            "stored user `{id}`: the row does not hold that resource",
        ),
    ],
)
def test_a_bad_row_is_refused_and_named(
    statement: str, message: str, folder: Path
) -> None:
    user_id = stored_user(folder)
    edit(folder, statement)
    with pytest.raises(StoreError) as caught:
        Store.open(folder, [IDP])
    assert str(caught.value).startswith(f"{folder / DATABASE_NAME}: ")
    assert message.format(id=user_id) in str(caught.value)
    assert_unlocked(folder)


def test_a_missing_user_name_is_named(folder: Path) -> None:
    stored_user(folder)
    edit(folder, "UPDATE resource SET body = json_remove(body, '$.userName')")
    with pytest.raises(StoreError, match="userName"):
        Store.open(folder)


def test_a_newer_format_is_refused(folder: Path) -> None:
    stored_user(folder)
    edit(folder, "PRAGMA user_version = 2")
    with pytest.raises(StoreError, match=r"newer scimpolicy \(format 2") as caught:
        Store.open(folder)
    assert str(folder / DATABASE_NAME) in str(caught.value)
    assert_unlocked(folder)


def test_a_folder_that_is_a_file_is_refused(folder: Path) -> None:
    folder.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        Store.open(folder)
    assert str(caught.value).startswith(f"{folder}: ")


def test_a_folder_serves_one_store_at_a_time(folder: Path) -> None:
    first = Store.open(folder, [IDP])
    with pytest.raises(StoreError, match="in use"):
        Store.open(folder)
    first.close()
    with Store.open(folder) as second:
        assert second.idps == (IDP,)


# -- property: any sequence of writes reopens as the live store --------------------------

NAMES: Final = ["ada", "ADA", "bob", "cyd", "Straße", "strasse"]
# Creates come up more often than the rest, so most sequences have something to change.
KINDS: Final = [
    *["create user"] * 4,
    *["create group"] * 2,
    "rename user",
    "set title",
    "deactivate user",
    "delete user",
    "add member",
    "remove member",
    "delete group",
    "create two users, then fail",
    "commit fails",
]
STEPS: Final = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 5),  # which user or group (5: one that does not exist)
        st.integers(0, 5),  # which member
        st.sampled_from(NAMES),
    ),
    min_size=1,
    max_size=25,
)


def _pick(ids: list[str], index: int) -> str:
    return ids[index % len(ids)] if ids and index < 5 else "nobody"


def _operation(directory: Directory, kind: str, i: int, j: int, name: str) -> Operation:
    users = [u.id for u in directory.users()]
    groups = [g.id for g in directory.groups()]
    some_user, some_group = _pick(users, i), _pick(groups, i)
    member = _pick(users + groups, j)

    def replace(path: str, value: object) -> Operation:
        operation = {"op": "replace", "path": path, "value": value}
        return lambda d: d.patch_user(some_user, patch(operation))

    def two_then_fail(d: Directory) -> None:
        d.create_user(user(f"{name}-1"))
        d.create_user(user(f"{name}-2"))
        raise ValueError("change of plan")

    new_member = {"value": member}
    operations: dict[str, Operation] = {
        "create user": create_user(name, title=name),
        "rename user": replace("userName", name),
        "set title": replace("title", name),
        "deactivate user": replace("active", False),
        "delete user": lambda d: d.delete_user(some_user),
        "create group": lambda d: d.create_group(group(name, member)),
        "add member": lambda d: d.patch_group(
            some_group, patch({"op": "add", "path": "members", "value": [new_member]})
        ),
        "remove member": lambda d: d.patch_group(
            some_group,
            patch({"op": "remove", "path": f'members[value eq "{member}"]'}),
        ),
        "delete group": lambda d: d.delete_group(some_group),
        "create two users, then fail": two_then_fail,
        "commit fails": replace("title", f"{name}!"),
    }
    return operations[kind]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(STEPS)
def test_any_sequence_of_writes_reopens_as_it_was(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int, int, str]]
) -> None:
    folder = tmp_path_factory.mktemp("store")
    with Store.open(folder, [IDP]) as store:
        directory = store.directory(IDP)
        for kind, i, j, name in steps:
            operation = _operation(directory, kind, i, j, name)
            before = state_of(directory)
            failure = (
                failing_save(store)
                if kind == "commit fails"
                else contextlib.nullcontext()
            )
            try:
                with failure:
                    store.write(IDP, operation)
            except (ScimError, ValueError, sqlite3.OperationalError):
                assert state_of(directory) == before
        live = state_of(directory)
        listed = json.loads(live[0])
        versions = [
            version_number(resource)
            for kind in ("users", "groups")
            for resource in listed[kind]["Resources"]
        ]
    with Store.open(folder) as again:
        reopened = again.directory(IDP)
        assert everything(reopened) == live[0]
        check_indexes(reopened)
        # The counter goes on where it stopped, even past deleted resources' versions.
        assert reopened.version == live[1]
        assert reopened.version >= max(versions, default=0)


# -- reading beside a running server --------------------------------------------------


def test_read_directory_reads_what_a_running_server_committed(folder: Path) -> None:
    with Store.open(folder, [IDP, "entra"]) as store:
        ada = store.write(IDP, create_user("ada"))
        read = read_directory(folder, IDP)
        assert read.get_user(ada["id"]) == store.directory(IDP).get_user(ada["id"])
        assert list(read_directory(folder, "entra").users()) == []
        with pytest.raises(StoreError, match=r"no identity provider `nope`.*`okta`"):
            read_directory(folder, "nope")
    assert read.version == store.directory(IDP).version


def test_read_directory_refuses_what_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no scimpolicy store here"):
        read_directory(tmp_path, IDP)
    (tmp_path / DATABASE_NAME).write_bytes(b"garbage" * 200)
    with pytest.raises(StoreError, match="not a usable scimpolicy store"):
        read_directory(tmp_path, IDP)


def test_no_password_is_kept_in_memory_or_on_disk(folder: Path) -> None:
    secret = "correct horse battery staple"  # noqa: S105  the value under test
    with Store.open(folder, [IDP]) as store:
        ada = store.write(
            IDP, lambda d: d.create_user({**user("ada"), "password": secret})
        )
        store.write(
            IDP,
            lambda d: d.patch_user(
                ada["id"],
                patch({"op": "replace", "path": "password", "value": secret + "!"}),
            ),
        )
        model = store.directory(IDP).user(ada["id"])
        assert model is not None
        assert model.password is None
    assert secret.encode() not in (folder / DATABASE_NAME).read_bytes()
    # A directory made outside a store keeps passwords, as before.
    assert Directory().create_user({**user("bob"), "password": secret}) is not None
