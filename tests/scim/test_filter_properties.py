"""Properties of scimpolicy.scim.filter_parser: robustness and render round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scimpolicy.errors import FilterSyntaxError, PathSyntaxError, SourceError
from scimpolicy.scim.filter_nodes import Filter, PatchPath, render
from scimpolicy.scim.filter_parser import (
    parse_attr_path,
    parse_filter,
    parse_patch_path,
)
from tests.scim.strategies import filters, patch_paths

FIXTURES = Path(__file__).parent / "fixtures"
VALID = [
    line
    for line in (FIXTURES / "filters_valid.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line and not line.startswith("#")
]

# Characters that matter to the grammar, drawn more often than chance would.
_SYNTAX_CHARS = st.sampled_from(
    list('()[]"\\ .:$-+0123456789eEaAnNoOrRtT\t\n\x00\u017f')
)


@st.composite
def mutated_filters(draw: st.DrawFn) -> str:
    """A valid fixture filter with a few characters inserted or deleted."""
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        if text and draw(st.booleans()):
            text = text[:pos] + text[pos + 1 :]
        else:
            char = draw(_SYNTAX_CHARS | st.characters())
            text = text[:pos] + char + text[pos:]
    return text


def check_error(error: SourceError, text: str) -> None:
    assert 0 <= error.span.start <= error.span.end <= len(text)
    assert error.source == text
    assert error.message
    assert error.message[0] == error.message[0].lower()
    assert not error.message.endswith(".")
    assert str(error).startswith(error.message)


@given(st.text() | mutated_filters())
@example("(" * 70 + "a pr")
@example("a eq 1e400")
@example('a eq "\\ud800"')
@example("a \u017fw 1")  # long s folds to `s` under Unicode IGNORECASE
def test_any_text_parses_or_raises_filter_syntax_error(text: str) -> None:
    """Any text gives a node or a FilterSyntaxError with a span inside the text."""
    try:
        node = parse_filter.__wrapped__(text)
    except FilterSyntaxError as error:
        check_error(error, text)
    else:
        assert parse_filter(render(node)) == node


@given(st.text() | mutated_filters())
def test_any_text_parses_as_a_path_or_raises_path_syntax_error(text: str) -> None:
    """PATCH and attribute paths never fail with anything but PathSyntaxError."""
    for parse in (parse_patch_path.__wrapped__, parse_attr_path):
        try:
            parse(text)
        except PathSyntaxError as error:
            check_error(error, text)


@given(filters())
def test_render_then_parse_gives_the_same_filter(node: Filter) -> None:
    """parse_filter(render(node)) == node for every filter tree."""
    assert parse_filter(render(node)) == node


@given(patch_paths())
def test_render_then_parse_gives_the_same_patch_path(path: PatchPath) -> None:
    """parse_patch_path(render(path)) == path for every PATCH path."""
    assert parse_patch_path(render(path)) == path


@pytest.mark.parametrize("text", VALID)
def test_render_is_a_fixed_point_for_valid_filters(text: str) -> None:
    """Rendering a parsed fixture filter gives canonical text that renders to itself."""
    canonical = render(parse_filter(text))
    assert parse_filter(canonical) == parse_filter(text)
    assert render(parse_filter(canonical)) == canonical
