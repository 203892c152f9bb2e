# Shortcuts for the README's two commands (which need only Python: no make required).
PYTHON ?= python3

.PHONY: up test lint bench clean

up:
	$(PYTHON) -m shared.bootstrap up

test:
	$(PYTHON) -m shared.bootstrap test $(PYTEST_ARGS)

# The pinned ruff and mypy of the test extra (the bootstrap installs them into .venv).
lint:
	$(PYTHON) -m shared.bootstrap test --version >/dev/null
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .
	.venv/bin/mypy

bench:
	$(PYTHON) -m shared.bootstrap test --version >/dev/null
	.venv/bin/python -m pip install --quiet -e '.[bench]'
	.venv/bin/python -m bench

clean:
	rm -rf .venv .pgdata .pgdata-test
