# The two commands of README.md: `make run` and `make test`.
# Each (re)creates .venv from requirements.lock when it is missing or older than the lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres lint fmt bench lock clean i18n

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/newsbot run

test: $(STAMP)
	$(BIN)/python -m pytest

# The same suite on PostgreSQL: on the server NEWSBOT_TEST_POSTGRES_URL names (.ci/run starts
# one), or on a throw-away server the suite starts itself (needs /usr/lib/postgresql/*/bin).
test-postgres: $(STAMP)
	NEWSBOT_TEST_DATABASE=postgresql NEWSBOT_TEST_POSTGRES_URL="$(NEWSBOT_TEST_POSTGRES_URL)" \
		$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/newsbot bench all

# Re-resolve the pinned dependencies after changing pyproject.toml.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

# Re-extract every _("…"), N_("…"), ngettext("…", "…", n) and N_plural("…", "…") string and
# merge new ones into every catalog (handlers/locale/*/LC_MESSAGES/newsbot.po); then translate the
# empty msgstr entries. handlers/i18n.py compiles the .po in memory at start, so there is no .mo
# to build. Without fuzzy matching a new string starts empty, never guessed.
i18n: $(STAMP)
	$(BIN)/pybabel -q extract -k _ -k N_ -k ngettext:1,2 -k N_plural:1,2 --no-location \
		--sort-output --project=newsbot -o handlers/locale/newsbot.pot bot handlers feeds
	$(BIN)/pybabel -q update -i handlers/locale/newsbot.pot -d handlers/locale -D newsbot \
		--no-fuzzy-matching --ignore-obsolete -w 100

clean:
	rm -rf $(VENV)
