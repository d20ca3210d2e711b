"""The table of NumPy functions admodes differentiates, generated from the op library's registry (docs/functions.md).

``python -m admodes.function_table > docs/functions.md`` writes the committed copy; the docs build writes it
again from the code (``docs/hooks.py``) and a test checks that the two agree.

    >>> rows = {row[0]: row for row in function_rows()}
    >>> rows["sin"][1:4]
    ('primitive', 'yes', 'yes')
"""

from __future__ import annotations

from .arraylike import BOOLEAN_UFUNCS, ON_VALUES
from .numpy import PASSED_THROUGH
from .ops.core import FUNCTIONS, Primitive
from .tensor_methods import METHODS, TorchMethods, method_names

HEADER = """# NumPy functions and their derivatives

<!-- Generated from the op library's registry by `python -m admodes.function_table > docs/functions.md`;
the docs build regenerates it and tests/test_docs.py checks this copy. Do not edit by hand. -->

Every function below is in `admodes.numpy` under NumPy's name, and `np.<name>` called on a `Dual` or a
`Tensor` reaches it too. **Forward** is its JVP rule (forward mode, `jvp`, `jacfwd`), **reverse** its VJP
rule (reverse mode, `backward`, `grad`, `vjp`, `jacrev`), **vmap** its batching rule. A *primitive* has its
own rules; a *composed* function is written with primitives, so it has every derivative they have.
A function whose derivative is zero almost everywhere (`sign`) says so; arguments that carry no derivative
(an index, a condition) are listed. **Tensor methods** are the PyTorch-style methods computing it
(see [admodes for PyTorch users](pytorch.md)).
"""


def function_rows():
    """One row per published function: (name, kind, forward, reverse, vmap, Tensor methods, notes)."""
    rows = []
    for name in sorted(FUNCTIONS):
        fn = FUNCTIONS[name]
        methods = ", ".join(f"`x.{m}()`" for m in method_names(name)) or "-"
        if isinstance(fn, Primitive):
            forward = "yes" if fn.jvp_rules is not None or fn.joint_jvp is not None else "no"
            reverse = "yes" if fn.vjp_rules is not None or fn.joint_vjp is not None else "no"
            notes = []
            if fn.zero_derivative:
                notes.append("derivative zero almost everywhere")
            if fn.nondiff:
                notes.append("no derivative in " + ", ".join(f"`{fn.argnames[i]}`" for i in sorted(fn.nondiff)))
            rows.append((name, "primitive", forward, reverse, "yes" if fn.batch_rule else "via loop", methods,
                         "; ".join(notes)))
        elif getattr(fn, "no_derivative", False):  # (matrix_rank: integers computed on the values)
            rows.append((name, "on values", "no", "no", "yes", methods, "an integer result, no derivative"))
        else:
            rows.append((name, "composed", "yes", "yes", "yes", methods, ""))
    return rows


def values_only():
    """The NumPy functions that, given a traced value, answer on its values (their results carry no derivative)."""
    names = {f.__name__ for f in ON_VALUES} | set(BOOLEAN_UFUNCS)  # (all of numpy's top level)
    return sorted(names)


def other_methods():
    """The public Tensor methods of `TorchMethods` that no row of the table names (relu, view, zero_, ...)."""
    named = {m for methods in METHODS.values() for m in methods}
    return sorted(f"x.{m}" if isinstance(v, property) else f"x.{m}()" for m, v in vars(TorchMethods).items()
                  if not m.startswith("_") and m not in named and (callable(v) or isinstance(v, property)))


def markdown():
    """The whole page, as Markdown."""
    lines = [HEADER, "| function | kind | forward | reverse | vmap | Tensor methods | notes |",
             "|---|---|---|---|---|---|---|"]
    for name, kind, forward, reverse, vmap, methods, notes in function_rows():
        lines.append(f"| `{name}` | {kind} | {forward} | {reverse} | {vmap} | {methods} | {notes} |")
    lines += ["", f"{len(FUNCTIONS)} functions.", "",
              "## Other Tensor methods", "",
              "PyTorch's methods that are not one NumPy function (activations, shapes, copies, dtypes, the in-place "
              "family, comparisons): see [admodes for PyTorch users](pytorch.md).", "",
              ", ".join(f"`{m}`" for m in other_methods()), "",
              "## Answered on values (no derivative)", "",
              "Given a `Dual` or a `Tensor`, these NumPy functions compute on the plain values: their results are "
              "shapes, booleans, indices or fresh constants, which carry no derivative.", "",
              ", ".join(f"`{n}`" for n in values_only()), "",
              "## Passed through unchanged", "",
              "`admodes.numpy` also re-exports these NumPy names as they are (dtypes, constants, array "
              "creation, index helpers):", "",
              ", ".join(f"`{n}`" for n in sorted(PASSED_THROUGH)), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
