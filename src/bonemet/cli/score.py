"""`bonemet score …`: one sub-command per score, options named after the score's items.

In Python: `bonemet.scores.<score>.score(...)` with the same keyword names (e.g. `bonemet.scores.mirels`).

Values are the option ids of the score tables. A wrong value, a missing input or a conflicting
pair exits with code 2 and names the field and the allowed values; nothing prints a traceback.

The sub-commands are the score registry (`bonemet.scores.registry.SCORES`). The scores below have a
hand-written command (enum choices, aliases such as `--level`, `--class`); a score registered
without one gets `generic_command`: one option per input of its function, values checked by the
engine against its table. Adding a score is its table and its function, not an edit here.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from bonemet.base.text import Lang
from bonemet.cli import render_scores as score_render
from bonemet.cli.options import Format, FormatOption, LangOpt, LangOption, as_lang, fail, write
from bonemet.errors import KnowledgeBaseError, ScoreInputError
from bonemet.kb import default_kb
from bonemet.model.score_inputs import (
    AsiaGrade,
    BilskyGrade,
    BoneLesionType,
    FrankelGrade,
    HarringtonClass,
    MirelsPain,
    MirelsSite,
    MirelsSize,
    SinsAlignment,
    SinsCollapse,
    SinsLocation,
    SinsPain,
    SinsPosterolateral,
    TokuhashiExtraspinal,
    TokuhashiGeneralCondition,
    TokuhashiOrganMetastases,
    TokuhashiPalsy,
    TokuhashiPrimary,
    TokuhashiVertebral,
    TomitaBone,
    TomitaGrowth,
    TomitaVisceral,
    WallState,
    YesNo,
)
from bonemet.model.scores import ScoreResult
from bonemet.scores import asia, bilsky, frankel, harrington, mirels, sins, tokuhashi, tomita
from bonemet.scores.registry import SCORE_IDS, SCORES, ScoreEntry

app = typer.Typer(help=f"Tumour-board scores ({', '.join(SCORE_IDS)}), with bands, guideline "
                       "thresholds and citations.")


@app.callback(invoke_without_command=True)
def _group(
    ctx: typer.Context,
    list_: Annotated[bool, typer.Option("--list", help="List the available scores")] = False,
    lang: LangOption = LangOpt.en,
    format: FormatOption = Format.text,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    if not list_:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    _list(_lang(lang), format)


def _list(lang: Lang, format: Format) -> None:
    try:
        kb = default_kb()
    except KnowledgeBaseError as exc:
        fail(exc)
    if format is Format.json:
        rows = [{"id": t.id, "name": t.name.model_dump(), "kind": t.kind, "range": t.range,
                 "guideline_ref": t.citation.guideline_ref,
                 "inputs": {i.id: list(i.allowed) for i in t.items} or {"grade": [g.id for g in t.grades]}}
                for t in kb.scores.values()]
        write(orjson.dumps({"scores": rows, "kb_version": kb.version}, option=orjson.OPT_INDENT_2))
        return
    from bonemet.cli.render import console
    from bonemet.report.labels import labels

    L = labels()
    table = Table(title=L("sc_list_title", lang).format(version=kb.version), title_justify="left")
    for col in ("sc_col_score", "sc_col_name", "sc_col_range", "sc_col_ref", "sc_col_applies"):
        table.add_column(L(col, lang), overflow="fold")
    for t in kb.scores.values():
        span = f"{t.range[0]}-{t.range[1]}" if t.range else " ".join(g.id for g in t.grades)
        ref = str(t.citation.guideline_ref) if t.citation.guideline_ref else "—"
        table.add_row(t.id, t.name(lang), span, ref, t.applies_to(lang))
    console(lang).print(table)
    console(lang).print(L("sc_rades", lang), style="dim")


_lang = as_lang


def _show(compute: Callable[[], ScoreResult], lang: LangOpt, format: Format) -> None:
    try:
        result = compute()
    except (ScoreInputError, KnowledgeBaseError) as exc:
        fail(exc)
    if format is Format.json:
        write(orjson.dumps(result.model_dump(mode="json"), option=orjson.OPT_INDENT_2))
    else:
        from bonemet.cli.render import console  # French typography on the terminal (issue 13)

        console(_lang(lang)).print(score_render.result(result, _lang(lang)))


def _opt(help_: str) -> typer.models.OptionInfo:
    return typer.Option(help=help_, show_default=False)  # type: ignore[no-any-return]


@app.command("mirels")
def mirels_cmd(
    site: Annotated[MirelsSite | None, _opt("Upper limb, lower limb or peritrochanteric femur")] = None,
    pain: Annotated[MirelsPain | None, _opt("Pain")] = None,
    lesion: Annotated[BoneLesionType | None, _opt("Radiographic type")] = None,
    size: Annotated[MirelsSize | None, _opt("Fraction of the bone diameter")] = None,
    axial_lysis: Annotated[float | None, _opt("CT cortical lysis in the axial plane (%)")] = None,
    circumferential_lysis: Annotated[float | None, _opt("CT cortical lysis of the circumference (%)")] = None,
    lang: LangOption = LangOpt.en, format: FormatOption = Format.text,
) -> None:
    """Mirels score (long-bone fracture risk) and the guideline's consolidation rule."""
    _show(lambda: mirels.score(site=site, pain=pain, lesion=lesion, size=size,
                               axial_lysis_percent=axial_lysis,
                               circumferential_lysis_percent=circumferential_lysis), lang, format)


