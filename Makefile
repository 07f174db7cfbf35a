# Two commands do everything (see README.md):
#   make demo   set up .venv and run the demo plan against the bundled emulator
#   make test   set up .venv and run the project's own tests
# Both create the virtual environment on first use; Python 3.11+ is required.

PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-stamp
STAMP   := $(VENV)/.installed-stamp

.PHONY: demo test bench lint clean mutate

# The suite alone (what a user installs): pytest, pytest-xdist, requests, pytest-html.
$(RUNTIME): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

# The suite and the development tools (the "dev" extra: hypothesis, mypy, ruff...).
$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The demo does not load a dev tool's pytest plugin even when the dev extra is installed:
# every xdist worker would pay for it at exit.
demo: $(RUNTIME)
	$(BIN)/pytest -n auto -p no:hypothesispytest

# Six workers on two cores: the end-to-end tests mostly wait (docs/development.md);
# work stealing keeps them busy to the end.
test: $(STAMP)
	$(BIN)/pytest tests -n 6 --dist worksteal

bench: $(STAMP)
	$(BIN)/python bench/history.py
	$(BIN)/python bench/live.py
	$(BIN)/python bench/run.py

# Mutation testing of the modules that hold the rules (docs/testing.md): minutes, so not part
# of `make test` or CI. One module: make mutate MODULE=history/bands (make mutate MODULE=list
# lists them).
mutate: $(STAMP)
	$(BIN)/python tests/mutation.py $(if $(filter list,$(MODULE)),--list,$(MODULE))

lint: $(STAMP)
	$(BIN)/ruff check src tests test_phases bench conftest.py
	$(BIN)/ruff format --check src tests test_phases bench conftest.py
	$(BIN)/mypy
	for f in tests/*/conftest.py; do $(BIN)/mypy $$f || exit 1; done

clean:
	rm -rf $(VENV) reports/*.html reports/*.xml reports/*.json reports/*.png
