"""Fingerprints of the knowledge: a change of data without a change of version is caught.

Every output echoes the knowledge-base version so that a result can be traced to the base that
produced it. That only holds if the version changes whenever the data does. A fingerprint is the
sha256 of the canonical content of the files (parsed by the strict reader, texts filled with the
parameters they state by placeholder, and written back as JSON: comments, quoting, layout and
whether a parameter is typed or said by placeholder do not count; values, keys and their order do).
The fingerprint of each released version is recorded in `FINGERPRINTS` (written by scripts/kb_fingerprint.py
--update); `check` compares the files with that record.

Two bodies of knowledge carry their own version:
- `kb`: every file under kb/data (rules, statements, references, flare, performance, scores, audit
  indicators, CDS texts), versioned by `version` in kb/data/kb.yaml;
- `fhir_valuesets`: fhir/valuesets.yaml (the codes that decide what an EHR record is read as),
  versioned by its own `version`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bonemet.kb import strict_yaml, templates

FINGERPRINTS = Path(__file__).resolve().parent / "fingerprints.json"

UPDATE_HINT = (
    "bump `version` in {manifest}, add a CHANGELOG.md entry naming the rules and files the change "
    "affects, then run `.venv/bin/python scripts/kb_fingerprint.py --update`"
)


@dataclass(frozen=True)
class Body:
    """One versioned body of knowledge: where its files are and which file holds its version."""

    name: str
    root: Path
    files: tuple[Path, ...]
    manifest: Path

    @property
    def version(self) -> str:
        return str(strict_yaml.load_path(self.manifest)["version"])


def kb_body(directory: Path | None = None) -> Body:
    root = directory or Path(str(resources.files("bonemet.kb") / "data"))
    files = tuple(sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts))
    return Body("kb", root, files, root / "kb.yaml")


def valuesets_body(path: Path | None = None) -> Body:
    path = path or Path(str(resources.files("bonemet.fhir") / "valuesets.yaml"))
    return Body("fhir_valuesets", path.parent, (path,), path)


def bodies() -> tuple[Body, ...]:
    return kb_body(), valuesets_body()


def canonical(path: Path, name: str | None = None,
              values: dict[str, object] | None = None) -> bytes:
    """YAML as compact JSON in document order, its texts filled with the parameters they state
    (`values`, kb/templates.py: a parameter said by placeholder or typed reads the same, so only a
    change of what the base says changes the fingerprint); any other file as its bytes."""
    if path.suffix in (".yaml", ".yml"):
        data = strict_yaml.load_path(path)
        if values is not None:
            data = templates.fill_document(name or path.name, data, values)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return path.read_bytes()


def _values(body: Body) -> dict[str, object] | None:
    rules = body.root / "rules.yaml"
    if body.name != "kb" or not rules.is_file():
        return None
    return templates.knowledge_values(templates.rule_params_of(strict_yaml.load_path(rules).get("rules")))


def fingerprint(body: Body) -> str:
    digest = hashlib.sha256()
    values = _values(body)
    for path in body.files:
        name = path.relative_to(body.root).as_posix().encode()
        content = canonical(path, name.decode(), values)
        # Lengths frame each part, so that moving bytes from one file to the next changes the sum.
        digest.update(b"%d:%s%d:%s" % (len(name), name, len(content), content))
    return digest.hexdigest()


def recorded(path: Path = FINGERPRINTS) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def check(body: Body, record: dict[str, dict[str, str]]) -> str | None:
    """None when the files match the fingerprint recorded for their version; else what to do."""
    version, now = body.version, fingerprint(body)
    known = record.get(body.name, {}).get(version)
    hint = UPDATE_HINT.format(manifest=body.manifest.name)
    if known is None:
        return (f"{body.name}: version {version} has no recorded fingerprint (now {now[:12]}): "
                "add a CHANGELOG.md entry for it naming the rules and files the change affects, "
                "then run `.venv/bin/python scripts/kb_fingerprint.py --update`")
    if known != now:
        return (f"{body.name}: the data changed but the version is still {version} (recorded "
                f"fingerprint {known[:12]}, now {now[:12]}): {hint}")
    return None
