"""Review 25 "which exam now" in the report adapters (F2, F3, F4, F13, F14, F20): the headline, the
board proposal's take-over, the quick check and the fiche agree with the core's "not now".

The cases are the reviewer's (review25_cases/, copied from /work/wt/review25/cases); expectations
were written before the code from the seed (F20, REC2, REC4) and the review's per-case table.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bonemet.api import parse_case
from bonemet.base.terms import SkeletalSite
from bonemet.core import assess
from bonemet.kb import default_kb
from bonemet.model import Case, RatedModality, Rating
from bonemet.report.board_proposal import build_proposal
from bonemet.report.headline import HeadlineKind, build_headline
from bonemet.report.quick_check import RequestContext, check_request, minimal_case, with_request

CASES = Path(__file__).parent / "review25_cases"


def _case(stem: str) -> Case:
    path = next(CASES.glob(f"{stem}-*.yaml"))
    return parse_case(yaml.safe_load(path.read_text(encoding="utf-8")))


def _both(stem: str):  # type: ignore[no-untyped-def]
    kb = default_kb()
    case = _case(stem)
    a = assess(case, kb)
    return case, a, build_headline(a, kb), build_proposal(case, a, kb)


def test_f4_patient_3_no_imaging_now_bone_scan_from_its_day() -> None:
    """3 weeks into chemo-immunotherapy: the bone scan is deferred to 17/05/2027, never do-now,
    never ticked by the take-over."""
    _, _a, hl, proposal = _both("rcp25-03")
    assert hl.do_now is None and hl.kind is HeadlineKind.no_imaging
    assert [(x.modality, x.not_before) for x in hl.deferred] == [
        (RatedModality.bone_scan, dt.date(2027, 5, 17))]
    assert proposal.imaging == ()
    text = proposal.decision_text("fr")
    assert "Pas d'imagerie maintenant" in text and "à partir du 17 mai 2027" in text
    assert "2027-05-17" not in text


def test_f4_patient_4_osimertinib_flare_window_nothing_to_do_now() -> None:
    _, _, hl, proposal = _both("rcp25-04")
    assert hl.do_now is None and proposal.imaging == ()
    assert hl.deferred and hl.deferred[0].not_before == dt.date(2027, 4, 6)


def test_f4_patient_11_the_orthopaedic_decision_leads() -> None:
    """Mirels 12: the plan's SX-01 (orthopaedic opinion before RT) is the board's question and
    leads the agenda's row (plan_first); the proposal puts it before any exam."""
    _, _, hl, proposal = _both("rcp25-11")
    assert hl.plan_rule == "SX-01" and hl.plan_first
    kinds = [x.kind for x in proposal.headline]
    assert kinds.index("plan") < kinds.index("do_now") if "do_now" in kinds else "plan" in kinds


def test_f4_a_routine_plan_line_does_not_lead() -> None:
    _, _, hl, _ = _both("rcp25-03")
    assert hl.plan_rule == "BT-02" and not hl.plan_first


def test_f13_rib_focus_targeted_ct_named_with_its_site() -> None:
    """NM-09 rates CT and MRI alike; for a rib the tie goes to CT (REC4: the frequent alternative,
    an old fracture, is a CT diagnosis); the exam names its site and the take-over ticks CT."""
    _, a, hl, proposal = _both("rcp25-08")
    ct, mri = a.rating_of(RatedModality.targeted_ct), a.rating_of(RatedModality.targeted_mri)
    assert ct.rating is mri.rating is Rating.usually_appropriate  # the rule itself is unchanged
    assert hl.do_now is not None and hl.do_now.modality is RatedModality.targeted_ct
    assert hl.do_now.site is SkeletalSite.ribs
    assert proposal.imaging == ("ct",)
    assert "TDM ciblée (côtes)" in proposal.decision_text("fr")


def test_f13_other_sites_keep_mri_first_with_the_site_named() -> None:
    kb = default_kb()
    doc = yaml.safe_load(next(CASES.glob("rcp25-08-*.yaml")).read_text(encoding="utf-8"))
    doc["exams"][0]["lesions"] = [{"site": "pelvis", "side": "right"}]
    hl = build_headline(assess(parse_case(doc), kb), kb)
    assert hl.do_now is not None and hl.do_now.modality is RatedModality.targeted_mri
    assert hl.do_now.site is SkeletalSite.pelvis


