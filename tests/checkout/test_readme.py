"""The README and the docs: the front page opens with the two commands and links into the
docs, and the quirks page names tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_block and "make test" in first_block


def test_every_file_the_readme_links_to_exists():
    targets = re.findall(r"\]\(([^)#\s]+)\)", README)
    local = [target for target in targets if "://" not in target]
    assert len(local) > 10
    missing = [target for target in local if not (ROOT / target).is_file()]
    assert not missing, missing


def test_every_test_the_quirks_page_names_exists():
    page = (ROOT / "docs" / "wechat-quirks.md").read_text(encoding="utf-8")
    named = re.findall(r"`(test_\w+\.py)::(\w+)", page)
    shorthand = re.findall(r"`…::(\w+)", page)
    assert len(named) > 20
    sources = {name: (ROOT / "tests" / name).read_text(encoding="utf-8") for name, _ in named}
    for name, function in named:
        assert f"def {function}(" in sources[name], (name, function)
    everything = "\n".join(sources.values())
    for function in shorthand:
        assert f"def {function}(" in everything, function


def _pages() -> list[Path]:
    """The README and every documentation page, as a reader finds them."""
    docs = sorted(p for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts)
    return [ROOT / "README.md", ROOT / "CHANGELOG.md", *docs]


def test_every_test_the_docs_name_exists():
    """A promise's test, named on a page, is where the page says (``…::name`` is the file
    named before it on the line; ``name_…`` is a prefix)."""
    tests = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in (ROOT / "tests").rglob("*.py")
    }
    everything = "\n".join(tests.values())
    cited = re.compile(r"`(tests/[\w/]+\.py|test_\w+\.py|…)?(?:::)?(test_\w+?)?(…)?`")
    checked, wrong = 0, []
    for page in _pages():
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{page.relative_to(ROOT)}:{number}"
            last = None
            for path, function, prefix in cited.findall(line):
                if path and path != "…":
                    if not path.startswith("tests/"):  # "Test names are under tests/"
                        found = [name for name in tests if name.endswith("/" + path)]
                        path = found[0] if len(found) == 1 else "tests/" + path
                    if path not in tests:
                        wrong.append(f"{where}: no file {path}")
                        continue
                    last = path
                elif path == "…":
                    path = last
                if not function:
                    continue
                source = tests[path] if path else everything
                checked += 1
                if f"def {function}" + ("" if prefix else "(") not in source:
                    wrong.append(f"{where}: no test {path or 'tests/'}::{function}{prefix}")
    assert checked > 100
    assert not wrong, "\n".join(wrong)


def _blocks(name: str) -> set[str]:
    """Every block a bundled template has, its own and those of what it extends."""
    folder = ROOT / "flask_wechat" / "templates"
    source = re.sub(r"\{#.*?#\}", "", (folder / name).read_text(encoding="utf-8"), flags=re.S)
    own = set(re.findall(r"\{%-?\s*block\s+(\w+)", source))
    parent = re.search(r"\{%-?\s*extends\s+\"([^\"]+)\"", source)
    if parent is None:
        return own
    return own | _blocks(parent.group(1).replace("wechat/default/", "wechat/"))


def test_the_template_tables_list_every_page_and_its_blocks():
    """docs/customisation.md's table (and docs/accounts.md's) against the templates."""
    documented: dict[str, set[str]] = {}
    for page in ("customisation.md", "accounts.md"):
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        for template, blocks in re.findall(r"^\| `(wechat/\w+\.html)` \|.*\| (.*) \|$", text, re.M):
            names = set(re.findall(r"`(\w+)`", blocks.split(";")[0]))
            for base in re.findall(r"those of `(?:wechat/)?(\w+\.html)`", blocks):
                names |= documented.get(f"wechat/{base}", {"?"})
            documented.setdefault(template, names)
    folder = ROOT / "flask_wechat" / "templates" / "wechat"
    pages = sorted(f"wechat/{p.name}" for p in folder.glob("*.html") if not p.name.startswith("_"))
    missing = [p for p in pages if p not in documented]
    wrong = {p: (sorted(documented[p]), sorted(_blocks(p))) for p in pages if p in documented}
    assert (missing, {p: w for p, w in wrong.items() if w[0] != w[1]}) == ([], {})
