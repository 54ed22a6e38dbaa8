"""Shared test configuration: Hypothesis profiles (never loaded unconditionally)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("fast", max_examples=10)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# CI sets CI=true and gets Hypothesis's own derandomized `ci` profile automatically;
# a profile is loaded here only when someone asks for one.
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
