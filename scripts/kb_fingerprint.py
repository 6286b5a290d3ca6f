"""Check, or record, the fingerprint of each knowledge body for its current version.

    .venv/bin/python scripts/kb_fingerprint.py           # check: exit 1 when data changed unversioned
    .venv/bin/python scripts/kb_fingerprint.py --update  # record the current versions' fingerprints

--update records a NEW version only: a version already recorded with another fingerprint is
refused, because a released version must keep meaning the data it was released with (bump the
version in kb.yaml or valuesets.yaml first, and add a CHANGELOG.md entry).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bonemet.kb.fingerprint import FINGERPRINTS, bodies, check, fingerprint, recorded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--update", action="store_true", help="record the current versions")
    parser.add_argument("--record", type=Path, default=FINGERPRINTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    record = recorded(args.record)
    failed = False
    for body in bodies():
        problem = check(body, record)
        if problem is None:
            print(f"{body.name} {body.version}: fingerprint matches")
            continue
        known = record.get(body.name, {}).get(body.version)
        if args.update and known is None:
            record.setdefault(body.name, {})[body.version] = fingerprint(body)
            print(f"{body.name} {body.version}: recorded {record[body.name][body.version][:12]}")
            continue
        if args.update:
            problem += " (--update never rewrites a recorded version)"
        print(problem, file=sys.stderr)
        failed = True
    if args.update:
        args.record.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
