"""Policy analysis: rules that can never decide, rules that change nothing, SCIM gate
hazards, and the exact difference between two policies, with example requests.

:func:`analyze` and :func:`diff` decide exactly, for the policy language's theory,
with a small solver of their own (``logic``): no external solver. See
docs/analysis.md.
"""

from scimpolicy.analysis.example import Example, decide
from scimpolicy.analysis.findings import Difference, Finding, Kind, analyze, diff

__all__ = ["Difference", "Example", "Finding", "Kind", "analyze", "decide", "diff"]
