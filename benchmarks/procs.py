"""Process helpers: free ports, servers started and stopped by pid, RSS sampling from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += _descendants(int(child))
    return found


def rss_bytes(pid: int) -> int | None:
    """Resident memory of `pid` and its descendants (Linux /proc), or None elsewhere."""
    total = 0
    seen = False
    for p in _descendants(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    seen = True
        except OSError:
            continue
    return total if seen else None


class RssSampler:
    """Samples the RSS of a process tree every `interval` seconds in a thread; `.peak` is the max."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid) or 0)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid) or 0)


@dataclass
class ChildRun:
    returncode: int
    seconds: float
    max_rss_bytes: int
    stdout: str
    stderr: str


def run_child(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> ChildRun:
    """Run `cmd` to completion; wall time and its own peak RSS (wait4 rusage of that child only)."""
    began = time.perf_counter()
    with subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        out_chunks: list[str] = []
        err_chunks: list[str] = []
        readers = [
            threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
            threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True),  # type: ignore[union-attr]
        ]
        for r in readers:
            r.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
        for r in readers:
            r.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    scale = 1 if os.uname().sysname == "Darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return ChildRun(
        returncode=proc.returncode,
        seconds=seconds,
        max_rss_bytes=usage.ru_maxrss * scale,
        stdout="".join(out_chunks),
        stderr="".join(err_chunks),
    )


class Server:
    """A server subprocess that this harness started; stopped by its own pid only."""

    def __init__(
        self,
        name: str,
        cmd: list[str],
        *,
        port: int,
        env: dict[str, str] | None = None,
        log: Path,
        ready_path: str = "/",
    ) -> None:
        self.name, self.cmd, self.port, self.env, self.log, self.ready_path = (
            name,
            cmd,
            port,
            env,
            log,
            ready_path,
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("wb")
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            try:
                httpx.get(self.base + self.ready_path, timeout=2.0)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
