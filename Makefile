# Two commands do all the set-up on a fresh machine:
#   make demo   - the example app against the local WeChat emulator
#   make test   - the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint translations

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(PY) example_app.py

test: $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# Re-extract messages, merge them into every catalog, compile (see README, "Translating").
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --project flask-wechat-login \
		-o flask_wechat/translations/messages.pot .
	$(VENV)/bin/pybabel update -i flask_wechat/translations/messages.pot -d flask_wechat/translations \
		--no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d flask_wechat/translations
