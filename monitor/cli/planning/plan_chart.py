"""`plan --chart FILE.svg|html|png`: total cost against wall time, one dot per accepted plan, the Pareto front marked.

Hand-written SVG so the chart needs no plotting library; the HTML form is the same SVG in a page with its table; the
PNG form is that SVG rasterised by CairoSVG (the optional `png` extra, on the cairo C library), so the three never
draw different charts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape
from pathlib import Path

from estimator.pareto import pareto_front
from estimator.plan import Candidate, Plan

_WIDTH, _HEIGHT, _MARGIN = 1000, 520, 70
_RIGHT = _WIDTH - 190  # the plot's right edge; the legend (GPU ids up to ~22 characters) lies beyond it
# Colour-blind-safe categorical palette (Okabe & Ito, "Color Universal Design", 2008).
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CHART_SUFFIXES = (".svg", ".html", ".png")
PNG_NEEDS = "pip install 'trainspend[png]' (CairoSVG) and the cairo library (Debian: apt-get install libcairo2)"


class ChartError(Exception):
    """A --chart path this command cannot write; the message names the fix."""


def rasteriser() -> Callable[..., bytes]:
    """CairoSVG, imported on demand: only PNG output needs it, and it loads the cairo C library when imported."""
    try:
        import cairosvg  # optional extra
    except (ImportError, OSError) as error:  # OSError: the package is there but libcairo is not
        raise ChartError(f"PNG output needs a rasteriser ({error}): {PNG_NEEDS}; or use FILE.svg / FILE.html") from None
    svg2png: Callable[..., bytes] = cairosvg.svg2png
    return svg2png


def check_chart_path(path: Path) -> None:
    """Refuses, before any work, a suffix we cannot draw and a PNG without its rasteriser."""
    suffix = path.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise ChartError(f"give a file ending in {', '.join(CHART_SUFFIXES[:-1])} or {CHART_SUFFIXES[-1]}")
    if suffix == ".png":
        rasteriser()


def _log_scale(values: list[float], low_px: float, high_px: float) -> tuple[float, float, float, float]:
    """Bounds (decades) and pixel range of a log10 axis: px = low + (log10 v − lo) / (hi − lo) × (high − low)."""
    positive = [v for v in values if v > 0]
    lo = math.floor(math.log10(min(positive))) if positive else 0.0
    hi = math.ceil(math.log10(max(positive))) if positive else 1.0
    return lo, max(hi, lo + 1), low_px, high_px


def _at(value: float, scale: tuple[float, float, float, float]) -> float:
    lo, hi, low_px, high_px = scale
    log = math.log10(max(value, 10**lo))
    return low_px + (log - lo) / (hi - lo) * (high_px - low_px)


def _label(candidate: Candidate) -> str:
    offer = f"{candidate.provider} {candidate.instance}" if candidate.provider else "no offer"
    capacity = f" {candidate.capacity_type.value}" if candidate.capacity_type else ""
    cost = f"{candidate.hours:,.1f} h · ${candidate.total_usd:,.2f}"
    return f"{candidate.gpus}x {candidate.gpu_id} · {offer}{capacity} · {cost}"


def _marker(style: int, cx: float, cy: float, r: float, attrs: str, title: str) -> str:
    """One GPU's mark: a palette colour, as a dot for the first 8 GPUs and a square for the next 8, so that more GPUs
    than colours stay told apart."""
    fill = _PALETTE[style % len(_PALETTE)]
    if style // len(_PALETTE) % 2 == 0:
        return f'<circle {attrs} cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{fill}"><title>{title}</title></circle>'
    return (
        f'<rect {attrs} x="{cx - r:.1f}" y="{cy - r:.1f}" width="{2 * r}" height="{2 * r}" fill="{fill}">'
        f"<title>{title}</title></rect>"
    )


def plan_chart_svg(result: Plan) -> str:
    """The SVG: log-log axes (hours → right, USD ↑), dots coloured by GPU model, the front as a line of rings."""
    placed = [c for c in result.accepted if c.hours is not None and c.total_usd is not None]
    x = _log_scale([c.hours or 0.0 for c in placed], _MARGIN, _RIGHT)
    y = _log_scale([c.total_usd or 0.0 for c in placed], _HEIGHT - _MARGIN, _MARGIN)
    styles = {gpu: i for i, gpu in enumerate(sorted({c.gpu_id for c in placed}))}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="sans-serif" font-size="12" role="img">',
        "<title>Plans: total cost (USD) against wall time (hours), Pareto front marked</title>",
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="white"/>',
    ]
    for decade in range(int(x[0]), int(x[1]) + 1):
        px = _at(10.0**decade, x)
        parts.append(
            f'<line class="grid" x1="{px:.1f}" y1="{_MARGIN}" x2="{px:.1f}" y2="{_HEIGHT - _MARGIN}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{px:.1f}" y="{_HEIGHT - _MARGIN + 18}" text-anchor="middle">{10.0**decade:g} h</text>')
    for decade in range(int(y[0]), int(y[1]) + 1):
        py = _at(10.0**decade, y)
        parts.append(f'<line class="grid" x1="{_MARGIN}" y1="{py:.1f}" x2="{_RIGHT}" y2="{py:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{_MARGIN - 6}" y="{py + 4:.1f}" text-anchor="end">${10.0**decade:g}</text>')
    parts.append(
        f'<text x="{(_MARGIN + _RIGHT) / 2}" y="{_HEIGHT - 20}" text-anchor="middle">wall time (hours, log)</text>'
    )
    parts.append(
        f'<text x="18" y="{_HEIGHT / 2}" transform="rotate(-90 18 {_HEIGHT / 2})" text-anchor="middle">'
        "total cost (USD, log)</text>"
    )
    for c in placed:
        cx, cy = _at(c.hours or 0.0, x), _at(c.total_usd or 0.0, y)
        parts.append(_marker(styles[c.gpu_id], cx, cy, 3.5, 'class="plan" fill-opacity="0.7"', escape(_label(c))))
    front = pareto_front(placed)
    points = " ".join(f"{_at(c.hours or 0.0, x):.1f},{_at(c.total_usd or 0.0, y):.1f}" for c in front)
    parts.append(f'<polyline class="front" points="{points}" fill="none" stroke="#333" stroke-width="1.5"/>')
    for c in front:
        cx, cy = _at(c.hours or 0.0, x), _at(c.total_usd or 0.0, y)
        parts.append(
            f'<circle class="front-point" cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="none" stroke="#333" '
            f'stroke-width="1.5"><title>Pareto front: {escape(_label(c))}</title></circle>'
        )
    for gpu, i in styles.items():
        ly = _MARGIN + 16 * i
        parts.append(_marker(i, _RIGHT + 16, ly, 4, 'class="legend-mark"', escape(gpu)))
        parts.append(f'<text class="legend" x="{_RIGHT + 24}" y="{ly + 4}">{escape(gpu)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _front_rows(result: Plan) -> str:
    rows = []
    for c in pareto_front(result.accepted):
        rows.append(f"<tr><td>{escape(_label(c))}</td></tr>")
    return "\n".join(rows)


def write_plan_chart(result: Plan, path: Path) -> None:
    """Writes FILE.svg, FILE.png (the SVG rasterised, 1 px per SVG unit) or FILE.html (the SVG and the front as a
    list); the caller has checked the path with `check_chart_path`."""
    svg = plan_chart_svg(result)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(svg + "\n", encoding="utf-8")
        return
    if suffix == ".png":
        png = rasteriser()(bytestring=svg.encode("utf-8"), output_width=_WIDTH, output_height=_HEIGHT)
        path.write_bytes(png)
        return
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>trainspend plan</title></head><body>\n'
        f"<h1>{len(result.accepted)} plans that fit</h1>\n{svg}\n"
        f"<h2>Pareto front (fastest to cheapest)</h2>\n<table>\n{_front_rows(result)}\n</table>\n</body></html>\n"
    )
    path.write_text(page, encoding="utf-8")
