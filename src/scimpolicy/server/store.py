"""The provider's data: per identity provider a SCIM directory and a token digest.

Stage: storage. Without a folder everything lives in memory. With one, the data is kept
in ``<folder>/scim.sqlite3`` (SQLite, from the standard library; WAL journal,
``synchronous=FULL``): every write runs inside :meth:`Directory.transaction`, the
resources it touched are written in one SQLite transaction, and only after that commit
returns is the write acknowledged. So an acknowledged write survives the process being
killed (and, with ``synchronous=FULL``, the machine losing power); a write that cannot
be committed is undone in memory too.

Invariants:

- memory and disk agree after every write, acknowledged or refused;
- one server at a time uses a folder (an exclusive ``flock`` on ``<folder>/lock``);
- opening refuses a folder whose database fails SQLite's ``quick_check``, holds a row
  that is not valid JSON or not a valid resource, or was written by a newer format:
  the error names the row, and nothing is served.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final, Self, TypeVar
from urllib.parse import quote

from scimpolicy.errors import LoadError, StoreError
from scimpolicy.scim.directory import Changes, Directory, to_record
from scimpolicy.server import tokens

__all__ = ["DATABASE_NAME", "Store", "read_directory", "scim_path"]

T = TypeVar("T")

DATABASE_NAME: Final = "scim.sqlite3"
_FORMAT: Final = 1  # PRAGMA user_version of the databases this code writes
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS idp (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT,
    version INTEGER NOT NULL DEFAULT 0  -- the directory's version counter
);
CREATE TABLE IF NOT EXISTS resource (
    idp TEXT NOT NULL REFERENCES idp(name),
    kind TEXT NOT NULL CHECK (kind IN ('User', 'Group')),
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (idp, kind, id)
);
"""


class Store:
    """Directories and bearer-token digests of a tenant's identity providers.

    Open one with :meth:`open`; use it as a context manager (or call :meth:`close`) so
    the folder is released. Reads go straight to :meth:`directory`; writes go through
    :meth:`write`, which makes them durable when the store has a folder.
    """

    def __init__(
        self,
        directories: dict[str, Directory],
        digests: dict[str, str | None],
        database: _Database | None,
        directory_options: dict[str, Any],
    ) -> None:
        self._directories = directories
        self._digests = digests
        self._database = database
        self._options = directory_options
        self._write_lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(
        cls,
        folder: str | os.PathLike[str] | None = None,
        idps: Iterable[str] = (),
        *,
        base_url: str | None = None,
        **directory_options: Any,
    ) -> Store:
        """Open (or create) the store in *folder*, or a memory-only one without it.

        *idps* are added if the store does not have them yet; those it has are kept.
        *base_url* is the server's public URL (``https://scim.example.com``); with it,
        resources carry ``meta.location``. Other options go to each
        :class:`~scimpolicy.scim.directory.Directory`; ``keep_passwords`` is off
        unless given: a ``password`` an IdP sends is dropped, never stored.

        :raises StoreError: the folder is in use, corrupt, or from a newer format.
        """
        options = {"keep_passwords": False, **directory_options, "base_url": base_url}
        names = list(idps)
        for name in names:  # all checked before the folder is touched
            _check_idp_name(name)
        database = None if folder is None else _Database.open(Path(folder))
        try:
            directories: dict[str, Directory] = {}
            digests: dict[str, str | None] = {}
            if database is not None:
                for name, digest, version, users, groups in database.load():
                    directories[name] = _rebuild(
                        database, name, users, groups, {**options, "version": version}
                    )
                    digests[name] = digest
            store = cls(directories, digests, database, options)
            for name in names:
                if name not in directories:
                    store.add_idp(name)
        except BaseException:
            if database is not None:
                database.close()
            raise
        return store

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder. The data stays readable; writes are refused, since
        they could no longer be made durable."""
        self._closed = True
        if self._database is not None:
            self._database.close()
            self._database = None

    @property
    def folder(self) -> Path | None:
        """The data folder, or ``None`` for a memory-only store."""
        return None if self._database is None else self._database.folder

    @property
    def idps(self) -> tuple[str, ...]:
        """The identity providers, in the order they were added."""
        return tuple(self._directories)

    def add_idp(self, name: str) -> Directory:
        """Add an identity provider with an empty directory and no token yet."""
        _check_idp_name(name)
        with self._write_lock:
            self._check_open()
            if name in self._directories:
                raise ValueError(f"identity provider `{name}` exists already")
            if self._database is not None:
                self._database.add_idp(name)
            directory = Directory(**_options_for(self._options, name))
            self._directories[name] = directory
            self._digests[name] = None
            return directory

    def directory(self, idp: str) -> Directory:
        """The directory of *idp* (``KeyError`` if the store has no such IdP)."""
        return self._directories[idp]

    def write(self, idp: str, operation: Callable[[Directory], T]) -> T:
        """Run *operation* on the directory of *idp* and make what it changed durable.

        Returns what *operation* returns once the change is committed; if *operation*
        raises, or the commit fails, the directory is left exactly as it was.
        """
        directory = self._directories[idp]
        with self._write_lock, directory.transaction() as changes:
            self._check_open()
            result = operation(directory)
            if self._database is not None and (changes.users or changes.groups):
                self._database.save(idp, directory, changes)
            return result

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed: no more writes")

    # -- tokens ------------------------------------------------------------------

    def new_token(self, idp: str) -> str:
        """Make a new bearer token for *idp*, replacing (revoking) the previous one.

        The token is returned once; only its digest is kept.
        """
        if idp not in self._directories:
            raise KeyError(idp)
        token = tokens.new_token()
        digest = tokens.digest(token)
        with self._write_lock:
            self._check_open()
            if self._database is not None:
                self._database.save_token(idp, digest)
            self._digests[idp] = digest
        return token

    def has_token(self, idp: str) -> bool:
        """Whether *idp* has a token (one was made and not revoked)."""
        return self._digests.get(idp) is not None

    def authenticate(self, idp: str, token: str) -> bool:
        """Whether *token* is the current token of *idp* (constant-time compare)."""
        return tokens.matches(token, self._digests.get(idp))


def _options_for(options: dict[str, Any], idp: str) -> dict[str, Any]:
    base_url = options.get("base_url")
    if base_url:
        return {**options, "base_url": f"{base_url.rstrip('/')}{scim_path(idp)}"}
    return options


def read_directory(
    folder: str | os.PathLike[str], idp: str, **directory_options: Any
) -> Directory:
    """The directory of *idp* as a server's data *folder* holds it now.

    Read-only and without the folder's lock, so it works while ``scimpolicy serve``
    runs on that folder: this is how a tenant file evaluates policy on exactly what
    the IdP synced (``directory = "<data folder>"`` in ``tenant.toml``).

    :raises StoreError: no store in *folder*, no such IdP in it, or a corrupt store.
    """
    database = _Database.open_read_only(Path(folder))
    try:
        found = []
        for name, _, version, users, groups in database.load():
            if name == idp:
                options = {**directory_options, "version": version}
                return _rebuild(database, name, users, groups, options)
            found.append(name)
    finally:
        database.close()
    raise StoreError(
        f"{database.path}: no identity provider `{idp}` in this store "
        f"(it has: {', '.join(f'`{n}`' for n in found) or 'none'})"
    )


def scim_path(idp: str) -> str:
    """The path of an identity provider's SCIM base: ``/scim/<idp>/v2``."""
    return f"/scim/{quote(idp, safe='')}/v2"


