"""Fixtures for the what-if tests: the small hand-built world and the acme example."""

from __future__ import annotations

from pathlib import Path

import pytest

from scimpolicy.workspace.files import load_workspace
from scimpolicy.workspace.world import World
from tests.whatif.worlds import small_world

ACME = Path(__file__).parents[2] / "examples" / "acme"


@pytest.fixture
def world() -> World:
    """A fresh small world (tests/whatif/worlds.py)."""
    return small_world()


@pytest.fixture(scope="session")
def acme() -> World:
    """The acme example tenant, loaded once: worlds are immutable and what-ifs never
    change the world they start from."""
    return load_workspace(ACME)
