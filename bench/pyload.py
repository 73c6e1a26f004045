"""A bounded closed-loop HTTP load client, for machines without wrk: N connections each send
requests back to back until the deadline; slower and noisier than wrk, but the same shape."""

import http.client
import threading
import time
from urllib.parse import urlsplit

from .report import Measurement, percentile


def run(
    url: str,
    *,
    name: str,
    path: str,
    seconds: float,
    connections: int,
    headers=None,
    max_requests=200_000,
):
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        nonlocal errors
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, failed = [], 0
        while time.monotonic() < deadline and len(mine) + failed < max_requests:
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers=headers or {})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
                    continue
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    began = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - began
    latencies.sort()
    return Measurement(
        name=name,
        path=path,
        rps=(len(latencies) + errors) / elapsed if elapsed else 0.0,
        p50=percentile(latencies, 50),
        p95=percentile(latencies, 95),
        p99=percentile(latencies, 99),
        requests=len(latencies) + errors,
        errors=errors,
    )
