"""The ASGI adapter: HTTP requests from any ASGI server to :class:`ScimService`.

Stage: I/O. :class:`ScimApp` reads the request body (refusing it with 413 as soon as it
passes the limit, before reading the rest), hands an :class:`HttpRequest` to the service
on a worker thread (the service is synchronous; a durable write waits for its commit
there, not on the event loop) and sends the response. It speaks ASGI 3 ``http`` and
``lifespan``; the store is closed at shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from scimpolicy.server.service import (
    HttpRequest,
    ScimService,
    too_large_response,
)

__all__ = ["ScimApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ScimApp:
    """An ASGI 3 application serving a :class:`ScimService`.

    ``uvicorn`` (``pip install 'scimpolicy[server]'``) or any ASGI server runs it::

        app = ScimApp(ScimService(Store.open("data", ["Okta"])))
    """

    def __init__(self, service: ScimService) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"scimpolicy serves HTTP, not {scope['type']}")
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", ())
        }
        limit = self.service.limits.max_body_bytes
        try:
            body = await _read_body(receive, headers, limit)
        except _DisconnectedError:
            return  # the client left before sending its whole request: nothing done
        if body is None:
            response = too_large_response(limit)
        else:
            request = HttpRequest(
                method=scope["method"],
                path=scope["path"],  # ASGI: the full path, root_path included
                query=scope.get("query_string", b"").decode("latin-1"),
                headers=headers,
                body=body,
                base_url=_base_url(scope, headers),
            )
            response = await asyncio.to_thread(self.service.handle, request)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in response.headers
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.service.store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


class _DisconnectedError(Exception):
    """The client went away before its request body was complete."""


async def _read_body(
    receive: Receive, headers: dict[str, str], limit: int
) -> bytes | None:
    """The whole body, or ``None`` once it is known to exceed *limit*.

    :raises _DisconnectedError: the client left mid-request (a half-sent body is never
        handed to the service).
    """
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _DisconnectedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _base_url(scope: Scope, headers: dict[str, str]) -> str:
    scheme = scope.get("scheme", "http")
    host = headers.get("host")
    if not host:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "localhost"
    return f"{scheme}://{host}"
