# Every target creates .venv when it is missing, so a fresh clone needs one command.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

# checkov pins its own boto3 and friends, so it lives in a venv of its own (CI: .ci/run).
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30

.PHONY: demo test lint bench clean checkov catalog

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml client/pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]" -e ./client
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet "checkov==$(CHECKOV_VERSION)"

# Every skip is in template.yaml (Metadata: checkov: skip:) with its reason.
checkov: $(CHECKOV_VENV)/bin/checkov
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet

bench: $(STAMP)
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_render.py
	$(BIN)/python scripts/bench_campaign.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) build *.egg-info .pytest_cache .ruff_cache

# The rule catalog snapshot (linters/data/catalog.json) and the README's rules table.
catalog: $(STAMP)
	$(BIN)/python -m linters.catalog
