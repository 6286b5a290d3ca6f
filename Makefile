# Each target builds .venv from nothing when needed; the stamp makes it fast afterwards.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck golden bench clean chromium java oidc mcode mcode-validator

# Two stamps: `make run` installs what serving needs (RUN_STAMP); lint, test and the other targets
# add the test tools and the Spark engine (STAMP, about 1.5 GB). pip runs without -q: its progress shows.
RUN_STAMP := $(VENV)/.installed-run
HOST ?= 127.0.0.1
PORT ?= 8000

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || (echo "==> creating the virtual environment $(VENV)" && $(PY) -m venv $(VENV))
	@echo "==> installing bonemet with its test tools and Spark engine (extras dev, spark: about 1.5 GB)"
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -e '.[dev,spark]'
	touch $(STAMP) $(RUN_STAMP)

$(RUN_STAMP): pyproject.toml
	@test -x $(BIN)/python || (echo "==> creating the virtual environment $(VENV)" && $(PY) -m venv $(VENV))
	@echo "==> installing bonemet and what serving it needs (no test or Spark extras; make test adds them)"
	$(BIN)/python -m pip install --progress-bar on -e .
	touch $(RUN_STAMP)

# Local development server: no authentication, loopback only, demo cases in the store.
# Another port: make run PORT=8001 (HOST must stay a loopback address: --dev has no sign-in).
run: $(RUN_STAMP)
	$(BIN)/bonemet serve --dev --load-demo --db .bonemet-dev.sqlite3 --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

test: $(STAMP) lint chromium java oidc mcode mcode-validator
	$(BIN)/python -m pytest --durations=25

# The web app's browser tests drive Debian's chromium (never a browser download by Playwright).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The Spark engine of the cohort audit needs a JVM (17+); the base image has one, a bare machine may not.
java:
	@command -v java >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless)

# The login tests (tests/security) run a real OpenID Connect provider (npm oidc-provider) with Node.js,
# installed from the lock file into tests/security/oidc/node_modules; the stamp makes it run once.
OIDC := tests/security/oidc
oidc: $(OIDC)/node_modules/.installed

$(OIDC)/node_modules/.installed: $(OIDC)/package.json $(OIDC)/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	cd $(OIDC) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# HL7 mCODE STU4 (npm hl7.fhir.us.mcode 4.0.0, CC0): its profiles and HL7's own example resources,
# read by the mCODE tests (issue 26). Only the package's tarball is fetched (its FHIR core
# dependency is not on the npm registry); the shasum pins the exact file HL7 published.
MCODE := tests/fhir/mcode
MCODE_SHA := b1d877a4ef642106699c6431b1f6d9fb5c52ea97
mcode: $(MCODE)/package/.installed

$(MCODE)/package/.installed:
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	mkdir -p $(MCODE) && cd $(MCODE) && npm pack hl7.fhir.us.mcode@4.0.0 --silent >/dev/null \
	  && echo "$(MCODE_SHA)  hl7.fhir.us.mcode-4.0.0.tgz" | sha1sum -c --quiet \
	  && tar -xzf hl7.fhir.us.mcode-4.0.0.tgz && rm hl7.fhir.us.mcode-4.0.0.tgz
	touch $@

# The validator of bonemet's mCODE export (issue 26, tests/fhir/test_mcode_export.py): FHIR.js (npm
# `fhir`) and fhirpath.js (npm `fhirpath`) from the lock file, run by Node.js on the package above.
# HL7's own validator (a Java jar) is not on a registry this project's machines reach: docs/fhir.md.
MCODE_VALIDATOR := tests/fhir/mcode_validator
mcode-validator: mcode $(MCODE_VALIDATOR)/node_modules/.installed

$(MCODE_VALIDATOR)/node_modules/.installed: $(MCODE_VALIDATOR)/package.json $(MCODE_VALIDATOR)/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	cd $(MCODE_VALIDATOR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

golden: $(STAMP)
	$(BIN)/python scripts/update_golden.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_assess.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
