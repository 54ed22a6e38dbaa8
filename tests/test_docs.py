"""The Python examples in the README and the docs run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_run(page: Path) -> None:
    """Every ```python block of a page executes without error, in order, sharing one
    namespace (like a session reading the page top to bottom)."""
    namespace: dict[str, object] = {}
    for block in BLOCK.findall(page.read_text(encoding="utf-8")):
        exec(compile(block, str(page), "exec"), namespace)  # noqa: S102  our own docs


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_text_blocks_show_what_the_code_prints(
    page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every ```text block of a page is output its Python blocks really print."""
    text = page.read_text(encoding="utf-8")
    shown = re.findall(r"```text\n(.*?)```", text, re.DOTALL)
    namespace: dict[str, object] = {}
    for block in BLOCK.findall(text):
        exec(compile(block, str(page), "exec"), namespace)  # noqa: S102  our own docs
    printed = capsys.readouterr().out
    for block in shown:
        assert block.strip() in printed


def test_readme_opens_with_the_two_commands() -> None:
    """The README starts with the install-and-run command and the test command."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(.*?)\n```", text, re.DOTALL)[:2]
    assert commands[0].startswith("pip install . && scimpolicy ")
    assert commands[1] == "pip install -e '.[test]' && python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
