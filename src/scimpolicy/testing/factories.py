"""Requests and directories for tests, with few words.

Stage: a :class:`~scimpolicy.workspace.world.World` and a user with what differs
from a fresh sign-in → a :class:`~scimpolicy.policy.decisions.Request`; a world and
an IdP's name → a fork of its SCIM directory. Nothing is read from the world's
sessions file: a test says everything its request depends on, and the rest are the
defaults of a fresh Client Connector sign-in at the world's ``now``.

:class:`RequestFactory` and :class:`DirectoryFactory` are what the pytest plugin's
``scimpolicy_request`` and ``scimpolicy_directory`` fixtures give; they are types to
annotate those fixtures with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypedDict, Unpack

import attrs

from scimpolicy._text import did_you_mean
from scimpolicy.policy.decisions import Request
from scimpolicy.scim.directory import Directory
from scimpolicy.workspace.world import World

__all__ = ["DirectoryFactory", "RequestFactory", "RequestOptions", "make_request"]


def _idp(world: World, user: str, idp: str | None) -> str:
    """The IdP named, else the only one, else the one whose directory has *user*."""
    names = [provider.name for provider in world.tenant.idps]
    if idp is not None:
        if world.tenant.idp(idp) is None:
            raise ValueError(f"no IdP named `{idp}`{did_you_mean(idp, names)}")
        return idp
    if len(names) == 1:
        return names[0]
    having = [
        provider.name
        for provider in world.tenant.idps
        if provider.directory.user_by_name(user) is not None
    ]
    if len(having) == 1:
        return having[0]
    where = "several IdPs' SCIM directories" if having else "no IdP's SCIM directory"
    known = ", ".join(f"`{name}`" for name in names)
    raise ValueError(f"`{user}` is in {where}: give `idp` (IdPs: {known})")


def make_request(
    world: World,
    user: str,
    *,
    idp: str | None = None,
    app: str | None = None,
    host: str | None = None,
    port: int | None = None,
    authenticated_at: datetime | None = None,
    now: datetime | None = None,
    saml: Mapping[str, str | Iterable[str]] | None = None,
    client_type: str = "client_connector",
    platform: str | None = None,
    country: str | None = None,
    posture: Mapping[str, bool] | None = None,
    trusted_networks: Iterable[str] = (),
    machine_group: str | None = None,
) -> Request:
    """A request of *user* in *world*.

    ``now`` defaults to the world's; ``authenticated_at`` to ``now`` (a fresh
    sign-in, so SCIM criteria count wherever the IdP's settings let them). ``idp``
    may be left out when the tenant has one IdP, or when exactly one IdP's SCIM
    directory has the user (give it for a user missing from SCIM). ``app`` names an
    application segment (checked); otherwise ``host`` and ``port``.

    :raises ValueError: an unknown IdP or application, or an IdP that cannot be
        inferred.
    """
    if app is not None and world.tenant.segment(app) is None:
        names = list(world.applications())
        raise ValueError(f"no application segment `{app}`{did_you_mean(app, names)}")
    moment = world.now if now is None else now
    return Request(
        user=user,
        idp=_idp(world, user, idp),
        authenticated_at=moment if authenticated_at is None else authenticated_at,
        now=moment,
        app=app,
        host=host,
        port=port,
        saml={} if saml is None else saml,
        client_type=client_type,
        platform=platform,
        country=country,
        posture={} if posture is None else posture,
        trusted_networks=frozenset(trusted_networks),
        machine_group=machine_group,
    )


class RequestOptions(TypedDict, total=False):
    """The keyword arguments of :func:`make_request` (and of a
    :class:`RequestFactory`), for type checkers."""

    idp: str | None
    app: str | None
    host: str | None
    port: int | None
    authenticated_at: datetime | None
    now: datetime | None
    saml: Mapping[str, str | Iterable[str]] | None
    client_type: str
    platform: str | None
    country: str | None
    posture: Mapping[str, bool] | None
    trusted_networks: Iterable[str]
    machine_group: str | None


def _describe(world: World) -> str:
    return f"<world of {world.origin}>" if world.origin else "<a world>"


@attrs.frozen(repr=False)
class RequestFactory:
    """:func:`make_request` bound to a world: ``requests("alice@acme.example",
    app="Payroll")``."""

    world: World

    def __call__(self, user: str, **options: Unpack[RequestOptions]) -> Request:
        """A request of *user* (see :func:`make_request` for the options)."""
        return make_request(self.world, user, **options)

    def __repr__(self) -> str:
        return f"RequestFactory({_describe(self.world)})"


@attrs.frozen(repr=False)
class DirectoryFactory:
    """The SCIM directory of an IdP of a world, as a fork: ``directories("Okta")``.

    A fork is the IdP's directory as loaded, yours to change: the world and its
    engine never see the change (to decide with it, give the world an IdP with it:
    ``world.with_idp(attrs.evolve(world.idp("Okta"), directory=changed))``).
    """

    world: World

    def __call__(self, idp: str | None = None) -> Directory:
        """A fork of IdP *idp*'s directory (no name: the tenant's only IdP's).

        :raises KeyError: no IdP of that name, or no name and not exactly one IdP.
        """
        if idp is None:
            names = [provider.name for provider in self.world.tenant.idps]
            if len(names) != 1:
                known = ", ".join(f"`{name}`" for name in names) or "none"
                raise KeyError(f"name the IdP: the tenant has {len(names)} ({known})")
            idp = names[0]
        directory = self.world.idp(idp).directory
        if not isinstance(directory, Directory):
            raise TypeError(
                f"IdP `{idp}` reads users from a `{type(directory).__name__}`, not a "
                "SCIM Directory"
            )
        return directory.fork()

    def __repr__(self) -> str:
        return f"DirectoryFactory({_describe(self.world)})"
