"""One pure evaluator for every score table: points scores sum items, grades come from a given
grade or a first-match decision table. No I/O; tables and the knowledge-base version are passed in."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from bonemet.base.text import Text
from bonemet.kb.score_tables import ScoreTable, Threshold
from bonemet.model.scores import (
    BandResult,
    GradeResult,
    ItemScore,
    Link,
    MissingInput,
    MissingInputsError,
    NoteResult,
    ScoreInputError,
    ScoreResult,
    ThresholdResult,
)

Value = str | int | Enum | None


def _text(v: Value) -> str | None:
    if v is None:
        return None
    return str(v.value) if isinstance(v, Enum) else str(v)


def derive(table: ScoreTable, item: str, source: str, value: Value) -> str | None:
    """The option of `item` that a case fact implies, or None when the table gives no mapping."""
    d = table.derive.get(item)
    text = _text(value)
    if d is None or d.source != source or text is None:
        return None
    return d.map.get(text) or d.map.get(text.upper())


def compute(
    table: ScoreTable,
    inputs: Mapping[str, Value],
    *,
    kb_version: str,
    tables: Mapping[str, ScoreTable] | None = None,
    grade: Value = None,
    measures: Mapping[str, float | None] | None = None,
    derived_from: Mapping[str, str] | None = None,
    subject: str | None = None,
    field_prefix: str = "",
    grade_field: str = "grade",
) -> ScoreResult:
    """Score one set of inputs. Raises ScoreInputError for unknown values (naming the allowed ones)
    and MissingInputsError when a needed input is absent."""
    values = {k: _text(v) for k, v in inputs.items()}
    measures = dict(measures or {})
    derived_from = dict(derived_from or {})
    _check_values(table, values, _text(grade), measures)
    rule_note: tuple[NoteResult, ...] = ()
    total: int | None
    grade_result: GradeResult | None
    if table.kind == "sum":
        items, total, band_id, grade_result = _sum(table, values, derived_from, field_prefix)
    else:
        items, total, band_id, grade_result, note = _grade(
            table, values, _text(grade), derived_from, field_prefix, grade_field)
        rule_note = (NoteResult(kind="convention", text=note),) if note else ()
    band = next(b for b in table.bands if b.id == band_id)
    given = {k: v for k, v in values.items() if v is not None}
    return ScoreResult(
        score=table.id, name=table.name, kind=table.kind, subject=subject,
        inputs=given | ({"grade": grade_result.id} if grade_result and not items else {}),
        measures={k: v for k, v in measures.items() if v is not None},
        items=items, total=total, range=table.range, grade=grade_result,
        band=BandResult(id=band.id, label=band.label, interpretation=band.interpretation),
        thresholds=tuple(_threshold(t, total, grade_result, measures) for t in table.thresholds),
        links=_links(table, grade_result, tables or {}),
        notes=rule_note + tuple(NoteResult(kind=n.kind, text=n.text) for n in table.notes
                                if all(given.get(k) == v for k, v in n.when.items())),
        citation=table.citation, sources=table.sources, kb_version=kb_version,
    )


def _check_values(table: ScoreTable, values: Mapping[str, str | None], grade: str | None,
                  measures: Mapping[str, float | None]) -> None:
    problems: list[str] = []
    known = {i.id: i for i in table.items}
    for key, value in values.items():
        if key not in known:
            problems.append(f"{key}: not an input of {table.id} (inputs: {', '.join(known) or 'grade'})")
        elif value is not None and known[key].option(value) is None:
            problems.append(f"{key}: {value!r} is not allowed (allowed: {', '.join(known[key].allowed)})")
    if grade is not None and grade not in {g.id for g in table.grades}:
        allowed = ", ".join(g.id for g in table.grades) or "none (points score)"
        problems.append(f"grade: {grade!r} is not allowed (allowed: {allowed})")
    measure_ids = {m.id for t in table.thresholds for m in t.measures}
    problems += [f"{m}: not a measure of {table.id}" for m in measures if m not in measure_ids]
    if problems:
        raise ScoreInputError(table.id, problems)


def _item_scores(table: ScoreTable, values: Mapping[str, str | None],
                 derived_from: Mapping[str, str]) -> tuple[ItemScore, ...]:
    out = []
    for it in table.items:
        value = values.get(it.id)
        if value is None:
            continue
        opt = it.option(value)
        assert opt is not None  # checked by _check_values
        out.append(ItemScore(item=it.id, label=it.label, value=value, value_label=opt.label,
                             points=opt.points, derived_from=derived_from.get(it.id)))
    return tuple(out)


def _missing(table: ScoreTable, ids: list[str], prefix: str) -> MissingInputsError:
    return MissingInputsError(table.id, [
        MissingInput(field=f"{prefix}{i}", item=i, label=table.item(i).label,
                     allowed=table.item(i).allowed)
        for i in ids
    ])


def _sum(table: ScoreTable, values: Mapping[str, str | None], derived_from: Mapping[str, str],
         prefix: str) -> tuple[tuple[ItemScore, ...], int, str, None]:
    missing = [it.id for it in table.items if values.get(it.id) is None]
    if missing:
        raise _missing(table, missing, prefix)
    items = _item_scores(table, values, derived_from)
    total = sum(i.points or 0 for i in items)
    band = next(b for b in table.bands if b.min is not None and b.max is not None
                and b.min <= total <= b.max)
    return items, total, band.id, None


def _grade(table: ScoreTable, values: Mapping[str, str | None], grade: str | None,
           derived_from: Mapping[str, str], prefix: str, grade_field: str,
           ) -> tuple[tuple[ItemScore, ...], None, str, GradeResult, Text | None]:
    items = _item_scores(table, values, derived_from)
    if items and grade is not None:
        raise ScoreInputError(table.id, ["give either the grade or the findings, not both"])
    note_from_rule = None
    if grade is None:
        if not table.rules:
            raise MissingInputsError(table.id, [MissingInput(
                field=f"{prefix}{grade_field}", item="grade", label=table.name,
                allowed=tuple(g.id for g in table.grades))])
        for rule in table.rules:
            if any(values.get(k) not in (None, v) for k, v in rule.when.items()):
                continue  # contradicted by a given finding: cannot match whatever is missing
            if any(values.get(k) is None for k in rule.when):
                needed = [i.id for i in table.items if values.get(i.id) is None
                          and any(i.id in r.when for r in table.rules)]
                raise _missing(table, needed, prefix)
            if all(values.get(k) == v for k, v in rule.when.items()):
                grade, note_from_rule = rule.grade, rule.note
                break
        else:  # the loader checks tables, but a table may still leave a combination open
            raise ScoreInputError(table.id, ["these findings match no class of the table"])
    g = table.grade(grade)
    band = next(b for b in table.bands if grade in b.grades)
    result = GradeResult(id=g.id, rank=table.rank(g.id), label=g.label, definition=g.definition)
    return items, None, band.id, result, note_from_rule


def _threshold(t: Threshold, total: int | None, grade: GradeResult | None,
               measures: Mapping[str, float | None]) -> ThresholdResult:
    if t.grades:
        hit = grade is not None and grade.id in t.grades
    else:
        hit = total is not None and (t.min is None or total >= t.min) and (t.max is None or total <= t.max)
    missing = tuple(m.id for m in t.measures if measures.get(m.id) is None)
    if not hit:
        status = "not_met"
    elif missing:
        status = "not_evaluable"
    else:
        status = "met" if all((measures[m.id] or 0) > m.gt for m in t.measures) else "not_met"
    return ThresholdResult(id=t.id, source=t.source, status=status, text=t.text,
                           references=t.refs, missing=missing if hit else ())


def _links(table: ScoreTable, grade: GradeResult | None,
           tables: Mapping[str, ScoreTable]) -> tuple[Link, ...]:
    if grade is None:
        return ()
    out = []
    for other in tables.values():
        for item_id, d in other.derive.items():
            if d.source == table.id and grade.id in d.map:
                value = d.map[grade.id]
                out.append(Link(score=other.id, item=item_id, value=value,
                                points=other.item(item_id).option(value).points  # type: ignore[union-attr]
                                ))
    return tuple(out)


def resolve(
    table: ScoreTable, given: Mapping[str, Value], facts: Mapping[str, tuple[Value, str]],
) -> tuple[dict[str, str | None], dict[str, str]]:
    """Inputs of `table` from what was given, completing absent items from case facts through the
    table's `derive` mappings. Returns the values and, per derived item, the path of its fact."""
    values: dict[str, str | None] = {k: _text(v) for k, v in given.items()}
    derived: dict[str, str] = {}
    for item_id, d in table.derive.items():
        if values.get(item_id) is None and d.source in facts:
            fact, path = facts[d.source]
            value = derive(table, item_id, d.source, fact)
            if value is not None:
                values[item_id] = value
                derived[item_id] = path
    return values, derived
