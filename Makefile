# gutwise: two commands on a fresh Debian machine with Python >= 3.11.
#   make run   set up, migrate the default SQLite database, load the synthetic demo if empty, serve on 127.0.0.1:8000
#   make test  set up with the test extras, install Debian's chromium if missing, run ruff and the whole pytest suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench chromium venv-tools

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gutwise needs Python 3.11 or newer")'
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/gutwise db upgrade
	$(BIN)/gutwise demo --if-empty
	$(BIN)/gutwise serve --host $(HOST) --port $(PORT)

chromium:
	@[ -x /usr/bin/chromium ] || { echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench

test: $(VENV)/.installed-test chromium lint
	$(BIN)/pytest

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e ".[test,bench]"
	@touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/diary_write.py
	$(BIN)/python bench/labs_import.py
	$(BIN)/python bench/microbiome.py
	$(BIN)/python bench/nof1.py
	$(BIN)/python bench/cohort.py
	$(BIN)/python bench/fhir.py
