# Front door of the workbench. Every target creates .venv itself when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SPARK  := $(VENV)/.spark-installed
MONTH  ?=
DEMO   := data/demo
# The demo's last file: regenerated when it is missing or the generator changed (an older demo lacks files).
DEMO_DONE := $(DEMO)/assignments.csv
# Demo brand used by `make report`.
DEMO_MEMBERS ?= 20000

.PHONY: help install system test report demo bench lab lint format clean

help:
	@echo "make report   monthly reports on the demo data (reports/<month>/index.html)"
	@echo "make test     the test suite (sets everything up first)"
	@echo "make bench    benchmarks against reference implementations (benchmarks/README.md)"
	@echo "make lab      JupyterLab with the project's environment"
	@echo "make lint     ruff check + format check"

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@bash scripts/git-filters.sh $(BIN)/python
	@touch $(STAMP)

install: $(STAMP)

# The optional Spark engine (requirements-spark.lock): the test suite runs its Spark tests, so `make test` installs it.
$(SPARK): requirements-spark.lock | $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.lock
	@touch $(SPARK)

# System packages: CJK fonts (report plots), PostgreSQL (tests), Chromium (browser tests), Java (Spark tests).
system:
	@bash scripts/system-deps.sh

$(DEMO_DONE): $(wildcard src/workbench/data/demo*.py) | $(STAMP)
	$(BIN)/workbench demo --members $(DEMO_MEMBERS) --out $(DEMO)
	@touch $(DEMO_DONE)

demo: $(DEMO_DONE)

test: $(STAMP) $(SPARK) system $(DEMO_DONE)
	$(BIN)/python -m pytest

report: $(STAMP) system $(DEMO_DONE)
	$(BIN)/workbench report $(if $(MONTH),--month $(MONTH),) --params params --out reports

# bench_engines times local Spark (the Spark extra and Java, from `system`), bench_postgres a PostgreSQL server.
bench: $(STAMP) $(SPARK) system
	$(BIN)/python benchmarks/run_all.py

# The notebooks' default parameters read data/demo; MPLBACKEND (e.g. Agg) would hide every plot. `system`:
# the CJK fonts that setup() needs. Outputs Lab saves never reach git (scripts/git-filters.sh, from install).
lab: $(STAMP) system $(DEMO_DONE)
	@bash scripts/git-filters.sh $(BIN)/python
	env -u MPLBACKEND $(BIN)/jupyter lab --allow-root --notebook-dir=notebooks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) reports data/demo .pytest_cache
