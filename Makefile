# The two commands of the README:
#   make serve   install everything, then serve the site at http://127.0.0.1:8000
#   make test    install everything, then run every check (lint, unit tests, doc blocks,
#                notebooks, the strict site build, every page in a headless Chromium)
# Installs go into .venv (Python >= 3.11) and node_modules (KaTeX, from the npm registry).
# `make test` also installs Debian's chromium with apt when no Chromium is found and we are root
# (tools/install_browser.sh); otherwise the browser tests skip (and fail under CI=true).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: serve test build browser lock clean

serve: $(VENV)/.installed node_modules/.installed
	SITE_URL=http://127.0.0.1:8000/ NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

test: $(VENV)/.installed node_modules/.installed browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

build: $(VENV)/.installed node_modules/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

browser:
	@sh tools/install_browser.sh

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lock: $(VENV)/.installed
	$(BIN)/pip install -q -r requirements.in
	{ echo "# Exact versions the tests and the site are built with. Regenerate with \`make lock\` after editing requirements.in."; \
	  $(BIN)/pip freeze --exclude-editable | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > requirements.txt

clean:
	rm -rf $(VENV) node_modules site .cache
