# Two commands do all the set-up on a fresh machine (Python 3.11+ and make are all it needs):
#   make demo   generate the demo-scale sample feeds and run the whole pipeline on DuckDB
#   make test   run the test suite
# uv (the package manager) is installed into .tools/ if it is not on PATH; dependencies come
# from uv.lock, so every machine gets the same versions.

UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen --all-extras

.PHONY: demo demo-small run serve test test-fast lint bench dagster-dev contracts reference sync clean

$(UV):
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet "uv>=0.5"

# --compile-bytecode: every tw/dbt/GX process imports thousands of modules; without .pyc files (a read-only
# venv, or PYTHONDONTWRITEBYTECODE=1 as on our CI machines) each one recompiles them: 5-10 s per process
# (docs/performance.md). Up-to-date files are skipped, so a repeated sync costs half a second.
sync: $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode

demo: sync
	TW_DEMO=1 $(RUN) tw demo --scale demo

demo-small: sync
	TW_DEMO=1 $(RUN) tw demo --scale small

run: sync
	$(RUN) tw run

# the SQL endpoint: PostgreSQL over TLS on 127.0.0.1:5433 (docs/sql-endpoint.md). On a fresh clone it builds the
# demo release first; TW_DEMO=1 adds the demo analyst (analyst/analyst) — sample data only.
serve: sync
	@test -e "$${TW_HOME:-var}/releases/current" || TW_DEMO=1 $(RUN) tw demo --scale demo
	TW_DEMO=1 $(RUN) tw serve

# two workers, one test file each at a time (the long end-to-end files run side by side)
test: sync
	$(RUN) pytest -n 2 --dist loadfile

test-fast: sync
	$(RUN) pytest -m "not e2e"

# the benchmark harness: make bench SCALES="S M" (appends its table to docs/performance.md)
SCALES ?= S
bench: sync
	$(RUN) python -m benchmarks.run $(foreach s,$(SCALES),--scale $(s))

lint: sync
	$(RUN) ruff check .

dagster-dev: sync
	TW_DEMO=1 $(RUN) dagster dev

contracts: sync
	$(RUN) tw contracts

reference: sync
	$(RUN) tw reference reference/raw

clean:
	rm -rf var data/inbox dbt_project/target dbt_project/logs build
