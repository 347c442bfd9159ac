# Kopdes — the two commands: `make run` (set up and serve) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PORT

# make bench SCALE=small: for everyday use (about two minutes), the marketplace bench on 20,000
# listings on SQLite (PostgreSQL's pages and the flash sale only in the full run) and the
# monitoring bench on one province on both databases, briefly; the full suite runs at national
# scale
SCALE ?= national

.PHONY: run serve setup test test-fast lint format bench messages system-deps clean

## run: create .venv, install, migrate, load regions and demo data, serve on :$(PORT) with a worker
run: setup
	@echo "Kopdes on http://127.0.0.1:$(PORT)  (demo logins: README.md)"
	@DEBUG=$${DEBUG:-0} scripts/serve

serve:
	@DEBUG=$${DEBUG:-0} scripts/serve

setup: $(VENV)/.installed-run
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py load_regions
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py rebuild_rollups

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[test,dev]'
	@touch $@ $(VENV)/.installed-run

## system-deps: Debian packages the tests and benchmarks need (chromium for browser tests, wrk;
##              pango, harfbuzz and DejaVu fonts for the PDF reports made by WeasyPrint)
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do \
	  dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## test: install what the tests need and run the whole suite (DATABASE_URL/REDIS_URL pick the backends)
test: $(VENV)/.installed-test system-deps
	KOPDES_TESTING=1 $(BIN)/python -m pytest -q $(PYTEST_ARGS)

## test-fast: the suite without the browser tests
test-fast: $(VENV)/.installed-test
	KOPDES_TESTING=1 $(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS)

## lint: ruff (check and format), migrations in step with models, translations complete
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy kopdes config
	$(BIN)/python scripts/check_translations.py

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## messages: refresh the Indonesian and English catalogues and compile them
messages: $(VENV)/.installed-test system-deps
	cd kopdes && ../$(BIN)/python ../manage.py makemessages -l id -l en --no-obsolete --no-location
	cd kopdes && ../$(BIN)/python ../manage.py compilemessages -v0

## bench: load_regions, wrk against gunicorn (floor vs region pages), worker memory, fresh make run;
##        10,000-member XLSX import; coverage pages with a cooperative in all 83,762 villages
bench: $(VENV)/.installed-test system-deps
ifeq ($(SCALE),small)
	@rc=0; \
	BENCH_MARKET_SIZE=20000 BENCH_SKIP_PG=1 BENCH_DURATION=2 BENCH_WARMUP=1 BENCH_ROUNDS=1 BENCH_SEARCH_RUNS=5 \
		$(BIN)/python bench/market_bench.py | tee bench/results/market-small.txt; [ $${PIPESTATUS[0]} = 0 ] || rc=1; \
	$(BIN)/python bench/monitoring_bench.py --scale small | tee bench/results/monitoring-small.txt; [ $${PIPESTATUS[0]} = 0 ] || rc=1; \
	exit $$rc
else
	@rc=0; \
	$(BIN)/python bench/run.py || rc=1; \
	$(BIN)/python bench/import_bench.py | tee bench/results/import.txt || rc=1; \
	$(BIN)/python bench/coverage_bench.py | tee bench/results/coverage.txt || rc=1; \
	$(BIN)/python bench/products_bench.py | tee bench/results/products.txt || rc=1; \
	$(BIN)/python bench/market_bench.py | tee bench/results/market.txt; [ $${PIPESTATUS[0]} = 0 ] || rc=1; \
	$(BIN)/python bench/monitoring_bench.py --scale $(SCALE) | tee bench/results/monitoring.txt; [ $${PIPESTATUS[0]} = 0 ] || rc=1; \
	exit $$rc
endif

clean:
	rm -rf $(VENV) var/static
