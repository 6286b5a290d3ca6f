"""Documents and figures built from a case and its assessment (MDT summary, skeleton map, timeline…)."""
