# The two commands of the README:
#   make serve   install everything, then serve the site at http://127.0.0.1:8000
#   make test    install everything, then run every check (lint, unit tests, doc blocks,
#                notebooks, the strict site build, every page in a headless Chromium)
# Installs go into .venv (Python >= 3.11) and node_modules (KaTeX, from the npm registry).
# The tools (Python >= 3.11 with venv, Node.js, npm >= 7) are checked before anything installs.
# torch is PyTorch's CPU build on Linux, from PyTorch's CPU index (TORCH_INDEX, also the first
# line of requirements.txt); PyPI's Linux torch is the CUDA build. macOS/Windows: the standard wheel.
# `make test` also installs Debian's chromium with apt when no Chromium is found and we are root
# (tools/install_browser.sh); otherwise the browser tests skip (and fail under CI=true).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# the same index as requirements.txt's --extra-index-url line and the README
TORCH_INDEX := https://download.pytorch.org/whl/cpu
PIP    := $(BIN)/pip install --disable-pip-version-check
# requirements.txt's index option and torch pins: installed in a step of their own, so that only
# torch is looked up on PyTorch's index (every other package comes from PyPI alone)
TORCH_LINES := ^(--extra-index-url|torch==)
# prints the seconds since $$t0 (set by the same recipe line)
SECONDS_SINCE = $$(( $$(date +%s) - t0 )) s

.PHONY: serve test build browser lock clean tools

serve: $(VENV)/.installed node_modules/.installed
	@echo "==> mkdocs serve: builds the site (notebooks executed, about a minute), then serves it at"
	@echo "    http://127.0.0.1:8000/ and rebuilds on edits to docs/, mkdocs.yml and src/"
	SITE_URL=http://127.0.0.1:8000/ NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --watch src

test: $(VENV)/.installed node_modules/.installed browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

build: $(VENV)/.installed node_modules/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

browser:
	@sh tools/install_browser.sh

# Every tool the install needs, checked before anything is installed (a missing npm used to
# show up only after the whole pip install).
tools:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "make: Python >= 3.11 is needed, $(PYTHON) is " + sys.version.split()[0] + ": set PYTHON=python3.11 (or newer)")' \
	  || { command -v $(PYTHON) >/dev/null || echo "make: $(PYTHON) not found: install Python >= 3.11, or set PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null \
	  || { echo "make: $(PYTHON) has no venv/ensurepip: install it (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
	  || { echo "make: Node.js and npm are needed (KaTeX comes from the npm registry): install them (Debian/Ubuntu: apt-get install nodejs npm; elsewhere https://nodejs.org/)" >&2; exit 1; }
	@npm_major=$$(npm --version | cut -d. -f1); [ "$$npm_major" -ge 7 ] \
	  || { echo "make: npm >= 7 is needed for package-lock.json (lockfileVersion 3), npm is $$(npm --version)" >&2; exit 1; }
	@echo "==> tools: $$($(PYTHON) --version), node $$(node --version), npm $$(npm --version)"

# torch (one wheel, --no-deps: its dependencies are pinned in the rest of requirements.txt)
# installs in the background while the rest comes from PyPI; `pip check` then proves the two
# halves consistent.
$(VENV)/.installed: requirements.txt pyproject.toml | tools
	@echo "==> [1/4] $(VENV): a new virtual environment with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	@grep -E '$(TORCH_LINES)' requirements.txt > $(VENV)/requirements-torch.txt
	@grep -vE '$(TORCH_LINES)' requirements.txt > $(VENV)/requirements-rest.txt
	@echo "==> [2/4] torch 2.13.0 in the background (Linux: the CPU build, from $(TORCH_INDEX));"
	@echo "    its log: $(VENV)/install-torch.log"
	@echo "==> [3/4] meanwhile, the rest of requirements.txt from PyPI ($$(grep -c == $(VENV)/requirements-rest.txt) packages)"
	@t0=$$(date +%s); \
	  $(PIP) --no-deps -r $(VENV)/requirements-torch.txt > $(VENV)/install-torch.log 2>&1 & pid=$$!; \
	  trap 'kill $$pid 2>/dev/null; exit 130' INT TERM; \
	  $(PIP) -r $(VENV)/requirements-rest.txt; rest=$$?; \
	  echo "    the rest: $$([ $$rest = 0 ] && echo done || echo FAILED) after $(SECONDS_SINCE)"; \
	  wait $$pid; torch=$$?; \
	  if [ $$torch = 0 ]; then echo "    torch: done after $(SECONDS_SINCE): $$(tail -n 1 $(VENV)/install-torch.log)"; \
	  else cat $(VENV)/install-torch.log; echo "make: installing torch failed (log above)" >&2; fi; \
	  [ $$rest = 0 ] && [ $$torch = 0 ]
	$(BIN)/pip check
	@echo "==> [4/4] backprop-ref itself (editable)"
	$(PIP) -q --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json | tools
	@echo "==> KaTeX from the npm registry (npm ci)"
	npm ci --no-audit --no-fund
	touch $@

# Re-resolves requirements.in into requirements.txt (run it on Linux): the torch pin is written
# for both platform groups (the CPU build on Linux, the standard wheel elsewhere); `freeze --all`
# keeps setuptools, which torch requires (>= 77.0.3) and which the --no-deps torch step skips.
lock: $(VENV)/.installed
	$(PIP) -q -r requirements.in
	{ echo "# Exact versions the tests and the site are built with. Regenerate with \`make lock\` after editing requirements.in."; \
	  echo "# torch: PyTorch's CPU build on Linux (from the index below; PyPI's Linux torch is the CUDA build,"; \
	  echo "# several GB with its nvidia-*, cuda-* and triton packages), the standard wheel on macOS and Windows."; \
	  echo "--extra-index-url $(TORCH_INDEX)"; \
	  $(BIN)/pip freeze --all --exclude-editable | grep -v '^pip==' \
	    | sed 's/^torch==\(.*\)+cpu$$/torch==\1+cpu ; sys_platform == "linux"\ntorch==\1 ; sys_platform != "linux"/'; \
	} > requirements.txt

clean:
	rm -rf $(VENV) node_modules site .cache build dist src/*.egg-info
