"""Untrusted text in card Markdown (issue 22, item 5), rendered by a real CommonMark renderer.

For any string, the escaped text placed in each shape of the card skeleton renders to the same
document structure as a plain word there (so no link, image, raw HTML, code span, heading, list or
table of its own) and its text content is the string itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bonemet.service import markdown_text
from bonemet.service.markdown_text import (
    bullets,
    emphasis,
    field_path,
    labelled,
    plain_line,
    strong,
    text,
    visible,
)

# CommonMark, plus GFM's tables and strikethrough (the CDS Hooks detail is GitHub-flavoured).
RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
SENTINEL = "Zq9sentinel"  # letters and digits: escaping leaves it alone

# Every shape cards.py places text in (service/cards.py builds details only with these).
SHAPES: dict[str, Callable[[str], str]] = {
    "paragraph": text,
    "labelled": lambda s: labelled("Why", s),
    "strong": strong,
    "emphasis": emphasis,
    "list with field": lambda s: bullets([f"{text(s)} ({field_path('exams[0].date')})", text(s)]),
    "titled list": lambda s: f"{strong('Assumed')}:\n\n{bullets([text(s), text(s)])}",
    "between code spans": lambda s: f"`a` {text(s)}{text(s)} `b`",
    "paragraphs": lambda s: "\n\n".join([strong(s), text(s), bullets([text(s)]), emphasis(s)]),
    "field path": lambda s: bullets([f"{text('why')} ({field_path(s)})"]),
}
HOSTILE = [
    "[x](javascript:alert(1))", "![](http://evil.example/b.png)", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "`code`", "``", "http://evil.example", "www.evil.example",
    "a@evil.example", "<http://evil.example>", "[x]: http://evil.example", "[x]", "&lt;b&gt;",
    "# heading", "> quote", "- item", "1. item", "1) item", "    code", "```\nfence\n```",
    "a\n\n    code", "a\n# b", "a\n===", "---", "***", "| a | b |\n|---|---|", "~~strike~~",
    "*em* _em_ **strong**", "\\", "trailing backslash\\", "  hard  \nbreak", "\r\n\r\n<div>",
    "\x00nul", "\x0b\x0c\x1f\x85", " \u00a0lead", "trail\u3000 ", "[^1]", "$x$", ":smile:", "\ufffd",
]


def _signature(tokens: list[Token]) -> list[Any]:
    """The document's structure: block and inline token types, without the words."""
    out: list[Any] = []
    for token in tokens:
        if token.type == "inline":
            out.append([t.type for t in token.children or [] if t.type != "text"])
        else:
            out.append((token.type, token.tag))
    return out


def _content(tokens: list[Token]) -> str:
    """The text a reader sees (code spans included), blocks separated by a line end."""
    parts = []
    for token in tokens:
        if token.type == "inline":
            parts.append("".join(t.content for t in token.children or []
                                 if t.type in ("text", "code_inline")))
    return "\n".join(parts)


def _check(shape: Callable[[str], str], s: str) -> None:
    tokens = RENDERER.parse(shape(s))
    reference = RENDERER.parse(shape(SENTINEL))
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & {"link_open", "image", "html_inline", "html_block", "fence", "code_block"}
    assert _signature(tokens) == _signature(reference)  # same code spans, lists, emphasis as the template
    assert _content(tokens) == _content(reference).replace(SENTINEL, visible(s))


@pytest.mark.parametrize("name", sorted(set(SHAPES) - {"field path"}))
@pytest.mark.parametrize("s", HOSTILE)
def test_hostile_strings_render_as_their_text(name: str, s: str) -> None:
    _check(SHAPES[name], s)


@settings(max_examples=300, deadline=None)
@given(s=st.text(min_size=1))
@example(s="]\n[x]: http://e\n\n[x]")
@example(s=" \t")
def test_any_string_renders_as_its_text_in_every_shape(s: str) -> None:
    for name, shape in SHAPES.items():
        if name != "field path":
            _check(shape, s)


@settings(max_examples=200, deadline=None)
@given(s=st.text(alphabet=st.characters(codec="ascii"), min_size=1))
def test_any_ascii_string_renders_as_its_text(s: str) -> None:
    # ASCII holds every character Markdown gives a meaning to: a denser search than st.text().
    for name, shape in SHAPES.items():
        if name != "field path":
            _check(shape, s)


@settings(max_examples=200, deadline=None)
@given(s=st.text(min_size=1))
def test_a_field_path_is_a_code_span_only_when_plain(s: str) -> None:
    tokens = RENDERER.parse(SHAPES["field path"](s))
    kinds = [c.type for t in tokens for c in t.children or []]
    assert "link_open" not in kinds and "image" not in kinds and "html_inline" not in kinds
    assert kinds.count("code_inline") <= 1
    assert _content(tokens) == f"why ({visible(s)})"


def test_a_plain_field_path_keeps_its_code_span() -> None:
    assert field_path("treatments[0].start") == "`treatments[0].start`"
    assert field_path("a`b") == "a\\`b"


def test_bare_urls_lose_what_gfm_autolinks_them_by() -> None:
    # GFM's extended autolinks (not in CommonMark, so not in the renderer above) start at "www.",
    # at "scheme:" and at "@": none of those survives unescaped.
    escaped = text("see http://evil.example, www.evil.example or a@evil.example")
    assert not re.search(r"(?<!\\)[:.@]", escaped), escaped


@given(s=st.text())
def test_a_plain_field_stays_on_one_line_and_keeps_its_spaces(s: str) -> None:
    line = plain_line(s)
    assert "\n" not in line and "\r" not in line and len(line) == len(s)
    assert plain_line("Bone scan\u202f: x") == "Bone scan\u202f: x"  # French typography kept


@given(s=st.text())
def test_the_escape_table_is_the_per_character_escape(s: str) -> None:
    """Issue 27: `text` escapes with one `str.translate` instead of a Python call per character;
    the table gives every character what `_escaped` gives it (the property would fail on a table
    missing one punctuation character or a line ending)."""
    assert s.translate(markdown_text._ESCAPES) == "".join(markdown_text._escaped(c) for c in s)
