# Every target creates .venv when it is missing, so a fresh clone needs one command.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

# checkov pins its own boto3 and friends, so it lives in a venv of its own (CI: .ci/run).
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30

.PHONY: demo test bench fuzz clean checkov parliament catalog package package-smoke validate browser train eval

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml client/pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]" -e ./client
	# The installed distribution keeps linters/ and functions/ under sendguard/_engine (see
	# setup.py); in this dev environment scripts and tests import them from the checkout.
	$(BIN)/python -c "import site, pathlib; pathlib.Path(site.getsitepackages()[0], 'sendguard-checkout.pth').write_text('$(CURDIR)\n')"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet "checkov==$(CHECKOV_VERSION)"

# Every skip is in template.yaml (Metadata: checkov: skip:) with its reason.
checkov: $(CHECKOV_VENV)/bin/checkov
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet

# parliament (an IAM policy linter) over every policy in policies/, in its own venv like
# checkov; any finding fails (CI: .ci/run).
PARLIAMENT_VENV := .venv-parliament
PARLIAMENT_VERSION := 1.6.4

$(PARLIAMENT_VENV)/bin/parliament:
	$(PYTHON) -m venv $(PARLIAMENT_VENV)
	$(PARLIAMENT_VENV)/bin/python -m pip install --quiet "parliament==$(PARLIAMENT_VERSION)"

parliament: $(PARLIAMENT_VENV)/bin/parliament
	$(PARLIAMENT_VENV)/bin/parliament --directory policies --include_policy_extension json --minimum_severity INFO

bench: $(STAMP)
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_render.py
	$(BIN)/python scripts/bench_campaign.py
	$(BIN)/python scripts/bench_cold_start.py
	$(BIN)/python scripts/bench_worst_case.py
	$(BIN)/python scripts/bench_preflight.py

# The Lambda artifacts template.yaml points at (build/lambda/), with their sizes.
package: $(STAMP)
	$(BIN)/python scripts/package.py

# The same artifacts for this machine (build/lambda-<arch>), imported by a local
# python3.12 without site-packages, judge a sample request as the dev environment does.
package-smoke: $(STAMP)
	$(BIN)/python scripts/package.py --smoke

# `sam build` runs these (BuildMethod: makefile) in a copy of each CodeUri, which
# `make package` has built: they only copy it to SAM's artifacts directory.
build-GuardFunction build-LintApiFunction build-FeedbackFunction build-NlpLayer \
		build-CampaignChunkFunction build-CampaignSummaryFunction build-ReviewFunction \
		build-UnsubscribeFunction build-ContactsFunction \
		build-OneClickUnsubscribeFunction build-InboundSmsFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "$@ is for sam build, which sets ARTIFACTS_DIR"; exit 2; }
	cp -R ./. "$(ARTIFACTS_DIR)/"

SAM_VENV := build/sam-venv
$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli

# `sam validate --lint` (SAM CLI in its own environment: its pins clash with moto's).
validate: $(SAM_VENV)/bin/sam
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1

# The review console's browser test (tests/test_review_console.py) drives Debian's
# chromium through chromium-driver; installed when missing (these machines run as root).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

# A long run of the property-based fuzz test (tests/test_fuzz.py); `make test` runs a few.
FUZZ_EXAMPLES ?= 20000
# And 2,000 hostile feedback invocations (tests/test_feedback_fuzz.py): none may raise.
FEEDBACK_FUZZ_EXAMPLES ?= 2000
fuzz: $(STAMP)
	SENDGUARD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py --hypothesis-show-statistics
	SENDGUARD_FUZZ_EXAMPLES=$(FEEDBACK_FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_feedback_fuzz.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(PARLIAMENT_VENV) build *.egg-info .pytest_cache .ruff_cache

# The rule catalog snapshot (linters/data/catalog.json) and the README's rules table.
catalog: $(STAMP)
	$(BIN)/python -m linters.catalog
	$(BIN)/python -c "from linters.recipient_classes import write_source_words; print('wrote', write_source_words())"

# The claim reader (linters/claim_reader.py): trained from training/claims/train/ into
# linters/data/claim_reader/ (fixed seed, data digest in its meta; a few minutes on 2
# cores), and measured on the held-out tenth and training/claims/eval/ (never trained on).
train: $(STAMP)
	$(BIN)/python scripts/train_claims.py

eval: $(STAMP)
	$(BIN)/python scripts/eval_claims.py
