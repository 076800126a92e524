"""Small inline SVG charts drawn directly from report data: forest plots, lines, bars, a heat map.

Every chart is one ``<svg>`` element with a ``viewBox`` (it scales to its box), text escaped,
numbers rounded to keep pages small, and no script or external reference, so it can sit
inside the HTML report or be written beside a model card as a ``.svg`` file.

>>> chart = forest([{"label": "sex=F", "value": 0.8, "low": 0.7, "high": 0.9, "outcome": "passed"}],
...                threshold=0.75, title="accuracy by sex")
>>> chart.startswith("<svg") and "sex=F" in chart and "<script" not in chart
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

COLORS = {"passed": "#1a7f37", "failed": "#cf222e", "inconclusive": "#9a6700", "error": "#8250df"}
SERIES = ("#0969da", "#bc4c00", "#1a7f37", "#8250df", "#57606a")
_FONT = 'font-family="system-ui,sans-serif" font-size="11"'


def _e(x: Any) -> str:
    return escape(str(x), quote=True)


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _tick(x: float) -> str:
    return f"{x:.3g}"


def _range(values: Sequence[float], pad: float = 0.05) -> tuple[float, float]:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    if hi == lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1)
    span = hi - lo
    return lo - pad * span, hi + pad * span


def _svg(width: int, height: int, title: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'class="chart" role="img" '
        f"{_FONT}><title>{_e(title)}</title>"
        f'<text x="4" y="13" font-weight="600">{_e(title[:100])}</text>{body}</svg>'
    )


def _axis(x0: int, x1: int, y: float, lo: float, hi: float, label: str) -> str:
    parts = [f'<line x1="{x0}" y1="{_n(y)}" x2="{x1}" y2="{_n(y)}" stroke="#8c959f"/>']
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        x = x0 + (x1 - x0) * i / 4
        parts.append(f'<text x="{_n(x)}" y="{_n(y + 13)}" text-anchor="middle">{_tick(v)}</text>')
    parts.append(f'<text x="{(x0 + x1) // 2}" y="{_n(y + 27)}" text-anchor="middle">{_e(label)}</text>')
    return "".join(parts)


def forest(
    rows: Sequence[Mapping[str, Any]],
    *,
    threshold: float | None = None,
    title: str = "",
    xlabel: str = "",
    limit: int = 40,
) -> str:
    """A forest plot: one row per entry (``label``, ``value``, ``low``, ``high``, ``outcome``),
    sorted by value, with its interval as a bar and the requirement as a dashed line."""
    shown = sorted((r for r in rows if r.get("value") is not None), key=lambda r: r["value"])[:limit]
    labels = [str(r.get("label", "")) for r in shown]
    labels = [t if len(t) <= 40 else t[:39] + "…" for t in labels]
    longest = max((len(t) for t in labels), default=0)
    width, right, row = 640, 620, 18
    left = int(min(300, max(90, 6.6 * longest + 14)))  # room for the longest label at the font size
    height = 30 + row * max(len(shown), 1) + 34
    ends: list[float] = [v for r in shown for v in (r.get("low"), r.get("high"), r["value"]) if v is not None]
    lo, hi = _range([*ends, threshold] if threshold is not None else ends)
    if ends and min(ends) >= 0.0 and max(ends) <= 1.0:
        lo, hi = max(lo, 0.0), min(hi, 1.0)  # shares: the axis stays within [0, 1]

    def x(v: float) -> float:
        return left + (right - left) * (v - lo) / (hi - lo)

    parts = []
    for i, r in enumerate(shown):
        y = 30 + row * i + row / 2
        color = COLORS.get(r.get("outcome") or "", "#57606a")
        label = labels[i]
        parts.append(f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end">{_e(label)}</text>')
        if r.get("low") is not None and r.get("high") is not None:
            parts.append(
                f'<line x1="{_n(x(r["low"]))}" y1="{_n(y)}" x2="{_n(x(r["high"]))}" y2="{_n(y)}" '
                f'stroke="{color}" stroke-width="2"/>'
            )
        parts.append(f'<circle cx="{_n(x(r["value"]))}" cy="{_n(y)}" r="3.5" fill="{color}"/>')
    bottom = 30 + row * max(len(shown), 1)
    if threshold is not None:
        tx = _n(x(threshold))
        parts.append(
            f'<line x1="{tx}" y1="24" x2="{tx}" y2="{bottom}" stroke="#57606a" stroke-dasharray="4 3"/>'
        )
    parts.append(_axis(left, right, bottom + 2, lo, hi, xlabel))
    return _svg(width, height, title, "".join(parts))


def lines(
    series: Sequence[tuple[str, Sequence[float], Sequence[float]]],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    diagonal: bool = False,
    unit_square: bool = False,
) -> str:
    """Line chart of ``(name, xs, ys)`` series; ``diagonal`` draws y = x, ``unit_square`` fixes both axes to [0, 1]."""
    width, height, left, right, top, bottom = 640, 260, 50, 620, 24, 214
    xs = [v for _, sx, _ in series for v in sx]
    ys = [v for _, _, sy in series for v in sy]
    xlo, xhi = (0.0, 1.0) if unit_square else _range(xs, 0.0)
    ylo, yhi = (0.0, 1.0) if unit_square else _range(ys)

    def px(v: float) -> str:
        return _n(left + (right - left) * (v - xlo) / (xhi - xlo))

    def py(v: float) -> str:
        return _n(bottom - (bottom - top) * (v - ylo) / (yhi - ylo))

    parts = [f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#8c959f"/>']
    for i in range(5):
        v = ylo + (yhi - ylo) * i / 4
        parts.append(f'<text x="{left - 4}" y="{_n(float(py(v)) + 4)}" text-anchor="end">{_tick(v)}</text>')
    parts.append(
        f'<text x="12" y="{(top + bottom) // 2}" transform="rotate(-90 12 {(top + bottom) // 2})" '
        f'text-anchor="middle">{_e(ylabel)}</text>'
    )
    if diagonal:
        parts.append(
            f'<line x1="{px(xlo)}" y1="{py(ylo)}" x2="{px(xhi)}" y2="{py(yhi)}" stroke="#8c959f" stroke-dasharray="4 3"/>'
        )
    for k, (name, sx, sy) in enumerate(series):
        color = SERIES[k % len(SERIES)]
        points = " ".join(
            f"{px(a)},{py(b)}"
            for a, b in zip(sx, sy, strict=False)
            if a is not None and b is not None and math.isfinite(a) and math.isfinite(b)
        )
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{points}"/>')
        parts.append(
            f'<text x="{right - 4}" y="{top + 12 + 13 * k}" text-anchor="end" fill="{color}">{_e(name)}</text>'
        )
    parts.append(_axis(left, right, bottom, xlo, xhi, xlabel))
    return _svg(width, height, title, "".join(parts))


def bars(
    edges: Sequence[Any],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "share",
) -> str:
    """Grouped bars: ``series`` of ``(name, heights)`` over bins labelled by ``edges``.

    ``edges`` are bin labels (one per bin, e.g. categories) or numeric edges (one more than the bins).
    """
    width, height, left, right, top, bottom = 640, 240, 50, 620, 24, 196
    bins = max((len(h) for _, h in series), default=0)
    labels = [str(e) for e in edges]
    if len(edges) == bins + 1:
        labels = [f"{_tick(float(a))}–{_tick(float(b))}" for a, b in itertools.pairwise(edges)]
    top_value = max((v for _, h in series for v in h), default=1.0) or 1.0
    slot = (right - left) / max(bins, 1)
    bar = slot * 0.8 / max(len(series), 1)
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#8c959f"/>']
    for i in range(3):
        v = top_value * i / 2
        y = bottom - (bottom - top) * v / top_value
        parts.append(f'<text x="{left - 4}" y="{_n(y + 4)}" text-anchor="end">{_tick(v)}</text>')
    for k, (name, heights) in enumerate(series):
        color = SERIES[k % len(SERIES)]
        for i, v in enumerate(heights):
            h = (bottom - top) * v / top_value
            x = left + slot * i + slot * 0.1 + bar * k
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(bottom - h)}" width="{_n(max(bar - 0.5, 0.5))}" height="{_n(h)}" fill="{color}"/>'
            )
        parts.append(
            f'<text x="{right - 4}" y="{top + 12 + 13 * k}" text-anchor="end" fill="{color}">{_e(name)}</text>'
        )
    step = max(1, math.ceil(bins / 8))
    for i in range(0, bins, step):
        label = labels[i] if i < len(labels) else ""
        label = label if len(label) <= 14 else label[:13] + "…"
        parts.append(
            f'<text x="{_n(left + slot * (i + 0.5))}" y="{bottom + 13}" text-anchor="middle">{_e(label)}</text>'
        )
    parts.append(
        f'<text x="{(left + right) // 2}" y="{bottom + 30}" text-anchor="middle">{_e(xlabel)}</text>'
    )
    parts.append(
        f'<text x="12" y="{(top + bottom) // 2}" transform="rotate(-90 12 {(top + bottom) // 2})" '
        f'text-anchor="middle">{_e(ylabel)}</text>'
    )
    return _svg(width, height, title, "".join(parts))


def heatmap(matrix: Sequence[Sequence[float]], labels: Sequence[Any], *, title: str = "") -> str:
    """A confusion matrix: rows are the true class, columns the predicted one; counts in the cells."""
    k = len(matrix)
    cellsize = max(24, min(60, 300 // max(k, 1)))
    left, top = 110, 40
    width, height = left + cellsize * k + 20, top + cellsize * k + 40
    peak = max((v for row in matrix for v in row), default=1) or 1
    parts = []
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            shade = 0.1 + 0.85 * v / peak
            x, y = left + cellsize * j, top + cellsize * i
            ink = "#fff" if shade > 0.55 else "#1f2328"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cellsize}" height="{cellsize}" fill="#0969da" fill-opacity="{shade:.2f}"/>'
                f'<text x="{x + cellsize // 2}" y="{y + cellsize // 2 + 4}" text-anchor="middle" fill="{ink}">{_e(_tick(v))}</text>'
            )
        parts.append(
            f'<text x="{left - 6}" y="{top + cellsize * i + cellsize // 2 + 4}" text-anchor="end">{_e(labels[i])}</text>'
        )
    for j in range(k):
        parts.append(
            f'<text x="{left + cellsize * j + cellsize // 2}" y="{top - 6}" text-anchor="middle">{_e(labels[j])}</text>'
        )
    parts.append(
        f'<text x="{left + cellsize * k // 2}" y="{height - 12}" text-anchor="middle">predicted</text>'
    )
    parts.append(f'<text x="8" y="{top + cellsize * k // 2}" >true</text>')
    return _svg(width, height, title, "".join(parts))
