"""Results of a benchmark run and the Markdown table they are written as. Pure functions."""

import json
import math
from dataclasses import dataclass

JSON_MARK = "BENCH_JSON "


@dataclass
class Measurement:
    """One page under load: throughput, latency percentiles (ms), errors and cost."""

    name: str
    path: str
    rps: float = 0.0
    p50: float = math.nan
    p95: float = math.nan
    p99: float = math.nan
    requests: int = 0
    errors: int = 0
    queries: int | None = None
    bytes: int | None = None
    note: str = ""


def parse_wrk(output: str, name: str, path: str) -> Measurement:
    """A Measurement from wrk's output with bench/wrk_report.lua's JSON line."""
    for line in output.splitlines():
        if line.startswith(JSON_MARK):
            data = json.loads(line[len(JSON_MARK) :])
            break
    else:
        raise ValueError(f"no {JSON_MARK.strip()} line in wrk output:\n{output}")
    seconds = data["duration_us"] / 1_000_000
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Measurement(
        name=name,
        path=path,
        rps=data["requests"] / seconds if seconds else 0.0,
        p50=data["p50"] / 1000,
        p95=data["p95"] / 1000,
        p99=data["p99"] / 1000,
        requests=data["requests"],
        errors=errors,
    )


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list; NaN when empty."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def format_table(results: list[Measurement], ceiling_name: str = "ceiling") -> str:
    """The Markdown table: one row per page, throughput also as a share of the ceiling's."""
    ceiling = next((r for r in results if r.name == ceiling_name), None)
    header = (
        "| page | path | requests/s | p50 ms | p95 ms | p99 ms | errors | SQL/request "
        "| bytes | vs ceiling |"
    )
    lines = [header, "|" + "|".join(["---", "---"] + ["---:"] * 8) + "|"]
    for r in results:
        ratio = f"{r.rps / ceiling.rps:.1%}" if ceiling and ceiling.rps else "–"
        path = r.path if len(r.path) <= 48 else r.path[:45] + "…"
        name = f"{r.name} ({r.note})" if r.note else r.name
        lines.append(
            f"| {name} | `{path}` | {r.rps:,.1f} | {_ms(r.p50)} | {_ms(r.p95)} | {_ms(r.p99)} "
            f"| {r.errors:,} | {_count(r.queries)} | {_count(r.bytes)} | {ratio} |"
        )
    return "\n".join(lines) + "\n"