@app.command("sins")
def sins_cmd(
    location: Annotated[SinsLocation | None, _opt("Spine location class")] = None,
    level: Annotated[str | None, _opt("Vertebral level instead of --location, e.g. T11")] = None,
    pain: Annotated[SinsPain | None, _opt("Pain")] = None,
    lesion: Annotated[BoneLesionType | None, _opt("Bone lesion")] = None,
    alignment: Annotated[SinsAlignment | None, _opt("Radiographic alignment")] = None,
    collapse: Annotated[SinsCollapse | None, _opt("Vertebral body collapse")] = None,
    posterolateral: Annotated[SinsPosterolateral | None, _opt("Posterolateral involvement")] = None,
    lang: LangOption = LangOpt.en, format: FormatOption = Format.text,
) -> None:
    """SINS (spinal instability) and the surgical-opinion threshold."""
    _show(lambda: sins.score(location=location, level=level, pain=pain, lesion=lesion,
                             alignment=alignment, collapse=collapse, posterolateral=posterolateral),
          lang, format)


@app.command("tokuhashi")
def tokuhashi_cmd(
    general_condition: Annotated[TokuhashiGeneralCondition | None, _opt("General condition")] = None,
    karnofsky: Annotated[int | None, _opt("Karnofsky index instead of --general-condition")] = None,
    extraspinal_bone_metastases: Annotated[
        TokuhashiExtraspinal | None, _opt("Extraspinal bone metastasis foci")] = None,
    vertebral_body_metastases: Annotated[
        TokuhashiVertebral | None, _opt("Metastases in vertebral bodies")] = None,
    internal_organ_metastases: Annotated[
        TokuhashiOrganMetastases | None, _opt("Metastases to major internal organs")] = None,
    primary_site: Annotated[TokuhashiPrimary | None, _opt("Primary site")] = None,
    palsy: Annotated[TokuhashiPalsy | None, _opt("Palsy")] = None,
    frankel_grade: Annotated[FrankelGrade | None, typer.Option(
        "--frankel", help="Frankel grade instead of --palsy", show_default=False)] = None,
    lang: LangOption = LangOpt.en, format: FormatOption = Format.text,
) -> None:
    """Revised Tokuhashi score (2005) with the guideline's > 9 / < 6 wording."""
    _show(lambda: tokuhashi.score(
        general_condition=general_condition, karnofsky=karnofsky,
        extraspinal_bone_metastases=extraspinal_bone_metastases,
        vertebral_body_metastases=vertebral_body_metastases,
        internal_organ_metastases=internal_organ_metastases, primary_site=primary_site,
        palsy=palsy, frankel=frankel_grade), lang, format)


@app.command("tomita")
def tomita_cmd(
    primary_growth: Annotated[TomitaGrowth | None, _opt("Growth of the primary tumour")] = None,
    visceral_metastases: Annotated[TomitaVisceral | None, _opt("Visceral metastases")] = None,
    bone_metastases: Annotated[TomitaBone | None, _opt("Bone metastases")] = None,
    lang: LangOption = LangOpt.en, format: FormatOption = Format.text,
) -> None:
    """Tomita score (surgical strategy for spinal metastases)."""
    _show(lambda: tomita.score(primary_growth=primary_growth, visceral_metastases=visceral_metastases,
                               bone_metastases=bone_metastases),
          lang, format)


