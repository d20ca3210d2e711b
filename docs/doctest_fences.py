"""A griffe extension for the API reference: the doctest examples of the docstrings (``>>>`` lines and their
output) become fenced code blocks, so Markdown shows them as code instead of reading ``[2:]`` as a link."""

import griffe


def fence_doctests(text):
    """``text`` with each run of doctest lines (from ``>>>`` to the next blank line) in a ```pycon fence."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if not stripped.startswith(">>>"):
            out.append(lines[i])
            i += 1
            continue
        indent = len(lines[i]) - len(stripped)
        block = []
        while i < len(lines) and lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) >= indent:
            block.append(lines[i][indent:])
            i += 1
        out += ["", "```pycon", *block, "```", ""]
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
