# PanDA DB: the two commands are `make run` and `make test`.
# Both install what they need: Debian's PostgreSQL 15 with pg_partman and pg_cron, and a .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_LIB := /usr/lib/postgresql/15/lib
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint postgres venv plsql-parser clean-test

run: postgres venv
	$(BIN)/pandadb run

test: postgres venv plsql-parser lint
	$(BIN)/pytest $(PYTEST_ARGS)

# ruff (lint and format, configured in pyproject.toml) and mypy (pandadb, services): part of `make test`
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Debian's PostgreSQL 15 with the two extensions PanDA's PostgreSQL deployment uses, and ora2pg
# (the Oracle -> PostgreSQL conversion, `pandadb ora2pg`; offline use needs no Oracle client) with
# orafce, the Oracle packages its output targets (only the scratch database of `ora2pg check --procedures`)
postgres:
	@if [ ! -x /usr/lib/postgresql/15/bin/pg_ctl ] || [ ! -f $(PG_LIB)/pg_cron.so ] || [ ! -f $(PG_LIB)/pg_partman_bgw.so ] || [ ! -f $(PG_LIB)/orafce.so ] || ! command -v ora2pg >/dev/null; then \
		echo "installing postgresql-15, postgresql-15-partman, postgresql-15-cron, postgresql-15-orafce, ora2pg"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql-15 postgresql-15-partman postgresql-15-cron postgresql-15-orafce postgresql-client-15 ora2pg >/dev/null; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

# the PL/SQL parser of tests/test_plsql_parse.py (npm antlr4ts-sql, ANTLR grammars-v4 PlSql; Node 20)
plsql-parser: tests/plsql_parser/node_modules/.package-lock.json

tests/plsql_parser/node_modules/.package-lock.json: tests/plsql_parser/package-lock.json
	cd tests/plsql_parser && npm ci --no-audit --no-fund --silent

clean-test:
	rm -rf .pandadb-test
