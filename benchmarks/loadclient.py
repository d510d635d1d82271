"""A small closed-loop HTTP load client (asyncio + httpx): N workers, each one request at a time.

Both servers of a comparison get the same client, the same concurrency and the same duration. The loop
is bounded in time (``duration`` seconds, then the in-flight requests finish) and only ever targets the
URLs it is given (the benchmark passes loopback addresses only).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]
    first_error: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies, in ms."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, min(len(ordered), math.ceil(p * len(ordered) / 100)))
        return ordered[rank - 1]


def percentile(values: list[float], p: float) -> float:
    return LoadResult(requests=len(values), errors=0, seconds=1, latencies_ms=tuple(values)).percentile(p)


async def _worker(
    client: httpx.AsyncClient,
    urls: list[str],
    start: int,
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    i = start
    while time.perf_counter() < deadline:
        url = urls[i % len(urls)]
        i += 1
        began = time.perf_counter()
        try:
            response = await client.get(url)
            ok = response.status_code == 200
            if not ok:
                errors.append(f"HTTP {response.status_code} {url}: {response.text[:200]}")
        except httpx.HTTPError as exc:
            ok = False
            errors.append(f"{type(exc).__name__} {url}: {exc}")
        if ok:
            latencies.append((time.perf_counter() - began) * 1000)


async def run_load(
    urls: list[str],
    *,
    concurrency: int = 16,
    duration: float = 20.0,
    warmup: int = 2,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Hit `urls` round-robin with `concurrency` workers for `duration` seconds."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30.0, headers=headers or {}) as client:
        for url in urls[: max(1, warmup * concurrency)]:  # warm caches and connections, not counted
            await client.get(url)
        latencies: list[float] = []
        errors: list[str] = []
        began = time.perf_counter()
        deadline = began + duration
        await asyncio.gather(
            *(_worker(client, urls, n, deadline, latencies, errors) for n in range(concurrency))
        )
        elapsed = time.perf_counter() - began
    return LoadResult(
        requests=len(latencies),
        errors=len(errors),
        seconds=elapsed,
        latencies_ms=tuple(latencies),
        first_error=errors[0] if errors else "",
    )


def load(urls: list[str], **kwargs: object) -> LoadResult:
    return asyncio.run(run_load(urls, **kwargs))  # type: ignore[arg-type]
