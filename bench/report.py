"""A benchmark's result, percentiles, and the table the runner prints."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Result:
    """One figure with the baseline it is compared to, measured in the same run.

    ``ratio`` is figure / baseline; ``goal`` says which ratio (or figure) passes and
    ``met`` whether this run met it (None where there is no goal)."""

    benchmark: str
    figure: str  # what was measured, e.g. "dedupe: alerts/s"
    value: float
    unit: str
    baseline: str  # what it is compared to
    baseline_value: float
    goal: str = ""
    met: bool | None = None
    note: str = ""
    baseline_unit: str = ""  # when it differs from ``unit``

    @property
    def ratio(self) -> float:
        if self.baseline_value == 0:
            return math.nan
        return self.value / self.baseline_value

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def verdict(result: Result) -> str:
    if result.met is None:
        return ""
    return "met" if result.met else "MISSED"


def table(results: Sequence[Result], markdown: bool = False) -> str:
    """The results as a plain-text (or Markdown) table."""
    header = ["benchmark", "figure", "value", "baseline (same run)", "ratio", "goal", ""]
    rows = [
        [
            r.benchmark,
            r.figure,
            f"{number(r.value)} {r.unit}",
            f"{r.baseline}: {number(r.baseline_value)} {r.baseline_unit or r.unit}",
            number(r.ratio),
            r.goal,
            verdict(r),
        ]
        for r in results
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    render = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in render)
