"""Print the lowest versions setup.cfg allows, each pinned: CI's lowest-versions run.

Every ``name>=X`` in ``install_requires`` becomes ``name==X``; a requirement with
no lower bound is an error, since nothing would say which release it was tested
with. Usage: ``python scripts/lowest_requirements.py > lowest.txt``, then
``pip install -c lowest.txt -r lowest.txt ...``. With ``--python``, print the
lowest Python ``python_requires`` allows instead (``3.9``).
"""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

SETUP_CFG = Path(__file__).resolve().parents[1] / "setup.cfg"
LOWER_BOUND = re.compile(r"(?P<name>[A-Za-z0-9_.-]+)\s*>=\s*(?P<version>[0-9][^,;\s]*)")


def lowest(setup_cfg: Path = SETUP_CFG) -> list[str]:
    config = configparser.ConfigParser()
    config.read(setup_cfg, encoding="utf-8")
    pins = []
    for line in config["options"]["install_requires"].splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        found = LOWER_BOUND.match(requirement)
        if not found:
            raise SystemExit(f"{setup_cfg.name}: no lower bound in {requirement!r}")
        pins.append(f"{found['name']}=={found['version']}")
    return pins


def lowest_python(setup_cfg: Path = SETUP_CFG) -> str:
    config = configparser.ConfigParser()
    config.read(setup_cfg, encoding="utf-8")
    found = re.fullmatch(r">=\s*(3\.\d+)", config["options"]["python_requires"].strip())
    if not found:
        raise SystemExit(f"{setup_cfg.name}: python_requires is not of the form >=3.N")
    return found.group(1)


if __name__ == "__main__":
    if sys.argv[1:] == ["--python"]:
        print(lowest_python())
    else:
        sys.stdout.write("".join(f"{pin}\n" for pin in lowest()))
