#!/usr/bin/env python3
"""The interface's translation catalogues (src/bonemet/locale/{en,fr}/LC_MESSAGES/bonemet.po).

    python scripts/i18n.py import-yaml OTHER/labels.yaml [--base BASE/labels.yaml] [--comment TEXT]
    python scripts/i18n.py check

`import-yaml` reads keys written in the former labels.yaml layout (`ui:` key -> {en, fr}, `enums:`
kind -> code -> {en, fr}) and adds them to both catalogues. Given a whole labels.yaml from another
branch, it adds the keys the catalogues lack; a key the catalogues already have is updated only when
that branch changed it, i.e. when its text differs from `--base` (the labels.yaml the branch started
from); without `--base`, existing keys are left alone and reported. French typography (a non-breaking
space before « : ; ? ! ») is applied on the way in. `check` fails (exit 1) unless every entry has a
non-empty, non-fuzzy msgstr in both languages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bonemet.base import french_typography

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "src" / "bonemet" / "locale"
LANGS = ("en", "fr")
DOMAIN = "bonemet"
ENUM_CONTEXT = "enum:"
def po_path(locale_dir: Path, lang: str) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(locale_dir: Path, lang: str) -> Catalog:
    path = po_path(locale_dir, lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN, project="bonemet", version="1", fuzzy=False,
                       header_comment=f"# bonemet interface words ({lang}). The msgids are symbolic keys; "
                       "edit with scripts/i18n.py (see its docstring).",
                       copyright_holder="bonemet contributors", msgid_bugs_address="-",
                       last_translator="bonemet contributors", language_team="bonemet",
                       creation_date=dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
                       revision_date=dt.datetime(2026, 11, 27, tzinfo=dt.UTC))
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def save(catalog: Catalog, locale_dir: Path, lang: str) -> None:
    path = po_path(locale_dir, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False
    with path.open("wb") as handle:
        # width=0: one line per string, so that merges and reviews see whole sentences
        write_po(handle, catalog, width=0, no_location=True)


def yaml_entries(data: Any) -> tuple[dict[tuple[str | None, str], dict[str, str]], list[str]]:
    """(msgctxt, msgid) -> {en, fr} of a labels.yaml document, and its problems."""
    out: dict[tuple[str | None, str], dict[str, str]] = {}
    problems: list[str] = []
    if not isinstance(data, dict):
        return out, ["the file is not a mapping with 'ui' and/or 'enums'"]

    def take(key: tuple[str | None, str], where: str, raw: Any) -> None:
        if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) and raw[k].strip()
                                                for k in LANGS):
            problems.append(f"{where}: needs non-empty 'en' and 'fr'")
            return
        out[key] = {"en": raw["en"], "fr": french_typography(raw["fr"])}

    for key, raw in (data.get("ui") or {}).items():
        take((None, str(key)), f"ui.{key}", raw)
    for kind, values in (data.get("enums") or {}).items():
        for code, raw in (values or {}).items():
            take((f"{ENUM_CONTEXT}{kind}", str(code)), f"enums.{kind}.{code}", raw)
    return out, problems


def _comment(key: tuple[str | None, str], extra: str | None) -> list[str]:
    context, msgid = key
    if context and context.startswith(ENUM_CONTEXT):
        base = f"value '{msgid}' of the vocabulary '{context[len(ENUM_CONTEXT):]}'"
    elif msgid.startswith("f_"):
        base = f"editor: label of the case field '{msgid[2:]}'"
    elif msgid.startswith("p_"):
        base = "probability calculator page and panel"
    else:
        base = ""
    return [c for c in (base, extra) if c]


def import_yaml(path: Path, base: Path | None, locale_dir: Path, comment: str | None) -> int:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    wanted, problems = yaml_entries(data)
    if problems:
        print(f"{path}: refused:\n  - " + "\n  - ".join(problems), file=sys.stderr)
        return 2
    before: dict[tuple[str | None, str], dict[str, str]] = {}
    if base is not None:
        before, _ = yaml_entries(yaml.safe_load(base.read_text(encoding="utf-8")))
    catalogs = {lang: load(locale_dir, lang) for lang in LANGS}
    added, changed, kept = [], [], []
    for key, texts in wanted.items():
        context, msgid = key
        present = all(catalogs[lang].get(msgid, context=context) is not None for lang in LANGS)
        same = present and all(catalogs[lang].get(msgid, context=context).string == texts[lang]  # type: ignore[union-attr]
                               for lang in LANGS)
        if same:
            continue
        if present and (base is None or before.get(key) == texts):
            kept.append(key)  # the other branch did not change it: the catalogue's text stands
            continue
        for lang in LANGS:
            message = catalogs[lang].get(msgid, context=context)
            if message is None:
                catalogs[lang].add(msgid, texts[lang], context=context,
                                   auto_comments=_comment(key, comment))
            else:
                message.string = texts[lang]
                message.flags.discard("fuzzy")
        (changed if present else added).append(key)
    for lang in LANGS:
        save(catalogs[lang], locale_dir, lang)
    show = {"added": added, "changed": changed, "kept (catalogue differs; not changed there)": kept}
    for what, keys in show.items():
        print(f"{what}: {len(keys)}" + "".join(f"\n  {_where(k)}" for k in keys if what != "added"))
    for key in added:
        print(f"  + {_where(key)}")
    return 0


def _where(key: tuple[str | None, str]) -> str:
    context, msgid = key
    if context and context.startswith(ENUM_CONTEXT):
        return f"enums.{context[len(ENUM_CONTEXT):]}.{msgid}"
    return f"ui.{msgid}"


def check(locale_dir: Path) -> int:
    problems: list[str] = []
    catalogs = {}
    for lang in LANGS:
        path = po_path(locale_dir, lang)
        if not path.exists():
            problems.append(f"{path}: missing")
            continue
        catalogs[lang] = load(locale_dir, lang)
    if not problems:
        from bonemet.report.labels import catalogue_problems

        problems = catalogue_problems(catalogs)
        for (context, msgid), message in ((k, catalogs["fr"].get(k[1], context=k[0]))
                                          for k in ((m.context, m.id) for m in catalogs["fr"] if m.id)):
            string = message.string if message is not None and isinstance(message.string, str) else ""
            if string and french_typography(string) != string:
                problems.append(f"{_where((context, str(msgid)))}: French typography (non-breaking "
                                "space before « : ; ? ! »)")
    if problems:
        print("catalogue check failed:\n  - " + "\n  - ".join(problems), file=sys.stderr)
        return 1
    counts = ", ".join(f"{lang} {sum(1 for m in catalogs[lang] if m.id)}" for lang in LANGS)
    print(f"catalogues OK ({counts} entries)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locale-dir", type=Path, default=LOCALE_DIR)
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import-yaml", help="add keys written in the labels.yaml layout")
    imp.add_argument("file", type=Path)
    imp.add_argument("--base", type=Path, help="the labels.yaml the other branch started from")
    imp.add_argument("--comment", help="an extracted comment (#.) for the added entries")
    sub.add_parser("check", help="every entry translated in both languages, none fuzzy")
    args = parser.parse_args(argv)
    if args.command == "import-yaml":
        return import_yaml(args.file, args.base, args.locale_dir, args.comment)
    return check(args.locale_dir)


if __name__ == "__main__":
    sys.exit(main())
