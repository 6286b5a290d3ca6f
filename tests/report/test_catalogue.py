"""The interface catalogue (gettext .po read with Babel), its importer, and French formats (issue 13)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from hypothesis import given
from hypothesis import strategies as st

from bonemet.base import format_day, format_number, french_typography
from bonemet.model.case import Side, SkeletalSite
from bonemet.report.labels import (
    LabelsError,
    fact_text,
    field_label,
    french_html,
    labels,
    parse_catalogues,
    site_side,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "i18n.py"
LOCALE = ROOT / "src" / "bonemet" / "locale"


def _catalogs(entries: dict[str, dict[str, str]], fuzzy: str | None = None) -> dict[str, Catalog]:
    out = {lang: Catalog(locale=lang, domain="bonemet", fuzzy=False) for lang in ("en", "fr")}
    for key, texts in entries.items():
        for lang, text in texts.items():
            flags = ("fuzzy",) if fuzzy == f"{key}.{lang}" else ()
            out[lang].add(key, text, flags=flags)
    return out


@pytest.mark.parametrize(("entries", "fuzzy", "reason"), [
    ({"x": {"en": "only English"}}, None, r"ui\.x: no 'fr' entry"),
    ({"x": {"fr": "seulement français"}}, None, r"ui\.x: no 'en' entry"),
    ({"x": {"en": "Yes", "fr": " "}}, None, r"ui\.x: empty 'fr' translation"),
    ({"x": {"en": "Yes", "fr": "Oui"}}, "x.fr", r"ui\.x: 'fr' translation is fuzzy"),
])
def test_the_loader_refuses_a_half_translated_catalogue(entries: dict[str, dict[str, str]],
                                                        fuzzy: str | None, reason: str) -> None:
    with pytest.raises(LabelsError, match=reason):
        parse_catalogues(_catalogs(entries, fuzzy))


def test_the_shipped_catalogues_load_with_both_languages_everywhere() -> None:
    L = labels()
    assert len(L.ui) > 250 and len(L.enums) > 30
    assert L("nav_cases", "fr") == "Dossiers" and L.enum("rating", "usually_appropriate", "en") == \
        "Usually appropriate"
    # The .po files are package data: the installed package reads them, not the source tree.
    po = resources.files("bonemet") / "locale" / "fr" / "LC_MESSAGES" / "bonemet.po"
    assert po.is_file()


def test_the_former_labels_yaml_is_gone() -> None:
    # One catalogue: a labels.yaml coming back in a merge must go through scripts/i18n.py import-yaml.
    assert not (ROOT / "src" / "bonemet" / "report" / "labels.yaml").exists()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          check=False)


def test_check_passes_on_the_shipped_catalogues() -> None:
    result = _run("check")
    assert result.returncode == 0, result.stderr


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_yaml_adds_new_keys_and_the_branchs_changes_only(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale)
    po_fr = locale / "fr" / "LC_MESSAGES" / "bonemet.po"
    # The catalogue improved a French text since the branch forked (typography of nav_cases kept).
    base = _write(tmp_path / "base.yaml", 'ui:\n  nav_cases: {en: "Cases", fr: "Dossiers"}\n'
                  '  save: {en: "Save and assess", fr: "Enregistrer et évaluer"}\n')
    branch = _write(tmp_path / "branch.yaml",
                    'ui:\n  nav_cases: {en: "Cases", fr: "Dossiers"}\n'
                    '  save: {en: "Save", fr: "Enregistrer"}\n'
                    '  session_title: {en: "Board session", fr: "Séance de RCP: {date}"}\n'
                    'enums:\n  session_status:\n    open: {en: "Open", fr: "Ouverte"}\n')
    result = _run("--locale-dir", str(locale), "import-yaml", str(branch), "--base", str(base),
                  "--comment", "i13-sessions")
    assert result.returncode == 0, result.stderr
    assert "added: 2" in result.stdout and "changed: 1" in result.stdout, result.stdout
    text = po_fr.read_text(encoding="utf-8")
    assert 'msgid "session_title"\nmsgstr "Séance de RCP\u00a0: {date}"' in text  # typography applied
    assert '#. i13-sessions\nmsgctxt "enum:session_status"\nmsgid "open"\nmsgstr "Ouverte"' in text
    assert 'msgid "save"\nmsgstr "Enregistrer"' in text
    assert _run("--locale-dir", str(locale), "check").returncode == 0
    # Again: nothing left to do.
    again = _run("--locale-dir", str(locale), "import-yaml", str(branch), "--base", str(base))
    assert "added: 0" in again.stdout and "changed: 0" in again.stdout, again.stdout


def test_import_yaml_without_base_keeps_the_catalogues_text(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale)
    branch = _write(tmp_path / "branch.yaml", 'ui:\n  save: {en: "Old save", fr: "Ancien"}\n')
    result = _run("--locale-dir", str(locale), "import-yaml", str(branch))
    assert result.returncode == 0 and "kept" in result.stdout and "ui.save" in result.stdout
    assert 'msgstr "Ancien"' not in (locale / "fr" / "LC_MESSAGES" / "bonemet.po").read_text("utf-8")


def test_import_yaml_refuses_an_entry_without_french(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale)
    branch = _write(tmp_path / "branch.yaml", 'ui:\n  only_en: {en: "Only English"}\n')
    result = _run("--locale-dir", str(locale), "import-yaml", str(branch))
    assert result.returncode == 2 and "ui.only_en" in result.stderr


def test_check_fails_on_a_fuzzy_or_missing_entry(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale)
    po_fr = locale / "fr" / "LC_MESSAGES" / "bonemet.po"
    text = po_fr.read_text(encoding="utf-8")
    po_fr.write_text(text.replace('msgid "nav_cases"', '#, fuzzy\nmsgid "nav_cases"', 1), encoding="utf-8")
    result = _run("--locale-dir", str(locale), "check")
    assert result.returncode == 1 and "ui.nav_cases: 'fr' translation is fuzzy" in result.stderr
    po_fr.write_text(text.replace('msgid "nav_cases"\nmsgstr "Dossiers"\n', "", 1), encoding="utf-8")
    result = _run("--locale-dir", str(locale), "check")
    assert result.returncode == 1 and "ui.nav_cases: no 'fr' entry" in result.stderr


# ---- French typography, dates and numbers ------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Pourquoi : faits", "Pourquoi\u00a0: faits"),
    ("Pourquoi: faits", "Pourquoi\u00a0: faits"),
    ("(NM-05): le patient", "(NM-05)\u00a0: le patient"),
    ("oui; non? vraiment!", "oui\u00a0; non\u00a0? vraiment\u00a0!"),
    ("une lecture « probable »", "une lecture «\u00a0probable\u00a0»"),
    ("à 10:30, voir http://x.org/a?b=c", "à 10:30, voir http://x.org/a?b=c"),
    ("Déjà\u00a0: fait", "Déjà\u00a0: fait"),
])
def test_french_typography(text: str, expected: str) -> None:
    assert french_typography(text) == expected


@given(st.text(alphabet=st.sampled_from(list("ab :;?!«» \u00a0(")), max_size=30))
def test_french_typography_is_idempotent(text: str) -> None:
    once = french_typography(text)
    assert french_typography(once) == once


def test_french_html_touches_text_not_tags_scripts_or_styles() -> None:
    html = ('<style>a:hover { color: red; }</style><p title="Voir: ici">Date: <b>x</b>: y</p>'
            '<script>if (a) { b(); }</script>')
    out = french_html(html)
    assert "<style>a:hover { color: red; }</style>" in out and "<script>if (a) { b(); }</script>" in out
    assert 'title="Voir\u00a0: ici"' in out and "Date\u00a0: <b>x</b>\u00a0: y" in out


@pytest.mark.parametrize(("lang", "day", "number"), [("fr", "27/11/2026", "0,3"),
                                                     ("en", "2026-11-27", "0.3")])
def test_dates_and_numbers_per_language(lang: str, day: str, number: str) -> None:
    assert format_day(dt.date(2026, 11, 27), lang) == day
    assert format_number(0.3, lang) == number


@pytest.mark.parametrize(("site", "side", "expected"), [
    (SkeletalSite.ribs, Side.left, "Côtes gauches"),
    (SkeletalSite.ribs, Side.right, "Côtes droites"),
    (SkeletalSite.scapula, Side.right, "Omoplate droite"),
    (SkeletalSite.femur_shaft, Side.midline, "Diaphyse fémorale médiane"),
    (SkeletalSite.femur_distal, Side.right, "Fémur distal droit"),
    (SkeletalSite.pelvis, Side.left, "Bassin gauche"),
    (SkeletalSite.tibia_fibula, Side.right, "Tibia / fibula droits"),
])
def test_a_sites_side_agrees_with_it_in_french(site: SkeletalSite, side: Side, expected: str) -> None:
    assert site_side(site, side, "fr") == expected


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("exams[0].pet_coverage", "skull_base_to_mid_thigh",
     "Examen 1 · Champ de la TEP = Base du crâne – mi-cuisse"),
    ("context.new_bone_pain", False, "Douleur osseuse nouvelle = non"),
    ("context.question_text", None, "Question précise (texte libre) = non renseigné"),
    ("exams[1].date", "2025-01-17", "Examen 2 · Date = 17/01/2025"),
])
def test_facts_read_as_the_editor_labels_them(path: str, value: object, expected: str) -> None:
    assert fact_text(path, value, "fr") == expected


def test_score_inputs_and_lists_have_labels_not_paths() -> None:
    assert field_label("score_inputs.mirels.axial_lysis_percent", "fr").endswith(
        "lyse corticale dans le plan axial (%)")
    assert field_label("labs[].cyfra_21_1", "fr") == "Résultats biologiques · CYFRA 21-1"
    assert "_" not in field_label("response_outside_bone[]", "fr")


@pytest.mark.parametrize("html, shown", [
    ("<p>Décision (&lt; 24 h) &amp; co : ok</p>", "Décision (< 24 h) & co\u00a0: ok"),
    ("<p>Mirels &gt; 8 ; lésion &#62; 30 mm</p>", "Mirels > 8\u00a0; lésion > 30 mm"),
])
def test_an_html_character_reference_is_not_punctuation(html: str, shown: str) -> None:
    """Review 25 F5: the ";" ending "&lt;" is part of a character, never given a space (the agenda
    showed "(< ; 24 h)" for the board's "(< 24 h)", and "> ; 30 mm" in a Mirels text)."""
    import html as html_module

    out = french_html(html)
    assert html_module.unescape(re.sub(r"<[^>]+>", "", out)) == shown


@given(st.text(alphabet="ab <>&;:!?", max_size=40))
def test_escaped_text_keeps_its_characters(text: str) -> None:
    import html as html_module

    out = french_typography(html_module.escape(text, quote=False))
    assert html_module.unescape(out).replace("\u00a0", " ").replace(" ", "") == text.replace(" ", "")
