"""Clinical scores of the bone-metastasis tumour board, computed from point tables kept as data.

One module per score (`bonemet.scores.mirels`, `sins`, `tokuhashi`, `tomita`, `frankel`, `asia`,
`bilsky`, `harrington`), each with a `score(...)` function taking enum inputs. Tables, bands, texts
and citations live in `bonemet/kb/data/scores/*.yaml` and are validated when the knowledge base
loads. This package initialiser stays import-free so that the case and assessment models can use
the result types without an import cycle.
"""
