"""One error model: one tree (drawn in bonemet.errors), exported from bonemet, every error carrying its
problems, mapped once to the terminal (exit 2), to HTTP (4xx/5xx JSON) and to a FHIR OperationOutcome."""

from __future__ import annotations

import inspect

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient

import bonemet
from bonemet import errors
from bonemet.cli.options import fail
from bonemet.errors import (
    BonemetError,
    CalculationError,
    ConfigurationError,
    FhirMappingError,
    InputError,
    KnowledgeBaseError,
    OptionError,
    Problem,
    ScoreInputError,
)

CLASSES = [obj for name, obj in vars(errors).items()
           if inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == errors.__name__]


def test_every_error_is_in_the_tree_drawn_in_the_docstring_and_exported() -> None:
    doc = errors.__doc__ or ""
    for cls in CLASSES:
        assert issubclass(cls, BonemetError), cls
        assert cls.__name__ in doc, f"{cls.__name__} is missing from the tree in bonemet.errors"
        assert getattr(bonemet, cls.__name__) is cls
        assert cls.__name__ in bonemet.__all__
    assert bonemet.Problem is Problem


@pytest.mark.parametrize(("old", "name"), [
    ("bonemet.api", "InputError"), ("bonemet.api", "Problem"), ("bonemet.api", "problems_from"),
    ("bonemet.kb", "KnowledgeBaseError"), ("bonemet.kb.performance", "PerformanceTableError"),
    ("bonemet.fhir.valuesets", "ValueSetError"), ("bonemet.report.labels", "LabelsError"),
    ("bonemet.model.scores", "ScoreInputError"), ("bonemet.core.probability", "CalculationError"),
    ("bonemet.audit.definitions", "IndicatorDefsError"), ("bonemet.access.config", "SettingsError"),
    ("bonemet.http.serve", "ServeError"),
])
def test_old_import_paths_name_the_classes_of_the_tree(old: str, name: str) -> None:
    module = __import__(old, fromlist=[name])
    assert getattr(module, name) is getattr(errors, name)


def test_missing_inputs_is_a_score_input_error() -> None:
    from bonemet.model.scores import MissingInputsError

    assert issubclass(MissingInputsError, ScoreInputError)


# (error, expected str(), expected problems as text)
CASES = [
    (InputError([Problem("exams[0].date", "bad date")], "case.yaml"), "case.yaml: exams[0].date: bad date",
     ["exams[0].date: bad date"]),
    (KnowledgeBaseError(["rule NM-01: unknown statement 'X'", "duplicate rule id 'NM-02'"]),
     "inconsistent knowledge base:\n  - rule NM-01: unknown statement 'X'\n  - duplicate rule id 'NM-02'",
     ["rule NM-01: unknown statement 'X'", "duplicate rule id 'NM-02'"]),
    (ScoreInputError("mirels", ["site: missing"]), "mirels: site: missing", ["site: missing"]),
    (CalculationError("pretest", "must be a probability"), "pretest: must be a probability",
     ["pretest: must be a probability"]),
    (errors.LabelsError(["ui.x: needs en and fr"]),
     "invalid translation catalogue:\n  - ui.x: needs en and fr",
     ["ui.x: needs en and fr"]),
    (errors.ServeError("--dev binds to 127.0.0.1 only"), "--dev binds to 127.0.0.1 only",
     ["--dev binds to 127.0.0.1 only"]),
]


@pytest.mark.parametrize(("exc", "text", "problems"), CASES)
def test_every_error_carries_typed_problems_and_keeps_its_message(
        exc: BonemetError, text: str, problems: list[str]) -> None:
    assert str(exc) == text
    assert all(isinstance(p, Problem) for p in exc.problems)
    assert [str(p) for p in exc.problems] == problems
    assert isinstance(exc, ValueError)  # callers that caught ValueError still do


def test_a_problem_reads_like_the_sentence_it_replaced() -> None:
    p = Problem("", "statement F20: unknown reference 151")
    assert "unknown reference" in p and "nothing" not in p
    assert errors.as_problems("one sentence") == [Problem("", "one sentence")]


@pytest.mark.parametrize(("exc", "stderr"), [
    (InputError([Problem("--output", "use .svg or .png")], "x.yaml"),
     "error: invalid input x.yaml\n  - --output: use .svg or .png\n"),
    (KnowledgeBaseError(["a", "b"]), "error: knowledge base refused\n  - a\n  - b\n"),
    (ScoreInputError("sins", ["pain: missing"]), "error: invalid input for sins\n  - pain: missing\n"),
    (OptionError([Problem("--pretest", "not a number")]), "error: --pretest: not a number\n"),
    (ConfigurationError("BONEMET_AUTH: required"), "error: BONEMET_AUTH: required\n"),
    (KeyError("unknown rule 'NM-99'"), "error: unknown rule 'NM-99'\n"),
])
def test_the_command_line_maps_every_error_once_to_exit_2(
        exc: BonemetError | KeyError, stderr: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as info:
        fail(exc)
    assert info.value.exit_code == 2
    assert capsys.readouterr().err == stderr


def _app() -> TestClient:
    from bonemet.service.errors import install

    app = FastAPI()
    install(app)

    @app.get("/api/fail")
    def api_fail() -> None:
        raise FhirMappingError([Problem("Patient/1.birthDate", "not a date")])

    @app.get("/api/kb")
    def api_kb() -> None:
        raise KnowledgeBaseError(["rule NM-01: unknown statement 'X'"])

    @app.post("/cds-services/fail")
    def cds_fail() -> None:
        raise InputError([Problem("context.draftOrders", "missing")])

    return TestClient(app, raise_server_exceptions=False)


def test_http_maps_input_errors_to_422_with_every_problem() -> None:
    response = _app().get("/api/fail")
    assert response.status_code == 422
    assert response.json() == {"error": "invalid input", "problems": [
        {"field": "Patient/1.birthDate", "message": "not a date"}]}


def test_http_maps_a_refused_knowledge_base_to_a_logged_500_without_internals(
        caplog: pytest.LogCaptureFixture) -> None:
    response = _app().get("/api/kb")
    assert response.status_code == 500
    generic = {"field": "", "message": "internal error; the incident was logged"}
    assert response.json()["problems"] == [generic]
    assert "KnowledgeBaseError" in caplog.text and "NM-01" not in response.text


def test_fhir_speaking_routes_answer_an_operation_outcome() -> None:
    response = _app().post("/cds-services/fail")
    assert response.status_code == 422
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "context.draftOrders" in str(body["issue"])
