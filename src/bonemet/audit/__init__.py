"""Cohort audit: guideline adherence over FHIR bulk data (NDJSON), one patient at a time through the
same core as `bonemet assess`, aggregated in DuckDB (default) or Spark. docs/audit.md.

    indicators.patient_indicators(case, kb, definitions)  # pure: one patient → memberships
    synth.write_cohort(directory, patients, seed)          # synthetic cohort with ground truth
    run.run_audit(directory, out, engine="duckdb")         # the whole audit, written atomically
"""
