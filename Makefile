# Two commands do all the set-up on a fresh machine:
#   make demo   - the example app against the local WeChat emulator
#   make test   - the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint docs dist translations browser-deps server-deps screenshots bench load

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.installed
	$(PY) example_app.py

# Benchmarks side by side (see docs/benchmarks.md); not part of `make test`.
# Extra arguments: make bench BENCH_ARGS="--quick"
$(VENV)/.installed-bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	touch $@

bench: $(VENV)/.installed-bench
	$(PY) -m bench.run $(BENCH_ARGS)

test: $(VENV)/.installed browser-deps server-deps
	$(PY) -m pytest

# The browser tests (tests/browser/) drive Debian's Chromium (Playwright's own browser
# download does not work here) with CJK and emoji fonts, and check pages with axe-core
# from npm. Every package is checked on its own, so one added here reaches machines
# set up before it was; --no-install-recommends keeps chromium from pulling in ~100
# unrelated packages.
BROWSER_PACKAGES := chromium fonts-noto-cjk fonts-noto-color-emoji
AXE_VERSION := 4.14.1
AXE_STAMP := .cache/axe/.installed-$(AXE_VERSION)

browser-deps: $(AXE_STAMP)
	@missing=; \
	for package in $(BROWSER_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q 'install ok installed' \
			|| missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian's$$missing (for the browser tests)"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(AXE_STAMP):
	@if command -v npm >/dev/null; then \
		npm install --prefix .cache/axe --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION) && touch $@; \
	else \
		echo "npm not found: no axe-core, so the accessibility tests fail under CI=true (skip otherwise)"; \
	fi

# The storage tests (tests/test_storage_*.py) start their own PostgreSQL and Redis servers on
# free ports from Debian's binaries; like the browser, the packages are installed here.
SERVER_PACKAGES := postgresql redis-server

server-deps:
	@if ! dpkg -s $(SERVER_PACKAGES) >/dev/null 2>&1; then \
		echo "Installing Debian's $(SERVER_PACKAGES) (for the storage tests)"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			$(SERVER_PACKAGES); \
	fi

# Regenerate docs/screenshots/*.png (see README, "Screenshots").
screenshots: $(VENV)/.installed browser-deps
	$(PY) scripts/screenshots.py

# Load test (see docs/load.md): two gunicorn hosts sharing a real PostgreSQL and Redis, the
# emulator at 0 and 80 ms, tokens expiring mid-run, for the sync, gthread and gevent workers;
# all on 127.0.0.1. Options: make load LOAD_ARGS="--signins 100" (python -m bench.load --help)
# (.[dev] holds the load extra: gunicorn, gevent.)
load: $(VENV)/.installed server-deps
	$(PY) -m bench.load $(LOAD_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

# The documentation site (docs/, Sphinx): docs/_build/html/index.html
docs: $(VENV)/.installed
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# The wheel and sdist in dist/ (see RELEASING.md).
dist: $(VENV)/.installed
	rm -rf dist build && $(PY) -m build --outdir dist .

# Re-extract messages, merge them into every catalog, compile (see docs/developing.md, "Translating").
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location -w 100 --project flask-wechat-login \
		-o flask_wechat/translations/flask_wechat.pot .
	$(VENV)/bin/pybabel update -w 100 -D flask_wechat -i flask_wechat/translations/flask_wechat.pot \
		-d flask_wechat/translations --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -D flask_wechat -d flask_wechat/translations
