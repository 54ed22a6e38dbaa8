"""The SCIM protocol over HTTP, without the I/O: a request in, a response out.

Stage: protocol. :class:`ScimService` routes ``/scim/<idp>/v2/...`` (the shape of ZPA's
SCIM Service Provider Endpoint), checks the bearer token, reads query parameters and
JSON bodies, calls the IdP's :class:`~scimpolicy.scim.directory.Directory` (writes go
through :meth:`Store.write`, so they are durable when the store has a folder) and
renders RFC 7644 responses: ``application/scim+json``, ``Location`` and ``ETag``
headers, conditional requests, ListResponses and §3.12 error bodies.

It knows nothing of sockets or ASGI (``asgi.py`` adapts it), so every protocol rule is
tested by calling :meth:`ScimService.handle` with an :class:`HttpRequest`.

Invariants:

- every answer under ``/scim/<idp>/`` first checks the token; an unknown IdP and a
  wrong token get the same 401, so the answer reveals nothing about which IdPs exist;
- a refused request changes nothing (the directory's writes are all-or-nothing, and the
  store undoes a write it could not commit);
- every error is a SCIM error body; an unexpected exception becomes a 500 whose body
  says nothing about the internals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import parse_qsl, quote

import attrs

from scimpolicy.errors import (
    InvalidSyntaxError,
    InvalidValueError,
    PathSyntaxError,
    ResourceNotFoundError,
    ScimError,
)
from scimpolicy.scim.directory import Directory
from scimpolicy.scim.projection import make_projection, split_attributes
from scimpolicy.scim.query import make_query
from scimpolicy.scim.schema import ENTERPRISE_USER, GROUP, USER, ResourceType
from scimpolicy.server.store import Store, scim_path

__all__ = [
    "HttpRequest",
    "HttpResponse",
    "Limits",
    "ScimService",
    "too_large_response",
]

_log = logging.getLogger("scimpolicy.server")

SCIM_JSON: Final = "application/scim+json"
LIST_RESPONSE: Final = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST: Final = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
_BODY_TYPES: Final = frozenset({SCIM_JSON, "application/json"})
_SEARCH_KEYS: Final = frozenset(
    {
        "schemas",
        "attributes",
        "excludedAttributes",
        "filter",
        "sortBy",
        "sortOrder",
        "startIndex",
        "count",
    }
)
_RESOURCE_TYPES: Final = {"Users": USER, "Groups": GROUP}


@attrs.frozen
class _Writes:
    """The directory's writes of one resource type."""

    replace: Callable[..., dict[str, Any]]
    patch: Callable[..., dict[str, Any]]
    delete: Callable[..., None]


_WRITES: Final = {
    USER: _Writes(Directory.replace_user, Directory.patch_user, Directory.delete_user),
    GROUP: _Writes(
        Directory.replace_group, Directory.patch_group, Directory.delete_group
    ),
}
_SCHEMAS: Final = (USER.schema, ENTERPRISE_USER, GROUP.schema)


@attrs.frozen
class Limits:
    """What the server accepts. Requests beyond a limit are refused, never truncated.

    :param max_body_bytes: request bodies above this get 413.
    :param max_page_size: the most resources one list answer holds (``count`` above it
        is lowered to it; no ``count`` means this many); announced as
        ``filter.maxResults`` in ``/ServiceProviderConfig``.
    :param max_filter_length: longer ``filter`` texts get 400 ``invalidFilter``.
    :param max_filter_depth: deeper nesting of parentheses and brackets in a filter gets
        400 ``invalidFilter`` (before it is parsed).
    """

    max_body_bytes: int = 1_048_576
    max_page_size: int = 1000
    max_filter_length: int = 4096
    max_filter_depth: int = 32


