"""`bonemet probability`: post-test probability of bone metastases after imaging results.

    bonemet probability --pretest 0.3 --test bone_scan:negative --test fdg_pet_ct:positive
    bonemet probability --prior nsclc_staging --test bone_scan:negative --source liu2011_bs
    bonemet probability --table

Bad values exit with code 2 and name the option and the reason; no traceback.
In Python: `bonemet.core.probability.calculate` over `default_kb().performance`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console

from bonemet.base.text import Lang
from bonemet.cli.options import Format, LangOpt, fail
from bonemet.core.probability import calculate
from bonemet.errors import CalculationError, KnowledgeBaseError, OptionError, Problem
from bonemet.kb import default_kb
from bonemet.kb.performance import PerformanceTable
from bonemet.model.probability import BinaryResult

_err = Console(stderr=True, soft_wrap=True, highlight=False)  # one line per message, whatever the width

# The core names its inputs; the user typed options.
_OPTION = {"pretest": "--pretest", "prior": "--prior", "test": "--test", "source": "--source",
           "sensitivity": "--source", "specificity": "--source", "likelihood_ratio": "--test"}


# The shared --format/--lang vocabularies, under the names this module's signatures use.
OutputFormat = Format
OutputLang = LangOpt


def _fail(option: str, reason: str) -> NoReturn:
    fail(OptionError([Problem(option, reason)]))


def parse_pretest(raw: str) -> float:
    """0.3, 0,3 or 30% → 0.3; anything outside [0, 1] is refused."""
    text = raw.strip().replace(",", ".")
    scale = 100.0 if text.endswith("%") else 1.0
    try:
        value = float(text.removesuffix("%")) / scale
    except ValueError:
        _fail("--pretest", f"not a number (got {raw!r}); write 0.3 or 30%")
    if not 0.0 <= value <= 1.0:
        _fail("--pretest", f"must be a probability between 0 and 1, or 0% to 100% (got {raw!r})")
    return value


def parse_test(raw: str, table: PerformanceTable) -> tuple[str, BinaryResult]:
    modality, sep, result = raw.partition(":")
    if not sep:
        _fail("--test", f"expected MODALITY:RESULT, e.g. bone_scan:negative (got {raw!r})")
    modality, result = modality.strip(), result.strip().lower()
    if modality not in table.modalities:
        _fail("--test", f"unknown modality {modality!r}; known: {', '.join(table.modalities)}")
    if result not in {r.value for r in BinaryResult}:
        hint = ": an equivocal result has no per-patient likelihood ratio" if result == "equivocal" else ""
        _fail("--test", f"result must be positive or negative (got {result!r}){hint}")
    return modality, BinaryResult(result)


def parse_sources(raws: list[str], table: PerformanceTable) -> dict[str, str]:
    """Entry ids (modality inferred) or MODALITY=ENTRY; one entry per modality."""
    chosen: dict[str, str] = {}
    for raw in raws:
        entry_id = raw.partition("=")[2] if "=" in raw else raw
        try:
            modality, entry = table.entry(entry_id.strip())
        except KeyError:
            _fail("--source", f"unknown entry {entry_id!r}; see `bonemet probability --table`")
        if "=" in raw and raw.partition("=")[0].strip() != modality.id:
            _fail("--source", f"entry {entry.id!r} belongs to {modality.id}, not {raw.partition('=')[0]!r}")
        if modality.id in chosen:
            _fail("--source", f"two entries for {modality.id}: {chosen[modality.id]!r} and {entry.id!r}")
        chosen[modality.id] = entry.id
    return chosen


def _write_json(data: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def _table_json(table: PerformanceTable) -> dict[str, Any]:
    return {
        "version": table.version,
        "modalities": [m.model_dump(mode="json") for m in table.modalities.values()],
        "sources": [s.model_dump(mode="json") for s in table.sources.values()],
        "priors": [p.model_dump(mode="json") for p in table.priors.values()],
    }


def probability_cmd(
    pretest: Annotated[str | None, typer.Option(
        "--pretest", help="Pre-test probability: 0.3 or 30%")] = None,
    prior: Annotated[str | None, typer.Option(
        "--prior", help="Documented prior instead of --pretest (e.g. nsclc_staging)")] = None,
    test: Annotated[list[str] | None, typer.Option(
        "--test", "-t", help="MODALITY:positive|negative, repeat in order")] = None,
    source: Annotated[list[str] | None, typer.Option(
        "--source", "-s", help="Table entry to use instead of the modality's default")] = None,
    table: Annotated[bool, typer.Option("--table", help="Print the performance table")] = False,
    nomogram: Annotated[Path | None, typer.Option(
        "--nomogram", help="Write a Fagan nomogram (.svg or .png)")] = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json")] = OutputFormat.text,
    lang: Annotated[OutputLang, typer.Option("--lang", "-l", help="en or fr")] = OutputLang.en,
) -> None:
    """Post-test probability of bone metastases after imaging results, with sources and bounds."""
    from bonemet.cli.render import console
    from bonemet.report import probability_view

    try:
        kb = default_kb()
    except KnowledgeBaseError as exc:
        fail(exc)
    perf = kb.performance
    if perf is None:
        _fail("knowledge base", "no performance table (performance.yaml) in this knowledge base")
    language: Lang = "fr" if lang is OutputLang.fr else "en"
    if table:
        if test or pretest is not None or prior is not None or source or nomogram:
            _fail("--table", "prints the table only; do not combine it with a calculation")
        if format is OutputFormat.json:
            _write_json(_table_json(perf))
        else:
            console(language).print(probability_view.performance_table(perf, language))
        return
    if not test:
        _fail("--test", "give at least one result, e.g. --test bone_scan:negative (or use --table)")
    if (pretest is None) == (prior is None):
        _fail("--pretest", "give either --pretest or --prior (exactly one)")
    if prior is not None and prior not in perf.priors:
        _fail("--prior", f"unknown prior {prior!r}; known: {', '.join(perf.priors)}")
    tests = [parse_test(raw, perf) for raw in test]
    sources = parse_sources(list(source or []), perf)
    if nomogram is not None:
        from bonemet.report.nomogram import format_for

        try:
            format_for(nomogram)
        except ValueError as exc:
            _fail("--nomogram", str(exc))
    try:
        calc = calculate(perf, tests, pretest=parse_pretest(pretest) if pretest is not None else None,
                         prior_id=prior, sources=sources)
    except CalculationError as exc:
        _fail(_OPTION.get(exc.field, exc.field), exc.reason)
    if nomogram is not None:
        from bonemet.report.nomogram import save

        try:
            save(calc, nomogram, language)
        except OSError as exc:
            _fail("--nomogram", f"cannot write {str(nomogram)!r}: {exc.strerror}")
    if format is OutputFormat.json:
        _write_json({**calc.model_dump(mode="json"), "knowledge_base": kb.info.model_dump(mode="json")})
    else:
        console(language).print(probability_view.calculation(calc, language))
        if nomogram is not None:
            _err.print(f"nomogram written to {nomogram}", highlight=False, markup=False)
