"""MkDocs hooks: write the generated pages at build time, from the code.

- ``functions.md``: the table of NumPy functions and their derivatives, from the op library's registry
  (`admodes.function_table`); the committed copy is what a repository browser shows, and
  tests/test_docs.py checks that it equals this one.
- ``architecture.md``: written by the architecture work; until it exists, a page saying so, so that the
  navigation and ``mkdocs build --strict`` work in every checkout.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the checkout's admodes, installed or not

from admodes.function_table import markdown as function_table  # noqa: E402  (now: mkdocstrings edits sys.path)

PLACEHOLDERS = {
    "architecture.md": "# Architecture\n\nThe architecture page has not been written in this checkout yet. The code is "
                       "organised as the [API reference](api/admodes.md) shows: `admodes/ops/` (the op library), "
                       "the forward engine (`Dual`), the reverse engine (`Tensor` and its tape) and the transforms.\n",
}


def on_files(files, config):
    from mkdocs.structure.files import File

    for name, text in PLACEHOLDERS.items():
        if files.get_file_from_path(name) is None:
            files.append(File.generated(config, name, content=text))
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri == "functions.md":
        return function_table()
    return markdown
