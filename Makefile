# Two commands on a fresh machine with only Python: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint sandbox bench bench-ldap bench-broadcast clean slapd systemd-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP) $(STAMP_TEST)

run: $(STAMP)
	$(BIN)/entbot run

# The LDAP tests run a real slapd: installed here when missing (as root), or one line saying how.
slapd:
	@scripts/ensure-slapd.sh

# Four workers on two cores: the tests mostly wait on real servers and processes (a serial run uses a quarter of a core).
# The service's tests read the unit with systemd-analyze and run the bot under its system call filter.
systemd-tools:
	@scripts/ensure-systemd-tools.sh

test: $(STAMP_TEST) slapd systemd-tools
	$(BIN)/ruff check .
	$(BIN)/lint-imports  # the layers and no import cycles (pyproject.toml, [tool.importlinter])
	$(BIN)/mypy
	$(BIN)/mypy bench/*.py  # scripts that import their siblings by name: checked as files
	$(BIN)/python -m pytest -q -n 4

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/mypy bench/*.py

sandbox: $(STAMP)
	$(BIN)/python -m sandbox --port 8081

# The bot as deployed (`entbot run`), the sandbox and the families in three processes; about 6 minutes on 2 cores.
# Options after BENCH_ARGS=, e.g. make bench BENCH_ARGS="--duration 15 --fractions 0.5,0.8" (see --help).
BENCH_ARGS ?=

# Issue 16's figures in one run: the activation as deployed (about 6 minutes), then a notice to 1,000 families
# and its worst second at Telegram's side (about a minute).
bench: $(STAMP_TEST)
	$(BIN)/python bench/activation.py $(BENCH_ARGS)
	$(BIN)/python bench/broadcast.py --subscribers 1000 --no-ceiling

bench-ldap: $(STAMP_TEST) slapd
	$(BIN)/python bench/activation.py --directory ldap $(BENCH_ARGS)

bench-broadcast: $(STAMP_TEST)
	$(BIN)/python bench/broadcast.py

clean:
	rm -rf $(VENV) build *.egg-info
