"""A world: a tenant, its policy, the sessions seen and the moment of evaluation.

Stage: data for what-ifs and bulk runs. A :class:`World` is immutable: a what-if
change gives a new world (``attrs.evolve`` plus directory forks, which are O(1) and
copy-on-write), so the world it came from never changes. ``engine()`` is the
:class:`~scimpolicy.policy.engine.Engine` deciding requests in this world.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from scimpolicy._text import did_you_mean
from scimpolicy.policy.compiler import CompiledPolicy, compile_policy
from scimpolicy.policy.engine import Engine
from scimpolicy.policy.nodes import Policy
from scimpolicy.policy.tenant import IdentityProvider, Tenant
from scimpolicy.workspace.sessions import Session

__all__ = ["World"]


def _sessions(value: Any) -> tuple[Session, ...]:
    return tuple(value)


@attrs.frozen
class World:
    """Everything a decision depends on: a tenant, a policy, the sessions seen, the
    evaluation time ``now``. ``origin`` is the tenant file it was read from, if any.

    The compiled policy and the engine are made on first use and kept (a cache:
    worlds are immutable).
    """

    tenant: Tenant
    policy: Policy
    now: datetime
    sessions: tuple[Session, ...] = attrs.field(default=(), converter=_sessions)
    origin: Path | None = attrs.field(default=None, eq=False)
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False, eq=False)

    @property
    def compiled(self) -> CompiledPolicy:
        """The policy, compiled (once per world)."""
        found = self._cache.get("compiled")
        if found is None:
            found = self._cache["compiled"] = compile_policy(self.policy)
        return found

    def engine(self) -> Engine:
        """The engine deciding requests in this world (made once per world)."""
        found = self._cache.get("engine")
        if found is None:
            found = self._cache["engine"] = Engine(self.tenant, self.compiled)
        return found

    def idp(self, name: str) -> IdentityProvider:
        """The IdP called *name*.

        :raises KeyError: with the names there are, when there is none.
        """
        found = self.tenant.idp(name)
        if found is None:
            names = [idp.name for idp in self.tenant.idps]
            known = ", ".join(f"`{n}`" for n in names) or "none"
            raise KeyError(
                f"no IdP named `{name}` in the tenant{did_you_mean(name, names)} "
                f"(IdPs: {known})"
            )
        return found

    def evolve(self, **changes: Any) -> World:
        """A new world with *changes* (any of the fields); this one is unchanged."""
        return attrs.evolve(self, **changes)

    def with_idp(self, idp: IdentityProvider) -> World:
        """A new world where the IdP of ``idp.name`` is replaced by *idp*."""
        self.idp(idp.name)
        idps = tuple(idp if old.name == idp.name else old for old in self.tenant.idps)
        return self.evolve(tenant=attrs.evolve(self.tenant, idps=idps))

    def applications(self) -> Iterator[str]:
        """The application segment names, in the tenant's order."""
        return (segment.name for segment in self.tenant.segments)
