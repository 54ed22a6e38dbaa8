"""The ASGI adapter, driven with ASGI messages directly: bodies in chunks, the size
limit (declared and streamed), clients that leave mid-body, lifespan, base URLs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import pytest

from scimpolicy.server import Limits, ScimApp, ScimService, Store
from scimpolicy.server.asgi import Message

IDP = "Okta"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


class _Exchange:
    """One ASGI call: the messages the app will receive and those it sent."""

    def __init__(self, incoming: Iterable[Message]) -> None:
        self.incoming = list(incoming)
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        if self.incoming:
            return self.incoming.pop(0)
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        start = self.sent[0]
        assert start["type"] == "http.response.start"
        status: int = start["status"]
        return status

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.sent[0]["headers"]}

    def json(self) -> Any:
        return json.loads(self.sent[1]["body"])


@pytest.fixture
def app() -> ScimApp:
    store = Store.open(None, [IDP])
    app = ScimApp(ScimService(store, Limits(max_body_bytes=200)))
    app.token = store.new_token(IDP)  # type: ignore[attr-defined]
    return app


def http(
    app: ScimApp,
    method: str,
    path: str,
    chunks: Iterable[bytes] = (b"",),
    *,
    headers: dict[str, str] | None = None,
    scope: dict[str, Any] | None = None,
) -> _Exchange:
    parts = list(chunks)
    incoming: list[Message] = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]
    sent_headers = {
        "host": "scim.example.com",
        "authorization": f"Bearer {app.token}",  # type: ignore[attr-defined]
        "content-type": "application/scim+json",
        **(headers or {}),
    }
    full_scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "scheme": "https",
        "headers": [(k.encode(), v.encode()) for k, v in sent_headers.items()],
        **(scope or {}),
    }
    exchange = _Exchange(incoming)
    asyncio.run(app(full_scope, exchange.receive, exchange.send))
    return exchange


def user_body(name: str) -> bytes:
    return json.dumps({"schemas": [USER], "userName": name}).encode()


def test_a_body_sent_in_chunks_is_put_together(app: ScimApp) -> None:
    body = user_body("ada@acme.com")
    exchange = http(app, "POST", f"/scim/{IDP}/v2/Users", [body[:10], body[10:]])
    assert exchange.status == 201
    assert exchange.json()["userName"] == "ada@acme.com"
    # The URL the client used makes meta.location and the Location header.
    location = exchange.headers["location"]
    assert location.startswith(f"https://scim.example.com/scim/{IDP}/v2/Users/")
    assert exchange.json()["meta"]["location"] == location


def test_a_declared_body_over_the_limit_is_refused_before_reading(
    app: ScimApp,
) -> None:
    exchange = http(
        app,
        "POST",
        f"/scim/{IDP}/v2/Users",
        [user_body("ada@acme.com")],
        headers={"content-length": "201"},
    )
    assert exchange.status == 413
    assert exchange.headers["connection"] == "close"
    assert exchange.json()["status"] == "413"
    assert list(app.service.store.directory(IDP).users()) == []


def test_a_streamed_body_over_the_limit_is_refused(app: ScimApp) -> None:
    exchange = http(app, "POST", f"/scim/{IDP}/v2/Users", [b" " * 150, b" " * 60])
    assert exchange.status == 413
    assert list(app.service.store.directory(IDP).users()) == []


def test_a_client_that_leaves_mid_body_gets_nothing_done(app: ScimApp) -> None:
    body = user_body("ada@acme.com")
    exchange = _Exchange(
        [
            {"type": "http.request", "body": body, "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/scim/{IDP}/v2/Users",
        "headers": [(b"authorization", f"Bearer {app.token}".encode())],  # type: ignore[attr-defined]
    }
    asyncio.run(app(scope, exchange.receive, exchange.send))
    assert exchange.sent == []
    assert list(app.service.store.directory(IDP).users()) == []


def test_without_a_host_header_the_server_address_makes_the_url(
    app: ScimApp,
) -> None:
    created = http(app, "POST", f"/scim/{IDP}/v2/Users", [user_body("ada@x.com")])
    user_id = created.json()["id"]
    exchange = http(
        app,
        "GET",
        f"/scim/{IDP}/v2/Users/{user_id}",
        headers={"host": ""},
        scope={"server": ("127.0.0.1", 8000), "scheme": "http"},
    )
    assert exchange.status == 200
    assert exchange.headers["content-location"] == (
        f"http://127.0.0.1:8000/scim/{IDP}/v2/Users/{user_id}"
    )
    bare = http(app, "GET", "/nowhere", headers={"host": ""}, scope={"server": None})
    assert bare.status == 404


def test_lifespan_starts_and_closes_the_store(tmp_path: Any) -> None:
    store = Store.open(tmp_path / "data", [IDP])
    app = ScimApp(ScimService(store))
    exchange = _Exchange([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    asyncio.run(app({"type": "lifespan"}, exchange.receive, exchange.send))
    assert [m["type"] for m in exchange.sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    with Store.open(tmp_path / "data"):  # the folder was released
        pass


def test_other_protocols_are_refused(app: ScimApp) -> None:
    exchange = _Exchange([])
    with pytest.raises(ValueError, match="serves HTTP, not websocket"):
        asyncio.run(app({"type": "websocket"}, exchange.receive, exchange.send))
