"""``scimpolicy serve``: a SCIM 2.0 service provider per identity provider.

Runs :class:`~scimpolicy.server.ScimApp` under uvicorn (the ``server`` extra). Each
IdP gets ZPA's endpoint shape, ``http://HOST:PORT/scim/<idp>/v2``, and a bearer token;
a token is printed once, when it is made, and only its digest is kept. With ``--data``
every acknowledged write is on disk before the answer is sent; without it the
directories live in memory and new tokens are made at every start.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import ipaddress
import sys
from typing import Any, Final

from scimpolicy.cli._common import EXIT_OK, Command, UsageError
from scimpolicy.scim.directory import Directory
from scimpolicy.server import Limits, ScimApp, ScimService, Store, scim_path
from scimpolicy.workspace.files import load_workspace

__all__ = ["COMMAND"]

_EXAMPLES: Final = """\
examples:
  scimpolicy serve --idp Okta --idp Entra
  scimpolicy serve --data scim-data --idp Okta --new-token Okta
  scimpolicy serve --data scim-data --tenant examples/acme --seed --port 8443 \\
      --tls-cert cert.pem --tls-key key.pem --public-url https://scim.example.com:8443
"""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="keep directories and token digests in DIR (created if missing); "
        "without it everything is in memory and lost at exit",
    )
    parser.add_argument(
        "--idp",
        action="append",
        default=[],
        metavar="NAME",
        help="serve this identity provider (repeatable; those already in --data "
        "are served too)",
    )
    parser.add_argument(
        "--tenant",
        metavar="DIR",
        help="serve every identity provider of this tenant folder; with --seed, "
        "empty directories start from the tenant's SCIM exports",
    )
    parser.add_argument(
        "--seed",
        action="store_true",
        help="fill each empty directory from the tenant's SCIM export (needs --tenant)",
    )
    parser.add_argument(
        "--new-token",
        action="append",
        default=[],
        metavar="IDP",
        help="make a new token for IDP, revoking its old one (repeatable); IdPs "
        "without a token get one anyway",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: loopback)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default: 8000)"
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL clients use (for meta.location), e.g. behind a proxy; "
        "default: the URL of the request",
    )
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS: certificate")
    parser.add_argument("--tls-key", metavar="FILE", help="serve HTTPS: private key")
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=Limits().max_body_bytes,
        metavar="N",
        help=f"refuse larger request bodies with 413 (default: "
        f"{Limits().max_body_bytes})",
    )
    parser.add_argument(
        "--max-page-size",
        type=int,
        default=Limits().max_page_size,
        metavar="N",
        help=f"most resources per list answer (default: {Limits().max_page_size})",
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (uvicorn's log)"
    )


def _run(args: argparse.Namespace) -> int:
    uvicorn = _uvicorn()
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    if args.seed and not args.tenant:
        raise UsageError("--seed needs --tenant (the exports to seed from)")
    if args.max_body_bytes < 1 or args.max_page_size < 1:
        raise UsageError("--max-body-bytes and --max-page-size must be positive")
    tenant = load_workspace(args.tenant).tenant if args.tenant else None
    named = [idp.name for idp in tenant.idps] if tenant is not None else []
    idps = list(dict.fromkeys([*named, *args.idp]))
    try:
        store = Store.open(args.data, idps, base_url=args.public_url)
    except ValueError as error:  # a name that cannot be an IdP's
        raise UsageError(str(error)) from None
    try:
        if not store.idps:
            raise UsageError("nothing to serve: name an IdP with --idp or --tenant")
        unknown = [name for name in args.new_token if name not in store.idps]
        if unknown:
            raise UsageError(
                f"--new-token {unknown[0]}: not served here "
                f"(served: {', '.join(store.idps)})"
            )
        if tenant is not None and args.seed:
            _seed(store, tenant)
        scheme = "https" if args.tls_cert else "http"
        base = args.public_url or f"{scheme}://{_url_host(args.host)}:{args.port}"
        made = {
            name: store.new_token(name)
            for name in store.idps
            if name in args.new_token or not store.has_token(name)
        }
        _announce(store, base.rstrip("/"), made, args)
        service = ScimService(
            store,
            Limits(
                max_body_bytes=args.max_body_bytes, max_page_size=args.max_page_size
            ),
        )
        options: dict[str, Any] = {
            "host": args.host,
            "port": args.port,
            "log_level": "info" if args.access_log else "warning",
            "access_log": args.access_log,
        }
        if args.tls_cert:
            options.update(ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key)
        uvicorn.run(ScimApp(service), **options)
    finally:
        store.close()
    return EXIT_OK


def _uvicorn() -> Any:
    try:
        return importlib.import_module("uvicorn")
    except ImportError:
        raise UsageError(
            "`scimpolicy serve` needs an ASGI server: pip install 'scimpolicy[server]'"
        ) from None


def _seed(store: Store, tenant: Any) -> None:
    for idp in tenant.idps:
        directory = store.directory(idp.name)
        if next(directory.users(), None) or next(directory.groups(), None):
            continue
        users = [_export(u, idp.directory.get_user) for u in idp.directory.users()]
        groups = [_export(g, idp.directory.get_group) for g in idp.directory.groups()]
        store.write(idp.name, functools.partial(_import, users=users, groups=groups))


def _import(
    directory: Directory, users: list[dict[str, Any]], groups: list[dict[str, Any]]
) -> None:
    directory.import_resources(users, groups)


def _export(resource: Any, get: Any) -> dict[str, Any]:
    body: dict[str, Any] = get(resource.id)
    body.pop("meta", None)
    body.pop("groups", None)
    return body


def _announce(
    store: Store, base: str, made: dict[str, str], args: argparse.Namespace
) -> None:
    where = f"in {store.folder}" if store.folder else "in memory only (no --data)"
    print(f"scimpolicy SCIM service provider, data {where}")
    for name in store.idps:
        directory = store.directory(name)
        users = sum(1 for _ in directory.users())
        groups = sum(1 for _ in directory.groups())
        print(f"  {name}: {base}{scim_path(name)}  ({users} users, {groups} groups)")
        if name in made:
            print(f"    bearer token (shown once, keep it now): {made[name]}")
    print(f"serving on {args.host} port {args.port} (Ctrl-C stops)")
    if not _is_loopback(args.host) and not args.tls_cert:
        print(
            "warning: listening beyond this machine over plain HTTP: bearer tokens "
            "cross the network in clear; use --tls-cert/--tls-key or a TLS proxy",
            file=sys.stderr,
        )
    sys.stdout.flush()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


COMMAND: Final = Command(
    name="serve",
    help="serve SCIM 2.0 to identity providers (per IdP endpoint and bearer token)",
    description="Run a SCIM 2.0 service provider: per identity provider "
    "/scim/<idp>/v2/Users, /Groups, /.search and the discovery endpoints, with a "
    "bearer token each. A token is printed once, when it is made; only its digest "
    "is kept. With --data, every acknowledged write survives a crash. Needs the "
    "`server` extra (uvicorn). Stops with Ctrl-C; exit 2 on bad input.",
    examples=_EXAMPLES,
    arguments=_arguments,
    run=_run,
)