def _check_idp_name(name: str) -> None:
    if not name.strip():
        raise ValueError("an identity provider needs a non-empty name")
    if "/" in name or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError(
            f"identity provider name `{name}` may not contain `/` or control characters"
        )


def _rebuild(
    database: _Database,
    idp: str,
    users: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    options: dict[str, Any],
) -> Directory:
    try:
        return Directory.from_records(users, groups, **_options_for(options, idp))
    except LoadError as error:
        rows = users if error.kind == "users" else groups
        resource_id = rows[error.index].get("id")
        raise StoreError(
            f"{database.path}: identity provider `{idp}`: stored "
            f"{error.kind[:-1]} `{resource_id}` is not valid: {error.cause.detail}"
        ) from error


class _Database:
    """The SQLite file of a data folder, held open (and locked) while serving."""

    def __init__(
        self, folder: Path, lock: IO[bytes] | None, connection: sqlite3.Connection
    ) -> None:
        self.folder = folder
        self.path = folder / DATABASE_NAME
        self._lock_file = lock
        self._connection = connection

    @classmethod
    def open(cls, folder: Path) -> _Database:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"{folder}: cannot create the data folder: {error}"
            ) from error
        if not folder.is_dir():
            raise StoreError(f"{folder}: not a folder")
        lock = _lock(folder)
        path = folder / DATABASE_NAME
        try:
            connection = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False
            )
            try:
                _prepare(connection, path)
            except BaseException:
                connection.close()
                raise
        except sqlite3.Error as error:
            lock.close()
            raise StoreError(
                f"{path}: not a usable scimpolicy store: {error}"
            ) from error
        except BaseException:
            lock.close()
            raise
        return cls(folder, lock, connection)

    @classmethod
    def open_read_only(cls, folder: Path) -> _Database:
        """The database for reading beside a running server (no lock, no writes)."""
        path = folder / DATABASE_NAME
        if not path.is_file():
            raise StoreError(f"{folder}: no scimpolicy store here (no {DATABASE_NAME})")
        try:
            connection = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StoreError(f"{path}: cannot be read: {error}") from error
        try:
            _check(connection, path)
        except sqlite3.Error as error:
            connection.close()
            raise StoreError(
                f"{path}: not a usable scimpolicy store: {error}"
            ) from error
        except BaseException:
            connection.close()
            raise
        return cls(folder, None, connection)

    def close(self) -> None:
        self._connection.close()
        if self._lock_file is not None:
            self._lock_file.close()

    def load(
        self,
    ) -> Iterator[
        tuple[str, str | None, int, list[dict[str, Any]], list[dict[str, Any]]]
    ]:
        """Each IdP: name, token digest, version counter, user and group records."""
        try:
            for name, digest, version in self._connection.execute(
                "SELECT name, token_sha256, version FROM idp ORDER BY rowid"
            ).fetchall():
                found: dict[str, list[dict[str, Any]]] = {"User": [], "Group": []}
                for kind, resource_id, body in self._connection.execute(
                    "SELECT kind, id, body FROM resource WHERE idp = ? ORDER BY rowid",
                    (name,),
                ):
                    found[kind].append(self._record(name, kind, resource_id, body))
                yield name, digest, version, found["User"], found["Group"]
        except sqlite3.Error as error:  # a SQLite file, but not one of ours
            raise StoreError(
                f"{self.path}: not a usable scimpolicy store: {error}"
            ) from error

    def _record(
        self, idp: str, kind: str, resource_id: str, body: str
    ) -> dict[str, Any]:
        where = (
            f"{self.path}: identity provider `{idp}`: "
            f"stored {kind.lower()} `{resource_id}`"
        )
        try:
            record = json.loads(body)
        except ValueError as error:
            raise StoreError(f"{where}: not valid JSON: {error}") from error
        if not isinstance(record, dict) or record.get("id") != resource_id:
            raise StoreError(f"{where}: the row does not hold that resource")
        return record

    def add_idp(self, name: str) -> None:
        with self._transaction() as connection:
            connection.execute("INSERT INTO idp (name) VALUES (?)", (name,))

    def save_token(self, idp: str, digest: str) -> None:
        with self._transaction() as connection:
            connection.execute(
                "UPDATE idp SET token_sha256 = ? WHERE name = ?", (digest, idp)
            )

    def save(self, idp: str, directory: Directory, changes: Changes) -> None:
        with self._transaction() as connection:
            connection.execute(
                "UPDATE idp SET version = ? WHERE name = ?", (directory.version, idp)
            )
            for kind, ids, current in (
                ("User", changes.users, directory.user),
                ("Group", changes.groups, directory.group),
            ):
                for resource_id in ids:
                    resource = current(resource_id)
                    if resource is None:
                        connection.execute(
                            "DELETE FROM resource"
                            " WHERE idp = ? AND kind = ? AND id = ?",
                            (idp, kind, resource_id),
                        )
                    else:
                        # An upsert keeps the row's rowid, so a reload lists the
                        # resources in the order memory does (REPLACE moves it last).
                        connection.execute(
                            "INSERT INTO resource (idp, kind, id, body)"
                            " VALUES (?, ?, ?, ?) ON CONFLICT (idp, kind, id)"
                            " DO UPDATE SET body = excluded.body",
                            (
                                idp,
                                kind,
                                resource_id,
                                json.dumps(to_record(resource), ensure_ascii=False),
                            ),
                        )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            # Also when COMMIT failed: SQLite may leave the transaction open
            # (SQLITE_BUSY, SQLITE_FULL, SQLITE_IOERR), and the next BEGIN would fail.
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    version = _check(connection, path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    if version == 0:
        connection.executescript(
            f"BEGIN; {_SCHEMA} PRAGMA user_version = {_FORMAT}; COMMIT;"
        )


def _check(connection: sqlite3.Connection, path: Path) -> int:
    """Refuse a damaged database or a newer format; return the format (0: new)."""
    (status,) = connection.execute("PRAGMA quick_check").fetchone()
    if status != "ok":
        raise StoreError(f"{path}: the database is damaged: {status}")
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version > _FORMAT:
        raise StoreError(
            f"{path}: written by a newer scimpolicy (format {version}, "
            f"this one reads up to {_FORMAT})"
        )
    return int(version)


def _lock(folder: Path) -> IO[bytes]:
    """Take the folder's lock for this process, or say who holds it."""
    handle = (folder / "lock").open("a+b")
    try:
        fcntl = importlib.import_module("fcntl")  # POSIX; elsewhere no lock is taken
    except ImportError:  # pragma: no cover - not POSIX
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        handle.close()
        raise StoreError(
            f"{folder}: in use by another scimpolicy server (its lock file is held)"
        ) from error
    return handle
