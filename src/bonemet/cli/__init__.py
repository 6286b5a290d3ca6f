"""Command line: `bonemet …`, one module per command group, each a thin mirror of the Python API.

    assess.py       assess, demo, schema   bonemet.api.assess, bonemet.model.schema
    plan.py         plan                   bonemet.api.bone_plan (the bone plan, docs/plan.md)
    kb.py           kb list|rule|statement|ref   bonemet.kb
    score.py        score …                bonemet.scores.<score>.score
    probability.py  probability            bonemet.core.probability.calculate
    report.py       timeline, report       bonemet.report.timeline, bonemet.report.summary
    fhir.py         fhir export            bonemet.fhir.case_to_bundle (and FHIR input for assess)
    audit.py        synth, audit           bonemet.audit.synth.write_cohort, bonemet.audit.run.run_audit
    serve.py        serve                  bonemet.http.serve.serve
    store.py        backup, restore        bonemet.stores.backup.backup, .restore
    options.py      --format/--lang, stdout, and `fail`: bonemet.errors to `error: …` and exit 2
    render.py, render_scores.py   terminal rendering (Rich) of assessments, kb items and scores

Bad input exits with code 2 and one line per problem; nothing is printed as a traceback.
"""

from __future__ import annotations

import typer

from bonemet.cli import assess, audit, fhir, kb, plan, probability, report, score, serve, store
from bonemet.cli.options import file_errors

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Decision support for bone metastases of lung cancer (not a medical device).")
app.add_typer(kb.app, name="kb")
app.add_typer(score.app, name="score")  # bonemet score … (tumour-board scores, docs/scores.md)
app.command("probability")(probability.probability_cmd)  # post-test probability (docs/probability.md)
app.add_typer(fhir.app, name="fhir")  # bonemet fhir export (docs/fhir.md)
app.command("synth")(file_errors(audit.synth_cmd))  # synthetic FHIR bulk cohort (docs/audit.md)
app.command("audit")(audit.audit_cmd)  # cohort audit, DuckDB or Spark (docs/audit.md)
app.command("assess")(assess.assess_cmd)
app.command("demo")(assess.demo_cmd)
app.command("plan")(plan.plan_cmd)  # the bone plan for the board (docs/plan.md)
app.command("timeline")(report.timeline_cmd)
app.command("report")(report.report_cmd)
app.command("schema")(assess.schema_cmd)
app.command("serve")(serve.serve_cmd)
app.command("backup")(store.backup_cmd)  # online backup of the store (docs/deploy.md)
app.command("restore")(store.restore_cmd)


def main() -> None:
    app()
