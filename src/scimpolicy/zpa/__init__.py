"""ZPA interop: read ZPA API policy rules into scimpolicy, and write them back.

:class:`Catalogue` maps the IDs ZPA rules use to names; :func:`import_zpa` reads rule
JSON (v1 ``conditions``/``operands`` or v2 ``values``/``entryValues``) into a policy;
:func:`export_zpa` writes a policy as v2 rule JSON. See docs/zpa-interop.md.
"""

from scimpolicy.zpa.catalogue import Catalogue, Entry, Kind
from scimpolicy.zpa.exporter import ZpaExport, export_zpa
from scimpolicy.zpa.importer import ZpaImport, import_zpa

__all__ = [
    "Catalogue",
    "Entry",
    "Kind",
    "ZpaExport",
    "ZpaImport",
    "export_zpa",
    "import_zpa",
]
