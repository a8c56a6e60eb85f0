"""Tests of what the source checkout holds beside the package.

``example_app.py``, the benchmark and load harnesses in ``bench/``, the README and
the documentation are not in the wheel, so these tests run in ``make test`` but
not in CI's runs against the installed wheel. They import ``example_app`` and
``bench`` from the checkout's top level (pytest's ``pythonpath`` setting in
``pyproject.toml``).
"""
