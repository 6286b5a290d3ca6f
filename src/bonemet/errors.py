"""Every refusal bonemet raises on purpose, in one tree; each error carries every problem it found.

    BonemetError                    root: `except bonemet.BonemetError` catches every refusal
    ├── InputError                  a case, a document or an option refused; `source` names the file
    │   ├── OptionError             one command-line option value (the problem names the option)
    │   ├── CalculationError        test-performance calculator input (pretest, prior, test, source)
    │   ├── ScoreInputError         inputs a tumour-board score cannot use (`score` names it)
    │   │   └── MissingInputsError  inputs it needs were not given (bonemet.model.scores)
    │   ├── FhirMappingError        FHIR resources that cannot become a case
    │   └── AuditInputError         a bulk-export directory or line the cohort audit refuses
    ├── KnowledgeBaseError          shipped data refused at load time, every problem listed
    │   ├── PerformanceTableError   kb/data/performance.yaml
    │   ├── ValueSetError           fhir/valuesets.yaml
    │   ├── LabelsError             the interface catalogue (bonemet/locale/*.po)
    │   └── IndicatorDefsError      kb/data/audit/indicators.yaml
    └── ConfigurationError          how bonemet is run: a BONEMET_* variable (SettingsError),
                                    a `bonemet serve` combination (ServeError), a store file
                                    `bonemet backup`/`restore` cannot use (BackupError)

Each adapter maps the tree once: the command line prints `error: …` and one line per problem and
exits 2 (`bonemet.cli.options.fail`); the HTTP service answers 422 with `{"error", "problems":
[{"field", "message"}]}` for input, or a FHIR OperationOutcome where FHIR is spoken, and a logged 500
without internals for the rest (`bonemet.service.errors`). The transport's own signals (authentication, CSRF,
body size, edit conflicts, uploads) stay with the service and web adapters: they refuse a request,
not bonemet data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from bonemet.base.fields import FieldErrors, join_path


@dataclass(frozen=True)
class Problem:
    """One reason an input was refused: where (a dotted path such as `exams[0].date`) and why."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def __contains__(self, text: str) -> bool:
        """`"unknown reference" in problem`: whether its sentence says so (as for a plain string)."""
        return text in str(self)


def as_problems(items: Iterable[Problem | str]) -> list[Problem]:
    """Problems from problems or from sentences that already name their place ("rule NM-01: …")."""
    if isinstance(items, str):  # one sentence, not its characters
        items = [items]
    return [p if isinstance(p, Problem) else Problem("", p) for p in items]


def problems_from(exc: ValidationError) -> list[Problem]:
    """A pydantic error as problems whose fields are paths (`exams[0].date`), enum values listed."""
    out = []
    for err in exc.errors():
        path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"])
        path = path.replace(".[", "[")
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, FieldErrors):
            out += [Problem(join_path(path, p.path), p.message) for p in cause.problems]
            continue
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] in ("enum", "literal_error") and "expected" in err.get("ctx", {}):
            message = f"{message} (got {err['input']!r})"
        out.append(Problem(path, message))
    return out


class BonemetError(ValueError):
    """Root of the tree: `problems` lists every reason, so the user can fix them in one go."""

    def __init__(self, problems: Iterable[Problem | str], source: str = "") -> None:
        self.problems = as_problems(problems)
        self.source = source
        super().__init__(self.describe())

    def describe(self) -> str:
        head = f"{self.source}: " if self.source else ""
        return head + "; ".join(str(p) for p in self.problems)

    @property
    def headline(self) -> str:
        """The first line of the command line's message (then one line per problem)."""
        return f"invalid input {self.source}".rstrip()


class InputError(BonemetError):
    """Bad input; carries every problem found so the user can fix them in one go."""


class OptionError(InputError):
    """A command-line option value refused: printed on one line, `error: --option: reason`."""

    @property
    def headline(self) -> str:
        return ""


class CalculationError(InputError):
    """Bad calculator input; `field` names the input (pretest, prior, test, source)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__([Problem(field, reason)])


class ScoreInputError(InputError):
    """Inputs a score cannot use; one problem per field, naming the allowed values."""

    def __init__(self, score: str, problems: Iterable[Problem | str]) -> None:
        self.score = score
        super().__init__(problems)

    def describe(self) -> str:
        return f"{self.score}: " + "; ".join(str(p) for p in self.problems)

    @property
    def headline(self) -> str:
        return f"invalid input for {self.score}"


class FhirMappingError(InputError):
    """FHIR resources that cannot become a case; each problem names the resource and its field."""


class AuditInputError(InputError):
    """A bulk-export directory or NDJSON line the cohort audit refuses (file and line named)."""


class KnowledgeBaseError(BonemetError):
    """The base on disk is inconsistent; `problems` lists every reason, not just the first."""

    what = "knowledge base"

    def describe(self) -> str:
        return f"inconsistent {self.what}:\n  - " + "\n  - ".join(str(p) for p in self.problems)

    @property
    def headline(self) -> str:
        return "knowledge base refused"


class PerformanceTableError(KnowledgeBaseError):
    """performance.yaml is inconsistent; `problems` lists every reason."""

    what = "performance table"


class ValueSetError(KnowledgeBaseError):
    """valuesets.yaml is inconsistent; `problems` lists every reason."""

    what = "FHIR value sets"


class LabelsError(KnowledgeBaseError):
    """The interface's translation catalogue is refused; every missing or invalid entry listed."""

    def describe(self) -> str:
        return "invalid translation catalogue:\n  - " + "\n  - ".join(str(p) for p in self.problems)


class IndicatorDefsError(KnowledgeBaseError):
    """The indicator file is refused: every reason, one per line."""

    def describe(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ConfigurationError(BonemetError):
    """How bonemet is run is refused (a setting, an option combination); the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__([message])

    @property
    def headline(self) -> str:
        return ""


class SettingsError(ConfigurationError):
    """A BONEMET_* variable is invalid; the message names it and says why."""


class ServeError(ConfigurationError):
    """The command line asks for something unsafe or impossible; the message says what."""


class BackupError(ConfigurationError):
    """A backup or a restore that cannot be done (a path, a file in use, a copy that fails its
    check); the message names the file and says why, and nothing was replaced."""


__all__ = [
    "AuditInputError",
    "BackupError",
    "BonemetError",
    "CalculationError",
    "ConfigurationError",
    "FhirMappingError",
    "IndicatorDefsError",
    "InputError",
    "KnowledgeBaseError",
    "LabelsError",
    "OptionError",
    "PerformanceTableError",
    "Problem",
    "ScoreInputError",
    "ServeError",
    "SettingsError",
    "ValueSetError",
    "as_problems",
    "problems_from",
]
