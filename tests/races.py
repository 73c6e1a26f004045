"""Run calls at once from threads, for the concurrency tests on PostgreSQL."""

import threading

from django.db import connection


def race(calls, *, expected=()):
    """Run every call at once (behind a barrier); return (results, unexpected errors).

    An exception of a class in ``expected`` is an outcome (it goes into the results); any
    other is an error. Each thread closes its own database connection."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait(timeout=30)
            outcome = call()
        except expected as exc:
            outcome = exc
        except Exception as exc:  # noqa: BLE001 — any other failure is what the test counts
            with lock:
                errors.append(exc)
            return
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a call hung"
    return results, errors
