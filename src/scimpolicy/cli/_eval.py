"""``scimpolicy eval``: what ZPA would decide for one user's request, and why.

The request starts from the user's session in the tenant's sessions file (matched by
NameID ignoring case; the latest one when the user signed in more than once through
the same IdP) and the options change it. A user without a session is evaluated as if
signing in at ``now``, and must be in the IdP's SCIM directory (an unknown NameID is
more likely a typo than a question).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from scimpolicy._text import did_you_mean, stamp
from scimpolicy.cli._common import (
    EXIT_FOUND,
    EXIT_OK,
    Command,
    UsageError,
    print_json,
    timestamp,
    world,
)
from scimpolicy.policy.decisions import Decision
from scimpolicy.policy.facts import CLIENT_TYPES, PLATFORMS, is_client_type
from scimpolicy.policy.nodes import PolicyType
from scimpolicy.scim.directory import Directory
from scimpolicy.workspace.sessions import Session
from scimpolicy.workspace.world import World

__all__ = ["COMMAND"]

_EXAMPLES: Final = """\
examples:
  scimpolicy eval examples/acme --user rafael.evans@acme-europe.example --app Payroll
  scimpolicy eval examples/acme --user ana.costa@acme.example \\
      --host gitlab.acme.example --port 22
  scimpolicy eval examples/acme --user mia.lopez@acme.example --type all \\
      --app GitLab --saml role=employee --json
  scimpolicy eval examples/acme --user rafael.evans@acme-europe.example \\
      --type timeout --now 2026-11-30T09:00:00Z
"""

_ALL: Final = "all"
_MAX_PORT: Final = 65535
_COUNTRY: Final = re.compile(r"[A-Za-z]{2}")
_BOOLEANS: Final = {"true": True, "false": False}


# -- argument types (argparse reports their errors as usage errors, exit 2) ----------


def _client_type(text: str) -> str:
    if is_client_type(text):
        return text.casefold()
    raise argparse.ArgumentTypeError(
        f"unknown client type `{text}`"
        + (did_you_mean(text, CLIENT_TYPES) or f" (known: {', '.join(CLIENT_TYPES)})")
    )


def _platform(text: str) -> str:
    if text.casefold() in PLATFORMS:
        return text.casefold()
    raise argparse.ArgumentTypeError(
        f"unknown platform `{text}` (known: {', '.join(PLATFORMS)})"
    )


def _country(text: str) -> str:
    if _COUNTRY.fullmatch(text):
        return text.upper()
    raise argparse.ArgumentTypeError(
        f"`{text}` is not a two-letter ISO 3166 country code"
    )


def _port(text: str) -> int:
    if text.isdigit() and 1 <= int(text) <= _MAX_PORT:
        return int(text)
    raise argparse.ArgumentTypeError(f"`{text}` is not a port (1-65535)")


def _pair(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got `{text}`")
    return key, value


def _posture(text: str) -> tuple[str, bool]:
    name, value = _pair(text)
    if value.casefold() not in _BOOLEANS:
        raise argparse.ArgumentTypeError(
            f"expected NAME=true or NAME=false, got `{text}`"
        )
    return name, _BOOLEANS[value.casefold()]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "tenant", metavar="TENANT", help="the tenant folder (or its tenant.toml)"
    )
    parser.add_argument(
        "--user",
        required=True,
        metavar="NAMEID",
        help="the user's SAML NameID (SCIM userName), in any case",
    )
    parser.add_argument(
        "--idp",
        metavar="IDP",
        help="the user's identity provider; needed when the user has sessions with "
        "several IdPs, or none and the tenant has several IdPs",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--app", metavar="APP", help="an application segment name")
    target.add_argument(
        "--host",
        metavar="HOST",
        help="a host name, resolved to the most specific application segment",
    )
    parser.add_argument(
        "--port", type=_port, metavar="N", help="the port (with --host)"
    )
    parser.add_argument(
        "--type",
        choices=(*PolicyType, _ALL),
        help="the policy to decide: access (the default with --app or --host), "
        "forwarding (the default without), timeout, or all (access only with an "
        "application)",
    )
    parser.add_argument(
        "--client-type",
        type=_client_type,
        metavar="T",
        help="the client type: client_connector, web_browser, machine_tunnel, ... or "
        "ZPA's zpn_client_type_* value (default: the session's, else "
        "client_connector)",
    )
    parser.add_argument(
        "--platform",
        type=_platform,
        metavar="P",
        help=f"the device platform: {', '.join(PLATFORMS)}",
    )
    parser.add_argument(
        "--country", type=_country, metavar="CC", help="ISO 3166 two-letter code"
    )
    parser.add_argument(
        "--saml",
        action="append",
        type=_pair,
        default=[],
        metavar="KEY=VALUE",
        help="a SAML attribute value, replacing the session's values of KEY; repeat "
        "a key for several values; KEY= removes the attribute",
    )
    parser.add_argument(
        "--posture",
        action="append",
        type=_posture,
        default=[],
        metavar="NAME=true|false",
        help="a posture profile's result, replacing the session's",
    )
    parser.add_argument(
        "--trusted-network",
        action="append",
        metavar="NAME",
        help="a trusted network the client is on, replacing the session's; repeat "
        'for several; "" for none',
    )
    parser.add_argument("--machine-group", metavar="G", help="the machine group")
    parser.add_argument(
        "--authenticated-at",
        type=timestamp,
        metavar="TIME",
        help="when the SAML assertion was issued, ISO 8601 with an offset (default: "
        "the session's, else the evaluation time)",
    )
    parser.add_argument(
        "--now",
        type=timestamp,
        metavar="TIME",
        help="the evaluation time, ISO 8601 with an offset (default: the tenant's)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the request and decisions as JSON"
    )


# -- the request ----------------------------------------------------------------------


def _listed(names: Sequence[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _base_session(
    world: World, user: str, idp: str | None, now: datetime
) -> tuple[Session, bool]:
    """The user's latest session (with *idp*, when given) and ``True``, or a new
    session authenticated at *now* and ``False``."""
    if idp is not None:
        world.idp(idp)  # an unknown IdP: KeyError naming the IdPs there are
    wanted = user.casefold()
    found = [
        session
        for session in world.sessions
        if session.user.casefold() == wanted and idp in (None, session.idp)
    ]
    idps = sorted({session.idp for session in found})
    if len(idps) > 1:
        raise UsageError(
            f"`{user}` has sessions with the IdPs {_listed(idps)}: pick one with --idp"
        )
    if found:
        return max(found, key=lambda session: session.authenticated_at), True
    if idp is None:
        names = [provider.name for provider in world.tenant.idps]
        if len(names) > 1:
            raise UsageError(
                f"`{user}` has no session in the tenant's sessions file: name the IdP "
                f"with --idp (IdPs: {_listed(names)})"
            )
        idp = names[0]
    directory = world.idp(idp).directory
    if directory.user_by_name(user) is None:
        assert isinstance(directory, Directory)  # noqa: S101  what load_workspace makes
        known = [entry.user_name for entry in directory.users()]
        raise UsageError(
            f"`{user}` has no session and is not in IdP `{idp}`'s SCIM directory"
            + did_you_mean(user, known)
        )
    return Session(user=user, idp=idp, authenticated_at=now), False


def _changed(session: Session, args: argparse.Namespace) -> Session:
    """*session* with the options' changes."""
    changes: dict[str, Any] = {
        name: value
        for name in (
            "authenticated_at",
            "client_type",
            "platform",
            "country",
            "machine_group",
        )
        if (value := getattr(args, name)) is not None
    }
    if args.saml:
        given: dict[str, list[str]] = {}
        for key, value in args.saml:
            given.setdefault(key, []).append(value)
        saml = dict(session.saml)
        for key, values in given.items():
            saml[key] = tuple(value for value in values if value)
        changes["saml"] = {key: values for key, values in saml.items() if values}
    if args.posture:
        changes["posture"] = {**session.posture, **dict(args.posture)}
    if args.trusted_network is not None:
        changes["trusted_networks"] = {name for name in args.trusted_network if name}
    return attrs.evolve(session, **changes)


