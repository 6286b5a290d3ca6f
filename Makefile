# Each target builds .venv from nothing when needed; the stamp makes it fast afterwards.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck golden bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/bonemet demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/python -m pytest

golden: $(STAMP)
	$(BIN)/python scripts/update_golden.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_assess.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
