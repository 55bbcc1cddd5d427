# Baokao: `make run` starts the whole platform (embedded mode); `make test` runs every test tier.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PACKAGES := chromium fonts-noto-cjk fonts-wqy-zenhei poppler-utils zbar-tools
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
PYTEST_WORKERS ?= 2

.PHONY: run test deps system-deps lint up down status asyncapi bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

deps: $(STAMP)  ## Python dependencies, pinned, into .venv

system-deps:  ## Debian packages: Chromium for browser tests, CJK fonts for PDFs, poppler for checks
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

run: deps  ## The whole platform on http://127.0.0.1:8000 (SQLite, in-process bus, demo data)
	@-$(MAKE) --no-print-directory system-deps >/dev/null 2>&1 || echo "(fonts not installed: PDFs use a built-in CJK font)"
	$(BIN)/python -m deploy.embedded

lint: deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: deps system-deps lint  ## Every tier: unit, service, contract, integration, end to end, browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

up: deps  ## Production mode on this machine: gunicorn per service, workers, RabbitMQ, PostgreSQL
	$(BIN)/python -m deploy.supervisor up

down:
	$(BIN)/python -m deploy.supervisor down

status:
	$(BIN)/python -m deploy.supervisor status

asyncapi: deps  ## Write the AsyncAPI document of every event to docs/asyncapi.json
	@mkdir -p docs
	$(BIN)/python -m services.common.asyncapi > docs/asyncapi.json
	@echo "wrote docs/asyncapi.json"

BENCHMARKS ?= outbox_relay identity seat_allocation reconciliation certificates opening_day

bench: deps  ## Benchmarks (measurements, not tests); results in bench/results/
	@for b in $(BENCHMARKS); do echo "== bench.$$b"; $(BIN)/python -m bench.$$b || exit 1; done

clean:
	rm -rf var .pytest_cache
