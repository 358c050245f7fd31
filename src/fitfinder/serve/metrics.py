"""Request counts and latency, rendered in the Prometheus text exposition format (per process)."""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Thread-safe counters: requests by path/method/status, a latency histogram, rows predicted."""

    def __init__(self):
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self._sums: dict[str, float] = defaultdict(float)
        self.rows = 0

    def observe(self, path: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(path, method, status)] += 1
            self._buckets[path][bisect.bisect_left(BUCKETS, seconds)] += 1
            self._sums[path] += seconds

    def add_rows(self, n: int) -> None:
        with self._lock:
            self.rows += n

    def render(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        with self._lock:
            lines = [
                "# HELP fitfinder_requests_total HTTP requests by path, method and status.",
                "# TYPE fitfinder_requests_total counter",
            ]
            for (path, method, status), n in sorted(self._requests.items()):
                labels = f'path="{path}",method="{method}",status="{status}"'
                lines.append(f"fitfinder_requests_total{{{labels}}} {n}")
            lines += [
                "# HELP fitfinder_request_duration_seconds Request latency in seconds.",
                "# TYPE fitfinder_request_duration_seconds histogram",
            ]
            for path, counts in sorted(self._buckets.items()):
                cumulative = 0
                for bound, n in zip([*map(str, BUCKETS), "+Inf"], counts, strict=True):
                    cumulative += n
                    lines.append(
                        f'fitfinder_request_duration_seconds_bucket{{path="{path}",le="{bound}"}} '
                        f"{cumulative}"
                    )
                lines.append(
                    f'fitfinder_request_duration_seconds_sum{{path="{path}"}} {self._sums[path]}'
                )
                lines.append(
                    f'fitfinder_request_duration_seconds_count{{path="{path}"}} {cumulative}'
                )
            lines += [
                "# HELP fitfinder_predicted_rows_total Rows predicted.",
                "# TYPE fitfinder_predicted_rows_total counter",
                f"fitfinder_predicted_rows_total {self.rows}",
            ]
        return "\n".join(lines) + "\n"
