"""Fixtures shared by the SCIM tests."""

from __future__ import annotations

import pytest

from scimpolicy import Directory
from tests.scim.support import new_directory


@pytest.fixture
def directory() -> Directory:
    """An empty directory with a ticking clock and readable ids (id-1, id-2, ...)."""
    return new_directory()
