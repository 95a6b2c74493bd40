# glassgrad developer commands. Each job creates .venv on first use, installs what it
# needs into it (once: a stamp file in .venv remembers, until pyproject.toml changes),
# checks the Debian programs it needs (apt-get installs them when run as root), then runs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_DEPS := bash scripts/system-deps.sh
# Extra arguments for pytest, e.g.  make test PYTEST_ARGS="-m 'not browser'"
PYTEST_ARGS ?=

.PHONY: demo test bench clean system-deps-demo system-deps-test

# demo: run the demos (python -m demos); needs Graphviz 'dot' and the viz, plots and compare
# (torch, for the side-by-side gradients) extras, and notebook for the explorer in Jupyter.
demo: system-deps-demo $(VENV)/.stamp-demo
	$(BIN)/python -m demos

# test: lint (ruff), type-check (mypy), then the test suite (pytest); needs 'dot',
# chromium and chromedriver. pytest's exit 5 ("no tests collected") counts as success
# while tests/ is still empty; any other failure fails.
test: system-deps-test $(VENV)/.stamp-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "glassgrad: pytest collected no tests (exit 5), not a failure"; exit 0; fi; \
	exit $$status

# bench: compare against micrograd (python -m bench); installs the bench extra.
bench: $(VENV)/.stamp-bench
	$(BIN)/python -m bench

# clean: remove everything the targets made, .venv included (the next job rebuilds it).
clean:
	rm -rf $(VENV) build dist *.egg-info out .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Debian programs each job needs, checked on every run (cheap when present).
system-deps-demo:
	@$(SYSTEM_DEPS) graphviz

system-deps-test:
	@$(SYSTEM_DEPS) graphviz chromium chromium-driver

# The virtual environment itself (Debian's python3 needs python3-venv for this).
$(BIN)/python:
	@PYTHON=$(PYTHON) $(SYSTEM_DEPS) python3-venv
	$(PYTHON) -m venv $(VENV)

# One stamp per job: the project installed editable with that job's extras.
$(VENV)/.stamp-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[viz,plots,compare,notebook]'
	touch $@

$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test,notebook]'
	touch $@

$(VENV)/.stamp-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[bench]'
	touch $@
