# The two commands of the README: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A second virtualenv without the semantic extra: the suite must pass lexical-only too.
LEXICAL_VENV := .venv-lexical

.PHONY: run test test-lexical lint format bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs are stamped so repeated runs start at once; they re-run when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[semantic]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,semantic]'
	touch $@ $(VENV)/.installed

$(LEXICAL_VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(LEXICAL_VENV)
	$(LEXICAL_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LEXICAL_VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python -m bot

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict bot

test: lint
	$(BIN)/python -m pytest

test-lexical: $(LEXICAL_VENV)/.installed-test
	$(LEXICAL_VENV)/bin/python -m pytest

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

# The Docker image installs exactly these pins, each checked by hash. Refresh after changing the
# dependencies in pyproject.toml, and now and then for security releases.
LOCK_EXTRAS := --extra semantic --extra postgres --extra metrics
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet "pip-tools>=7.4"
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links $(LOCK_EXTRAS) \
		--output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) $(LEXICAL_VENV) .pytest_cache .ruff_cache