def test_f14_no_imaging_row_keeps_the_nm03_caveat_and_scope_keeps_its_reason() -> None:
    _, _, hl5, _ = _both("rcp25-05")
    assert hl5.kind is HeadlineKind.no_imaging and [n.trace.rule_id for n in hl5.notes] == ["NM-03"]
    _, _, hl7, _ = _both("rcp25-07")
    assert hl7.kind is HeadlineKind.out_of_scope
    assert hl7.scope_reason is not None and "carcinoïde" in hl7.scope_reason.fr


# --- the quick check (F2, F3) -------------------------------------------------------------------

def _quick(exam: RatedModality, phase: str, ctx: RequestContext, **case: object):  # type: ignore[no-untyped-def]
    kb = default_kb()
    doc = minimal_case(phase=phase, question=None, primary_site="lung", histology="adenocarcinoma",
                       as_of="2026-12-07", exams=[], new_bone_pain=ctx.new_bone_pain,
                       request=ctx, **case)  # type: ignore[arg-type]
    return check_request(assess(parse_case(doc), kb), exam, kb)


@pytest.mark.parametrize("text", ["Pas de douleur osseuse", "Scintigraphie de contrôle annuelle"])
def test_f2_quick_check_routine_wording_is_usually_not_appropriate(text: str) -> None:
    r = _quick(RatedModality.bone_scan, "follow_up",
               RequestContext(question_text=text, new_bone_pain=False))
    assert (r.rating, r.reason.rule_id) == (Rating.usually_not_appropriate, "NM-04")
    assert "question clinique précise justifie" not in r.reason.reason.fr


def test_f2_stored_case_and_quick_check_agree() -> None:
    """Patient 10 stored; the same wording typed in the quick check: one rating."""
    kb = default_kb()
    case = _case("rcp25-10")
    ctx = RequestContext(question_text="Scintigraphie osseuse de contrôle annuelle")
    quick = check_request(assess(parse_case(with_request(
        case.model_dump(mode="json", exclude_none=True), ctx, "2026-12-02")), kb),
        RatedModality.bone_scan, kb)
    stored = assess(case.model_copy(update={"context": case.context.model_copy(
        update={"question_text": ctx.question_text})}), kb).rating_of(RatedModality.bone_scan)
    assert quick.rating is stored.rating is Rating.usually_not_appropriate


def _osimertinib_ctx(text: str) -> RequestContext:
    return RequestContext(question_text=text, treatment_type="egfr_tki", agents=("osimertinib",),
                          treatment_start="2026-10-07", line_number=1)


def test_f3_pet_at_two_months_offers_no_deferred_bone_scan() -> None:
    r = _quick(RatedModality.fdg_pet_ct, "on_treatment",
               _osimertinib_ctx("TEP de contrôle à 2 mois sous osimertinib"))
    assert r.alternative is None or r.alternative.modality is not RatedModality.bone_scan


def test_f3_bone_scan_at_two_months_is_not_now_with_its_day() -> None:
    r = _quick(RatedModality.bone_scan, "on_treatment",
               _osimertinib_ctx("Scintigraphie de contrôle à 2 mois sous osimertinib"))
    assert r.rating is Rating.usually_not_appropriate
    assert r.reason.not_before == dt.date(2027, 4, 8)
    assert "Pas maintenant" in r.reason.reason.fr and "08/04/2027" in r.reason.reason.fr


# --- the fiche's question (F20) and the agenda row (F4, F13, F14) -------------------------------

def _page1_question(html: str) -> str:
    start = html.index('class="fiche-question"')
    return html[start:html.index("</dd>", start)]


def test_f20_the_files_question_leads_the_phase_derived_one_follows() -> None:
    from bonemet.report.summary import summary_html

    doc = yaml.safe_load(next(CASES.glob("rcp25-11-*.yaml")).read_text(encoding="utf-8"))
    html = summary_html(parse_case(doc), "fr", dt.date(2026, 12, 8))
    dd = _page1_question(html)
    asked = dd.index("radiothérapie ou chirurgie d&#39;abord")
    assert asked < dd.index("Évaluation de la réponse")  # the rated question, after, in brackets
    assert "déduite de la phase" in dd


def test_f20_without_a_question_the_rated_one_is_said_alone() -> None:
    from bonemet.report.summary import summary_html

    doc = yaml.safe_load(next(CASES.glob("rcp25-10-*.yaml")).read_text(encoding="utf-8"))
    dd = _page1_question(summary_html(parse_case(doc), "fr", dt.date(2026, 12, 8)))
    assert "Surveillance" in dd and "data-verbatim" not in dd
