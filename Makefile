# Every target creates .venv when it is missing, so a fresh clone needs one command.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench clean package package-smoke validate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_cold_start.py

# The Lambda artifacts template.yaml points at (build/lambda/), with their sizes.
package: $(STAMP)
	$(BIN)/python scripts/package.py

# The same artifacts for this machine (build/lambda-<arch>), imported by a local
# python3.12 without site-packages, judge a sample request as the dev environment does.
package-smoke: $(STAMP)
	$(BIN)/python scripts/package.py --smoke

# `sam build` runs these (BuildMethod: makefile) in a copy of each CodeUri, which
# `make package` has built: they only copy it to SAM's artifacts directory.
build-GuardFunction build-LintApiFunction build-FeedbackFunction build-NlpLayer:
	@test -n "$(ARTIFACTS_DIR)" || { echo "$@ is for sam build, which sets ARTIFACTS_DIR"; exit 2; }
	cp -R ./. "$(ARTIFACTS_DIR)/"

SAM_VENV := build/sam-venv
$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli

# `sam validate --lint` (SAM CLI in its own environment: its pins clash with moto's).
validate: $(SAM_VENV)/bin/sam
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
