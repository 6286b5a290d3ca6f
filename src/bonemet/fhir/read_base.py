"""The shared machinery of the FHIR reader (`to_case`): the resources as read, the mapper that reports.

`Res` is one resource of the input with where it sits; `Mapper` carries the value sets, the caller's
context and what the mapping reports: problems (refuse the input), unmapped items (reported, never
dropped silently) and assumptions (inferences to review). The readers of each resource family
(read_patient, read_conditions, read_imaging, read_observations, read_treatments) all take a Mapper.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ValidationError

from bonemet.errors import FhirMappingError, Problem, problems_from
from bonemet.fhir import common as c
from bonemet.fhir.valuesets import Match, ValueSets
from bonemet.model.case import Availability, ClinicalContext, Phase, Question

Json = dict[str, Any]
# What the record says about the guideline's population (lung cancer); decided by read_conditions.
MappingScope = Literal["lung", "suspected_lung", "other_primary", "site_unknown", "no_cancer"]
SCOPES: tuple[MappingScope, ...] = ("lung", "suspected_lung", "other_primary", "site_unknown", "no_cancer")
KNOWN_NOT_USED = "known_not_used"  # Unmapped.kind of a code bonemet knows and leaves out on purpose


@dataclass(frozen=True)
class Unmapped:
    """A resource or element that did not make it into the case, and why."""

    resource_type: str
    resource_id: str | None
    path: str
    reason: str
    # "known_not_used": a code bonemet knows and leaves out on purpose (a suspected cancer, a second
    # primary, chest or non-bone imaging); "" otherwise. The cohort audit tells these apart from
    # codes it does not know.
    kind: str = ""

    def __str__(self) -> str:
        where = f"{self.resource_type}/{self.resource_id or '?'}"
        return f"{where} {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"


@dataclass(frozen=True)
class MappingContext:
    """What the FHIR data cannot say and the caller (the hook, the CLI) knows. None: not given."""

    phase: Phase | None = None
    as_of: dt.date | None = None
    question: Question | None = None
    question_text: str | None = None
    new_bone_pain: bool | None = None
    case_id: str | None = None
    availability: Availability | None = None

    @classmethod
    def of(cls, value: MappingContext | ClinicalContext | dict[str, Any] | None) -> MappingContext:
        if value is None:
            return cls()
        if isinstance(value, MappingContext):
            return value
        if isinstance(value, ClinicalContext):
            return cls(
                phase=value.phase,
                as_of=value.as_of,
                question=value.question,
                question_text=value.question_text,
                new_bone_pain=value.new_bone_pain,
            )
        if not isinstance(value, dict):
            raise FhirMappingError([Problem("context", "must be a mapping")])
        return _context_from_dict(value)


class _ContextModel(BaseModel):
    model_config = {"extra": "forbid", "frozen": True}
    phase: Phase | None = None
    as_of: dt.date | None = None
    question: Question | None = None
    question_text: str | None = None
    new_bone_pain: bool | None = None
    case_id: str | None = None
    availability: Availability | None = None


def _context_from_dict(value: dict[str, Any]) -> MappingContext:
    try:
        m = _ContextModel.model_validate(value)
    except ValidationError as exc:
        raise FhirMappingError([Problem(f"context.{p.field}", p.message)
                                for p in problems_from(exc)]) from None
    return MappingContext(**m.model_dump())



@dataclass(slots=True)
class Res:
    rt: str
    id: str | None
    body: Json
    where: str  # where it sits in the input, e.g. "entry[3].resource"
    full_url: str | None = None
    pos: int = 0  # order in the input: the case keeps the input's order

    def label(self) -> str:
        return f"{self.rt}/{self.id}" if self.id else f"{self.rt} at {self.where}"



# --------------------------------------------------------------------------------------------- helpers
def nonempty(x: Any) -> str | None:
    return x if isinstance(x, str) and x else None


def dicts(x: Any) -> list[Json]:
    return [i for i in x if isinstance(i, dict)] if isinstance(x, list) else []


def ext_value(e: Json) -> Any:
    """The value[x] of an extension (its first value* element), or None."""
    for k, v in e.items():
        if k.startswith("value"):
            return v
    return None


def first_date(body: Json, *keys: str) -> tuple[str | None, Any]:
    """The first present date element among `keys` (dotted for periods: 'effectivePeriod.start')."""
    for key in keys:
        head, _, tail = key.partition(".")
        value = body.get(head)
        if tail:
            value = value.get(tail) if isinstance(value, dict) else None
        if value is not None:
            return key, value
    return None, None


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        nxt = target.setdefault(k, {})
        if not isinstance(nxt, dict):
            return
        target = nxt
    target[keys[-1]] = value


# --------------------------------------------------------------------------------------------- mapper
@dataclass(slots=True)
class Mapper:
    vs: ValueSets
    ctx: MappingContext
    checked: bool = True  # validate each element as it is built (False: the final Case check only)
    problems: list[Problem] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    assumptions: list[Unmapped] = field(default_factory=list)
    by_key: dict[str, Res] = field(default_factory=dict)
    consumed: set[int] = field(default_factory=set)
    patient_keys: set[str] = field(default_factory=set)
    scope: MappingScope = "no_cancer"  # set by read_conditions
    # Issue 26 ("say why"): what each resource was read into, by its position in the input; with the
    # skips (also by position) the mapping report accounts for every resource once.
    read_into: dict[int, list[str]] = field(default_factory=dict)
    skipped_at: dict[int, list[str]] = field(default_factory=dict)
    # Per-resource indexes of extensions (by url) and identifiers (by system), built on first use:
    # an exam reads a dozen extensions of each of its resources. Keyed by id(body); the body is kept
    # in the entry so that the id cannot be reused while the mapping runs.
    _ext_index: dict[int, tuple[Json, dict[str, list[Json]]]] = field(default_factory=dict)
    _id_index: dict[int, tuple[Json, dict[str, str]]] = field(default_factory=dict)

    # ---------------------------------------------------------------- reporting
    def problem(self, r: Res, path: str, reason: str) -> None:
        self.problems.append(Problem(f"{r.label()}{'.' + path if path else ''}", reason))

    def skip(self, r: Res, path: str, reason: str, kind: str = "") -> None:
        self.unmapped.append(Unmapped(r.rt, r.id, path, reason, kind))
        self.skipped_at.setdefault(r.pos, []).append(f"{path}: {reason}" if path else reason)

    def read(self, r: Res, into: str) -> None:
        """Record that `r` was read into the case field `into` (the mapping report says it)."""
        got = self.read_into.setdefault(r.pos, [])
        if into not in got:
            got.append(into)

    def assume(self, r: Res | None, path: str, reason: str) -> None:
        self.assumptions.append(Unmapped(r.rt if r else "Bundle", r.id if r else None, path, reason))

    # ---------------------------------------------------------------- extensions & references
    def extensions(self, body: Json) -> dict[str, list[Json]]:
        """The body's extensions grouped by url, in their order (a non-string url never matches)."""
        entry = self._ext_index.get(id(body))
        if entry is not None and entry[0] is body:
            return entry[1]
        index: dict[str, list[Json]] = {}
        for e in dicts(body.get("extension")):
            url = e.get("url")
            if isinstance(url, str):
                same = index.get(url)
                if same is None:
                    index[url] = [e]
                else:
                    same.append(e)
        self._ext_index[id(body)] = (body, index)
        return index

    def ext(self, body: Json, name: str) -> Any:
        found = self.extensions(body).get(self.vs.extension_url(name))
        if not found:
            return None
        return ext_value(found[0])

    def read_ext(self, body: Json, fields: tuple[tuple[str, str], ...], out: dict[str, Any]) -> None:
        """out[key] = the value of extension `name` for each (name, key) present with a value."""
        index = self.extensions(body)
        if not index:
            return
        for name, key in fields:
            found = index.get(self.vs.extension_url(name))
            if found:
                v = ext_value(found[0])
                if v is not None:
                    out[key] = v

    def ext_all(self, body: Json, name: str) -> list[Any]:
        return [ext_value(e) for e in self.extensions(body).get(self.vs.extension_url(name), ())]

    def identifier(self, body: Json, name: str) -> str | None:
        entry = self._id_index.get(id(body))
        if entry is not None and entry[0] is body:
            index = entry[1]
        else:
            index = {}
            for i in dicts(body.get("identifier")):
                system, value = i.get("system"), i.get("value")
                if isinstance(system, str) and nonempty(value) and system not in index:
                    index[system] = str(value)
            self._id_index[id(body)] = (body, index)
        return index.get(self.vs.identifier_system(name))

    def resolve(self, ref: Any) -> Res | None:
        if not isinstance(ref, dict) or not nonempty(ref.get("reference")):
            return None
        text = str(ref["reference"])
        if text in self.by_key:
            return self.by_key[text]
        parts = [p for p in text.split("/_history/")[0].split("/") if p]
        return self.by_key.get("/".join(parts[-2:])) if len(parts) >= 2 else None

    def case_data(self, body: Json, target: dict[str, Any]) -> None:
        """Apply the `case-data` extension: case fields FHIR has no element for (docs/fhir.md)."""
        for e in self.extensions(body).get(self.vs.extension_url("case-data"), ()):
            parts = {x.get("url"): x.get("valueString") for x in dicts(e.get("extension"))}
            path, raw = parts.get("path"), parts.get("value")
            if isinstance(path, str) and isinstance(raw, str):
                try:
                    set_path(target, path, orjson.loads(raw))
                except orjson.JSONDecodeError:
                    continue

    def date(self, r: Res, keys: tuple[str, ...], required: bool) -> dt.date | None:
        key, value = first_date(r.body, *keys)
        parsed, reason = c.parse_date(value)
        if parsed is None:
            message = f"no date ({' or '.join(keys)})" if reason == "missing" else str(reason)
            if required:
                self.problem(r, key or keys[0], message)
            elif reason != "missing":
                self.skip(r, key or keys[0], message)
        return parsed

    def check_subject(self, r: Res) -> None:
        for key in ("subject", "patient"):
            ref = r.body.get(key)
            if not isinstance(ref, dict) or not nonempty(ref.get("reference")):
                continue
            text = str(ref["reference"])
            if not self.patient_keys or text in self.patient_keys:
                continue
            tail = "/".join([p for p in text.split("/") if p][-2:])
            if tail not in self.patient_keys:
                self.problem(r, key, f"refers to another patient ({text}); one case is one patient")

    # ---------------------------------------------------------------- matching
    def match(self, groups: tuple[str, ...], cc: Any, local: str | None = None) -> Match | None:
        return self.vs.match(groups, cc, local)

    def local_code(self, cc: Any, vocabulary: str) -> str | None:
        system = self.vs.local_system(vocabulary)
        if isinstance(cc, dict):
            for coding in dicts(cc.get("coding")):
                if coding.get("system") == system and nonempty(coding.get("code")):
                    return str(coding["code"])
        return None

    def site_of(self, r: Res, path: str, cc: Any) -> str | None:
        return self.site_level_of(r, path, cc)[0]

    def site_level_of(self, r: Res, path: str, cc: Any) -> tuple[str | None, str | None]:
        """The skeletal site of a body site and the vertebral level it names (issue 26 review F4):
        from the code (77435000 body of T8) or, for the spine, from its text ("L3 vertebral body").
        A vertebral body coded without its level is placed only when the text gives the level."""
        m = self.match(("body_site", "body_site_ambiguous"), cc, local="body-site")
        if m is None:
            return None, None
        text_level = _vertebral_level(cc)
        if m.group == "body_site_ambiguous" and m.concept.key == "vertebral_body":
            if text_level is None:
                return None, None
            return _LEVEL_SITE[text_level[0]], text_level
        if m.group == "body_site" and m.concept.key in _LEVEL_SITE.values():
            level = m.row.level if m.row is not None and m.row.level else None
            if level is None and text_level is not None and _LEVEL_SITE[text_level[0]] == m.concept.key:
                level = text_level
            return m.concept.key, level
        return self._site_key(r, path, m), None

    def _site_key(self, r: Res, path: str, m: Any) -> str:
        if m.group == "body_site_ambiguous":
            self.assume(
                r,
                path,
                "femur without its part: recorded as femur_proximal (most frequent "
                "femoral site; interpretation) — check the report",
            )
            return "femur_proximal"
        return str(m.concept.key)


_LEVEL_SITE = {"C": "cervical_spine", "T": "thoracic_spine", "L": "lumbar_spine", "S": "sacrum"}
_LEVEL_MAX = {"C": 7, "T": 12, "L": 5, "S": 5}
_LEVEL_RE = re.compile(r"\b([CTLS])([1-9]|1[0-2])\b")


def _vertebral_level(cc: Any) -> str | None:
    """One vertebral level named by a body site's text or display ("L3 vertebral body" → L3); none
    when the texts name several or none."""
    if not isinstance(cc, dict):
        return None
    texts = [cc.get("text")] + [x.get("display") for x in dicts(cc.get("coding"))]
    found = {f"{g[0]}{g[1]}" for t in texts if isinstance(t, str)
             for g in _LEVEL_RE.findall(t) if int(g[1]) <= _LEVEL_MAX[g[0]]}
    return found.pop() if len(found) == 1 else None


