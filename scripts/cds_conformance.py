"""Write docs/cds-hooks-conformance.md from the CDS Hooks 2.0 requirement list (Inferno, 220 rows).

    .venv/bin/python scripts/cds_conformance.py [path/to/cds-hooks-2.0-requirements.csv]

Every requirement whose actors include the Service is listed with its status: the tests that check
it (named with the requirement id), or why it does not apply. A test checks that every test named
in the document exists.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT.parent / "shared" / "reference" / "cds-hooks-2.0-requirements.csv"

T = {  # requirement id → tests (service-side SHALL / SHALL NOT first)
    1: ["test_req_1_requests_and_answers_are_json"],
    3: ["test_req_3_no_null_or_empty_elements"],
    4: ["test_req_4_5_13_discovery_at_base_url_with_get_returns_200"],
    5: ["test_req_4_5_13_discovery_at_base_url_with_get_returns_200"],
    6: ["test_req_6_7_9_10_each_service_has_hook_description_and_id"],
    7: ["test_req_6_7_9_10_each_service_has_hook_description_and_id"],
    9: ["test_req_6_7_9_10_each_service_has_hook_description_and_id"],
    10: ["test_req_6_7_9_10_each_service_has_hook_description_and_id"],
    13: ["test_req_4_5_13_discovery_at_base_url_with_get_returns_200"],
    16: ["test_req_16_service_endpoint_is_base_url_plus_id"],
    29: ["test_req_29_36_prefetch_templates_are_in_discovery_with_keys"],
    36: ["test_req_29_36_prefetch_templates_are_in_discovery_with_keys"],
    54: ["test_req_54_412_without_prefetch_or_fhir_server", "test_fhir_server_refusing_the_token_is_412",
         "test_unreachable_fhir_server_is_412"],
    55: ["test_req_55_56_57_59_prefetch_tokens_are_root_context_fields"],
    56: ["test_req_55_56_57_59_prefetch_tokens_are_root_context_fields"],
    57: ["test_req_55_56_57_59_prefetch_tokens_are_root_context_fields"],
    59: ["test_req_55_56_57_59_prefetch_tokens_are_root_context_fields"],
    61: ["test_req_61_missing_keys_are_fetched_with_the_bearer_token"],
    74: ["test_req_74_75_200_with_cards_array_and_optional_system_actions"],
    75: ["test_req_74_75_200_with_cards_array_and_optional_system_actions"],
    80: ["test_req_80_83_85_87_88_card_fields"],
    83: ["test_req_80_83_85_87_88_card_fields",
         "test_req_83_every_summary_of_every_demo_is_under_140_characters"],
    85: ["test_req_80_83_85_87_88_card_fields"],
    87: ["test_req_80_83_85_87_88_card_fields"],
    88: ["test_req_80_83_85_87_88_card_fields"],
    89: ["test_req_80_83_85_87_88_card_fields"],
    90: ["test_req_90_105_107_111_115_source"],
    92: ["test_req_92_93_95_96_117_119_121_124_125_suggestions"],
    93: ["test_req_92_93_95_96_117_119_121_124_125_suggestions"],
    95: ["test_req_92_93_95_96_117_119_121_124_125_suggestions"],
    96: ["test_req_92_93_95_96_117_119_121_124_125_suggestions"],
    98: ["test_req_98_100_136_219_override_reasons_have_display"],
    100: ["test_req_98_100_136_219_override_reasons_have_display"],
    103: ["test_req_103_138_139_141_142_144_147_links"],
    105: ["test_req_90_105_107_111_115_source"],
    107: ["test_req_90_105_107_111_115_source"],
    111: ["test_req_90_105_107_111_115_source"],
    115: ["test_req_90_105_107_111_115_source"],
    117: ["test_req_92_93_95_96_117_119_121_124_125_suggestions"],
    119: ["test_req_92_93_95_96_117_119_121_124_125_suggestions"],
    121: ["test_req_92_93_95_96_117_119_121_124_125_suggestions"],
    124: ["test_req_92_93_95_96_117_119_121_124_125_suggestions"],
    125: ["test_req_92_93_95_96_117_119_121_124_125_suggestions"],
    127: ["test_req_127_128_130_131_132_133_134_135_actions"],
    128: ["test_req_127_128_130_131_132_133_134_135_actions"],
    130: ["test_req_127_128_130_131_132_133_134_135_actions"],
    131: ["test_req_127_128_130_131_132_133_134_135_actions"],
    132: ["test_req_127_128_130_131_132_133_134_135_actions"],
    133: ["test_req_127_128_130_131_132_133_134_135_actions"],
    134: ["test_req_127_128_130_131_132_133_134_135_actions"],
    135: ["test_req_127_128_130_131_132_133_134_135_actions"],
    136: ["test_req_98_100_136_219_override_reasons_have_display"],
    138: ["test_req_103_138_139_141_142_144_147_links"],
    139: ["test_req_103_138_139_141_142_144_147_links"],
    141: ["test_req_103_138_139_141_142_144_147_links"],
    142: ["test_req_103_138_139_141_142_144_147_links"],
    144: ["test_req_103_138_139_141_142_144_147_links"],
    147: ["test_req_103_138_139_141_142_144_147_links"],
    176: ["test_req_176_service_calls_need_a_jwt", "test_req_199_out_of_band_jwks_es384_token_is_accepted",
          "test_expired_token_is_refused", "test_wrong_aud_is_refused", "test_unknown_iss_is_refused",
          "test_replayed_jti_is_refused"],
    199: ["test_req_199_out_of_band_jwks_es384_token_is_accepted",
          "test_jku_in_allowlist_is_fetched_from_a_real_server"],
    201: ["test_req_201_alg_none_is_refused"],
    203: ["test_req_203_symmetric_hs256_is_refused"],
    208: ["test_req_208_cors_echoes_an_allowed_origin_never_a_wildcard"],
    211: ["test_req_211_same_id_for_order_select_and_order_sign"],
    214: ["test_req_214_extensions_are_objects"],
    216: ["test_req_216_217_218_220_codings"],
    217: ["test_req_216_217_218_220_codings"],
    218: ["test_req_216_217_218_220_codings"],
    219: ["test_req_98_100_136_219_override_reasons_have_display"],
    220: ["test_req_216_217_218_220_codings"],
    # SHOULD / MAY that the service implements and tests
    8: ["test_golden_discovery"],
    11: ["test_req_29_36_prefetch_templates_are_in_discovery_with_keys"],
    12: ["test_golden_discovery"],
    14: ["test_bad_hook_requests_get_operation_outcomes", "test_unknown_service_is_404"],
    28: ["test_golden_order_select"],
    34: ["test_req_61_missing_keys_are_fetched_with_the_bearer_token"],
    52: ["test_req_52_operation_outcome_in_prefetch_is_412"],
    60: ["test_req_61_missing_keys_are_fetched_with_the_bearer_token",
         "test_paged_search_results_are_followed"],
    76: ["test_bad_hook_requests_get_operation_outcomes"],
    77: ["test_req_77_patient_view_without_findings_has_no_card"],
    81: ["test_card_uuids_are_stable_for_the_same_hook_instance"],
    82: ["test_feedback_is_stored_once_however_often_it_is_sent"],
    99: ["test_bone_scan_after_staging_pet_is_not_appropriate_with_override_reasons"],
    110: ["test_req_103_138_139_141_142_144_147_links"],
    146: ["test_req_103_138_139_141_142_144_147_links"],
    148: ["test_feedback_is_stored_once_however_often_it_is_sent", "test_invalid_feedback_is_422"],
    177: ["test_req_176_service_calls_need_a_jwt", "test_stored_cases_need_a_jwt_outside_dev_mode"],
    195: ["test_unknown_iss_is_refused", "test_jku_outside_allowlist_is_refused_without_fetching"],
    205: ["test_req_199_out_of_band_jwks_es384_token_is_accepted", "test_valid_rs384_token_is_accepted"],
    210: ["test_req_211_same_id_for_order_select_and_order_sign"],
}
WHY = {  # requirement id → why it is not tested here
    2: "Deployment: TLS is terminated by the hospital's reverse proxy; bonemet listens on loopback or a "
       "private interface (docs/service.md §Deployment). Not testable in-process.",
    168: "Same as 2: TLS at the reverse proxy (docs/service.md §Deployment).",
    213: "Organisational (negotiating supported hooks with each EHR); nothing to implement in the service.",
    27: "Measured, not tested: benchmarks/bench_service.py (docs/performance.md).",
    35: "Client-side choice; the templates use only `{{context.patientId}}`.",
    58: "The templates use instance read and type search with a reference parameter only (see 55-59).",
    78: "Client behaviour.",
    84: "Every card has a Markdown detail (tested with 80-88).",
    94: "Suggestions are sent only when a better exam exists (tested with 92-125).",
    104: "Every card links to its rule (tested with 103-147).",
    106: "The label is the guideline and knowledge-base version; the url is the rule (tested with 90-115).",
    108: "Always sent (tested with 90-115).",
    109: "The source url is the rule in the knowledge base, not a patient-specific view.",
    112: "No icon is sent (a 100x100 PNG is not shipped).",
    113: "No icon is sent.",
    116: "The topic (the rule id) is always sent (tested with 90-115).",
    118: "Suggestion uuids are always sent.",
    120: "isRecommended is always sent.",
    122: "One suggestion per card, selectionBehavior at-most-one.",
    123: "Suggestions always carry their actions (delete + create).",
    129: "Action descriptions are written for display (cds_texts.yaml).",
    140: "Links are to the knowledge base, without patient context.",
    145: "No smart links (no appContext).",
    175: "Mutual TLS is a deployment option at the reverse proxy; not used by the service.",
    179: "As 175.",
    200: "Informative; algorithms per RFC 7518 via PyJWT.",
    206: "BONEMET_JWT_ALGORITHMS lets a site add stronger asymmetric algorithms (symmetric ones are refused "
         "at start-up: test_bad_variables_are_named).",
    207: "Deprecated row; the accepted algorithms are configurable (asymmetric only).",
    212: "Client behaviour.",
    215: "The service sends no CDS Hooks `extension`; the FHIR extensions it writes use the Argonaut PAMA "
         "URLs and bonemet's canonical base.",
}


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CSV
    rows = [r for r in csv.DictReader(path.open(encoding="utf-8")) if "Service" in r["actors"]]
    lines = [
        "# CDS Hooks 2.0 conformance (service side)",
        "",
        "Every requirement of the CDS Hooks 2.0 list (Inferno CDS Hooks test kit, 220 numbered rows, "
        "Apache-2.0) whose actors include the **Service**, with the tests that check it against a real "
        "uvicorn server (`tests/service/`, tests named `test_req_<id>_…`) or the reason it is not "
        "tested. Regenerate with `.venv/bin/python scripts/cds_conformance.py <csv>`; "
        "`test_conformance_table_names_only_existing_tests` keeps the names honest.",
        "",
        f"{sum(r['conformance'] in ('SHALL', 'SHALL NOT') for r in rows)} SHALL / SHALL NOT rows, "
        f"{len(rows)} service rows in all.",
        "",
        "| id | level | requirement (abridged) | status |",
        "|---|---|---|---|",
    ]
    missing = []
    for r in rows:
        rid = int(r["id"])
        text = " ".join(r["requirement"].split()).replace("|", "/")
        text = text if len(text) <= 150 else text[:147] + "…"
        if rid in T:
            status = "tested: " + ", ".join(f"`{t}`" for t in T[rid])
        elif rid in WHY:
            status = "not tested: " + WHY[rid]
        else:
            status = "optional, not claimed"
            if r["conformance"] in ("SHALL", "SHALL NOT"):
                missing.append(rid)
        lines.append(f"| {rid} | {r['conformance']} | {text} | {status} |")
    if missing:
        sys.exit(f"service SHALL rows without a status: {missing}")
    out = ROOT / "docs" / "cds-hooks-conformance.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
