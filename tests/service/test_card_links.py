"""Links in CDS cards only to the service's own pages or a registered SMART app (issue 22, item 5)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bonemet.service.cards import own_links
from bonemet.service.cds_models import Card, Link, Source

BASE = "https://bonemet.example.org/cds"


def _card(*urls: str, source: str = f"{BASE}/api/kb/rules", kind: str = "absolute") -> Card:
    return Card(summary="s", indicator="info", source=Source(label="bonemet", url=source),
                links=[Link(label="l", url=u, type=kind) for u in urls] or None)  # type: ignore[arg-type]


def test_own_pages_are_kept() -> None:
    card = _card(f"{BASE}/api/kb/rules/NM-02", f"{BASE}/api/kb/rules")
    assert own_links([card], BASE) == [card]


def test_links_elsewhere_are_dropped() -> None:
    foreign = ("https://evil.example/x", "https://bonemet.example.org/other", "http://bonemet.example.org/cds/x",
               "https://bonemet.example.org.evil.example/cds/x", "https://bonemet.example.org/cdsx/y",
               "https://user@bonemet.example.org/cds/x", f"{BASE}/ x")
    (card,) = own_links([_card(*foreign)], BASE)
    assert card.links is None


def test_a_source_url_elsewhere_is_removed_not_the_card() -> None:
    (card,) = own_links([_card(source="https://evil.example/rules")], BASE)
    assert card.source.url is None and card.source.label == "bonemet"


def test_smart_links_need_a_registered_app() -> None:
    card = _card("https://app.example.org/launch", kind="smart")
    assert own_links([card], BASE)[0].links is None
    assert own_links([card], BASE, smart_apps=("https://app.example.org/launch",)) == [card]


def test_the_link_check_reads_whitespace_as_str_isspace() -> None:
    """Issue 27: a link is refused for any whitespace through one regular-expression search
    instead of `str.isspace` on each character: both agree on every code point (a pattern missing
    one, e.g. `[ \\t\\n]`, fails here on the others)."""
    from bonemet.service import cards

    disagree = [cp for cp in range(0x110000)
                if (cards._SPACE.search(chr(cp)) is not None) != chr(cp).isspace()]
    assert disagree == []


@given(st.text())
def test_a_card_uuid_is_the_standard_name_based_uuid(name: str) -> None:
    """Issue 27: card ids are computed without `uuid.UUID` objects; each is still exactly the
    RFC 4122 version-5 id of its name that `uuid.uuid5` gives (resent cards keep their id)."""
    import uuid

    from bonemet.service import cards

    assert cards.name_uuid(name) == str(uuid.uuid5(cards._UUID_NS, name))
