"""`trainspend plan`: the Pareto front first, offers differing only by GPU count folded, and `--chart` files that a
real XML/HTML parser reads back with one dot per plan and one ring per front member."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

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
    circles = root.iter(f"{SVG}circle")
    classes = [c.get("class") for c in circles]
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
    assert "GPU counts)" in out


def test_chart_with_an_unknown_suffix_exits_2_naming_the_flag(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), [*ARGS, "--chart", str(tmp_path / "plan.pdf")])
    assert result.exit_code == 2
    assert "--chart" in result.output
    assert ".svg or .html" in result.output
    assert not (tmp_path / "plan.pdf").exists()