@attrs.frozen
class HttpRequest:
    """What the protocol needs of an HTTP request.

    ``path`` is decoded (``/scim/Okta/v2/Users``), ``query`` is the raw query string,
    ``headers`` maps lower-case names to values.
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = attrs.Factory(dict)
    body: bytes = b""
    base_url: str = "http://localhost"  # scheme://host[:port] the client used


@attrs.frozen
class HttpResponse:
    """An HTTP response: status, headers (``content-type`` included when there is a
    body) and the body's bytes."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON (for tests and clients)."""
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """The value of the header *name* (any case), or ``None``."""
        folded = name.casefold()
        return next((v for k, v in self.headers if k.casefold() == folded), None)


class _StatusError(ScimError):
    """A protocol error with its own HTTP status (401, 403, 405, 413, 415, 501)."""

    def __init__(
        self, status: int, detail: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(detail)
        self.http_status = status
        self.headers = headers

    def to_scim(self) -> dict[str, Any]:
        body = super().to_scim()
        body["status"] = str(self.http_status)
        body.pop("scimType", None)
        return body


class _InvalidFilterError(ScimError):
    scim_type = "invalidFilter"


_UNAUTHORIZED: Final = _StatusError(
    401,
    "a valid bearer token is required (Authorization: Bearer <token>)",
    (("www-authenticate", 'Bearer realm="SCIM"'),),
)


class ScimService:
    """Answers SCIM requests for every identity provider of a :class:`Store`."""

    def __init__(self, store: Store, limits: Limits | None = None) -> None:
        self.store = store
        self.limits = limits or Limits()

    # -- entry point -------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request; never raises."""
        try:
            return self._route(request)
        except _StatusError as error:
            return _error(error.http_status, error.to_scim(), error.headers)
        except ScimError as error:
            return _error(error.status, error.to_scim())
        except Exception:  # noqa: BLE001  the last line of defence: a SCIM 500
            _log.exception(
                "unexpected error answering %s %s", request.method, request.path
            )
            return _error(
                500,
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                    "status": "500",
                    "detail": "internal error; the request was not applied",
                },
            )

    def _route(self, request: HttpRequest) -> HttpResponse:
        parts = request.path.split("/")
        # The parts are: "", "scim", the IdP, "v2", then the endpoint.
        if len(parts) < 3 or parts[0] or parts[1] != "scim" or not parts[2]:
            raise ResourceNotFoundError(f"no SCIM endpoint at `{request.path}`")
        idp = parts[2]
        self._authenticate(idp, request)
        if len(parts) < 4 or parts[3] != "v2":
            raise ResourceNotFoundError(
                f"no SCIM endpoint at `{request.path}` (SCIM 2.0 lives under "
                f"`/scim/{idp}/v2/`)"
            )
        rest = [part for part in parts[4:] if part] if parts[-1] == "" else parts[4:]
        base = request.base_url.rstrip("/") + scim_path(idp)
        call = _Call(self, idp, request, base)
        return call.dispatch(rest)

    def _authenticate(self, idp: str, request: HttpRequest) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        known = idp in self.store.idps
        # An unknown IdP is checked against no digest: the same work, the same 401.
        valid = self.store.authenticate(idp if known else "", token)
        if scheme.casefold() != "bearer" or not token or not valid:
            raise _UNAUTHORIZED


