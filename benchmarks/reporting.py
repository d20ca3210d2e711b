"""What every pytest-benchmark module here shares: keep each benchmark's median, and print a module's table
past pytest's capture once its benchmarks have run.

    >>> medians = {}
    >>> record_median(type("Disabled", (), {"stats": None})(), medians, "f"), medians   # --benchmark-disable
    (None, {})
"""

__all__ = ["record_median", "print_lines"]


def record_median(benchmark, medians, key):
    """Store ``benchmark``'s median seconds in ``medians[key]`` and return it (None under
    ``--benchmark-disable``, where the function ran once, untimed)."""
    stats = getattr(benchmark, "stats", None)
    if stats is None:
        return None
    medians[key] = stats.stats.median
    return medians[key]


def print_lines(request, lines):
    """Write ``lines`` to the terminal past pytest's capture (nothing without a terminal reporter)."""
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None:
        return
    with capture.global_and_fixture_disabled():
        for line in lines:
            reporter.write_line(line)
