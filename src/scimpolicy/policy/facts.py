"""What policy criteria read: the facts of one request, and which of them are usable.

Stage: data shared by ``interpreter`` and ``compiler``. :class:`Facts` holds the SCIM
user and groups, the SAML attributes and the client context of one request;
:class:`Gates` says whether SCIM and SAML criteria may be used for it (SPEC §5.2).
:func:`reader` turns a reference into a function giving its values, and
:func:`canonical` puts a literal into the form those values have, so that comparing is
plain equality.

Value rules (SPEC §4): every reference gives a tuple of values (empty when absent), a
multi-valued reference matches if any value does; SCIM strings, platforms, client types
and country codes compare ignoring case (they are case-folded here, once); SAML values,
application, segment group, IdP, machine group and trusted network names compare
exactly.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import attrs

from scimpolicy.policy.nodes import Literal, Namespace, Ref
from scimpolicy.scim.models import User
from scimpolicy.scim.schema import USER, AttrType

__all__ = [
    "ALL_USABLE",
    "CLIENT_TYPES",
    "PLATFORMS",
    "Facts",
    "Gates",
    "Reader",
    "canonical",
    "is_client_type",
    "is_multi_valued",
    "reader",
    "scalar_reader",
]

# ZPA client types (GET .../clientTypes): short names accepted in policies, and the
# API's own values, which are what facts and exports use.
CLIENT_TYPES: Final = {
    "web_browser": "zpn_client_type_exporter",
    "web_browser_unauthenticated": "zpn_client_type_exporter_noauth",
    "machine_tunnel": "zpn_client_type_machine_tunnel",
    "cloud_connector": "zpn_client_type_edge_connector",
    "zia_inspection": "zpn_client_type_zia_inspection",
    "client_connector": "zpn_client_type_zapp",
    "lss": "zpn_client_type_slogger",
    "cloud_browser": "zpn_client_type_browser_isolation",
    "zia_service_edge": "zpn_client_type_ip_anchoring",
    "client_connector_partner": "zpn_client_type_zapp_partner",
    "branch_connector": "zpn_client_type_branch_connector",
    "vdi": "zpn_client_type_vdi",
}
_CLIENT_TYPE_VALUES: Final = frozenset(CLIENT_TYPES.values())
PLATFORMS: Final = ("mac", "ios", "windows", "android", "linux")


def is_client_type(text: str) -> bool:
    """Whether *text* names a ZPA client type: a short name (``web_browser``) or the
    API's value (``zpn_client_type_exporter``), in any case."""
    folded = text.casefold()
    return folded in CLIENT_TYPES or folded in _CLIENT_TYPE_VALUES


Reader = Callable[["Facts"], tuple[Any, ...]]
"""Gives the values a reference has for one request (empty: absent)."""


@attrs.frozen(cache_hash=True)
class Gates:
    """Whether SCIM and SAML criteria are usable for a request (SPEC §5.2)."""

    scim: bool = True
    saml: bool = True


ALL_USABLE: Final = Gates()


_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


class Facts(NamedTuple):
    """The facts of one request that criteria can read.

    ``user`` is the user's SCIM record (``None`` when the directory has none);
    ``scim_groups`` the display names of the user's SCIM groups; ``saml`` the SAML
    attributes of the session (each multi-valued); the rest is client context.

    A named tuple: the engine builds one per decision, positionally, which costs a
    fifth of a keyword-built attrs class.
    """

    user: User | None = None
    scim_groups: frozenset[str] = frozenset()
    saml: Mapping[str, tuple[str, ...]] = _EMPTY
    app: str | None = None
    segment_group: str | None = None
    idp: str | None = None
    client_type: str | None = None
    platform: str | None = None
    country: str | None = None
    posture: Mapping[str, bool] = _EMPTY
    trusted_networks: frozenset[str] = frozenset()
    machine_group: str | None = None


def canonical(ref: Ref, value: Literal) -> Literal:
    """A literal in the form :func:`reader` gives values for *ref*."""
    if not isinstance(value, str):
        return value
    kind = ref.kind
    if kind is Namespace.SCIM or kind is Namespace.PLATFORM:
        return value.casefold()
    if kind is Namespace.CLIENT_TYPE:
        folded = value.casefold()
        return CLIENT_TYPES.get(folded, folded)
    if kind is Namespace.COUNTRY:
        return value.upper()
    return value


def _one(value: Any) -> tuple[Any, ...]:
    return () if value is None or value == "" else (value,)


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


_CONTEXT: Final[dict[Namespace, Reader]] = {
    Namespace.APP: lambda facts: _one(facts.app),
    Namespace.SEGMENT_GROUP: lambda facts: _one(facts.segment_group),
    Namespace.IDP: lambda facts: _one(facts.idp),
    Namespace.CLIENT_TYPE: lambda facts: _one(
        None
        if facts.client_type is None
        else CLIENT_TYPES.get(
            facts.client_type.casefold(), facts.client_type.casefold()
        )
    ),
    Namespace.PLATFORM: lambda facts: _one(_fold(facts.platform)),
    Namespace.COUNTRY: lambda facts: _one(
        None if facts.country is None else facts.country.upper()
    ),
    Namespace.TRUSTED_NETWORK: lambda facts: tuple(sorted(facts.trusted_networks)),
    Namespace.MACHINE_GROUP: lambda facts: _one(facts.machine_group),
}


