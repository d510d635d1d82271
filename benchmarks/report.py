"""Measurements, ratios against the issue's targets, machine facts, and the Markdown report."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Measurement:
    """One system's result in one benchmark: the median of its runs, or why there is none."""

    bench: str
    system: str
    unit: str
    runs: list[float] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    unavailable: str | None = None

    @property
    def value(self) -> float | None:
        return statistics.median(self.runs) if self.runs and self.unavailable is None else None

    @classmethod
    def missing(cls, bench: str, system: str, unit: str, reason: str) -> Measurement:
        return cls(bench=bench, system=system, unit=unit, unavailable=reason)


@dataclass
class Target:
    """A line of the target table: a ratio against a peer (ratio ≥ goal) or an absolute ceiling."""

    bench: str
    label: str
    measured: float | None
    goal: float
    kind: str  # "ratio" (higher is better, ≥ goal) or "max" (≤ goal)
    unit: str = ""
    reason: str = ""

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        return self.measured >= self.goal if self.kind == "ratio" else self.measured <= self.goal

    def cells(self) -> list[str]:
        if self.kind == "ratio":
            measured = "—" if self.measured is None else f"{self.measured:.2f}×"
            goal = f"≥ {self.goal:g}×"
        else:
            measured = "—" if self.measured is None else f"{fmt_number(self.measured)} {self.unit}".strip()
            goal = f"≤ {self.goal:g} {self.unit}".strip()
        verdict = {True: "yes", False: "**no**", None: f"n/a ({self.reason})" if self.reason else "n/a"}
        return [self.bench, self.label, measured, goal, verdict[self.met]]


def speed_ratio(ours: Measurement, peer: Measurement) -> tuple[float | None, str]:
    """How many times faster ours is: peer/ours for durations, ours/peer for rates."""
    if ours.value is None:
        return None, ours.unavailable or "no runs"
    if peer.value is None:
        return None, peer.unavailable or "no runs"
    if ours.value == 0 or peer.value == 0:
        return None, "zero measurement"
    if ours.unit == "s":
        return peer.value / ours.value, ""
    return ours.value / peer.value, ""


def ratio_target(bench: str, label: str, ours: Measurement, peer: Measurement, goal: float) -> Target:
    ratio, reason = speed_ratio(ours, peer)
    return Target(bench=bench, label=label, measured=ratio, goal=goal, kind="ratio", reason=reason)


def fmt_number(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value < 1 else f"{value:.2f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    def clean(cell: str) -> str:
        return cell.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(versions: dict[str, str]) -> dict[str, str]:
    ram = memory_bytes()
    info = {
        "CPU": f"{os.cpu_count()} × {cpu_model()}",
        "RAM": f"{ram / 2**30:.1f} GiB" if ram else "unknown",
        "OS": platform.platform(),
        "Python": sys.version.split()[0],
    }
    if hasattr(os, "getloadavg"):
        info["load average at start (1/5/15 min)"] = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    info.update(versions)
    return info


@dataclass
class Report:
    title: str
    machine: dict[str, str]
    settings: dict[str, str]
    measurements: list[Measurement] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measurement: Measurement) -> Measurement:
        self.measurements.append(measurement)
        return measurement

    def find(self, bench: str, system: str) -> Measurement | None:
        return next((m for m in self.measurements if m.bench == bench and m.system == system), None)

    def target_table(self) -> str:
        header = ["benchmark", "comparison", "measured", "target", "met"]
        return table(header, [t.cells() for t in self.targets])

    def measurement_table(self) -> str:
        rows: list[list[str]] = []
        for m in self.measurements:
            if m.value is None:
                rows.append([m.bench, m.system, f"not available: {m.unavailable or 'no runs'}", "", ""])
                continue
            # Latency samples (hundreds of queries) are summarized, repeated runs listed.
            runs = ", ".join(fmt_number(r) for r in m.runs) if len(m.runs) <= 8 else f"{len(m.runs)} samples"
            extra = "; ".join(f"{k} {v}" for k, v in m.extra.items())
            rows.append([m.bench, m.system, f"{fmt_number(m.value)} {m.unit}", runs, extra])
        return table(["benchmark", "system", "median", "runs", "details"], rows)

    def to_markdown(self) -> str:
        parts = [
            f"# {self.title}",
            "",
            "## Ratios against the targets (issue 4)",
            "",
            "A ratio is how many times faster ours is than the peer (peer time / our time, or our req/s "
            "/ peer req/s); ≥ 1 means ours is faster.",
            "",
            self.target_table(),
            "",
            "## Measurements (medians of repeated runs)",
            "",
            self.measurement_table(),
            "",
            "## Machine and versions",
            "",
            table(["", ""], [[k, v] for k, v in self.machine.items()]),
            "",
            "## Settings",
            "",
            table(["", ""], [[k, v] for k, v in self.settings.items()]),
        ]
        if self.notes:
            parts += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(parts) + "\n"

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_markdown(), encoding="utf-8")
