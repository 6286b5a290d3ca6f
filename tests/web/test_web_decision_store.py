"""Issue 25, the decisions in the store: the RCP fields and the chair's signature live inside the
decision's JSON document, so a store written before them opens and reads them as "not stated";
an unchanged save writes nothing (no version, no history row); a next review before the meeting
and a write to a signed decision are refused there too (the JSON API shares them); the fields
are refused with their own name (`loc`) by the model the API validates with; the FHIR Patient's
full birthDate is read into the case's identity.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from bonemet.model.board import AddCase, DecisionIn, SessionIn
from bonemet.model.follow_up import Patient
from bonemet.stores.board_store import BoardError, BoardStore
from bonemet.stores.store import MIGRATIONS, Store, _statements

SESSION = {"meeting_date": "2026-11-27", "site": "CHU Lyon-Sud", "attendees": ["Dr Martin"]}
CID = "demo-03-pet-mid-thigh"
# A decision document as bonemet wrote it before issue 25 (issue 13's fields only).
OLD_DOC = {"status": "discussed", "question": "Quelle imagerie ?", "decision": "IRM : oui",
           "proposal": "", "imaging_requested": ["mri"], "treatment_change": False,
           "next_review": "2027-01-15"}


def test_a_store_written_before_the_rcp_fields_opens_and_reads_them_as_not_stated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for number, script in MIGRATIONS:
        for statement in _statements(script):
            db.execute(statement)
        db.execute("INSERT INTO schema_version VALUES (?, '2026-01-01')", (number,))
    db.execute("INSERT INTO board_sessions (id, meeting_date, site, attendees, title, created_at, "
               "created_by) VALUES (1, '2026-11-27', 'CHU', '[\"Dr Martin\"]', NULL, "
               "'2026-11-20T08:00:00+00:00', 'dr.martin')")
    db.execute("INSERT INTO session_cases VALUES (1, ?, 1, ?, 2, '2026-11-20T08:00:00+00:00', "
               "'dr.martin', '2026-11-27T14:00:00+00:00', 'sec.durand')",
               (CID, orjson.dumps(OLD_DOC).decode()))
    db.close()
    store = Store(path)
    board = BoardStore(store)
    session = board.get(1)
    assert session is not None
    item = session.cases[0]
    assert (item.decision, item.version, item.ecog, item.tnm, item.conforme, item.signed) == (
        "IRM : oui", 2, None, None, None, None)
    # Saved unchanged with the new code: nothing written.
    same = DecisionIn.model_validate(OLD_DOC)
    assert board.record(1, CID, same, "sec.durand", 2).version == 2
    assert board.history(1, CID) == []
    # A new field is a change: a new version, the old document kept in the history as it was.
    changed = same.model_copy(update={"ecog": 1})
    assert board.record(1, CID, changed, "sec.durand", 2).version == 3
    kept = store.execute("SELECT document FROM session_case_history WHERE case_id=?", (CID,))
    assert orjson.loads(kept[0][0]) == OLD_DOC
    store.close()


@pytest.fixture()
def board(tmp_path: Path) -> BoardStore:
    b = BoardStore(Store(tmp_path / "s.sqlite3"))
    sid = b.create(SessionIn.model_validate(SESSION), "dr.martin")
    b.add_case(sid, AddCase(case_id=CID), "dr.martin")
    return b


def test_an_unchanged_save_writes_nothing(board: BoardStore) -> None:
    d = DecisionIn(decision="Quelle imagerie ? IRM : oui ; « urgent » !", tnm="cT2aN2M1c")
    assert board.record(1, CID, d, "a", 1).version == 2
    assert board.record(1, CID, d, "b", 2).version == 2  # same words: no version
    assert board.record(1, CID, d, "b", None).version == 2
    assert [v for v, _, _ in board.history(1, CID)] == [1]


def test_the_store_refuses_a_review_before_the_meeting(board: BoardStore) -> None:
    with pytest.raises(BoardError) as err:
        board.record(1, CID, DecisionIn(next_review=dt.date(2026, 11, 26)), "a", None)
    assert (err.value.status, err.value.field) == (422, "next_review")
    assert board.record(1, CID, DecisionIn(next_review=dt.date(2026, 11, 27)), "a", None).version == 2


def test_a_signed_decision_is_read_only_until_reopened(board: BoardStore) -> None:
    board.record(1, CID, DecisionIn(decision="IRM"), "sec", 1)
    signed = board.sign(1, CID, "dr.chair", 2)
    assert signed.signed is not None and signed.signed.by == "dr.chair" and signed.version == 3
    with pytest.raises(BoardError) as err:
        board.record(1, CID, DecisionIn(decision="autre"), "sec", None)
    assert (err.value.status, err.value.key) == (409, "board_err_signed")
    with pytest.raises(BoardError):
        board.sign(1, CID, "dr.chair", 3)  # twice: refused
    with pytest.raises(BoardError):
        board.reopen(1, CID, "dr.chair", 2)  # stale version: refused
    reopened = board.reopen(1, CID, "dr.chair", 3)
    assert reopened.signed is None and reopened.reopened is not None and reopened.version == 4
    assert board.record(1, CID, DecisionIn(decision="autre"), "sec", 4).version == 5
    assert board.get(1).cases[0].reopened.by == "dr.chair"  # type: ignore[union-attr]
    assert [v for v, _, _ in board.history(1, CID)] == [1, 2, 3, 4]


@pytest.mark.parametrize(("data", "field"), [
    ({"conforme": False}, "conforme_reason"),
    ({"conforme": False, "conforme_reason": "   "}, "conforme_reason"),
    ({"trial_proposed": True}, "trial_name"),
    ({"tnm": "stade IV"}, "tnm"),
    ({"ecog": 5}, "ecog"),
    ({"patient_informed": "maybe"}, "patient_informed"),
])
def test_rcp_fields_are_refused_under_their_own_name(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        DecisionIn.model_validate(data)
    assert err.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize("tnm", ["cT2aN2M1c", "pT1b N0 M0", "ypT0N0M0", "cTxNxM1b", "T4 N3 M1c",
                                 "cT1a(m)N0M0"])
def test_tnm_as_boards_write_it_is_accepted(tnm: str) -> None:
    assert DecisionIn(tnm=tnm).tnm == tnm


@pytest.mark.parametrize(("birth", "year", "date"), [("1951-03-04", 1951, dt.date(1951, 3, 4)),
                                                ("1951-03", 1951, None), ("1951", 1951, None)])
def test_fhir_birth_date_lands_in_the_cases_identity(birth: str, year: int, date: dt.date | None) -> None:
    from bonemet.fhir.from_case import case_to_bundle
    from bonemet.fhir.to_case import case_from_fhir

    patient = {"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": birth}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}
    case = case_from_fhir(bundle, context={"phase": "staging"}).case
    assert (case.patient.birth_year, case.patient.birth_date) == (year, date)
    # Written back, the full date goes out as FHIR's birthDate (not only the year).
    out = case_to_bundle(case)
    written = next(e["resource"] for e in out["entry"] if e["resource"]["resourceType"] == "Patient")
    assert written["birthDate"] == birth[:10] if date else written["birthDate"] == str(year)


def test_a_birth_date_contradicting_the_year_is_kept_and_flagged() -> None:
    ok = Patient(label="M. D.", birth_year=1951, birth_date=dt.date(1951, 3, 4), hospital_id="IPP-0042")
    assert not ok.birth_year_contradiction()
    odd = Patient(birth_year=1950, birth_date=dt.date(1951, 3, 4))
    assert odd.birth_year_contradiction() and odd.birth_year == 1950  # kept as entered