@app.command("frankel")
def frankel_cmd(
    grade: Annotated[FrankelGrade | None, _opt("Frankel grade")] = None,
    lang: LangOption = LangOpt.en, format: FormatOption = Format.text,
) -> None:
    """Frankel grade: definition and Tokuhashi palsy value."""
    _show(lambda: frankel.score(grade=grade), lang, format)


@app.command("asia")
def asia_cmd(
    grade: Annotated[AsiaGrade | None, _opt("AIS grade, or give the findings below")] = None,
    all_normal: Annotated[YesNo | None, _opt("Sensory and motor function normal everywhere")] = None,
    sacral_sparing: Annotated[YesNo | None, _opt("Sensory or motor function kept at S4-S5")] = None,
    motor_below_level: Annotated[YesNo | None, _opt("Motor function below the neurological level")] = None,
    half_key_muscles_grade_3: Annotated[YesNo | None, _opt("At least half of key muscles grade >= 3")] = None,
    lang: LangOption = LangOpt.en, format: FormatOption = Format.text,
) -> None:
    """ASIA impairment scale, from the grade or the examination findings."""
    _show(lambda: asia.score(grade=grade, all_normal=all_normal, sacral_sparing=sacral_sparing,
                             motor_below_level=motor_below_level,
                             half_key_muscles_grade_3=half_key_muscles_grade_3), lang, format)


@app.command("bilsky")
def bilsky_cmd(
    grade: Annotated[BilskyGrade | None, _opt("ESCC grade")] = None,
    lang: LangOption = LangOpt.en, format: FormatOption = Format.text,
) -> None:
    """Bilsky epidural spinal cord compression grade (low 0-1c / high 2-3)."""
    _show(lambda: bilsky.score(grade=grade), lang, format)


@app.command("harrington")
def harrington_cmd(
    resectable_for_cure: Annotated[YesNo | None, _opt("Solitary metastasis resectable for cure")] = None,
    medial_wall: Annotated[WallState | None, _opt("Medial wall")] = None,
    lateral_wall_or_roof: Annotated[WallState | None, _opt("Lateral cortices or roof")] = None,
    classification: Annotated[HarringtonClass | None, typer.Option(
        "--class", help="The class, instead of the findings", show_default=False)] = None,
    lang: LangOption = LangOpt.en, format: FormatOption = Format.text,
) -> None:
    """Harrington classification of periacetabular metastases."""
    _show(lambda: harrington.score(resectable_for_cure=resectable_for_cure, medial_wall=medial_wall,
                                   lateral_wall_or_roof=lateral_wall_or_roof,
                                   classification=classification), lang, format)


def generic_command(entry: ScoreEntry) -> Callable[..., None]:
    """A command for a registered score without a hand-written one: `--<input>` per keyword of its
    function (a number where the function takes a number, else the option id as text: the engine
    names the allowed values of a wrong one), plus `--lang` and `--format`."""
    hints = typing.get_type_hints(entry.function)

    def command(**values: Any) -> None:
        lang, format = values.pop("lang"), values.pop("format")
        given = {k: v for k, v in values.items() if v is not None}
        _show(lambda: entry(**given), lang, format)

    def kind(name: str) -> type:
        args = typing.get_args(hints.get(name)) or (hints.get(name),)
        return next((t for t in (int, float) if t in args), str)

    params = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[kind(name) | None, _opt(name.replace("_", " "))])
        for name in entry.parameters()
    ] + [
        inspect.Parameter("lang", inspect.Parameter.KEYWORD_ONLY, default=LangOpt.en, annotation=LangOption),
        inspect.Parameter("format", inspect.Parameter.KEYWORD_ONLY, default=Format.text,
                          annotation=FormatOption),
    ]
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {}  # typer reads the signature above, not these hints
    command.__doc__ = (entry.function.__doc__ or entry.id).strip().splitlines()[0]
    return command


def register_scores(target: typer.Typer, scores: dict[str, ScoreEntry]) -> None:
    """Give every registered score without a command its generic command."""
    have = {c.name for c in target.registered_commands}
    for sid, entry in scores.items():
        if sid not in have:
            target.command(sid)(generic_command(entry))


register_scores(app, SCORES)
