# Two commands on a fresh machine with only Python: `make run` and `make test`.
# `make run` with no TELEGRAM_BOT_TOKEN (environment or .env) runs the demo: the real bot in a browser, without Telegram.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run demo demo-screenshot test lint sandbox bench bench-ldap bench-broadcast clean slapd systemd-tools chromium \
	catalogs catalogs-extract catalogs-update postgresql

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP) $(STAMP_TEST)

# The families' languages (i18n/): one gettext catalog per flow and language, French the source.
# `make catalogs` compiles each .po to its .mo (never edited by hand, not in git); run, test and the demo need them.
# After changing a family's text: `make catalogs-extract catalogs-update`, translate what is new, `make catalogs`.
LOCALES := i18n/locales
LANGS := en ar uk tr pt
DOMAINS := common language menu activation recovery helpdesk notices letters privacy directory school_actions form document
SOURCES_form := conversations/form_texts.py
SOURCES_document := render/texts.py
sources = $(or $(SOURCES_$(1)),conversations/texts/$(1).py)
PO := $(foreach l,$(LANGS),$(foreach d,$(DOMAINS),$(LOCALES)/$(l)/LC_MESSAGES/$(d).po))
MO := $(PO:.po=.mo)

$(LOCALES)/%.mo: $(LOCALES)/%.po | $(STAMP)
	@$(BIN)/pybabel compile --statistics -i $< -o $@ -l $(word 3,$(subst /, ,$@)) 2>&1 | grep -v "^compiling" || true
	@test -s $@

catalogs: $(MO)

catalogs-extract: $(STAMP)
	$(foreach d,$(DOMAINS),$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg \
		-c TRANSLATORS: --project "Assistant ENT" --copyright-holder "Assistant ENT" \
		-o $(LOCALES)/$(d).pot $(call sources,$(d)) &&) true

catalogs-update: $(STAMP)
	$(foreach d,$(DOMAINS),$(foreach l,$(LANGS),$(BIN)/pybabel update --init-missing --ignore-obsolete --no-fuzzy-matching \
		-i $(LOCALES)/$(d).pot -d $(LOCALES) -D $(d) -l $(l) &&)) true

# With a token, exactly the bot; without one, the demo (the same `entbot run`, against a local sandbox).
run: $(STAMP) catalogs
	@if $(BIN)/python -m sandbox.demo --token-configured; then exec $(BIN)/entbot run; else exec $(BIN)/python -m sandbox.demo; fi

# The demo whatever .env says: http://127.0.0.1:8080/ (DEMO_LISTEN=host:port to change).
demo: $(STAMP) catalogs
	$(BIN)/python -m sandbox.demo

# The README's picture of the demo, taken by its browser test.
demo-screenshot: $(STAMP_TEST) catalogs chromium
	DEMO_SCREENSHOT=docs/demo.png $(BIN)/python -m pytest -q tests/test_demo_browser.py -k screenshot

# The LDAP tests run a real slapd: installed here when missing (as root), or one line saying how.
slapd:
	@scripts/ensure-slapd.sh

# The demo's tests drive its page in Debian's chromium: installed here when missing (as root), or one line saying how.
chromium:
	@scripts/ensure-chromium.sh

# Four workers on two cores: the tests mostly wait on real servers and processes (a serial run uses a quarter of a core).
# The service's tests read the unit with systemd-analyze and run the bot under its system call filter.
systemd-tools:
	@scripts/ensure-systemd-tools.sh

# The storage and flow tests marked both_engines run again on a real PostgreSQL the tests start themselves.
postgresql:
	@scripts/ensure-postgresql.sh

test: $(STAMP_TEST) catalogs slapd systemd-tools chromium postgresql
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
bench: $(STAMP_TEST) catalogs
	$(BIN)/python bench/activation.py $(BENCH_ARGS)
	$(BIN)/python bench/broadcast.py --subscribers 1000 --no-ceiling

bench-ldap: $(STAMP_TEST) slapd
	$(BIN)/python bench/activation.py --directory ldap $(BENCH_ARGS)

bench-broadcast: $(STAMP_TEST)
	$(BIN)/python bench/broadcast.py

clean:
	rm -rf $(VENV) build *.egg-info
