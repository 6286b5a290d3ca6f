"""Parameters said in texts are filled from the data, never typed into the text (issue 23).

A text of the knowledge base (a rule's title, text or messages, a flare caveat, a CDS text, an audit
indicator, a catalogue label) that states a parameter writes its placeholder: `{months}` (the rule's
own `params.months`), `{flare_frequency_pct[0]}` (an item of a list parameter), or a parameter of the
whole base such as `{flare_months}` (the flare window, NM-05..NM-07 `params.months`). `fill` puts the
values in when the data is loaded, and only those: the placeholders a message fills at run time
(`{scan_date}`, `{line}`...) stay as they are. Changing the flare window is then one number, and
tests/kb/test_param_texts.py fails when a text types a parameter's value next to its unit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# {name} or {name[0]}: a parameter, or a run-time placeholder when the name is not a parameter.
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_][a-z0-9_]*)((?:\[\d+\])*)\}(?!\})")
_INDEX = re.compile(r"\[(\d+)\]")

# The parameters of the whole base that texts outside their rule may state, and where each lives.
FLARE_MONTHS_RULES = ("NM-05", "NM-06", "NM-07")


def _value(value: object, index: str) -> object:
    for i in _INDEX.findall(index):
        assert isinstance(value, (list, tuple))
        value = value[int(i)]
    return value


def _show(value: object) -> str:
    # 6.0 is said "6"; a parameter is a number of the data, not a computation
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def fill_text(text: str, values: Mapping[str, object]) -> str:
    """`text` with each placeholder naming a parameter in `values` replaced by its value; every
    other placeholder (filled at run time) and every other character left as written."""
    def one(m: re.Match[str]) -> str:
        name, index = m.group(1), m.group(2)
        if name not in values:
            return m.group(0)
        try:
            return _show(_value(values[name], index))
        except (AssertionError, IndexError):
            return m.group(0)  # a bad index stays visible; `unfilled` names it
    return _PLACEHOLDER.sub(one, text)


def fill(data: Any, values: Mapping[str, object], skip: frozenset[str] = frozenset({"params"})) -> Any:
    """Raw YAML data (dicts, lists, strings) with every string filled; keys in `skip` (the
    parameters themselves) are left alone."""
    if isinstance(data, str):
        return fill_text(data, values)
    if isinstance(data, list):
        return [fill(x, values, skip) for x in data]
    if isinstance(data, dict):
        return {k: (v if k in skip else fill(v, values, skip)) for k, v in data.items()}
    return data


def scalar_params(params: Mapping[str, object]) -> dict[str, object]:
    """The parameters a text may state: numbers, and lists of numbers."""
    def number(v: object) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return {k: v for k, v in params.items()
            if number(v) or (isinstance(v, list) and v and all(number(x) for x in v))}


def knowledge_values(rule_params: Mapping[str, Mapping[str, object]],
                     problems: list[str] | None = None) -> dict[str, object]:
    """The parameters of the whole base, from the rules that hold them (`rule_params`: rule id ->
    its params). The flare window must be one number in NM-05..NM-07."""
    months = {rule_params[r].get("months") for r in FLARE_MONTHS_RULES if r in rule_params}
    months.discard(None)
    if len(months) != 1:
        if problems is not None and months:
            problems.append(f"rules {', '.join(FLARE_MONTHS_RULES)}: params.months disagree: "
                            f"{sorted(map(str, months))}")
        return {}
    return {"flare_months": months.pop()}


def values_of(kb: Any) -> dict[str, object]:
    """`knowledge_values` of a loaded base (anything with `rules: {id: rule with .params}`)."""
    return knowledge_values({rid: r.params for rid, r in kb.rules.items()})


def unfilled(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The placeholders left in `text` that are not in `allowed` (run-time names of a message)."""
    return [m.group(0) for m in _PLACEHOLDER.finditer(text) if m.group(1) not in allowed]


def fill_rules(raw_rules: list[Any], values: Mapping[str, object]) -> list[Any]:
    """rules.yaml's rules, each filled with the base's values and its own parameters."""
    return [fill(r, {**values, **scalar_params(r.get("params") or {})}) if isinstance(r, dict) else r
            for r in raw_rules]


def rule_params_of(raw_rules: Any) -> dict[str, Mapping[str, object]]:
    """rule id -> params, from rules.yaml as read (for `knowledge_values`)."""
    return {r["id"]: r.get("params") or {} for r in (raw_rules or [])
            if isinstance(r, dict) and "id" in r}


def fill_document(name: str, data: Any, values: Mapping[str, object]) -> Any:
    """A data file as read, filled as its loader fills it (`name` relative to kb/data): the
    fingerprint of the knowledge is taken on this, so that saying a parameter by placeholder
    instead of typing it changes no fingerprint, while changing the parameter does."""
    if name == "rules.yaml" and isinstance(data, dict) and isinstance(data.get("rules"), list):
        return {**data, "rules": fill_rules(data["rules"], values)}
    return fill(data, values)
