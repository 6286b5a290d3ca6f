"""Values derived once at load time (performance figures, month arithmetic, flare thresholds) must equal
what the checked, per-call computations give: the speed-ups may not change a single output."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from bonemet.core.dates import add_months
from bonemet.core.probability import ResultBox, likelihood_ratios
from bonemet.kb import default_kb
from bonemet.kb.performance import build_source_used
from bonemet.model.probability import BinaryResult

KB = default_kb()


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)),
       st.integers(min_value=-240, max_value=240))
def test_add_months_matches_relativedelta(start: dt.date, months: int) -> None:
    assert add_months(start, months) == start + relativedelta(months=months)


def test_month_end_is_clamped() -> None:
    assert add_months(dt.date(2024, 8, 31), 6) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2023, 8, 31), 6) == dt.date(2024, 2, 29)


def test_every_computable_entry_has_figures_equal_to_the_checked_computation() -> None:
    table = KB.performance
    assert table is not None
    computable = [(m, e) for m in table.modalities.values() for e in m.entries if e.computable]
    assert set(table.figures) == {(m.id, e.id) for m, e in computable}
    for m, e in computable:
        fig = table.figures[(m.id, e.id)]
        assert fig.used == build_source_used(table.source(e.source), m, e)
        if e.has_point:
            assert e.sensitivity is not None and e.specificity is not None
            assert e.sensitivity.value is not None and e.specificity.value is not None
            assert fig.point_lrs == likelihood_ratios(e.sensitivity.value, e.specificity.value)
        else:
            assert fig.point_lrs is None
        for result, lrs in ((BinaryResult.positive, fig.positive_lr_range),
                            (BinaryResult.negative, fig.negative_lr_range)):
            assert lrs == ResultBox(fig.sensitivity_box, fig.specificity_box, result).lr_range()


def test_staging_prior_and_thresholds_are_the_tables() -> None:
    table, flare = KB.performance, KB.flare
    assert table is not None and flare is not None
    assert table.staging_prior is not None and table.staging_prior.setting == "staging"
    assert [t.analyte for t in flare.thresholds_used()] == [m.analyte.value for m in flare.markers]
    assert all(flare.argument(a.name) is a for a in flare.arguments)
    assert all(flare.marker(m.analyte) is m for m in flare.markers)


def test_a_message_without_fields_is_the_same_sentence_as_formatted() -> None:
    """Issue 27: `Text.format()` without values returns the template itself when it has no
    replacement field; for every message and title of the base that is what formatting and
    validating again gave (French typography is idempotent on a validated sentence)."""
    from bonemet.base.text import Text
    from bonemet.kb import default_kb

    kb = default_kb()
    texts = [t for r in kb.rules.values() for t in (r.title, r.text, *r.messages.values())]
    if kb.plan is not None:
        texts += [t for r in kb.plan.rules.values() for t in (r.title, *r.messages.values())]
    plain = [t for t in texts if "{" not in t.en + t.fr and "}" not in t.en + t.fr]
    assert len(plain) > 50
    for t in plain:
        assert t.format() is t
        assert t.format() == Text(en=t.en.format(), fr=t.fr.format())
    braced = Text(en="{{x}}", fr="{{x}}")  # escaped braces: formatting changes them
    assert braced.format() == Text(en="{x}", fr="{x}")
