# dlmath — the commands the README names. Each creates or reuses .venv/ and installs what it needs.
#   make lab    build the student edition of every chapter into workspace/ and start JupyterLab on it
#   make test   the whole test suite, on every core, with the 25 slowest tests listed at the end
#   make test-fast  the edit-test loop: everything but the slow tests (nbgrader, notebooks, Jupyter, the exchange)
#   make demo   for every graded chapter: release it, autograde a simulated class, print and check the table
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
LAB_ARGS ?=
WORKSPACE ?= workspace
# Jupyter refuses to run as root without --allow-root (containers, CI)
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root)
PYTEST_ARGS ?=

.PHONY: lab test test-fast demo fixtures progress clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dlmath needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(INSTALLED)

# releases into build/lab/ (never course/, the instructor's); chapters whose sources didn't change are not re-released;
# lab-config/ hides nbgrader's instructor and exchange panels from the learner's lab (Validate stays)
lab: $(INSTALLED)
	$(PY) -m grading workspace --into $(WORKSPACE)
	JUPYTER_CONFIG_PATH="$(CURDIR)/lab-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
		$(VENV)/bin/jupyter lab --ServerApp.root_dir=$(WORKSPACE) $(ROOT_ARGS) $(LAB_ARGS)

# one worker per core (2 on CI); tests that share a released chapter or a graded class stay in one worker
test: $(INSTALLED)
	$(PY) -m pytest -n auto --dist loadgroup --durations=25 $(PYTEST_ARGS)

# minutes, not the whole suite: run `make test` (or the module you touched) before you push
test-fast: $(INSTALLED)
	$(PY) -m pytest -n auto --dist loadgroup -m "not slow" --durations=10 $(PYTEST_ARGS)

demo: $(INSTALLED)
	$(PY) -m grading demo

fixtures: $(INSTALLED)
	$(PY) -m grading fixtures

progress: $(INSTALLED)
	$(PY) -m grading progress --into $(WORKSPACE)

# build/ only: course/ holds a class's grades and workspace/ a learner's work
clean:
	rm -rf build
