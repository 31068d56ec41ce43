# Two commands do all the set-up on a fresh machine (Python 3.11+ and make are all it needs):
#   make demo   generate the demo-scale sample feeds and run the whole pipeline on DuckDB
#   make test   run the test suite
# uv (the package manager) is the one on PATH, else a private copy in .tools/ (git-ignored): a virtual
# environment made here by python3 -m venv, into which pip installs uv's wheel for this OS and architecture
# (Linux or macOS, x86-64 or arm64). Dependencies come from uv.lock, so every machine gets the same versions.

TOOLS_UV := .tools/bin/uv
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS_UV))
RUN := $(UV) run --frozen --all-extras

.PHONY: attack demo demo-small run serve test test-fast test-slow test-superset dbt-unit-tests lint bench dagster-dev contracts reference sync clean uv

# Not a file rule: a .tools/ left by another machine (another OS or architecture, a Python that is gone)
# exists but does not run, so uv is checked by running it, and .tools/ made afresh when it does not.
uv:
ifeq ($(UV),$(TOOLS_UV))
	@$(TOOLS_UV) --version >/dev/null 2>&1 || { \
		rm -rf .tools && python3 -m venv .tools && \
		.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1" && \
		$(TOOLS_UV) --version; }
endif

# --compile-bytecode: every tw/dbt/GX process imports thousands of modules; without .pyc files (a read-only
# venv, or PYTHONDONTWRITEBYTECODE=1 as on our CI machines) each one recompiles them: 5-10 s per process
# (docs/performance.md). Up-to-date files are skipped, so a repeated sync costs half a second.
sync: uv
	$(UV) sync --frozen --all-extras --compile-bytecode

demo: sync
	TW_DEMO=1 $(RUN) tw demo --scale demo

demo-small: sync
	TW_DEMO=1 $(RUN) tw demo --scale small

# the LP adversary of docs/disclosure.md against a release (RELEASE=…; default the current one)
attack: sync
	$(RUN) tw attack $(RELEASE)

run: sync
	$(RUN) tw run

# the SQL endpoint: PostgreSQL over TLS on 127.0.0.1:5433 (docs/sql-endpoint.md). On a fresh clone it builds the
# demo release first; TW_DEMO=1 adds the demo analyst (analyst/analyst) — sample data only.
serve: sync
	@test -e "$${TW_HOME:-var}/releases/current" || TW_DEMO=1 $(RUN) tw demo --scale demo
	TW_DEMO=1 $(RUN) tw serve

# two workers, one test file each at a time (the long end-to-end files run side by side); the slow tier
# (-m slow: Spark parity, the benchmark harness at S; minutes each, a concern of their own) is left out
test: sync
	$(RUN) pytest -n 2 --dist loadfile -m "not slow"

# the slow tier: the same project on Apache Spark against DuckDB (docs/scale-out.md) and the benchmark harness's
# smoke run at scale S (five pipeline runs); CI runs it after `make test` (.ci/run)
test-slow: sync
	$(RUN) pytest -n 2 --dist loadfile -m slow

test-fast: sync
	$(RUN) pytest -m "not e2e"

# the dbt unit tests alone (a refresh leaves them out: docs/architecture.md); part of `make test` too
dbt-unit-tests: sync
	$(RUN) pytest -m "not slow" tests/e2e/test_dbt_unit_tests.py

# the Superset tier (tests/e2e/test_postgres_superset.py): Apache Superset in a virtualenv of its own (Superset's
# pins clash with ours), every version from tests/superset/requirements.txt; `uv pip sync` makes it exactly that
SUPERSET_VENV := build/superset/venv
test-superset: sync
	@$(SUPERSET_VENV)/bin/python --version >/dev/null 2>&1 || $(UV) venv --quiet --python 3.11 $(SUPERSET_VENV)
	$(UV) pip sync --quiet --python $(SUPERSET_VENV)/bin/python tests/superset/requirements.txt
	$(RUN) pytest -m superset tests/e2e/test_postgres_superset.py

# the benchmark harness: make bench SCALES="S M" (writes benchmarks/results/<date>T<time>Z-<scales>.md and .json, and rewrites the current figures in docs/performance.md)
SCALES ?= S
bench: sync
	$(RUN) python -m benchmarks.run $(foreach s,$(SCALES),--scale $(s))

# each step fails the target: lint rules, formatting, types, the package layering, SQL style
lint: sync
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports
	$(RUN) sqlfluff lint dbt_project

dagster-dev: sync
	TW_DEMO=1 $(RUN) dagster dev

contracts: sync
	$(RUN) tw contracts

reference: sync
	$(RUN) tw reference reference/raw

clean:
	rm -rf var data/inbox dbt_project/target dbt_project/logs build
