"""HL7's mCODE STU4 examples (npm hl7.fhir.us.mcode 4.0.0, CC0) assembled into one Bundle per patient,
at run time from tests/fhir/mcode/package (`make mcode`); HL7's files are never committed here.

A patient's bundle holds its Patient, every example whose subject/patient is that patient, and the
resources those reference that name no patient (a radiotherapy volume's BodyStructure, a Medication).
The examples that are Bundles themselves (Jenny M's patient bundle, Adam Anyperson's genomics bundle)
are read as HL7 wrote them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).parent / "mcode" / "package"
EXAMPLES = PACKAGE / "example"
VARIANTS = Path(__file__).parent / "mcode_variants"


def available() -> bool:
    return EXAMPLES.is_dir()


def _examples() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))]


def _refs(x: Any) -> list[str]:
    out: list[str] = []
    if isinstance(x, dict):
        ref = x.get("reference")
        if isinstance(ref, str):
            out.append(ref)
        for v in x.values():
            out += _refs(v)
    elif isinstance(x, list):
        for v in x:
            out += _refs(v)
    return out


def _owner(r: dict[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        ref = r.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return str(ref["reference"])
    return None


def patient_bundles() -> dict[str, dict[str, Any]]:
    """Patient id → a collection Bundle of that patient's examples (HL7's own Bundles excluded)."""
    resources = [r for r in _examples() if r["resourceType"] != "Bundle"]
    by_key = {f"{r['resourceType']}/{r['id']}": r for r in resources}
    out: dict[str, dict[str, Any]] = {}
    for p in (r for r in resources if r["resourceType"] == "Patient"):
        key = f"Patient/{p['id']}"
        members = [p] + [r for r in resources if _owner(r) == key]
        seen = {f"{r['resourceType']}/{r['id']}" for r in members}
        for r in list(members):
            for ref in _refs(r):
                target = by_key.get(ref)
                if (
                    target is not None
                    and ref not in seen
                    and _owner(target) is None
                    and target["resourceType"] in ("BodyStructure", "Medication")
                ):
                    members.append(target)
                    seen.add(ref)
        out[p["id"]] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
                for r in members
            ],
        }
    return out


def hl7_bundles() -> dict[str, dict[str, Any]]:
    """HL7's own example Bundles, by id."""
    return {r["id"]: r for r in _examples() if r["resourceType"] == "Bundle"}


def resource_ids(bundle: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["resource"]["resourceType"], e["resource"].get("id"))
        for e in bundle.get("entry", [])
        if isinstance(e.get("resource"), dict)
    ]
