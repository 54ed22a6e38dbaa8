"""Concurrent readers and writers leave the directory consistent, losing no write."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from scimpolicy import Directory, ResourceNotFoundError, ScimError
from tests.scim.support import check_indexes, group, patch, user

DURATION = 1.0  # seconds of concurrent load


def run_threads(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001  collected and reported below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_writers_and_readers_end_consistent() -> None:
    """Creators, patchers, deleters, group editors and searchers at once: every
    acknowledged write is in the final state and every index agrees with the data."""
    directory = Directory()
    seeded = [directory.create_user(user(f"seed{i}@x.com"))["id"] for i in range(40)]
    team = directory.create_group(group("Team"))["id"]
    deadline = time.monotonic() + DURATION
    created: dict[int, list[str]] = {0: [], 1: []}
    last_title: dict[str, str] = {}
    deleted: set[str] = set()
    search_errors: list[str] = []

    def creator(worker: int) -> Callable[[], None]:
        def work() -> None:
            n = 0
            while time.monotonic() < deadline:
                body = directory.create_user(user(f"w{worker}-{n}@x.com"))
                created[worker].append(body["id"])
                n += 1

        return work

    def patcher(mine: list[str]) -> Callable[[], None]:
        def work() -> None:
            n = 0
            while time.monotonic() < deadline:
                user_id = mine[n % len(mine)]
                title = f"title-{n}"
                directory.patch_user(
                    user_id, patch({"op": "replace", "path": "title", "value": title})
                )
                last_title[user_id] = title
                n += 1

        return work

    def deleter() -> None:
        while time.monotonic() < deadline:
            victims = created[0][:-1]
            for user_id in victims[: len(victims) // 2]:
                if user_id not in deleted:
                    directory.delete_user(user_id)
                    deleted.add(user_id)
            time.sleep(0.01)

    def group_editor() -> None:
        n = 0
        while time.monotonic() < deadline:
            candidates = [i for i in created[1][-5:] if i not in deleted]
            if candidates:
                directory.patch_group(
                    team,
                    patch(
                        {
                            "op": "add",
                            "path": "members",
                            "value": [{"value": candidates[n % len(candidates)]}],
                        }
                    ),
                )
            n += 1

    def searcher() -> None:
        while time.monotonic() < deadline:
            response = directory.search_users('userName sw "w" and not (title pr)')
            if response["totalResults"] != len(response["Resources"]):
                search_errors.append("inconsistent page")
            search_errors.extend(
                resource["userName"]
                for resource in response["Resources"]
                if not resource["userName"].startswith("w")
            )
            try:
                directory.search_users('groups.display eq "Team"', count=3)
            except ScimError as error:  # pragma: no cover - would fail the test
                search_errors.append(str(error))

    errors = run_threads(
        [
            creator(0),
            creator(1),
            patcher(seeded[:20]),
            patcher(seeded[20:]),
            deleter,
            group_editor,
            searcher,
            searcher,
        ]
    )
    assert errors == []
    assert search_errors == []
    for worker_ids in created.values():
        for user_id in worker_ids:
            if user_id in deleted:
                assert directory.user(user_id) is None
            else:
                assert directory.user(user_id) is not None
    for user_id, title in last_title.items():
        assert directory.get_user(user_id)["title"] == title
    check_indexes(directory)
    assert len(created[0]) + len(created[1]) > 10


def test_concurrent_creates_of_one_name_succeed_exactly_once() -> None:
    """Racing creates of the same userName (in different cases): exactly one wins."""
    directory = Directory()
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def racer(n: int) -> Callable[[], None]:
        def work() -> None:
            barrier.wait()
            try:
                directory.create_user(user("Same@X.com" if n % 2 else "same@x.com"))
                outcomes.append("created")
            except ScimError as error:
                outcomes.append(error.scim_type or "")

        return work

    assert run_threads([racer(n) for n in range(8)]) == []
    assert sorted(outcomes) == ["created"] + ["uniqueness"] * 7


def test_reads_of_a_deleted_user_fail_cleanly() -> None:
    """A reader racing a delete sees the user or a clean 404, nothing in between."""
    directory = Directory()
    ids = [directory.create_user(user(f"u{i}@x.com"))["id"] for i in range(200)]
    seen: list[str] = []

    def reader() -> None:
        for user_id in ids:
            try:
                seen.append(directory.get_user(user_id)["id"])
            except ResourceNotFoundError:
                seen.append("gone")

    def deleter() -> None:
        for user_id in ids:
            directory.delete_user(user_id)

    assert run_threads([reader, deleter, reader]) == []
    assert len(seen) == 400
