# planwh: two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
# The national code history districts.csv is built from (CC0; see raw/reference/README.md)
GB2260 ?= ../shared/reference/gb2260-history.csv
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev-distributed

.PHONY: run test test-fast dev lint fixtures bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# dev: test tools; distributed: the Celery executor test (tests/test_distributed.py), bench/run.py
$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,distributed]'
	touch $@ $(STAMP)

# `make run` and `make dev` share one Dagster instance: $DAGSTER_HOME, else dagster_home/
# (given its dagster.yaml when it has none), so the UI shows the runs `make run` made.
WITH_INSTANCE = DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/dagster_home} sh -c 'mkdir -p "$$DAGSTER_HOME" && \
	  if [ ! -f "$$DAGSTER_HOME/dagster.yaml" ]; then cp $(CURDIR)/dagster_home/dagster.yaml "$$DAGSTER_HOME/" && \
	    echo "make: $$DAGSTER_HOME had no dagster.yaml; copied dagster_home/dagster.yaml (warehouse pool limit 1)"; fi && \
	  exec "$$@"' make

run: $(STAMP)  ## run the whole pipeline over raw/ into data/warehouse.duckdb (recorded in the Dagster instance)
	$(WITH_INSTANCE) $(BIN)/planwh run

test: $(DEVSTAMP)  ## run the whole test suite (CI calls this)
	$(BIN)/ruff check .
	$(BIN)/pytest

test-fast: $(DEVSTAMP)  ## the pure tiers only (no PostgreSQL, Dagster, GX or CLI subprocess, nothing slow), on every core: under a minute
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not pg and not e2e and not slow" -n auto -q

dev: $(STAMP)  ## start the Dagster UI on http://127.0.0.1:3000 (the instance `make run` records in)
	$(WITH_INSTANCE) $(BIN)/dagster dev -h 127.0.0.1 -p 3000

lint: $(DEVSTAMP)
	$(BIN)/ruff check .

fixtures: $(DEVSTAMP)  ## regenerate raw/ samples and tests/fixtures (reportlab PDFs need fonts-wqy-zenhei to be byte-identical)
	@if [ -f "$(GB2260)" ]; then $(BIN)/python tools/make_reference.py "$(GB2260)"; \
	else echo "skipped districts.csv: GB/T 2260 history not found at $(GB2260) (make fixtures GB2260=path)"; fi
	$(BIN)/python tools/make_sample_stats.py
	$(BIN)/python tools/make_seed_plan.py
	$(BIN)/python tools/make_plan_fixtures.py
	$(BIN)/python tools/make_stats_fixtures.py
	$(BIN)/python tools/make_hostile_fixtures.py
	$(BIN)/python tools/make_three_line_plan.py
	$(BIN)/python tools/make_office_plans.py
	$(BIN)/python tools/make_libreoffice_pdfs.py  # needs soffice (libreoffice-writer-nogui fonts-noto-cjk)

bench: $(DEVSTAMP)
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/stats.py
	$(BIN)/python bench/warehouse.py

clean:
	rm -rf $(VENV) data build *.egg-info
