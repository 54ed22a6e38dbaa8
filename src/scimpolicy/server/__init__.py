"""A SCIM 2.0 service provider over scimpolicy's directory, per identity provider.

:class:`Store` holds each IdP's directory and token digest (in memory, or durable in a
data folder); :class:`ScimService` answers SCIM requests; :class:`ScimApp` is the ASGI
application; ``scimpolicy serve`` runs it. See docs/scim-server.md.
"""

from scimpolicy.server.asgi import ScimApp
from scimpolicy.server.service import HttpRequest, HttpResponse, Limits, ScimService
from scimpolicy.server.store import Store, read_directory, scim_path

__all__ = [
    "HttpRequest",
    "HttpResponse",
    "Limits",
    "ScimApp",
    "ScimService",
    "Store",
    "read_directory",
    "scim_path",
]
