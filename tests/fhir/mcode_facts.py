"""The facts of an mCODE record the issue-26 figure counts, read from a MappingResult in one plain
form each, so that tests/fhir/mcode_variants/expectations.yaml can say what each record should give.

Run as a script it prints the facts-read-right figure (the issue's "35 of 53" is the figure of the
code before it):  PYTHONPATH=src:tests/fhir python tests/fhir/mcode_facts.py
"""

from __future__ import annotations

import json
import sys
from typing import Any

import mcode_examples as mx
import yaml

EXPECTATIONS = mx.VARIANTS / "expectations.yaml"


def _line(t: Any) -> str:
    agents = "+".join(sorted(t.agents)) or "-"
    end = t.end.isoformat() if t.end else "open"
    stop = t.stop_reason.value if getattr(t, "stop_reason", None) else "-"
    out = f"{t.type.value}|{agents}|{t.start.isoformat() if t.start else '-'}|{end}|{stop}"
    for s in getattr(t, "stopped_agents", ()):  # issue 26 review F6: a component stopped, the line going on
        out += f"|stopped:{s.agent}@{s.end.isoformat()}:{s.stop_reason.value if s.stop_reason else '-'}"
    return out


def _site(b: Any) -> str:
    return " ".join(x for x in (b.site.value, b.side, getattr(b, "level", None)) if x)


def _rt(t: Any) -> str:
    site = t.site.value if t.site else "-"
    dose = f"{t.dose_gy:g}" if t.dose_gy else "-"
    fx = str(t.fractions) if t.fractions else "-"
    return (
        f"{site}|{t.start.isoformat() if t.start else '-'}|{t.end.isoformat() if t.end else '-'}|{dose}|{fx}"
    )


def facts(result: Any) -> dict[str, Any]:
    case = result.case
    onc = getattr(case, "oncology", None)
    plan = case.plan_inputs
    return {
        "scope": result.scope,
        "primary_site": case.cancer.primary_site.value if case.cancer.primary_site else None,
        "histology": case.cancer.histology.value if case.cancer.histology else None,
        "diagnosis_date": case.cancer.diagnosis_date.isoformat() if case.cancer.diagnosis_date else None,
        "bone_metastases_known": case.cancer.bone_metastases_known,
        "bone_sites": sorted(b.site.value for b in onc.bone_metastasis_sites) if onc else [],
        "bone_site_details": sorted(_site(b) for b in onc.bone_metastasis_sites) if onc else [],
        "drivers": sorted(d.gene.value for d in case.cancer.driver_alterations),
        "lines": sorted(_line(t) for t in case.treatments if t.type.value not in ("radiotherapy", "surgery")),
        "line_numbers": {"+".join(sorted(t.agents)) or t.type.value: t.line_number
                         for t in case.treatments if t.line_number is not None},
        "extra_osseous_sites": plan.extra_osseous_sites if plan else None,
        "radiotherapy": sorted(_rt(t) for t in case.treatments if t.type.value == "radiotherapy"),
        # The plan reads ECOG from plan_inputs and from clinical_status[].ecog (core/plan_patient.py).
        "ecog": plan.ecog
        if plan and plan.ecog is not None
        else next(
            (
                s.ecog
                for s in sorted(case.clinical_status, key=lambda s: s.date, reverse=True)
                if s.ecog is not None
            ),
            None,
        ),
        "performance": sorted(f"{p.scale} {p.value}" for p in onc.performance) if onc else [],
        "staging": sorted(f"{s.kind}:{s.value}" for s in onc.staging) if onc else [],
        # mCODE CancerDiseaseStatus is the case's clinical status (improving/stable/deteriorating).
        "disease_status": (
            max(case.clinical_status, key=lambda s: s.date).state.value if case.clinical_status else None
        ),
        "surgeries": sorted(s.name for s in onc.surgeries) if onc else [],
        "weight_kg": plan.weight_kg if plan else None,
        "labs": sorted(f"{x.analyte.value} {x.value:g} {x.unit}" for x in case.labs),
        "neurological_deficit": case.context.neurological_deficit,
    }


def records() -> dict[str, dict[str, Any]]:
    """Every record the expectations name: HL7's examples by patient id, the variants by file name."""
    out = dict(mx.patient_bundles())
    for p in sorted(mx.VARIANTS.glob("*.json")):
        out[p.stem] = json.loads(p.read_text())
    return out


def score(case_from_fhir: Any) -> tuple[int, int, list[str]]:
    expected = yaml.safe_load(EXPECTATIONS.read_text())
    data = records()
    right, total, wrong = 0, 0, []
    for name, want in expected.items():
        try:
            got = facts(case_from_fhir(data[name]))
        except Exception as exc:  # a record refused counts all its facts wrong
            got = {k: f"error: {exc}" for k in want}
        for key, value in want.items():
            total += 1
            if got.get(key) == value:
                right += 1
            else:
                wrong.append(f"{name}.{key}: expected {value!r}, got {got.get(key)!r}")
    return right, total, wrong


if __name__ == "__main__":
    from bonemet.fhir.to_case import case_from_fhir

    right, total, wrong = score(case_from_fhir)
    print("\n".join(wrong))
    print(f"facts read right: {right} of {total}")
    sys.exit(0)
