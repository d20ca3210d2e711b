"""The documentation cannot drift from the code: every ```python block of docs/**/*.md runs (the blocks of a
page share one namespace, in order), the committed table of NumPy functions is the one the registry gives,
and every page of the navigation exists."""

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest

from admodes.function_table import markdown as function_table

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
FENCE = re.compile(r"^(?P<indent>[ \t]*)```python[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)


def python_blocks(text):
    """The ```python blocks of a Markdown text, dedented (blocks nested in list items are indented)."""
    blocks = []
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        blocks.append("".join(line[indent:] for line in match["body"].splitlines(keepends=True)))
    return blocks


def test_python_blocks_are_found_with_their_indentation():
    text = "a\n```python\nx = 1\n```\n- item\n\n    ```python\n    y = x + 1\n    ```\n```bash\nls\n```\n"
    assert python_blocks(text) == ["x = 1\n", "y = x + 1\n"]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_the_examples_of_each_page_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a block that writes a file writes it here
    namespace = {"__name__": f"docs_{page.stem}"}
    for k, block in enumerate(python_blocks(page.read_text(encoding="utf-8"))):
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, f"{page.relative_to(ROOT)} (block {k + 1})", "exec"), namespace)


def test_the_pages_that_teach_have_examples():
    for name in ["index.md", "pytorch.md", "jax.md", "getting-started/checking.md", "getting-started/teaching.md",
                 "getting-started/experiments.md"]:
        assert python_blocks((DOCS / name).read_text(encoding="utf-8")), name


def test_the_committed_function_table_is_the_generated_one():
    committed = (DOCS / "functions.md").read_text(encoding="utf-8")
    assert committed == function_table(), "regenerate it: python -m admodes.function_table > docs/functions.md"


def test_every_page_of_the_navigation_exists():
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = re.findall(r":\s*([\w/.-]+\.md)\s*$", config, re.M)
    assert len(nav) >= 15
    for page in nav:
        assert (DOCS / page).exists() or page in hooks.PLACEHOLDERS, page


def test_the_readme_says_where_the_docs_are_and_how_to_build_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/" in readme and "pip install -e '.[docs]'" in readme and "mkdocs build --strict" in readme
