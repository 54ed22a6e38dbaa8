"""The exception tree: rendering with a caret, RFC error bodies, pickling."""

from __future__ import annotations

import pickle

import pytest

from scimpolicy import (
    FilterSyntaxError,
    InvalidValueError,
    LoadError,
    PathSyntaxError,
    ScimError,
    SourceError,
    Span,
    UniquenessError,
)


def test_source_error_renders_line_and_marker() -> None:
    """str() is `message (at line L, column C)`, the line, and `~~~^` under the span."""
    error = SourceError("unknown thing `bar`", "first line\nfoo bar baz", Span(15, 18))
    assert str(error) == (
        "unknown thing `bar` (at line 2, column 5)\n    foo bar baz\n        ~~^"
    )
    assert (error.lineno, error.colno) == (2, 5)


def test_span_at_end_of_text_renders_a_single_caret() -> None:
    """An empty span at the end of the text points just past the last character."""
    error = SourceError("unexpected end", "abc", Span(3, 3), origin="file.json")
    assert (
        str(error)
        == "file.json: unexpected end (at line 1, column 4)\n    abc\n       ^"
    )


def test_filter_errors_are_scim_errors_and_value_errors() -> None:
    """FilterSyntaxError is both a ValueError with a span and a 400 invalidFilter."""
    error = FilterSyntaxError("expected a value", "title eq", Span(8, 8))
    assert isinstance(error, ValueError)
    assert isinstance(error, ScimError)
    assert error.to_scim() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "400",
        "scimType": "invalidFilter",
        "detail": "expected a value (at line 1, column 9)",
    }
    assert PathSyntaxError("x", "y", Span(0, 1)).scim_type == "invalidPath"


def test_status_codes() -> None:
    """E2/E3: each SCIM error carries its HTTP status and scimType."""
    assert (UniquenessError("x").status, UniquenessError("x").scim_type) == (
        409,
        "uniqueness",
    )
    assert InvalidValueError("x").to_scim()["status"] == "400"


@pytest.mark.parametrize(
    "error",
    [
        FilterSyntaxError("m", "src", Span(0, 1)),
        SourceError("m", "src", Span(1, 2), origin="o"),
        UniquenessError("taken"),
        LoadError("users", 3, InvalidValueError("bad")),
    ],
)
def test_errors_pickle(error: Exception) -> None:
    """Errors survive pickling (process pools pass them between processes)."""
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301  our own data
    assert type(copy) is type(error)
    assert str(copy) == str(error)
