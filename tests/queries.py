"""Query-count helpers: every page and listing test uses these."""

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext


@contextmanager
def max_queries(limit: int):
    """Fail if the block runs more than ``limit`` SQL queries."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    count = len(ctx.captured_queries)
    if count > limit:
        listing = "\n".join(q["sql"][:200] for q in ctx.captured_queries)
        raise AssertionError(f"{count} queries, limit {limit}:\n{listing}")


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def assert_queries_constant(fetch, grow, factor: int = 10):
    """Run ``fetch`` once, ``grow(factor)`` the data ten-fold, run it again: same count."""
    fetch()  # warm per-process caches (content types, site root) before measuring
    before = count_queries(fetch)
    grow(factor)
    fetch()
    after = count_queries(fetch)
    assert after <= before, f"queries grew from {before} to {after} with {factor}× the data"
    return before
