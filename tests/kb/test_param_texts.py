"""No text of the knowledge types a number that is a parameter (issue 23): it writes the parameter's
placeholder and the loader fills it (kb/templates.py). The scan reads the data as written (before
filling) for each parameter's value next to its unit: a flare window said "6 months" in a text
would stay 6 when the parameter changes.

What is scanned: every rule's title, text and messages for the rule's own parameters and the base's
(`flare_months`); flare.yaml, cds_texts.yaml, audit/indicators.yaml, both catalogues and the
timeline's words for the flare window. Not scanned: statements.yaml (the chapter's own sentences,
the source the parameters are checked against, tests/kb/test_clinical_constants.py) and the score
tables (their "6 months" is Tokuhashi's survival band, another quantity).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bonemet.kb import default_kb, strict_yaml
from bonemet.kb.templates import fill_text, knowledge_values, scalar_params, unfilled, values_of

DATA = Path(str(resources.files("bonemet.kb") / "data"))
SRC = DATA.parents[1]


def _months(m: object) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in (
        rf"\b{m}[- ]months?\b", rf"\bmonths? {m}\b", rf"\b{m}(?:e|ème|ᵉ)? (?:premiers )?mois\b")]


def _percent(v: object) -> list[re.Pattern[str]]:
    return [re.compile(rf"(?<![\d.]){v}\s?%"), re.compile(rf"(?<![\d.]){v} (?:to|à) \d+\s?%")]


def _days(v: object) -> list[re.Pattern[str]]:
    return [re.compile(rf"(?<![\d.]){v} (?:days?|jours?)\b")]


def patterns(name: str, value: object) -> list[re.Pattern[str]]:
    """Where a parameter's value would be typed next to its unit (by the parameter's name)."""
    values = value if isinstance(value, list) else [value]
    out: list[re.Pattern[str]] = []
    for v in values:
        shown = int(v) if isinstance(v, float) and v.is_integer() else v
        if "month" in name:
            out += _months(shown)
        elif name.endswith("_pct"):
            out += _percent(shown)
        elif "days" in name:
            out += _days(shown)
    return out


def strings(data: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(data, str):
        yield where, data
    elif isinstance(data, list):
        for i, x in enumerate(data):
            yield from strings(x, f"{where}[{i}]")
    elif isinstance(data, dict):
        for k, v in data.items():
            if k != "params":
                yield from strings(v, f"{where}.{k}" if where else str(k))


def hard_coded(texts: Iterator[tuple[str, str]], params: dict[str, object]) -> list[str]:
    found = []
    for where, text in texts:
        for name, value in params.items():
            for p in patterns(name, value):
                found += [f"{where}: {m.group(0)!r} types {name}={value}" for m in p.finditer(text)]
    return found


def _raw(name: str) -> Any:
    return strict_yaml.load_path(DATA / name)


def _window() -> dict[str, object]:
    return {"flare_months": values_of(default_kb())["flare_months"]}


def test_rule_texts_state_their_parameters_by_placeholder() -> None:
    found: list[str] = []
    base = _window()
    for rule in _raw("rules.yaml")["rules"]:
        own = scalar_params(rule.get("params") or {})
        found += hard_coded(strings(rule, rule["id"]), base | own)
    assert found == []


@pytest.mark.parametrize("name", ["flare.yaml", "cds_texts.yaml", "audit/indicators.yaml"])
def test_other_data_texts_state_the_flare_window_by_placeholder(name: str) -> None:
    assert hard_coded(strings(_raw(name), name), _window()) == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_catalogue_states_the_flare_window_by_placeholder(lang: str) -> None:
    po = (SRC / "locale" / lang / "LC_MESSAGES" / "bonemet.po").read_text(encoding="utf-8")
    msgstrs = ((f"bonemet.po:{i}", line) for i, line in enumerate(po.splitlines(), 1)
               if line.startswith("msgstr"))
    assert hard_coded(msgstrs, _window()) == []


def test_timeline_words_state_the_flare_window_by_placeholder() -> None:
    from bonemet.report import timeline

    words = ((f"{lang}.{k}", v) for lang, d in timeline._WORDS.items() for k, v in d.items())
    assert hard_coded(words, _window()) == []


def test_the_scan_can_fail() -> None:
    """The scan catches the forms the data used to type."""
    texts = iter([("a", "after the 6-month mark"), ("b", "au-delà du 6e mois"), ("c", "up to month 6"),
                  ("d", "dans les 6 premiers mois"), ("e", "sensitivity 98%"), ("f", "15 to 30%"),
                  ("g", "within 183 days"), ("h", "flare window (first 6 months)")])
    found = hard_coded(texts, {"flare_months": 6, "sensitivity_pct": 98,
                               "flare_frequency_pct": [15, 30], "healing_days": 183})
    assert sorted({f[0] for f in found}) == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert hard_coded(iter([("x", "6 weeks, 16 months, 36%")]),
                      {"flare_months": 6, "pct_pct": 6}) == []


def test_fill_puts_parameters_in_and_leaves_run_time_placeholders() -> None:
    text = "{exam} of {scan_date}, within the first {flare_months} months ({low} to {p[1]}%)"
    out = fill_text(text, {"flare_months": 6, "p": [15, 30]})
    assert out == "{exam} of {scan_date}, within the first 6 months ({low} to 30%)"
    assert unfilled(out) == ["{exam}", "{scan_date}", "{low}"]
    assert fill_text("{{literal}} {flare_months}", {"flare_months": 6}) == "{{literal}} 6"


def test_the_flare_window_is_one_number() -> None:
    problems: list[str] = []
    assert knowledge_values({"NM-05": {"months": 6}, "NM-06": {"months": 6}}, problems) == {
        "flare_months": 6}
    assert knowledge_values({"NM-05": {"months": 6}, "NM-06": {"months": 7}}, problems) == {}
    assert problems and "disagree" in problems[0]


def test_a_changed_window_changes_every_text(tmp_path: Path) -> None:
    """Changing the flare window is changing the number: every text says the new one."""
    import shutil

    from bonemet.kb.loader import load_kb

    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    rules = (root / "rules.yaml").read_text()
    assert rules.count("      months: 6\n") == 3
    (root / "rules.yaml").write_text(rules.replace("      months: 6\n", "      months: 9\n"))
    kb = load_kb(root)
    nm05 = kb.rule("NM-05")
    assert "month 9" in nm05.title.en and "9e mois" in nm05.title.fr
    assert kb.flare is not None
    texts = [t for r in kb.rules.values() for x in (r.title, r.text, *r.messages.values())
             for t in (x.en, x.fr)]
    texts += [t for x in kb.flare.labels.timing.values() for t in (x.en, x.fr)]
    assert not any(re.search(r"\b6[- ]month|\bmonth 6\b|first 6 months|\b6e mois", t) for t in texts)
    assert sum(bool(re.search(r"\b9-month|\bmonth 9\b|first 9 months|\b9e mois", t)) for t in texts) >= 20


def test_placeholders_change_no_fingerprint_but_a_parameter_does(tmp_path: Path) -> None:
    """Saying a parameter by placeholder is the same knowledge (same fingerprint, no version bump);
    changing the parameter is not."""
    import shutil

    from bonemet.kb.fingerprint import fingerprint, kb_body

    root = tmp_path / "data"
    shutil.copytree(DATA, root)
    before = fingerprint(kb_body(root))
    rules = (root / "rules.yaml").read_text()
    typed = rules.replace("date it after month {months}", "date it after month 6", 1)
    assert typed != rules
    (root / "rules.yaml").write_text(typed)
    assert fingerprint(kb_body(root)) == before
    (root / "rules.yaml").write_text(typed.replace("      months: 6\n", "      months: 7\n"))
    assert fingerprint(kb_body(root)) != before


def test_no_loaded_text_keeps_a_parameter_placeholder() -> None:
    """After loading, no text still says `{flare_months}` or a rule parameter's name (a typo in a
    placeholder would show as braces to the reader, or fail when a message is filled)."""
    from bonemet.audit.definitions import default_definitions
    from bonemet.report.labels import labels
    from bonemet.service.texts import default_texts

    kb = default_kb()
    names = {"flare_months"} | {k for r in kb.rules.values() for k in r.params}
    texts: list[str] = []
    for r in kb.rules.values():
        texts += [t for x in (r.title, r.text, *r.messages.values()) for t in (x.en, x.fr)]
    assert kb.flare is not None
    texts += [t for x in kb.flare.labels.timing.values() for t in (x.en, x.fr)]
    texts += [t for d in default_definitions().indicators for x in (d.title, d.denominator, d.numerator)
              for t in (x.en, x.fr)]
    texts += [default_texts()("pv_flare_summary", lang, date="x") for lang in ("en", "fr")]
    texts += [text(lang) for text in labels().ui.values() for lang in ("en", "fr")]  # type: ignore[arg-type]
    left = [(p, t) for t in texts for p in unfilled(t) if p.strip("{}").split("[")[0] in names]
    assert left == []
    assert any("6e mois" in t for t in texts) and any("month 6" in t for t in texts)
