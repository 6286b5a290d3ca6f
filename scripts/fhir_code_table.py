"""Write the code table of docs/fhir.md ("Code rows") from the value sets (fhir/valuesets.yaml).

    .venv/bin/python scripts/fhir_code_table.py           # rewrite the section in docs/fhir.md
    .venv/bin/python scripts/fhir_code_table.py --check   # exit 1 when the doc is not current

The section runs from its heading ("### Code rows (generated from valuesets.yaml version …)") to
the end of its table; the rest of the document is left as it is. tests/fhir/test_code_table_doc.py
runs --check, so a code added to valuesets.yaml without regenerating the doc fails the tests.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bonemet.fhir.valuesets import CodeRow, ValueSets, default_valuesets

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "fhir.md"
HEADING = "### Code rows (generated from valuesets.yaml version {version})"
_SECTION = re.compile(r"^### Code rows \(generated from valuesets\.yaml version [^)]*\)\n\n(?:\|.*\n)*",
                      re.MULTILINE)


def _origin(row: CodeRow) -> str:
    return f"unverified; source: {row.source}" if row.confidence == "U" else row.verified_by


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(valuesets: ValueSets) -> str:
    """The section: heading, blank line, the table (one row per code, in the file's order)."""
    lines = [HEADING.format(version=valuesets.version), "",
             "| group | concept | system | code | conf. | written | verified_by / source |",
             "|---|---|---|---|---|---|---|"]
    for group, concept, row in valuesets.rows():
        code = f"{row.code} (prefix)" if row.match == "prefix" else row.code
        cells = (group, concept.key, row.system, code, row.confidence, "yes" if row.emit else "no",
                 _origin(row))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def render(doc: str, valuesets: ValueSets) -> str:
    """`doc` with its code-row section replaced by the one the value sets give."""
    if len(_SECTION.findall(doc)) != 1:
        raise SystemExit(f"{DOC.name}: expected exactly one 'Code rows' section")
    return _SECTION.sub(lambda _: table(valuesets), doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/fhir.md is not current")
    args = parser.parse_args(argv)
    current = DOC.read_text(encoding="utf-8")
    wanted = render(current, default_valuesets())
    if args.check:
        if wanted != current:
            print(f"{DOC.relative_to(ROOT)} is not current: run scripts/fhir_code_table.py", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        DOC.write_text(wanted, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
