"""Issue 22, item 5: record and order text in CDS cards is untrusted.

A production server (client JWT) gets CDS Hooks calls whose record (every `text` and `display` of
the prefetch) and draft orders carry a `javascript:` link, an image beacon and a `<script>`. The
words must reach the card (else the probe proves nothing) but only as text: rendered by a
CommonMark renderer the detail holds no link, image or HTML, the plain fields stay on one line,
and every link and source URL of the cards is one of the service's own pages.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from security_harness import Keys, Live

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))
from hooks import case_doc, hook_request  # the CDS request builders of the service tests

PAYLOAD = ("[click](javascript:alert(1)) ![](http://evil.example/beacon.png) "
           "<script>alert(1)</script> <http://evil.example> www.evil.example")
FREE_TEXT = ("text", "display", "conclusion", "description", "valueString", "family", "given")
WORDS = ("javascript", "evil.example/beacon.png", "<script>")
RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _poisoned(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _poisoned(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poisoned(v, key) for v in value]
    if isinstance(value, str) and key in FREE_TEXT:
        return f"{value} {PAYLOAD}"
    return value


def _request(hook: str, example: str, orders: tuple[str, ...] = ()) -> dict[str, Any]:
    body = hook_request(hook, case_doc(example), orders)
    body["prefetch"] = _poisoned(body["prefetch"])
    if hook != "patient-view":
        body["context"]["draftOrders"] = _poisoned(body["context"]["draftOrders"])
        for entry in body["context"]["draftOrders"]["entry"]:
            entry["resource"]["note"] = [{"text": PAYLOAD}]
    return body


def _rendered(detail: str) -> tuple[set[str], str]:
    tokens = RENDERER.parse(detail)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    words = "\n".join(c.content for t in tokens for c in t.children or [] if c.type == "text")
    return kinds, words


CALLS = {
    "patient-view, flare reading": ("bonemet-imaging-review", "patient-view",
                                    "21-flare-early-flare-likely.yaml", ()),
    "patient-view, progression likely": ("bonemet-imaging-review", "patient-view",
                                         "22-flare-early-progression-likely.yaml", ()),
    "order-sign, MRI of the spine": ("bonemet-imaging-order", "order-sign",
                                     "23-flare-early-conflicting.yaml", ("mri_thoracic_spine",)),
    "order-select, cord grade contradiction": ("bonemet-imaging-order", "order-select",
                                               "49-cord-grade-contradicts-context.yaml", ("bone_scan",)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_record_text_reaches_the_card_only_as_text(proxy_server: Live, keys: Keys, name: str) -> None:
    service, hook, example, orders = CALLS[name]
    path = f"/cds-services/{service}"
    with proxy_server.client() as http:
        r = http.post(path, json=_request(hook, example, orders),
                      headers={"Authorization": f"Bearer {keys.token(proxy_server.url + path)}"})
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert cards, r.text
    seen = ""
    for card in cards:
        kinds, words = _rendered(card.get("detail", ""))
        seen += words
        assert not kinds & {"link_open", "image", "html_inline", "html_block", "fence", "code_block"}
        outside_code = re.sub(r"`[A-Za-z0-9_.\[\]-]+`", "", card.get("detail", ""))  # field paths
        assert not re.search(r"(?<!\\)[<\[`]", outside_code)  # every other <, [ and ` escaped
        plain = [card["summary"], *(link["label"] for link in card.get("links", [])),
                 *(s["label"] for s in card.get("suggestions", []))]
        assert all("\n" not in p and "<script" not in p for p in plain)
        urls = [link["url"] for link in card.get("links", [])] + [card["source"].get("url", "")]
        assert all(u.startswith(proxy_server.url + "/") for u in urls if u), urls
    # The hostile words did reach the cards, as words: the probe is not vacuous.
    assert all(w in seen for w in WORDS), seen[:2000]
