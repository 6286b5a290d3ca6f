"""Read the launched patient's record from the EHR's FHIR server, with the launch's access token.

The token is sent to the launch's FHIR server only: a search's `next` link is followed only when it
stays under that base URL (a server, or whoever controls a link, could otherwise collect the token).
Every resource type the mapping reads is fetched; any failure stops the launch with its reason: a
record read in part would be shown as if it were whole.
"""

from __future__ import annotations

from typing import Any

import httpx

from bonemet.access.config import Settings
from bonemet.access.smart import FHIR_TYPES, LaunchedPatient, SmartError

_MAX_PAGES = 20  # per resource type: 20 pages of 200, far beyond one patient's bone-relevant record
_PAGE = 200


async def read_record(settings: Settings, launched: LaunchedPatient) -> list[dict[str, Any]]:
    base = launched.fhir_base
    headers = {"Authorization": f"Bearer {launched.access_token}",
               "Accept": "application/fhir+json"}
    out: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=settings.fhir_timeout_s, follow_redirects=False,
                                 headers=headers) as http:
        patient = await _get(http, f"{base}/Patient/{launched.patient}", "Patient")
        if patient.get("resourceType") != "Patient" or patient.get("id") != launched.patient:
            raise SmartError("the EHR's FHIR server answered another resource for the launched "
                             "patient", 502, reason="fhir")
        out.append(patient)
        for rtype in FHIR_TYPES[1:]:
            url: str | None = f"{base}/{rtype}?patient={launched.patient}&_count={_PAGE}"
            if rtype.startswith("Medication"):  # the Medication resources the orders reference
                url += f"&_include={rtype}:medication"
            pages = 0
            while url is not None:
                bundle = await _get(http, url, rtype)
                if bundle.get("resourceType") != "Bundle":
                    raise SmartError(f"the EHR's FHIR server answered a {rtype} search with no "
                                     f"Bundle", 502, reason="fhir")
                for entry in bundle.get("entry") or []:
                    resource = entry.get("resource") if isinstance(entry, dict) else None
                    mode = (entry.get("search") or {}).get("mode") if isinstance(entry, dict) else None
                    # Included resources (mode "include") are read too: a Medication, a Practitioner.
                    if isinstance(resource, dict) and mode in (None, "match", "include"):
                        out.append(resource)
                pages += 1
                url = _next_link(bundle, base)
                if url is not None and pages >= _MAX_PAGES:
                    raise SmartError(f"the {rtype} record of this patient is over {_MAX_PAGES} "
                                     f"pages: too long to read here", 502, reason="fhir")
    return out


async def _get(http: httpx.AsyncClient, url: str, rtype: str) -> dict[str, Any]:
    try:
        response = await http.get(url)
    except httpx.HTTPError as exc:
        raise SmartError(f"the EHR's FHIR server cannot be reached ({type(exc).__name__}): "
                         f"nothing was read, try again later", 502, reason="fhir-down") from None
    if response.status_code in (401, 403):
        raise SmartError(f"the EHR's FHIR server refused to show {rtype} (HTTP "
                         f"{response.status_code}): the launch did not grant patient/{rtype}.rs",
                         502, reason="fhir-refused")
    if response.status_code != 200:
        raise SmartError(f"the EHR's FHIR server answered HTTP {response.status_code} for "
                         f"{rtype}: nothing was read, try again later", 502, reason="fhir-down")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SmartError(f"the EHR's FHIR server answered {rtype} with something other than "
                         f"FHIR JSON", 502, reason="fhir")
    return body


def _next_link(bundle: dict[str, Any], base: str) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if isinstance(url, str) and url.startswith(base + "/"):
                return url
            raise SmartError("the EHR's FHIR server sent a next page outside its own address: "
                             "not followed (the access token goes to that server only)", 502,
                             reason="fhir")
    return None