class _Call:
    """One request for one identity provider."""

    def __init__(
        self, service: ScimService, idp: str, request: HttpRequest, base: str
    ) -> None:
        self.store = service.store
        self.limits = service.limits
        self.idp = idp
        self.request = request
        self.base = base
        self.params = dict(parse_qsl(request.query, keep_blank_values=True))

    @property
    def directory(self) -> Directory:
        return self.store.directory(self.idp)

    def dispatch(self, rest: list[str]) -> HttpResponse:
        method = self.request.method.upper()
        match rest:
            case [endpoint] if endpoint in _RESOURCE_TYPES:
                resource_type = _RESOURCE_TYPES[endpoint]
                if method == "GET":
                    return self.search(resource_type, self.query_params())
                if method == "POST":
                    return self.create(resource_type)
                raise _not_allowed(method, "GET, POST")
            case [endpoint, ".search"] if endpoint in _RESOURCE_TYPES:
                if method != "POST":
                    raise _not_allowed(method, "POST")
                return self.search(_RESOURCE_TYPES[endpoint], self.search_body())
            case [endpoint, resource_id] if endpoint in _RESOURCE_TYPES:
                return self.resource(method, _RESOURCE_TYPES[endpoint], resource_id)
            case [".search"]:
                if method != "POST":
                    raise _not_allowed(method, "POST")
                return self.search_everywhere(self.search_body())
            case ["ServiceProviderConfig"]:
                self.discovery(method)
                return _ok(self.service_provider_config())
            case ["ResourceTypes"]:
                self.discovery(method)
                return _ok(
                    _list([self.located(t.to_scim()) for t in _RESOURCE_TYPES.values()])
                )
            case ["ResourceTypes", name]:
                self.discovery(method)
                for resource_type in _RESOURCE_TYPES.values():
                    if resource_type.name == name:
                        return _ok(self.located(resource_type.to_scim()))
                raise ResourceNotFoundError(f"no resource type `{name}`")
            case ["Schemas"]:
                self.discovery(method)
                return _ok(_list([self.located(s.to_scim()) for s in _SCHEMAS]))
            case ["Schemas", urn]:
                self.discovery(method)
                for schema in _SCHEMAS:
                    if schema.id == urn:
                        return _ok(self.located(schema.to_scim()))
                raise ResourceNotFoundError(f"no schema `{urn}`")
            case ["Me"]:
                raise _StatusError(501, "/Me is not supported: tokens belong to IdPs")
            case ["Bulk"]:
                raise _StatusError(501, "bulk operations are not supported")
        raise ResourceNotFoundError(f"no SCIM endpoint at `{self.request.path}`")

    # -- resources ---------------------------------------------------------------------

    def create(self, resource_type: ResourceType) -> HttpResponse:
        payload = self.body_object()
        if resource_type is USER:
            payload = _without_groups(payload)
            created = self.store.write(self.idp, lambda d: d.create_user(payload))
        else:
            created = self.store.write(self.idp, lambda d: d.create_group(payload))
        created = self.locate(created)
        location = self.location(resource_type, created)
        return _ok(
            self.projected(resource_type, created),
            status=201,
            headers=(("location", location), ("etag", created["meta"]["version"])),
        )

    def resource(
        self, method: str, resource_type: ResourceType, resource_id: str
    ) -> HttpResponse:
        is_user = resource_type is USER
        if_match = self.request.headers.get("if-match")
        if method == "GET":
            model = (
                self.directory.user(resource_id)
                if is_user
                else self.directory.group(resource_id)
            )
            if model is None:
                raise ResourceNotFoundError(
                    f"no {resource_type.name.lower()} has id `{resource_id}`"
                )
            version = model.meta.version
            if _etag_listed(self.request.headers.get("if-none-match"), version):
                return HttpResponse(304, (("etag", version),))
            get = self.directory.get_user if is_user else self.directory.get_group
            body = self.locate(
                get(
                    resource_id,
                    attributes=self.params.get("attributes"),
                    excluded_attributes=self.params.get("excludedAttributes"),
                )
            )
            return _ok(
                body,
                headers=(
                    ("etag", body.get("meta", {}).get("version", version)),
                    ("content-location", self.location(resource_type, body)),
                ),
            )
        writes = _WRITES[resource_type]
        if method == "PUT":
            payload = self.body_object()
            if is_user:
                payload = _without_groups(payload)
            changed = self.store.write(
                self.idp,
                lambda d: writes.replace(d, resource_id, payload, if_match=if_match),
            )
        elif method == "PATCH":
            patch = self.body_object()
            changed = self.store.write(
                self.idp,
                lambda d: writes.patch(d, resource_id, patch, if_match=if_match),
            )
        elif method == "DELETE":
            self.store.write(
                self.idp, lambda d: writes.delete(d, resource_id, if_match=if_match)
            )
            return HttpResponse(204)
        else:
            raise _not_allowed(method, "GET, PUT, PATCH, DELETE")
        version = changed["meta"]["version"]
        if method == "PATCH" and not is_user and not self.wants_projection():
            # As ZPA answers a Group PATCH (RFC 7644 §3.5.2 allows it): a member change
            # need not send back every member.
            return HttpResponse(204, (("etag", version),))
        return _ok(
            self.projected(resource_type, self.locate(changed)),
            headers=(("etag", version),),
        )

    def wants_projection(self) -> bool:
        return "attributes" in self.params or "excludedAttributes" in self.params

    def projected(self, resource_type: ResourceType, body: dict[str, Any]) -> Any:
        attributes = self.params.get("attributes")
        excluded = self.params.get("excludedAttributes")
        if attributes is None and excluded is None:
            return body
        return make_projection(resource_type, attributes, excluded).apply(body)

    def locate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Fill in ``meta.location`` from the URL the client used, when the store was
        not given a public base URL (then the directory leaves it out)."""
        meta = body.get("meta")
        if isinstance(meta, dict) and "location" not in meta and "id" in body:
            endpoint = "/Groups" if meta.get("resourceType") == "Group" else "/Users"
            meta["location"] = f"{self.base}{endpoint}/{quote(body['id'], safe='')}"
        return body

    def location(self, resource_type: ResourceType, body: dict[str, Any]) -> str:
        given = body.get("meta", {}).get("location")
        if isinstance(given, str):
            return given
        return f"{self.base}{resource_type.endpoint}/{quote(body['id'], safe='')}"

    # -- queries -------------------------------------------------------------------

    def query_params(self) -> dict[str, Any]:
        params = self.params
        return {
            "filter": params.get("filter"),
            "startIndex": _integer(params, "startIndex"),
            "count": _integer(params, "count"),
            "sortBy": params.get("sortBy"),
            "sortOrder": params.get("sortOrder"),
            "attributes": params.get("attributes"),
            "excludedAttributes": params.get("excludedAttributes"),
        }

    def search_body(self) -> dict[str, Any]:
        body = self.body_object()
        unknown = sorted(set(body) - _SEARCH_KEYS)
        if unknown:
            raise InvalidSyntaxError(
                f"unknown SearchRequest attribute `{unknown[0]}` (expected one of "
                f"{', '.join(f'`{k}`' for k in sorted(_SEARCH_KEYS))})"
            )
        schemas = body.get("schemas")
        if schemas is not None and (
            not isinstance(schemas, list) or SEARCH_REQUEST not in schemas
        ):
            raise InvalidSyntaxError(f"`schemas` must list `{SEARCH_REQUEST}`")
        for key in ("filter", "sortBy", "sortOrder"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise InvalidValueError(f"`{key}`: expected a string")
        for key in ("startIndex", "count"):
            value = body.get(key)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool)
            ):
                raise InvalidValueError(f"`{key}`: expected an integer")
        for key in ("attributes", "excludedAttributes"):
            value = body.get(key)
            if value is not None and not (
                isinstance(value, str)
                or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            ):
                raise InvalidValueError(f"`{key}`: expected a list of attribute names")
        return body

    def checked_filter(self, text: str | None) -> str | None:
        if text is None:
            return None
        limits = self.limits
        if len(text) > limits.max_filter_length:
            raise _InvalidFilterError(
                f"the filter is {len(text)} characters long; the limit is "
                f"{limits.max_filter_length}"
            )
        depth = _nesting(text)
        if depth > limits.max_filter_depth:
            raise _InvalidFilterError(
                f"the filter nests {depth} levels deep; the limit is "
                f"{limits.max_filter_depth}"
            )
        return text

    def page_size(self, count: int | None) -> int:
        bound = self.limits.max_page_size
        return bound if count is None else min(count, bound)

    def search(
        self, resource_type: ResourceType, params: Mapping[str, Any]
    ) -> HttpResponse:
        search = (
            self.directory.search_users
            if resource_type is USER
            else self.directory.search_groups
        )
        body = search(
            self.checked_filter(params.get("filter")),
            start_index=params.get("startIndex") or 1,
            count=self.page_size(params.get("count")),
            sort_by=params.get("sortBy"),
            sort_order=params.get("sortOrder") or "ascending",
            attributes=params.get("attributes"),
            excluded_attributes=params.get("excludedAttributes"),
        )
        for resource in body.get("Resources", ()):
            self.locate(resource)
        return _ok(body)

    def search_everywhere(self, params: Mapping[str, Any]) -> HttpResponse:
        """``POST /.search``: Users then Groups, one ListResponse (RFC 7644 §3.4.3).

        A filter attribute only one type has matches nothing of the other type
        (§3.4.2.1); ``sortBy`` applies within each type, Users first, and a type
        without that attribute keeps its order (all its values are unassigned,
        §3.4.2.3); ``attributes`` and ``excludedAttributes`` apply to the types that
        have them (a type with none of the ``attributes`` returns only ``id``). Only
        a name no type has is an error.
        """
        text = self.checked_filter(params.get("filter"))
        start = max(params.get("startIndex") or 1, 1)
        wanted = max(self.page_size(params.get("count")), 0)
        sort_by = params.get("sortBy")
        sorts = _known_per_type(
            [sort_by] if sort_by and sort_by.strip() else [],
            lambda resource_type, name: make_query(resource_type, sort_by=name),
        )
        attributes = split_attributes(params.get("attributes"))
        included = _known_per_type(attributes, make_projection)
        if attributes:  # a type with none of them returns `id` (and `schemas`) only
            included = {kind: names or ["id"] for kind, names in included.items()}
        excluded = _known_per_type(
            split_attributes(params.get("excludedAttributes")), make_projection
        )
        total = 0
        resources: list[dict[str, Any]] = []
        errors: list[ScimError] = []
        for resource_type, search in (
            (USER, self.directory.search_users),
            (GROUP, self.directory.search_groups),
        ):
            try:
                found = search(
                    text,
                    count=None,
                    sort_by=next(iter(sorts[resource_type]), None),
                    sort_order=params.get("sortOrder") or "ascending",
                    attributes=included[resource_type] or None,
                    excluded_attributes=excluded[resource_type],
                )
            except ScimError as error:
                errors.append(error)
                continue
            total += found["totalResults"]
            resources.extend(found.get("Resources", ()))
        if len(errors) == 2:
            raise errors[0]
        page = resources[start - 1 : start - 1 + wanted]
        body: dict[str, Any] = {
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [self.locate(resource) for resource in page],
        }
        return _ok(body)

    # -- discovery -----------------------------------------------------------------

    def discovery(self, method: str) -> None:
        if method != "GET":
            raise _not_allowed(method, "GET")
        if "filter" in self.params:
            raise _StatusError(
                403, "discovery endpoints cannot be filtered (RFC 7644 §4)"
            )

    def located(self, body: dict[str, object]) -> dict[str, object]:
        meta = body.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("location"), str):
            return {**body, "meta": {**meta, "location": self.base + meta["location"]}}
        return body

    def service_provider_config(self) -> dict[str, Any]:
        return {
            "schemas": [SPC_SCHEMA],
            "documentationUri": "https://github.com/scimpolicy/scimpolicy/blob/main/docs/scim-server.md",
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": self.limits.max_page_size},
            "changePassword": {"supported": False},  # no password is kept
            "sort": {"supported": True},
            "etag": {"supported": True},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "The identity provider's token, made with "
                    "`scimpolicy serve --new-token` (RFC 6750).",
                    "primary": True,
                }
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": f"{self.base}/ServiceProviderConfig",
            },
        }

    # -- bodies --------------------------------------------------------------------

    def body_object(self) -> dict[str, Any]:
        request = self.request
        media = request.headers.get("content-type", "").partition(";")[0].strip()
        if media and media.casefold() not in _BODY_TYPES:
            raise _StatusError(
                415,
                f"request bodies must be `{SCIM_JSON}` or `application/json`, "
                f"not `{media}`",
            )
        if len(request.body) > self.limits.max_body_bytes:
            raise _too_large(self.limits.max_body_bytes)
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidSyntaxError(
                f"the body is not UTF-8: byte {error.start} cannot be decoded"
            ) from None
        if not text.strip():
            raise InvalidSyntaxError("the request needs a JSON body")
        try:
            body = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidSyntaxError(
                f"the body is not valid JSON: line {error.lineno} column "
                f"{error.colno}: {error.msg}"
            ) from None
        if not isinstance(body, dict):
            raise InvalidSyntaxError(
                f"the body must be a JSON object, not {type(body).__name__}"
            )
        return body


# -- helpers ---------------------------------------------------------------------------


def _ok(
    body: Any, *, status: int = 200, headers: tuple[tuple[str, str], ...] = ()
) -> HttpResponse:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return HttpResponse(status, (("content-type", SCIM_JSON), *headers), data)


def _error(
    status: int, body: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()
) -> HttpResponse:
    return _ok(body, status=status, headers=headers)


def _list(resources: Sequence[dict[str, object]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": list(resources),
    }


def _not_allowed(method: str, allowed: str) -> _StatusError:
    return _StatusError(
        405,
        f"method {method} is not allowed here (allowed: {allowed})",
        (("allow", allowed),),
    )


def _too_large(limit: int) -> _StatusError:
    return _StatusError(
        413, f"the request body is larger than the limit of {limit} bytes"
    )


def too_large_response(limit: int) -> HttpResponse:
    """The 413 answer to a body over *limit* bytes (the connection is then closed,
    since the rest of the body was not read)."""
    error = _too_large(limit)
    return _error(413, error.to_scim(), (("connection", "close"),))


def _integer(params: Mapping[str, str], key: str) -> int | None:
    text = params.get(key)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidValueError(f"`{key}`: expected an integer, got `{text}`") from None


def _etag_listed(header: str | None, version: str) -> bool:
    """Whether an ``If-None-Match`` header names *version* (weak comparison)."""
    if header is None:
        return False
    bare = version.removeprefix("W/")
    for listed in header.split(","):
        tag = listed.strip()
        if tag == "*" or tag.removeprefix("W/") == bare:
            return True
    return False


def _nesting(text: str) -> int:
    """The deepest nesting of ``(`` and ``[`` outside string literals."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]":
            depth -= 1
    return deepest


def _known_per_type(
    names: Sequence[str], check: Callable[[ResourceType, str], object]
) -> dict[ResourceType, list[str]]:
    """Which of *names* each type of a root search has (*check* raises
    :class:`PathSyntaxError` for a name a type lacks); a name that no type has
    raises the Users' error."""
    known: dict[ResourceType, list[str]] = {USER: [], GROUP: []}
    for name in names:
        errors: list[PathSyntaxError] = []
        for resource_type, names_known in known.items():
            try:
                check(resource_type, name)
            except PathSyntaxError as error:
                errors.append(error)
            else:
                names_known.append(name)
        if len(errors) == len(known):
            raise errors[0]
    return known


_CORE_USER_GROUPS: Final = f"{USER.schema.id}:groups".casefold()


def _without_groups(payload: dict[str, Any]) -> dict[str, Any]:
    """A User payload without ``groups``: read-only, changed only through Groups
    (RFC 7643 §4.1.2), so it is ignored as ZPA ignores it."""
    kept = {
        key: value
        for key, value in payload.items()
        if key.casefold() not in ("groups", _CORE_USER_GROUPS)
    }
    return kept if len(kept) != len(payload) else payload
