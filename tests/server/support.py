"""Helpers shared by the SCIM server tests: an in-process client and assertions.

:class:`Client` builds :class:`HttpRequest` objects and hands them to
:meth:`ScimService.handle`, so every protocol rule is tested without sockets.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import quote, urlencode

import attrs
import uvicorn

from scimpolicy.server import (
    HttpRequest,
    HttpResponse,
    Limits,
    ScimApp,
    ScimService,
    Store,
)
from tests.scim.support import group, patch, user

IDP: Final = "Okta"
OTHER_IDP: Final = "Entra"
SCIM_JSON: Final = "application/scim+json"
ERROR: Final = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_RESPONSE: Final = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST: Final = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

Query = str | Mapping[str, str | int]


@attrs.frozen
class Client:
    """Sends requests to one IdP's SCIM base (``/scim/<idp>/v2``) with its token.

    ``path`` is relative to that base (``/Users``) unless it starts with ``/scim/``,
    then it is sent as written. ``json`` is encoded as the body with
    ``Content-Type: application/scim+json``; ``body`` sends raw bytes instead.
    ``headers`` are merged over the defaults; a ``None`` value removes one (so
    ``headers={"authorization": None}`` sends no token).
    """

    service: ScimService
    token: str
    idp: str = IDP

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        body: bytes | None = None,
        query: Query = "",
        headers: Mapping[str, str | None] | None = None,
    ) -> HttpResponse:
        sent: dict[str, str | None] = {"authorization": f"Bearer {self.token}"}
        if json is not None:
            body = _encode(json)
        if body is not None:
            sent["content-type"] = SCIM_JSON
        sent.update(headers or {})
        if not path.startswith("/scim/"):
            path = f"/scim/{self.idp}/v2{path}"
        if not isinstance(query, str):
            query = urlencode(query, quote_via=quote)
        return self.service.handle(
            HttpRequest(
                method=method,
                path=path,
                query=query,
                headers={k: v for k, v in sent.items() if v is not None},
                body=body or b"",
            )
        )

    def get(self, path: str, **options: Any) -> HttpResponse:
        return self.request("GET", path, **options)

    def post(self, path: str, json: Any = None, **options: Any) -> HttpResponse:
        return self.request("POST", path, json, **options)

    def put(self, path: str, json: Any = None, **options: Any) -> HttpResponse:
        return self.request("PUT", path, json, **options)

    def patch(
        self, path: str, *operations: dict[str, Any], **options: Any
    ) -> HttpResponse:
        """PATCH *path* with a PatchOp body holding *operations*."""
        return self.request("PATCH", path, patch(*operations), **options)

    def delete(self, path: str, **options: Any) -> HttpResponse:
        return self.request("DELETE", path, **options)

    def search(self, path: str, **parameters: Any) -> HttpResponse:
        """POST a SearchRequest with *parameters* to *path* (``/.search``, ...)."""
        return self.post(path, {"schemas": [SEARCH_REQUEST], **parameters})

    # -- set-up shortcuts --------------------------------------------------------------

    def create_user(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        """POST a user; return the created resource."""
        created: dict[str, Any] = ok(
            self.post("/Users", user(user_name, **attributes)), 201
        )
        return created

    def create_group(self, display_name: str, *member_ids: str) -> dict[str, Any]:
        """POST a group with these members; return the created resource."""
        created: dict[str, Any] = ok(
            self.post("/Groups", group(display_name, *member_ids)), 201
        )
        return created

    def snapshot(self) -> tuple[Any, Any]:
        """Every user and group as ``GET`` lists them, to check a refused request
        changed nothing (``meta.version`` included, so any write shows)."""
        return (
            ok(self.get("/Users"))["Resources"],
            ok(self.get("/Groups"))["Resources"],
        )

    def with_limits(self, limits: Limits) -> Client:
        """The same store and token behind a service with other *limits*."""
        return attrs.evolve(self, service=ScimService(self.service.store, limits))


def ok(response: HttpResponse, status: int = 200) -> Any:
    """Assert a successful SCIM JSON *response* with *status*; return its body."""
    assert response.status == status, response.body
    assert response.header("content-type") == SCIM_JSON
    return response.json()


def error(
    response: HttpResponse, status: int, scim_type: str | None = None
) -> dict[str, Any]:
    """Assert a SCIM error body (RFC 7644 §3.12) with this status and ``scimType``
    (``None``: none given); return the body."""
    assert response.status == status, response.body
    assert response.header("content-type") == SCIM_JSON
    body: dict[str, Any] = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body


def ids(list_response: dict[str, Any]) -> list[str]:
    """The ``id`` of each resource of a ListResponse body, in order."""
    return [resource["id"] for resource in list_response.get("Resources", ())]


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()


def free_port() -> int:
    """A loopback port nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(store: Store) -> Iterator[str]:
    """*store*'s IdP ``Okta`` served by uvicorn on loopback in a thread; yields its
    SCIM base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            ScimApp(ScimService(store)), host="127.0.0.1", port=port, log_level="error"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}/scim/Okta/v2"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
