# Every target that needs Python builds .venv first, so each works on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: help venv lint typecheck unit test docs locale notebooks demo webapp screenshots fuzz bench clean

help:
	@echo "make demo   - set up .venv-demo (clientcard[cli] only) and run the narrated demo"
	@echo "make test   - set up .venv, lint, type-check, run the whole test suite, build the docs"
	@echo "make docs   - build the documentation site into site/ (warnings are errors)"
	@echo "make locale - extract the texts to translate, update the it/nl catalogs, compile them"
	@echo "make notebooks - run the notebooks in examples/ and save their outputs"
	@echo "make webapp - run the reference booking site (examples/webapp) on 127.0.0.1:8000"
	@echo "make screenshots - retake the booking site's screenshots shown in the docs"
	@echo "make fuzz   - run the property tests with the thorough hypothesis profile"
	@echo "make bench  - run the benchmarks in bench/"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench tools
	$(BIN)/ruff format --check src tests examples bench tools

typecheck: $(STAMP)
	$(BIN)/mypy src tests/typing examples tools

unit: $(STAMP)
	$(BIN)/pytest --cov=clientcard --cov-report=term --cov-fail-under=90

test: lint typecheck unit docs

# Material for MkDocs prints a notice about its successor on every build; the variable
# it names turns the notice off. Warnings (broken links, bad docstrings) fail the build;
# --quiet would hide them from --strict, so the build talks.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# Texts are marked N_(context, english) in the library, _(english) in the CLI, and
# _N(english) where the CLI or click translates them later. The catalogs are committed,
# compiled ones included, so an install needs no Babel; the tests fail when they lag
# behind the source or miss a translation. A changed English text keeps its old
# translation as fuzzy (with the previous English beside it) for the translator to
# check; fuzzy texts are not compiled, so English shows until then. The template has no
# header, so a run that changes no text changes no file.
LOCALE_DIR = src/clientcard/locale
locale: $(STAMP)
	$(BIN)/pybabel extract --mapping-file babel.cfg --no-default-keywords \
	    --keywords 'N_:1c,2' --keywords _ --keywords _N --add-comments TRANSLATORS: \
	    --width 100 --omit-header --output-file $(LOCALE_DIR)/clientcard.pot src
	$(BIN)/pybabel update --input-file $(LOCALE_DIR)/clientcard.pot --output-dir $(LOCALE_DIR) \
	    --domain clientcard --width 100 --ignore-obsolete --previous \
	    --ignore-pot-creation-date
	$(BIN)/pybabel compile --directory $(LOCALE_DIR) --domain clientcard --statistics

# The tests run every notebook from scratch; this saves the outputs that GitHub shows.
notebooks: $(STAMP)
	$(BIN)/python -m tools.notebooks --write

# The demo needs only the command line's extra, so it gets a small environment of its
# own instead of the development stack of .venv.
DEMO_VENV  ?= .venv-demo
DEMO_STAMP  = $(DEMO_VENV)/.installed

$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DEMO_VENV)/bin/python -m pip install --quiet -e '.[cli]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(DEMO_VENV)/bin/python examples/salon_demo.py

webapp: $(STAMP)
	PYTHONPATH=examples $(BIN)/python -m webapp

# The booking site's browser test, writing its screenshots where the docs show them.
screenshots: $(STAMP)
	CLIENTCARD_REQUIRE_BROWSER=1 CLIENTCARD_SCREENSHOTS=docs/img/webapp \
	    $(BIN)/pytest -q -p no:cacheprovider tests/webapp/test_browser.py

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=thorough $(BIN)/pytest -m "not slow" tests -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(DEMO_VENV) site .mypy_cache .pytest_cache .ruff_cache .coverage htmlcov build dist
