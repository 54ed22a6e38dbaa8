"""Small text helpers shared by every stage: "did you mean" suggestions and tables."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from scimpolicy.errors import DataFileError, Span

__all__ = [
    "did_you_mean",
    "format_table",
    "read_json",
    "read_utf8",
    "stamp",
    "suggest",
]


def read_json(path: str | Path) -> tuple[str, Any]:
    """The text of a UTF-8 JSON file and its data.

    :raises DataFileError: not UTF-8, or not JSON (with the position).
    :raises OSError: the file cannot be read.
    """
    text = read_utf8(path)
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as error:
        message = error.msg[0].lower() + error.msg[1:]
        raise DataFileError(
            message, text, Span(error.pos, error.pos + 1), origin=str(path)
        ) from None


def stamp(moment: datetime) -> str:
    """*moment* in ISO 8601, ``Z`` for an offset of exactly zero (``+00:00:30``, a
    zero-minute offset with seconds, stays as it is, so the text reads back)."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def read_utf8(path: str | Path) -> str:
    """The text of a UTF-8 file.

    :raises DataFileError: the file is not UTF-8 (with the position of the first
        byte that is not).
    :raises OSError: the file cannot be read.
    """
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        text = data[: error.start].decode("utf-8")
        end = data.find(b"\n", error.start)
        text += data[error.start : None if end < 0 else end].decode(
            "utf-8", errors="replace"
        )
        raise DataFileError(
            f"not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded",
            text,
            Span(error.start, error.start + 1),
            origin=str(path),
        ) from None


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to *name* (ignoring case), or ``None``."""
    by_folded = {candidate.casefold(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(
        name.casefold(), list(by_folded), n=1, cutoff=0.7
    )
    return by_folded[matches[0]] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``": did you mean `x`?"`` for the closest candidate, or ``""``."""
    found = suggest(name, candidates)
    return f": did you mean `{found}`?" if found else ""


def format_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Render rows as a plain-text table with left-aligned columns."""
    materialized = [list(headers), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in materialized) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in materialized
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
