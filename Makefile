# Everyday targets. `make demo` and `make test` are the two commands at the top of the README.
SHELL := /bin/bash
PY := .venv/bin/python
# Offline CDK (no telemetry, no version check, no Node end-of-life banner): the settings every run of
# the CLI gets, also outside make; and the CLI cache inside the project.
include emulator/offline-cdk.mk
export CDK_HOME := $(CURDIR)/.cdk-home
export SAGEMAKER_SUPPRESS_V2_WARNING := 1
CDK := npx --no-install cdk

.PHONY: setup synth lint format test test-unit test-infra test-integration demo deploy destroy bench clean emulator-start emulator-stop

setup: .venv/.installed node_modules/.installed

.venv/.installed: requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	$(CDK) synth --quiet

# The main job on the local default: deploy into the emulator with the real CDK CLI and train end to end.
demo: setup
	$(PY) -m emulator.demo

# The lint gate (settings in pyproject.toml): formatting, lint rules with a complexity bound, types.
lint: setup
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .
	.venv/bin/mypy

# Rewrites the code as the lint gate's formatter wants it, and applies the linter's safe fixes.
format: setup
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

# The lint gate, everything but the emulator's tests on both cores, then the integration tests, which
# share one emulator and one deployment per session and so run in a single process.
test: lint
	$(PY) -m pytest -n 2 --ignore=tests/integration
	$(PY) -m pytest tests/integration

test-unit: setup
	$(PY) -m pytest tests/unit

test-infra: setup
	$(PY) -m pytest tests/infrastructure

test-integration: setup
	$(PY) -m pytest tests/integration

deploy: setup
	$(CDK) deploy --all

destroy: setup
	$(CDK) destroy --all

# The local AWS (moto server + adapters) on EMULATOR_PORT (default 5000); pid and log in .emulator/.
EMULATOR_PORT ?= 5000
emulator-start: setup
	$(PY) -m emulator start --port $(EMULATOR_PORT)

emulator-stop:
	$(PY) -m emulator stop --port $(EMULATOR_PORT)

bench: setup
	$(PY) -m bench

clean:
	rm -rf cdk.out .pytest_cache .hypothesis .mypy_cache .ruff_cache
