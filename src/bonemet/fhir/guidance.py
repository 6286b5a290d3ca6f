"""An `Assessment` → a FHIR R4 GuidanceResponse; input problems → an OperationOutcome.

The GuidanceResponse is self-contained: the recommended actions are a contained RequestGroup
(one action per recommendation, with its rule id, statement ids, the knowledge-base version and the
chapter's references as relatedArtifact citations), the per-modality ratings a contained Parameters
(outputParameters), and missing data both a contained OperationOutcome (evaluationMessage) and
`dataRequirement`s. `moduleCanonical` names the knowledge base and its version. Texts are in the
requested language with the other language as the core `translation` extension.
"""

from __future__ import annotations

from typing import Any

import orjson

from bonemet.base.text import Lang, Text
from bonemet.errors import Problem
from bonemet.fhir import common as c
from bonemet.fhir.valuesets import ValueSets, default_valuesets
from bonemet.kb import KnowledgeBase, default_kb
from bonemet.model import Assessment, Case

Json = dict[str, Any]

# Which FHIR resource would carry a missing case field (for GuidanceResponse.dataRequirement).
_FIELD_RESOURCE = (
    ("exams", "DiagnosticReport"),
    ("treatments", "MedicationStatement"),
    ("labs", "Observation"),
    ("clinical_status", "Observation"),
    ("context.new_bone_pain", "Observation"),
    ("cancer", "Condition"),
    ("patient", "Patient"),
)


def _other(lang: Lang) -> Lang:
    return "fr" if lang == "en" else "en"


def _text(element: str, text: Text, lang: Lang) -> Json:
    """`{element: text, _element: translation}` in the requested language plus the other one."""
    other = _other(lang)
    return {
        element: text(lang),
        f"_{element}": {
            "extension": [
                {
                    "url": c.TRANSLATION_EXT,
                    "extension": [
                        {"url": "lang", "valueCode": other},
                        {"url": "content", "valueString": text(other)},
                    ],
                }
            ]
        },
    }


def _module(vs: ValueSets, kb: KnowledgeBase) -> str:
    return f"{vs.base}/PlanDefinition/{kb.info.name}|{kb.version}"


def _citation(kb: KnowledgeBase, number: int) -> Json:
    art: Json = {"type": "citation", "label": f"[{number}]"}
    ref = kb.references.get(number)
    if ref is None:
        return art
    art["citation"] = ref.citation
    if ref.doi:
        art["url"] = f"https://doi.org/{ref.doi}"
    elif ref.url:
        art["url"] = ref.url
    return art


def _action(a: Assessment, i: int, vs: ValueSets, kb: KnowledgeBase, lang: Lang) -> Json:
    r = a.recommendations[i]
    ext: list[Json] = [{"url": vs.extension_url(c.EXT_RULE), "valueId": r.rule_id}]
    ext += [{"url": vs.extension_url(c.EXT_STATEMENT), "valueString": s} for s in r.statement_ids]
    if r.rating is not None:
        ext.append(
            {
                "url": vs.extension_url(c.EXT_RATING),
                "valueCoding": {"system": vs.local_system("rating"), "code": r.rating.value},
            }
        )
    if r.interpretation:
        ext.append({"url": vs.extension_url(c.EXT_INTERPRETATION), "valueBoolean": True})
    rule_title = kb.rules[r.rule_id].title(lang) if r.rule_id in kb.rules else r.rule_id
    docs: list[Json] = [
        {
            "type": "derived-from",
            "label": r.rule_id,
            "display": rule_title,
            "resource": f"{_module(vs, kb).split('|')[0]}|{r.kb_version}",
        }
    ]
    for s in r.statement_ids:
        st = kb.statements.get(s)
        docs.append({"type": "documentation", "label": s, **({"display": st.text(lang)} if st else {})})
    docs += [_citation(kb, n) for n in r.references]
    action: Json = {
        "id": f"rec-{i + 1}",
        "extension": ext,
        "prefix": r.rule_id,
        **_text("title", r.title, lang),
        **_text("description", r.text, lang),
        "code": [
            {
                "coding": [
                    {"system": vs.local_system("action"), "code": r.action.value},
                    {"system": vs.local_system("rated-modality"), "code": r.subject},
                ]
            }
        ],
        "documentation": docs,
    }
    return action