@functools.lru_cache(maxsize=4096)
def is_multi_valued(ref: Ref) -> bool:
    """Whether *ref* can have several values (SAML attributes, ``scim.groups``,
    multi-valued SCIM attributes, ``trusted_network``)."""
    kind = ref.kind
    if kind in (Namespace.SAML, Namespace.TRUSTED_NETWORK):
        return True
    if kind is not Namespace.SCIM or not ref.path:
        return False
    name = ref.path[0]
    if name.casefold() == "groups":
        return True
    urn = None
    if ":" in name:
        urn, _, name = name.rpartition(":")
    found = USER.resolve(name, urn)
    return found is not None and found[1].multi_valued


@functools.lru_cache(maxsize=4096)
def reader(ref: Ref) -> Reader | None:
    """A function giving *ref*'s values, or ``None`` for a reference the checker
    rejects (unknown namespace or attribute). Cached: references are frozen."""
    kind = ref.kind
    if kind is None:
        return None
    if kind in _CONTEXT:
        return _CONTEXT[kind] if not ref.path else None
    if kind is Namespace.SAML:
        if len(ref.path) != 1:
            return None
        name = ref.path[0]
        return lambda facts: tuple(facts.saml.get(name, ()))
    if kind is Namespace.POSTURE:
        if len(ref.path) != 1:
            return None
        profile = ref.path[0]
        return lambda facts: _one(facts.posture.get(profile))
    return _scim_reader(ref.path)


#: Folded, sorted group names by the set they came from (the directory hands out the
#: same frozenset for a member until a group write, so most requests hit).
_GROUP_VALUES: dict[frozenset[str], tuple[str, ...]] = {}
_GROUP_VALUES_SIZE: Final = 65_536


def _group_values(facts: Facts) -> tuple[str, ...]:
    """``scim.groups``: the user's group names, case-folded and sorted."""
    names = facts.scim_groups
    found = _GROUP_VALUES.get(names)
    if found is None:
        found = tuple(sorted(name.casefold() for name in names))
        if len(_GROUP_VALUES) >= _GROUP_VALUES_SIZE:
            _GROUP_VALUES.clear()
        _GROUP_VALUES[names] = found
    return found


def _scim_reader(path: tuple[str, ...]) -> Reader | None:
    if path and path[0].casefold() == "groups" and len(path) == 1:
        return _group_values
    if not path or len(path) > 2:
        return None
    name, urn = path[0], None
    if ":" in name:  # scim["urn:...:User:department"]
        urn, _, name = name.rpartition(":")
    found = USER.resolve(name, urn)
    if found is None:
        return None
    schema, attribute = found
    field = operator.attrgetter(attribute.python_name)
    parent: Callable[[User], Any] = (
        field
        if schema is USER.schema
        else lambda user: None if user.enterprise is None else field(user.enterprise)
    )
    sub_name = path[1] if len(path) == 2 else None
    if attribute.is_complex:
        sub = attribute.sub(sub_name or "value")
        if sub is None:
            return None
        get_sub = operator.attrgetter(sub.python_name)
        if attribute.multi_valued:
            return lambda facts: _scim_values(facts, parent, get_sub, many=True)
        return lambda facts: _scim_values(facts, parent, get_sub, many=False)
    if sub_name is not None:
        return None
    folding = attribute.type is not AttrType.BOOLEAN
    if attribute.multi_valued:
        return lambda facts: (
            ()
            if facts.user is None
            else tuple(_fold(v) for v in parent(facts.user) or ())
        )
    if folding:
        return lambda facts: (
            () if facts.user is None else _one(_fold(parent(facts.user)))
        )
    return lambda facts: () if facts.user is None else _one(parent(facts.user))


def scalar_value(value: Any) -> Any:
    """One value as readers give it: case-folded text, ``None`` for absent or empty."""
    if value is None or value == "":
        return None
    return value.casefold() if isinstance(value, str) else value


@functools.lru_cache(maxsize=4096)
def scalar_field(ref: Ref) -> tuple[bool, str] | None:
    """``(in the enterprise extension?, Python field name)`` for a reference to a
    simple, single-valued SCIM user attribute by its bare name, else ``None``: the
    generated rule code reads such attributes inline (as :func:`scalar_reader`)."""
    path = ref.path
    if ref.kind is not Namespace.SCIM or len(path) != 1 or ":" in path[0]:
        return None
    found = USER.resolve(path[0])
    if found is None or found[1].is_complex or found[1].multi_valued:
        return None
    schema, attribute = found
    if not attribute.python_name.isidentifier():
        return None
    return schema is not USER.schema, attribute.python_name


@functools.lru_cache(maxsize=4096)
def scalar_reader(ref: Ref) -> Callable[[Facts], Any]:
    """For a single-valued *ref*: a function giving its one value, or ``None``.

    Equivalent to the first value of :func:`reader`'s tuple, without the tuple: SCIM
    attributes and context values are read directly. The generated rule code reads
    the attributes :func:`scalar_field` names inline, the same way, and every other
    single-valued reference through this.
    """
    field = scalar_field(ref)
    if field is not None:
        enterprise, name = field
        get = operator.attrgetter(name)
        if not enterprise:
            return lambda facts: (
                None if (u := facts.user) is None else scalar_value(get(u))
            )
        return lambda facts: (
            None
            if (u := facts.user) is None or (e := u.enterprise) is None
            else scalar_value(get(e))
        )
    values = reader(ref) or (lambda _: ())
    return lambda facts: got[0] if (got := values(facts)) else None


def _scim_values(
    facts: Facts,
    parent: Callable[[User], Any],
    sub: Callable[[Any], Any],
    *,
    many: bool,
) -> tuple[Any, ...]:
    if facts.user is None:
        return ()
    top = parent(facts.user)
    if top is None:
        return ()
    records = top if many else (top,)
    return tuple(_fold(v) for record in records if (v := sub(record)) not in (None, ""))
