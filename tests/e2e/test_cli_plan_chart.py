"""`trainspend plan`: the Pareto front first, offers differing only by GPU count folded, and `--chart` files that a
real XML/HTML parser reads back with one dot per plan and one ring per front member, and a PNG that Pillow decodes
with the rings drawn where the SVG puts them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from estimator.pareto import fold_gpu_counts, pareto_front
from estimator.plan import Candidate
from monitor.cli.main import build_app

ARGS = ["plan", "--model", "llama-3-8b", "--tokens", "2e8", "--method", "lora", "--max-gpus", "16"]
SVG = "{http://www.w3.org/2000/svg}"


def _invoke(*args: str):
    return CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "200"})


def _accepted() -> list[Candidate]:
    result = _invoke(*ARGS, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["accepted"]
    return [Candidate.model_validate({k: v for k, v in c.items() if k != "total"}) for c in rows]


def test_svg_chart_has_a_dot_per_plan_and_rings_the_front(tmp_path: Path) -> None:
    accepted = _accepted()
    chart = tmp_path / "plan.svg"
    result = _invoke(*ARGS, "--chart", str(chart))
    assert result.exit_code == 0, result.output
    root = ET.parse(chart).getroot()
    classes = [element.get("class") for element in root.iter()]
    assert classes.count("plan") == len([c for c in accepted if c.hours is not None and c.total_usd is not None])
    front = pareto_front(accepted)
    assert classes.count("front-point") == len(front) >= 2
    polyline = next(root.iter(f"{SVG}polyline"))
    xs = [float(p.split(",")[0]) for p in (polyline.get("points") or "").split()]
    ys = [float(p.split(",")[1]) for p in (polyline.get("points") or "").split()]
    assert xs == sorted(xs)  # faster to slower, left to right
    assert ys == sorted(ys)  # dearer to cheaper: SVG y grows downward, so the cheaper point has the larger y


def test_html_chart_embeds_the_svg_and_lists_the_front(tmp_path: Path) -> None:
    chart = tmp_path / "plan.html"
    assert _invoke(*ARGS, "--chart", str(chart)).exit_code == 0

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)

    parser = Tags()
    parser.feed(chart.read_text(encoding="utf-8"))
    assert parser.tags.count("svg") == 1
    assert parser.tags.count("tr") == len(pareto_front(_accepted()))


def test_table_shows_the_front_first_then_one_row_per_offer() -> None:
    accepted = _accepted()
    result = _invoke(*ARGS, "--top", "500")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("Pareto front") < out.index("other offers")
    front = pareto_front(accepted)
    others = fold_gpu_counts(c for c in accepted if c not in front)
    assert f"Cheapest {len(others)} of {len(others)} other offers ({len(accepted)} plans fit in all)" in out
    assert len(others) < len(accepted) - len(front)  # the fold did hide rows
    assert "more: rows of the same offer at other GPU counts" in out


def _dark(pixel: tuple[int, ...]) -> bool:
    return max(pixel[:3]) < 110  # the front's #333 stroke, anti-aliased; no palette colour is that dark but black


def test_png_chart_decodes_at_the_svg_size_with_the_front_rings_drawn(tmp_path: Path) -> None:
    svg_path, png_path = tmp_path / "plan.svg", tmp_path / "plan.png"
    assert _invoke(*ARGS, "--chart", str(svg_path)).exit_code == 0
    result = _invoke(*ARGS, "--chart", str(png_path))
    assert result.exit_code == 0, result.output
    root = ET.parse(svg_path).getroot()
    with Image.open(png_path) as image:
        assert image.format == "PNG"
        assert image.size == (int(root.get("width") or 0), int(root.get("height") or 0))
        pixels = image.convert("RGB")
        rings = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "front-point"]
        assert len(rings) >= 2
        for ring in rings:
            cx, cy, r = (float(ring.get(k) or 0) for k in ("cx", "cy", "r"))
            # The ring's stroke is dark at four points of its circumference, whatever dots lie beneath it.
            for dx, dy in ((r, 0), (-r, 0), (0, r), (0, -r)):
                around = [
                    pixels.getpixel((round(cx + dx) + i, round(cy + dy) + j)) for i in (-1, 0, 1) for j in (-1, 0, 1)
                ]
                assert any(_dark(p) for p in around), (cx, cy, dx, dy)
        plans = [e for e in root.iter() if e.get("class") == "plan"]
        for dot in plans[:20]:  # each plan's mark is coloured, not the white background
            if dot.tag == f"{SVG}circle":
                x, y = float(dot.get("cx") or 0), float(dot.get("cy") or 0)
            else:
                x = float(dot.get("x") or 0) + float(dot.get("width") or 0) / 2
                y = float(dot.get("y") or 0) + float(dot.get("height") or 0) / 2
            assert pixels.getpixel((round(x), round(y))) != (255, 255, 255)
        assert pixels.getpixel((5, 5)) == (255, 255, 255)  # outside the plot: the background


def test_png_chart_without_the_rasteriser_exits_2_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "cairosvg", None)  # what `import cairosvg` meets where the extra is not installed
    result = CliRunner().invoke(build_app(), [*ARGS, "--chart", str(tmp_path / "plan.png")])
    assert result.exit_code == 2
    assert "trainspend[png]" in result.output
    assert not (tmp_path / "plan.png").exists()


def test_chart_with_an_unknown_suffix_exits_2_naming_the_flag(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), [*ARGS, "--chart", str(tmp_path / "plan.pdf")])
    assert result.exit_code == 2
    assert "--chart" in result.output
    assert ".svg, .html or .png" in result.output
    assert not (tmp_path / "plan.pdf").exists()
