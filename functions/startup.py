"""A Lambda function's cold start, with Python's cyclic garbage collector paused.

Importing the guard (spaCy, pydantic, botocore, Powertools, our modules) makes some
150,000 objects the collector tracks. It ran about 180 times during that import and took
70 to 80 ms, 6% of the guard's cold start, to find 1,900 unreachable objects: modules,
classes and functions live as long as the process. So the guard's and the lint API's
Lambda entry points (``functions.guard.handler``, ``functions.lint_api.handler``) import
their app inside ``collector_paused()``. At the end the
objects made so far are frozen (``gc.freeze``: moved to the permanent generation, so no
later full collection walks them again; without it the first one, some requests into
the container's life, would take about 60 ms) and the collector resumes.

What this costs: the few cycles of garbage the imports leave are kept for the life of
the container (peak RSS of a guard import is the same, 91 MB, either way).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the collector off, then freeze what exists and turn it back on.

    When the collector is already off (a profiler, a test, an outer block), the block
    runs as it is and nothing is frozen: that choice is the caller's.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
