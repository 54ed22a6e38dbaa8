"""What the benchmark scripts share: timings, progress lines, versions, the CPU model.

Imported by ``bench_directory.py`` and ``bench_policy.py`` (run them as scripts from
the repository root; their folder is then on ``sys.path``).
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["Timing", "cpu_model", "progress", "version_of"]


@dataclass(frozen=True)
class Timing:
    """Seconds per operation, one sample per repeat."""

    samples: tuple[float, ...]
    ops: int

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def raw(self) -> dict[str, Any]:
        return {
            "seconds_per_op": list(self.samples),
            "ops_per_repeat": self.ops,
            "min_us": self.best * 1e6,
            "median_us": self.median * 1e6,
        }


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def version_of(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