def _policy_types(args: argparse.Namespace) -> tuple[PolicyType, ...]:
    application = args.app is not None or args.host is not None
    wanted = args.type or (PolicyType.ACCESS if application else PolicyType.FORWARDING)
    if wanted == _ALL:
        return tuple(
            kind for kind in PolicyType if application or kind is not PolicyType.ACCESS
        )
    if wanted == PolicyType.ACCESS and not application:
        raise UsageError("an access decision needs an application: --app or --host")
    return (PolicyType(wanted),)


def _header(session: Session, from_file: bool, now: datetime) -> str:
    client = ", ".join(
        str(value)
        for value in (session.client_type, session.platform, session.country)
        if value is not None
    )
    when = stamp(session.authenticated_at)
    signed_in = (
        f"session from the sessions file, authenticated {when}"
        if from_file
        else f"no session in the sessions file: authenticated {when}"
    )
    return (
        f"request: `{session.user}` via IdP `{session.idp}` at {stamp(now)}\n"
        f"  {signed_in}; {client}"
    )


def _run(args: argparse.Namespace) -> int:
    if args.port is not None and args.host is None:
        raise UsageError("--port needs --host")
    kinds = _policy_types(args)
    tenant = world(args.tenant)
    if args.app is not None and tenant.tenant.segment(args.app) is None:
        raise UsageError(
            f"no application segment named `{args.app}`"
            + did_you_mean(args.app, tenant.applications())
        )
    now: datetime = args.now or tenant.now
    base, from_file = _base_session(tenant, args.user, args.idp, now)
    session = _changed(base, args)
    request = session.request(now, app=args.app, host=args.host, port=args.port)
    engine = tenant.engine()
    decisions = [engine.decide(kind, request, explain=True) for kind in kinds]
    if args.json:
        body = {
            **session.to_json(),
            "now": stamp(now),
            "app": args.app,
            "host": args.host,
            "port": args.port,
            "from_session": from_file,
        }
        print_json({"request": body, "decisions": [d.to_json() for d in decisions]})
    else:
        print(_header(session, from_file, now))
        for decision in decisions:
            print()
            print(decision.explain())
    return EXIT_FOUND if any(map(_refused, decisions)) else EXIT_OK


def _refused(decision: Decision) -> bool:
    """An access decision other than allow, or any request blocked outright."""
    return decision.blocked or (
        decision.policy_type is PolicyType.ACCESS and not decision.allowed
    )


COMMAND: Final = Command(
    name="eval",
    help="explain what ZPA would decide for one user's request",
    description="Decide a request of the user NAMEID in the tenant TENANT and "
    "explain it: the deciding rule, ZPA's reason code, the gates that made SCIM or "
    "SAML criteria unusable, and every rule considered. The request starts from the "
    "user's session in the tenant's sessions file (the latest, if several); the "
    "options change it. A user without a session signs in at the evaluation time and "
    "must be in the IdP's SCIM directory. Exit 0 when access is allowed (or for "
    "forwarding and timeout decisions), 1 when access is denied or needs approval or "
    "the user is blocked, 2 on bad usage or input.",
    examples=_EXAMPLES,
    arguments=_arguments,
    run=_run,
)
