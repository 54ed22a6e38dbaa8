"""Testing ZPA policies with pytest: assertion helpers, requests, the plugin.

The names in :data:`__all__` are the supported API for users' test suites:

- assertion helpers that take a :class:`~scimpolicy.workspace.world.World` or an
  :class:`~scimpolicy.policy.engine.Engine` and a request, return the explained
  decision, and fail with the decision's explanation (:mod:`.assertions`);
- :func:`make_request`, a request of one user of a world, and the factories the
  plugin's ``scimpolicy_request`` and ``scimpolicy_directory`` fixtures give
  (:mod:`.factories`).

The pytest plugin (:mod:`scimpolicy.testing.plugin`, registered through the
``pytest11`` entry point) adds fixtures for a tenant and collects ``*.cases.toml``
files. Importing this package needs neither pytest nor Hypothesis; the Hypothesis
strategies live in :mod:`scimpolicy.testing.strategies`, imported on their own.
"""

from __future__ import annotations

from scimpolicy.testing.assertions import (
    BLOCKED,
    DEFAULT,
    assert_allowed,
    assert_blocked,
    assert_decided_by,
    assert_denied,
    assert_outcome,
)
from scimpolicy.testing.factories import (
    DirectoryFactory,
    RequestFactory,
    RequestOptions,
    make_request,
)

__all__ = [
    "BLOCKED",
    "DEFAULT",
    "DirectoryFactory",
    "RequestFactory",
    "RequestOptions",
    "assert_allowed",
    "assert_blocked",
    "assert_decided_by",
    "assert_denied",
    "assert_outcome",
    "make_request",
]
