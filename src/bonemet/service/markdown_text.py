"""Untrusted text inside the Markdown of CDS cards (issue 22, item 5).

A card's `detail` is (GitHub-flavoured) Markdown that the EHR renders. Its sentences carry text
from the patient's record and the draft order (treatment names, body sites, report wording): a
record that says `[x](javascript:…)`, `![](http://…)` or `<script>` must come out as those
characters, never as a link, an image beacon or HTML. So the card is built from a fixed skeleton
(strong labels, emphasis, list items, code spans of field paths: the functions below) and every
piece of text placed in it goes through `text()`, which makes it inert:

* every ASCII punctuation character is backslash-escaped (but `,;?'"%`, which mean nothing
  outside a link title or an HTML attribute): none can open a link, an image, an
  autolink, raw HTML, an entity, a code span, emphasis, a strikethrough, a table or a block
  marker (`#`, `>`, `-`, `1.`), and GFM's bare-URL autolinks (`http://`, `www.`, `a@b`) lose
  the `:`, `.` and `@` they are recognised by;
* line endings become character references (`&#10;`): the text stays on its line, so it can
  never start a block (a heading, a fence, an indented code block, a list, a table);
* leading and trailing whitespace becomes character references too: a renderer strips it at the
  start of a paragraph and five spaces after a list marker would start a code block;
* control characters that Markdown cannot carry (NUL, the other C0 and C1 controls but tab, line
  feed and carriage return) become U+FFFD, as CommonMark does for NUL.

Rendered by a CommonMark renderer, `text(s)` reads exactly `s` (with those controls as U+FFFD):
the property test in tests/service/test_markdown_text.py checks both claims with markdown-it.
"""

from __future__ import annotations

import re
import string

# CommonMark's "ASCII punctuation character", less the few that no construct of CommonMark or GFM
# gives a meaning outside a link or an HTML tag (both impossible here): sentences stay readable.
_INERT = frozenset(",;?'\"%")
_PUNCTUATION = frozenset(string.punctuation) - _INERT
# Controls a renderer drops or turns into U+FFFD (markdown-it refuses them as character references).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_LINE_ENDING = {"\n": "&#10;", "\r": "&#13;"}
_BREAKS = re.compile(r"[\n\r\u2028\u2029]")  # a plain field stays on one line (spaces kept: French
# typography puts non-breaking spaces before ":" and "?")
_FIELD_PATH = re.compile(r"[A-Za-z0-9_.\[\]-]{1,200}")  # a case field path, e.g. exams[0].date


def visible(value: str) -> str:
    """What `text(value)` reads once rendered: the controls Markdown cannot carry as U+FFFD."""
    return _CONTROL.sub("\ufffd", value)


def text(value: str) -> str:
    """`value` as inert Markdown inline text: rendered, it reads `visible(value)` and nothing else."""
    value = visible(value)
    body = value.strip()
    start = len(value) - len(value.lstrip())
    lead, trail = value[:start], value[start + len(body):]
    return _references(lead) + body.translate(_ESCAPES) + _references(trail)


def _escaped(char: str) -> str:
    """One character as inert Markdown (`_ESCAPES` holds this for every character it changes)."""
    if char in _PUNCTUATION:
        return "\\" + char
    return _LINE_ENDING.get(char, char)


# Every character `_escaped` changes, for `str.translate`: one C call per text instead of a Python
# call per character (issue 27: ~10 % of a CDS call's card building).
_ESCAPES = {ord(c): _escaped(c) for c in (*_PUNCTUATION, *_LINE_ENDING)}


def _references(whitespace: str) -> str:
    return "".join(f"&#{ord(c)};" for c in whitespace)


def strong(value: str) -> str:
    # Empty, the delimiters alone would read as literal asterisks, or a thematic break on a line.
    return f"**{text(value)}**" if value else ""


def emphasis(value: str) -> str:
    return f"*{text(value)}*" if value else ""


def labelled(label: str, value: str, lang: str = "en") -> str:
    """`**Label**: value`, the first line of most card paragraphs (French: a non-breaking space
    before the colon, as every French sentence of bonemet; review 24b F11)."""
    return f"{strong(label)}{colon(lang)} {text(value)}"


def colon(lang: str) -> str:
    return "\u00a0:" if lang == "fr" else ":"


def field_path(path: str) -> str:
    """A case field path as a code span when it is a plain path; otherwise escaped text.

    A code span is literal, but a backtick inside one would close it early: only paths made of
    letters, digits and `_.[]-` get one.
    """
    return f"`{path}`" if _FIELD_PATH.fullmatch(path) else text(path)


def bullets(items: list[str]) -> str:
    """A list of Markdown items already built with the functions above (one per line)."""
    return "\n".join(f"- {item}" for item in items)


def plain_line(value: str) -> str:
    """A plain-text field of a card (summary, link label: not Markdown in CDS Hooks) on one line,
    without control characters."""
    return _BREAKS.sub(" ", visible(value))
