# Each target sets up its own virtual environment, so both work on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: sandbox test lint bench clean i18n

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

sandbox: $(STAMP)
	$(BIN)/bulletin-bot sandbox

# The chat text: .po -> .mo, then what is incomplete.
i18n: $(STAMP)
	$(BIN)/pybabel compile --domain bulletin --directory bulletin/locale --statistics
	$(BIN)/python -c "import sys; from bulletin.i18n import catalog_problems as p; print(*p(), sep='\n'); sys.exit(bool(p()))"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
