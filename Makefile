# Every target that needs Python builds .venv first, so each works on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: help venv lint typecheck unit test demo webapp fuzz bench clean

help:
	@echo "make demo   - set up .venv and run the narrated demo on an embedded SQLite file"
	@echo "make test   - set up .venv, lint, type-check and run the whole test suite"
	@echo "make webapp - run the reference booking site (examples/webapp) on 127.0.0.1:8000"
	@echo "make fuzz   - run the property tests with the thorough hypothesis profile"
	@echo "make bench  - run the benchmarks in bench/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench
	$(BIN)/ruff format --check src tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy src tests/typing examples

unit: $(STAMP)
	$(BIN)/pytest --cov=clientcard --cov-report=term --cov-fail-under=90

test: lint typecheck unit

demo: $(STAMP)
	$(BIN)/python examples/salon_demo.py

webapp: $(STAMP)
	PYTHONPATH=examples $(BIN)/python -m webapp

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(BIN)/pytest -m "not slow" tests -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage htmlcov build dist