def _ratings(a: Assessment, lang: Lang) -> Json:
    params: list[Json] = []
    for rating in a.ratings:
        parts: list[Json] = [
            {"name": "modality", "valueCode": rating.modality.value},
            {"name": "rating", "valueCode": rating.rating.value},
            {"name": "reason", "valueString": rating.reason(lang)},
        ]
        if rating.rule_id:
            parts.append({"name": "rule", "valueString": rating.rule_id})
        if rating.preferred_alternative:
            parts.append({"name": "preferred-alternative", "valueCode": rating.preferred_alternative.value})
        parts += [{"name": "statement", "valueString": s} for s in rating.statement_ids]
        parts += [{"name": "reference", "valueInteger": n} for n in rating.references]
        parts += [{"name": "missing", "valueString": m.field} for m in rating.missing_data]
        params.append({"name": "rating", "part": parts})
    params.append({"name": "question", "valueCode": a.question.value})
    params.append({"name": "question-source", "valueCode": a.question_source})
    params.append({"name": "in-scope", "valueBoolean": a.scope.in_scope})
    if a.scope.reason is not None:
        params.append({"name": "scope-reason", "valueString": a.scope.reason(lang)})
    params.append({"name": "engine-version", "valueString": a.engine_version})
    # Sections without a FHIR shape yet (follow-up readings, scores): the assessment JSON, verbatim.
    for name, section in (
        ("follow-up", getattr(a, "follow_up", None)),
        ("scores", getattr(a, "scores", None)),
    ):
        if section is not None:
            params.append(
                {"name": name, "valueString": orjson.dumps(section.model_dump(mode="json")).decode()}
            )
    return {"resourceType": "Parameters", "id": "ratings", "parameter": params}


def _missing(a: Assessment, lang: Lang) -> tuple[Json | None, list[Json]]:
    if not a.missing_data:
        return None, []
    issues = [
        {
            "severity": "information",
            "code": "incomplete",
            "diagnostics": m.reason(lang),
            "expression": [m.field],
        }
        for m in a.missing_data
    ]
    requirements: list[Json] = []
    for m in a.missing_data:
        rt = next((t for prefix, t in _FIELD_RESOURCE if m.field.startswith(prefix)), None)
        if rt is not None:
            requirements.append({"type": rt, "mustSupport": [m.field]})
    return {"resourceType": "OperationOutcome", "id": "missing-data", "issue": issues}, requirements


def assessment_to_guidance(
    assessment: Assessment,
    case: Case | None = None,
    *,
    subject: str | None = None,
    lang: Lang = "en",
    kb: KnowledgeBase | None = None,
    valuesets: ValueSets | None = None,
) -> Json:
    """The assessment as a FHIR R4 GuidanceResponse (contained RequestGroup, Parameters, OperationOutcome).

    `subject`: a reference to the patient ("Patient/123"); without it, a case → the Patient of
    `case_to_bundle(case)`. Deterministic: no clock (occurrenceDateTime is the decision date)."""
    vs = valuesets or default_valuesets()
    kb = kb or default_kb()
    a = assessment
    actions = [_action(a, i, vs, kb, lang) for i in range(len(a.recommendations))]
    group: Json = {
        "resourceType": "RequestGroup",
        "id": "recommendations",
        "status": "active",
        "intent": "proposal",
        "instantiatesCanonical": [_module(vs, kb)],
    }
    if actions:
        group["action"] = actions
    contained: list[Json] = [group, _ratings(a, lang)]
    outcome, requirements = _missing(a, lang)
    if outcome is not None:
        contained.append(outcome)
    # data-requested: the guidance stands but more data would refine it; data-required: nothing to say yet
    status = ("data-requested" if a.recommendations else "data-required") if a.missing_data else "success"
    res: Json = {
        "resourceType": "GuidanceResponse",
        "id": c.fhir_id("guidance", a.case_id),
        "meta": {"tag": [{"system": vs.local_system("kb-version"), "code": kb.version}]},
        "language": lang,
        "contained": contained,
        "requestIdentifier": {"system": vs.identifier_system(c.ID_CASE), "value": a.case_id},
        "identifier": [
            {
                "system": vs.identifier_system("assessment"),
                "value": f"{a.case_id}|{kb.info.name}|{kb.version}|{a.as_of or ''}",
            }
        ],
        "moduleCanonical": _module(vs, kb),
        "status": status,
    }
    if subject:
        res["subject"] = {"reference": subject}
    elif case is not None:
        res["subject"] = {"reference": f"Patient/{c.fhir_id(case.case_id, 'patient')}"}
    if a.as_of:
        res["occurrenceDateTime"] = a.as_of.isoformat()
    res["note"] = [{"text": a.disclaimer(lang)}]
    if outcome is not None:
        res["evaluationMessage"] = [{"reference": "#missing-data"}]
    res["outputParameters"] = {"reference": "#ratings"}
    res["result"] = {"reference": "#recommendations"}
    if requirements:
        res["dataRequirement"] = requirements
    return res


def operation_outcome(problems: list[Problem], severity: str = "error", code: str = "invalid") -> Json:
    """FHIR R4 OperationOutcome for input problems (400/422 on FHIR routes): one issue per problem."""
    if not problems:
        return {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "information", "code": "informational", "diagnostics": "no problem found"}
            ],
        }
    issues: list[Json] = []
    for p in problems:
        issue: Json = {
            "severity": severity,
            "code": code,
            "diagnostics": str(p),
            "details": {"text": p.message},
        }
        if p.field:
            issue["expression"] = [p.field]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}
