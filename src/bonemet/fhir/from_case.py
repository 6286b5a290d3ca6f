"""A bonemet `Case` → a FHIR R4 Bundle (type collection), with the codes of `valuesets.yaml`.

Deterministic: the same case gives the same bytes (ids from the case's own ids, urn:uuid fullUrls
from a fixed namespace). Only V/P codes are written; every resource also carries the bonemet local
coding so that `case_from_fhir(case_to_bundle(case))` gives the case back exactly. Case fields FHIR
has no element for travel in the `case-data` extension (JSON value) — see docs/fhir.md.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
from pydantic import BaseModel

from bonemet.fhir import common as c
from bonemet.fhir import write_bone_inputs, write_mcode, write_oncology, write_treatments
from bonemet.fhir.valuesets import ValueSets, default_valuesets
from bonemet.model.case import (
    Case,
    ClinicalStatus,
    DiagnosisStatus,
    ImagingExam,
    LabResult,
    Lesion,
    Modality,
)
from bonemet.model.oncology import RecordedBoneSite

Json = dict[str, Any]

_UCUM = {"µg/L": "ug/L", "µmol/L": "umol/L"}


def _residual(model: BaseModel, handled: set[str]) -> list[tuple[str, Any]]:
    return write_treatments.residual(model, handled)


class _Writer:
    def __init__(self, case: Case, vs: ValueSets) -> None:
        self.case = case
        self.vs = vs
        self.entries: list[Json] = []
        self.patient_url = c.full_url(case.case_id, "patient")
        self.primary_url: str | None = None  # the primary cancer Condition, once written (mCODE links)
        self.secondary_url: str | None = None  # the (first) bone SecondaryCancerCondition, once written

    # ---------------------------------------------------------------- small builders
    def add(self, resource: Json, *key: str) -> str:
        url = c.full_url(self.case.case_id, *key)
        resource["id"] = c.fhir_id(self.case.case_id, *key)
        self.entries.append({"fullUrl": url, "resource": resource})
        return url

    def subject(self) -> Json:
        return {"reference": self.patient_url}

    def local(self, vocabulary: str, code: str, display: str | None = None) -> Json:
        coding = {"system": self.vs.local_system(vocabulary), "code": code}
        if display:
            coding["display"] = display
        return coding

    def concept_cc(self, group: str, key: str, vocabulary: str) -> Json:
        concept = self.vs.concept(group, key)
        return {
            "coding": [*self.vs.codings(group, key), self.local(vocabulary, key, concept.display.en)],
            "text": concept.display.en,
        }

    def lab_cc(self, lab: LabResult) -> Json:
        """The LOINC code that fits the unit (a mass code for mg/dL, a moles code for µmol/L: issue
        24), then the local analyte code. A unit with no fitting code gets the local code only."""
        key = lab.analyte.value
        concept = self.vs.concept("analyte", key)
        return {
            "coding": [*self.vs.unit_codings("analyte", key, lab.unit),
                       self.local("analyte", key, concept.display.en)],
            "text": concept.display.en,
        }

    def ext(self, name: str, value_key: str, value: Any) -> Json:
        return {"url": self.vs.extension_url(name), value_key: value}

    def case_data(self, items: list[tuple[str, Any]], prefix: str = "") -> list[Json]:
        return [
            {
                "url": self.vs.extension_url("case-data"),
                "extension": [
                    {"url": "path", "valueString": prefix + k},
                    {"url": "value", "valueString": orjson.dumps(v).decode()},
                ],
            }
            for k, v in items
        ]

    def identifier(self, name: str, value: str) -> list[Json]:
        return [{"system": self.vs.identifier_system(name), "value": value}]

    def category(self, key: str) -> list[Json]:
        row = self.vs.concept("fhir_core", key).codes[0]
        return [{"coding": [{"system": self.vs.uri(row.system), "code": row.code}]}]

    # ---------------------------------------------------------------- resources
    def patient(self) -> None:
        p = self.case.patient
        res: Json = {"resourceType": "Patient"}
        if p.label:
            res["identifier"] = self.identifier(c.ID_PATIENT_LABEL, p.label)
        if p.sex:
            res["gender"] = p.sex
        if p.birth_date and not p.birth_year_contradiction():
            res["birthDate"] = p.birth_date.isoformat()
        elif p.birth_year:
            res["birthDate"] = f"{p.birth_year:04d}"
        full_date = p.birth_date is not None and res.get("birthDate") == p.birth_date.isoformat()
        done = {"label", "sex", "birth_year"} | ({"birth_date"} if full_date else set())
        extra = [(f"patient.{k}", v) for k, v in _residual(p, done)]
        extra += _residual(
            self.case,
            {
                "schema_version",
                "case_id",
                "patient",
                "cancer",
                "context",
                "availability",
                "exams",
                "treatments",
                "labs",
                "clinical_status",
                "plan_inputs",
                "oncology",
            },
        )
        if self.case.oncology is not None:  # review 26 F11: TNM, Karnofsky, surgeries are resources
            rest_oncology = _residual(self.case.oncology, write_oncology.fields_as_resources(self.case))
            if rest_oncology or not write_oncology.fields_as_resources(self.case):
                extra.append(("oncology", dict(rest_oncology)))
        pi = self.case.plan_inputs
        if pi is not None:  # issue 24: weight, clearance and ONJ are resources; the rest stays here
            written = write_bone_inputs.written_fields(pi, self.case)
            rest = _residual(pi, written)
            if rest or not written:
                extra.append(("plan_inputs", dict(rest)))
        if self.case.cancer.primary_site is None:  # no cancer Condition: keep its fields (issue 17)
            extra += [(f"cancer.{k}", v) for k, v in _residual(self.case.cancer, set())]
        elif self.case.cancer.diagnosis is DiagnosisStatus.suspected:
            # The reader does not take a provisional Condition as the primary: what only that Condition
            # carries (histology, date) travels here too (found by the issue-26 property test).
            extra += [(f"cancer.{k}", v) for k, v in _residual(self.case.cancer, set())
                      if k in ("histology", "diagnosis_date")]
        if extra:
            res["extension"] = self.case_data(extra)
        write_mcode.cancer_patient(res, self.case, self.identifier(c.ID_CASE, self.case.case_id))
        self.entries.append({"fullUrl": self.patient_url, "resource": res})
        res["id"] = c.fhir_id(self.case.case_id, "patient")

    def cancer(self) -> None:
        cancer = self.case.cancer
        if cancer.primary_site is None:
            # No primary recorded, none assumed (issue 17): no cancer Condition; the Patient's case-data
            # extension carries the cancer fields so the round trip stays exact.
            return
        self._primary(cancer.primary_site.value)
        self._drivers_and_metastases()

    def _primary(self, site: str | None) -> None:
        # The histology's standard codes name the lung ("Adenocarcinoma of lung"): written for a lung
        # primary only (issue 14).
        cancer = self.case.cancer
        codings: list[Json] = []
        text: str | None = self.vs.concept("primary_site", site).display.en if site else None
        if cancer.histology is not None and site == "lung":
            codings = self.vs.codings("histology", cancer.histology.value)
            text = self.vs.concept("histology", cancer.histology.value).display.en
        systems = {x["system"] for x in codings}
        if site is not None:
            codings += [x for x in self.vs.codings("primary_site", site) if x["system"] not in systems]
            codings.append(self.local("primary-site", site))
        if cancer.histology is not None:
            codings.append(self.local("histology", cancer.histology.value))
        code: Json = {"coding": codings, "text": text} if text else {"coding": codings}
        res: Json = {
            "resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": c.CONDITION_CLINICAL, "code": "active"}]},
            # A suspected cancer is written as provisional, never as a confirmed diagnosis (issue 17).
            "verificationStatus": {"coding": [{"system": c.CONDITION_VERIFICATION, "code": (
                "provisional" if cancer.diagnosis is DiagnosisStatus.suspected else "confirmed")}]},
            "code": code,
            "subject": self.subject(),
        }
        if cancer.diagnosis_date:
            res["onsetDateTime"] = cancer.diagnosis_date.isoformat()
        extra = _residual(
            cancer,
            {"primary_site", "histology", "diagnosis_date", "driver_alterations", "bone_metastases_known"},
        )
        if extra:
            res["extension"] = self.case_data(extra)
        write_mcode.primary_cancer(res, self.case)
        self.primary_url = self.add(res, "primary-cancer")

    def _drivers_and_metastases(self) -> None:
        cancer = self.case.cancer
        for i, d in enumerate(cancer.driver_alterations):
            components: list[Json] = [
                {
                    "code": {"coding": [self.local(c.CS_CONCEPT, c.CONCEPT_GENE)], "text": "Gene"},
                    "valueCodeableConcept": {
                        "coding": [self.local("gene", d.gene.value)],
                        "text": d.gene.value,
                    },
                }
            ]
            if d.detail:
                components.append(
                    {
                        "code": {
                            "coding": [self.local(c.CS_CONCEPT, c.CONCEPT_DETAIL)],
                            "text": "Alteration",
                        },
                        "valueString": d.detail,
                    }
                )
            variant: Json = {
                "resourceType": "Observation",
                "status": "final",
                "category": self.category("category_laboratory"),
                "code": {
                    "coding": [self.local(c.CS_CONCEPT, c.CONCEPT_DRIVER)],
                    "text": "Oncogenic driver alteration",
                },
                "subject": self.subject(),
                "component": components,
            }
            write_mcode.genomic_variant(variant, d)
            self.add(variant, "driver", str(i))
        if cancer.bone_metastases_known is not None:
            status = "confirmed" if cancer.bone_metastases_known else "refuted"
            res: Json = {
                "resourceType": "Condition",
                "verificationStatus": {"coding": [{"system": c.CONDITION_VERIFICATION, "code": status}]},
                "code": self.concept_cc("bone_metastasis", "bone_metastases", c.CS_CONCEPT),
                "subject": self.subject(),
            }
            if not cancer.bone_metastases_known:  # refuted: no SecondaryCancerCondition
                res["category"] = write_mcode.condition_category()
                self.add(res, "bone-metastases")
                return
            groups = write_mcode.recorded_sites(self.case) or [[]]
            for n, group in enumerate(groups):
                one = copy.deepcopy(res)  # the base stays unmutated for the next onset
                one["clinicalStatus"] = {"coding": [{"system": c.CONDITION_CLINICAL, "code": "active"}]}
                if group and group[0].since is not None:
                    one["onsetDateTime"] = group[0].since.isoformat()
                write_mcode.secondary_cancer(one, self.primary_url, [self.recorded_site(s) for s in group])
                url = self.add(one, "bone-metastases", *((str(n),) if n else ()))
                self.secondary_url = self.secondary_url or url

    def recorded_site(self, s: RecordedBoneSite) -> Json:
        cc = self.site_cc(s.site.value)
        if s.side in write_mcode.LATERALITY:
            cc["extension"] = [{"url": write_mcode.LATERALITY_EXT, "valueCodeableConcept": {
                "coding": [write_mcode.LATERALITY[s.side]]}}]
        return cc

    def exam(self, e: ImagingExam) -> None:
        key = ("exam", e.id)
        codings = [x for x in self.vs.codings("modality", e.modality.value) if self._coverage_fits(e, x)]
        display = self.vs.concept("modality", e.modality.value).display.en
        res: Json = {
            "resourceType": "DiagnosticReport",
            "identifier": self.identifier(c.ID_EXAM, e.id),
            "status": "final" if e.result is not None else "registered",
            "category": self.category("category_radiology"),
            "code": {
                "coding": [*codings, self.local("modality", e.modality.value, display)],
                "text": display,
            },
            "subject": self.subject(),
            "effectiveDateTime": e.date.isoformat(),
        }
        ext: list[Json] = []
        if e.purpose:
            ext.append(self.ext(c.EXT_PURPOSE, "valueCode", e.purpose.value))
        if e.pet_coverage:
            ext.append(self.ext(c.EXT_PET_COVERAGE, "valueCode", e.pet_coverage.value))
        if e.femurs_included is not None:
            ext.append(self.ext(c.EXT_FEMURS, "valueBoolean", e.femurs_included))
        if e.hot_spot_count is not None:
            ext.append(self.ext(c.EXT_HOT_SPOTS, "valueInteger", e.hot_spot_count))
        if e.change_vs_previous:
            ext.append(self.ext(c.EXT_CHANGE, "valueCode", e.change_vs_previous.value))
        if e.isolated_lesion is not None:
            ext.append(self.ext(c.EXT_ISOLATED, "valueBoolean", e.isolated_lesion))
        if e.target_site:
            ext.append(self.ext(c.EXT_TARGET_SITE, "valueCodeableConcept", self.site_cc(e.target_site.value)))
        ext += self.case_data(_residual(e, set(ImagingExam.model_fields) - self._extra_exam_fields()))
        if ext:
            res["extension"] = ext
        conclusions: list[Json] = []
        if e.result is not None:
            v3 = {"positive": "POS", "negative": "NEG", "equivocal": "IND"}[e.result.value]
            conclusions.append(
                {
                    "coding": [
                        self.local("exam-result", e.result.value),
                        {"system": c.V3_INTERPRETATION, "code": v3},
                    ],
                    "text": e.result.value,
                }
            )
        for finding in (e.radiograph_finding, e.mri_finding):
            if finding is not None:
                conclusions.append(
                    {
                        "coding": [self.local("imaging-finding", finding.value)],
                        "text": finding.value.replace("_", " "),
                    }
                )
        if conclusions:
            res["conclusionCode"] = conclusions
        refs = [{"reference": self.lesion(e, i, lesion)} for i, lesion in enumerate(e.lesions)]
        if refs:
            res["result"] = refs
        self.add(res, *key)

    @staticmethod
    def _extra_exam_fields() -> set[str]:
        # fields of ImagingExam that are NOT mapped explicitly above (future additions) stay residual
        mapped = {
            "id",
            "date",
            "modality",
            "purpose",
            "result",
            "pet_coverage",
            "femurs_included",
            "hot_spot_count",
            "change_vs_previous",
            "isolated_lesion",
            "lesions",
            "target_site",
            "radiograph_finding",
            "mri_finding",
        }
        return set(ImagingExam.model_fields) - mapped

    def _coverage_fits(self, e: ImagingExam, coding: Json) -> bool:
        row = next(
            (r for r in self.vs.concept("modality", e.modality.value).codes if r.code == coding["code"]), None
        )
        return (
            row is None
            or row.coverage is None
            or (e.pet_coverage is not None and e.pet_coverage.value == row.coverage)
        )

    def site_cc(self, site: str) -> Json:
        # review 26 F11: a site whose own codes name only a part of it gets the code the reader reads
        # back as that site (write_mcode.site_codings), never a local code alone where one exists
        concept = self.vs.concept("body_site", site)
        return {"coding": [*write_mcode.site_codings(self.vs, site),
                           self.local("body-site", site, concept.display.en)],
                "text": concept.display.en}

    def lesion(self, e: ImagingExam, i: int, lesion: Lesion) -> str:
        res: Json = {
            "resourceType": "Observation",
            "status": "final",
            "category": self.category("category_imaging"),
            "code": {"coding": [self.local(c.CS_CONCEPT, c.CONCEPT_BONE_LESION)], "text": "Bone lesion"},
            "subject": self.subject(),
            "effectiveDateTime": e.date.isoformat(),
            "bodySite": self.site_cc(lesion.site.value),
        }
        if lesion.phenotype:
            res["valueCodeableConcept"] = {
                "coding": [self.local("phenotype", lesion.phenotype.value)],
                "text": lesion.phenotype.value,
            }
        ext: list[Json] = []
        if lesion.side:
            ext.append(self.ext(c.EXT_SIDE, "valueCode", lesion.side.value))
        if lesion.level:
            ext.append(self.ext(c.EXT_LEVEL, "valueString", lesion.level))
        if lesion.irradiated:
            ext.append(self.ext(c.EXT_IRRADIATED, "valueBoolean", True))
        if lesion.suspicious is not None:
            ext.append(self.ext(c.EXT_SUSPICIOUS, "valueBoolean", lesion.suspicious))
        ext += self.case_data(
            _residual(lesion, {"site", "side", "level", "phenotype", "irradiated", "suspicious"})
        )
        if ext:
            res["extension"] = ext
        return self.add(res, "exam", e.id, "lesion", str(i))

    def lab(self, i: int, lab: LabResult) -> None:
        res: Json = {
            "resourceType": "Observation",
            "status": "final",
            "category": self.category("category_laboratory"),
            "code": self.lab_cc(lab),
            "subject": self.subject(),
            "effectiveDateTime": lab.date.isoformat(),
            "valueQuantity": {
                "value": lab.value,
                "unit": lab.unit,
                "system": self.vs.uri("ucum"),
                "code": _UCUM.get(lab.unit, lab.unit),
            },
        }
        extra = _residual(lab, {"date", "analyte", "value", "unit"})
        if extra:
            res["extension"] = self.case_data(extra)
        write_mcode.lab(res, lab)
        self.add(res, "lab", str(i))

    def status(self, i: int, s: ClinicalStatus) -> None:
        code = self.concept_cc("clinical_status", "clinical_status", c.CS_CONCEPT)
        code["coding"][-1]["code"] = c.CONCEPT_CLINICAL_STATUS
        res: Json = {
            "resourceType": "Observation",
            "status": "final",
            "category": self.category("category_exam"),
            "code": code,
            "subject": self.subject(),
            "effectiveDateTime": s.date.isoformat(),
            "valueCodeableConcept": self.concept_cc("clinical_state", s.state.value, "clinical-state"),
        }
        if s.ecog is not None:
            res["component"] = [
                {"code": self.concept_cc("ecog", "ecog", c.CS_CONCEPT), "valueInteger": s.ecog}
            ]
        if s.note:
            res["note"] = [{"text": s.note}]
        extra = _residual(s, {"date", "state", "ecog", "note"})
        if extra:
            res["extension"] = self.case_data(extra)
        write_mcode.disease_status(res, self.primary_url)
        self.add(res, "clinical-status", str(i))
        if s.ecog is not None:
            local = self.local(c.CS_CONCEPT, c.CONCEPT_ECOG)
            self.add(write_mcode.ecog(s, self.subject(), local), "ecog", str(i))

    def bone_pain(self) -> None:
        """New bone pain: one Observation per painful site (Observation.bodySite is 0..1 in R4), or
        one without a site. The sites of a "no" or of an unknown pain stay in the context Parameters."""
        ctx = self.case.context
        value = ctx.new_bone_pain
        if value is None:
            return
        sites = ctx.pain_sites if value else ()
        for site in sites or (None,):
            code = self.concept_cc("bone_pain", "bone_pain", c.CS_CONCEPT)
            code["coding"][-1]["code"] = c.CONCEPT_BONE_PAIN
            res = self.finding(code, value)
            if site is not None:
                res["bodySite"] = self.site_cc(site.value)
            self.add(res, "bone-pain", *((site.value,) if site is not None else ()))

    def neurological_deficit(self) -> None:
        """Neurological symptoms or signs: bonemet's local concept only (no generic SNOMED CT code for
        "neurological deficit" was verifiable; docs/fhir.md), with a yes/no value."""
        value = self.case.context.neurological_deficit
        if value is None:
            return
        display = self.vs.concept("neuro_deficit", "neurological_deficit").display.en
        code = {"coding": [self.local(c.CS_CONCEPT, c.CONCEPT_NEURO_DEFICIT, display)], "text": display}
        self.add(self.finding(code, value), "neurological-deficit")

    def finding(self, code: Json, value: bool) -> Json:
        res: Json = {
            "resourceType": "Observation",
            "status": "final",
            "category": self.category("category_exam"),
            "code": code,
            "subject": self.subject(),
            "valueBoolean": value,
        }
        day = self.case.context.as_of or self.case.latest_date()
        if day:
            res["effectiveDateTime"] = day.isoformat()
        return res

    def context(self) -> None:
        ctx = self.case.context
        params: list[Json] = [
            {"name": "case_id", "valueString": self.case.case_id},
            {"name": "phase", "valueCode": ctx.phase.value},
        ]
        if ctx.as_of:
            params.append({"name": "as_of", "valueDate": ctx.as_of.isoformat()})
        if ctx.question:
            params.append({"name": "question", "valueCode": ctx.question.value})
        if ctx.question_text:
            params.append({"name": "question_text", "valueString": ctx.question_text})
        # Written as Observations: new bone pain with its sites (when present), neurological deficit.
        handled = {"phase", "as_of", "question", "question_text", "new_bone_pain", "neurological_deficit"}
        if ctx.new_bone_pain:
            handled.add("pain_sites")
        for k, v in _residual(ctx, handled):
            params.append({"name": f"context.{k}", "valueString": orjson.dumps(v).decode()})
        for k, v in self.case.availability.model_dump(mode="json", exclude_none=True).items():
            params.append(
                {"name": f"availability.{k}", "valueBoolean": v}
                if isinstance(v, bool)
                else {"name": f"context.availability_{k}", "valueString": orjson.dumps(v).decode()}
            )
        self.add(
            {
                "resourceType": "Parameters",
                "meta": {"profile": [self.vs.extension_url(c.PROFILE_CONTEXT)]},
                "parameter": params,
            },
            "context",
        )


def case_to_bundle(case: Case, include_context: bool = True, valuesets: ValueSets | None = None) -> Json:
    """The case as a FHIR R4 collection Bundle. `include_context`: add the bonemet context
    Parameters (phase, as_of, question, availability) so that the Bundle alone re-creates the case."""
    w = _Writer(case, valuesets or default_valuesets())
    w.patient()
    w.cancer()
    write_oncology.oncology(w)
    for e in case.exams:
        w.exam(e)
    for t in case.treatments:
        write_treatments.treatment(w, t)
    for i, lab in enumerate(case.labs):
        w.lab(i, lab)
    write_bone_inputs.plan_inputs(w)
    write_oncology.plan_ecog(w, w.local(c.CS_CONCEPT, c.CONCEPT_ECOG))
    for i, s in enumerate(case.clinical_status):
        w.status(i, s)
    w.bone_pain()
    w.neurological_deficit()
    if include_context:
        w.context()
    return {
        "resourceType": "Bundle",
        "id": c.fhir_id(case.case_id),
        "meta": {"tag": [{"system": w.vs.local_system("valueset-version"), "code": w.vs.version}]},
        "identifier": {"system": w.vs.identifier_system(c.ID_CASE), "value": case.case_id},
        "type": "collection",
        "entry": w.entries,
    }


def modality_codeable(modality: Modality, valuesets: ValueSets | None = None) -> Json:
    """The CodeableConcept bonemet writes for an imaging modality (e.g. for a replacement order)."""
    vs = valuesets or default_valuesets()
    concept = vs.concept("modality", modality.value)
    codings = [
        x
        for x in vs.codings("modality", modality.value)
        if not any(r.code == x["code"] and r.coverage for r in concept.codes)
    ]
    return {
        "coding": [
            *codings,
            {"system": vs.local_system("modality"), "code": modality.value, "display": concept.display.en},
        ],
        "text": concept.display.en,
    }
