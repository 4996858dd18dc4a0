"""README's commands that are not `trainspend …` (those are tests/e2e/test_documented_commands.py's), each run as far
as this machine allows and its output compared with what README says it does:

- `helm install …`: README's command exactly, plus `--dry-run=client` (the real helm 4 renders the release offline;
  no cluster here): the release, the kinds README promises and the values its flags set.
- `make TARGET`: `make -n TARGET` prints the recipe without running it (`make test` would run this suite, `make demo`
  serves until stopped, `make bench` takes minutes); each recipe runs what README's comment says. The demo itself is
  run by test_demo.py, `make lint`'s commands by CI.
- `docker build` / `docker push`: not runnable here (no Docker daemon): the Dockerfile declares the build argument
  README passes, and the image README tags lands in the chart's Deployment when given as README says.
- `python -m benchmarks NAME`: estimator_accuracy and estimator_speed run in full (seconds); store_growth in quick mode;
  forecast, scale and http_load in quick mode in test_benchmarks_quick.py. Each report has the rows README's tables
  quote, and the accuracy table says "missed" exactly when the benchmark does.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from typing import Any

import pytest
import yaml

from tests.fixtures.binaries import ROOT, require_binary

README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")


def _bash_commands() -> list[str]:
    """Every command of README's ```bash blocks: continuation lines joined, `# comments` dropped, `;` split."""
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```$", TEXT, re.MULTILINE | re.DOTALL):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            for part in line.split("#", 1)[0].split(";"):
                if part.strip():
                    commands.append(" ".join(part.split()))
    return commands


def _kind(command: str) -> str:
    words = command.split()
    if words[0].endswith("/trainspend"):
        return "trainspend"
    return "benchmarks" if words[:3] == ["python", "-m", "benchmarks"] else words[0]


def test_every_readme_command_is_of_a_kind_a_test_runs() -> None:
    kinds = {_kind(c) for c in _bash_commands()}
    assert kinds <= {"trainspend", "make", "helm", "docker", "benchmarks"}, kinds
    assert {"make", "helm", "docker"} <= kinds


# --- helm -------------------------------------------------------------------------------------------------------


def _helm_install() -> list[str]:
    (command,) = [c for c in _bash_commands() if c.startswith("helm install ")]
    return shlex.split(command)


def _dry_run(*extra: str) -> tuple[str, list[dict[str, Any]]]:
    helm = require_binary("helm")
    args = [helm, *_helm_install()[1:], *extra, "--dry-run=client"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = done.stdout.split("MANIFEST:", 1)[1].split("\nNOTES:", 1)[0]
    return done.stdout, [d for d in yaml.safe_load_all(manifest) if d]


def _set_flags(words: list[str]) -> dict[str, str]:
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "--set")


def test_the_readme_helm_install_renders_what_the_readme_says() -> None:
    words = _helm_install()
    flags = _set_flags(words)
    out, docs = _dry_run()
    assert re.search(r"^NAME: trainspend$", out, re.MULTILINE)
    assert re.search(r"^NAMESPACE: trainspend$", out, re.MULTILINE)  # -n trainspend
    assert "STATUS: pending-install" in out
    kinds = [d["kind"] for d in docs]
    # serviceMonitor / prometheusRule / dashboards enabled; the NetworkPolicy is on by default (README: "Access").
    assert {"Deployment", "ServiceMonitor", "PrometheusRule", "NetworkPolicy", "ClusterRole"} <= set(kinds)
    release = flags["prometheusRelease"]
    for doc in docs:
        if doc["kind"] in ("ServiceMonitor", "PrometheusRule"):  # "labelled `release: <that name>`"
            assert doc["metadata"]["labels"]["release"] == release
    dashboards = [d for d in docs if d["kind"] == "ConfigMap" and "grafana_dashboard" in d["metadata"]["labels"]]
    assert len(dashboards) == 3  # fleet overview, Job detail, nodes (README: Grafana)
    assert f'cluster "{flags["config.cluster"]}"' in out.split("NOTES:", 1)[1]
    assert any(f"cluster: {flags['config.cluster']}" in yaml.safe_dump(d) for d in docs if d["kind"] == "ConfigMap")


# --- docker -----------------------------------------------------------------------------------------------------


def test_the_image_readme_builds_is_the_one_the_chart_runs_with_its_flags() -> None:
    # Docker cannot run here: check what the commands rely on instead of running them.
    (build,) = [shlex.split(c) for c in _bash_commands() if c.startswith("docker build ")]
    tag = build[build.index("-t") + 1]
    build_arg = build[build.index("--build-arg") + 1].split("=", 1)[0]
    assert re.search(rf"^ARG {build_arg}=", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE)
    assert any(c == f"docker push {tag}" for c in _bash_commands())
    # "then add to the helm install below: --set image.repository=… --set image.tag=…"
    hint = re.search(r"# then add to the helm install below: (.*)$", TEXT, re.MULTILINE)
    assert hint is not None
    _, docs = _dry_run(*shlex.split(hint.group(1)))
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    images = {c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]}
    assert images == {tag}


# --- make -------------------------------------------------------------------------------------------------------

# What README's comments say each target does → lines its recipe must run.
RECIPES = {
    "demo": ("EXTRAS= bash scripts/bootstrap.sh", ".venv/bin/trainspend demo"),  # the package alone, then the demo
    "test": ("bash scripts/bootstrap.sh", "bash scripts/install-test-tools.sh", ".venv/bin/python -m pytest -q"),
    "test-fast": ('.venv/bin/python -m pytest -q -m "not integration"',),
    "lint": ("ruff check .", "ruff format --check .", "mypy estimator monitor", "lint-imports"),
    "bench": (".venv/bin/python -m benchmarks",),
}


def _make_targets() -> set[str]:
    block = {c.split()[1] for c in _bash_commands() if c.startswith("make ")}
    prose = set(re.findall(r"`(?:[A-Z]+=\S+ )?make ([a-z][a-z-]*)`", TEXT))
    return block | prose


@pytest.mark.parametrize("target", sorted(RECIPES))
def test_each_make_target_the_readme_names_runs_what_it_says(target: str) -> None:
    assert _make_targets() <= set(RECIPES), "a make target README names has no expectation here"
    make = require_binary("make", "apt-get install -y make")
    done = subprocess.run([make, "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for line in RECIPES[target]:
        assert line in done.stdout, (target, line, done.stdout)


def test_duration_60_make_demo_passes_the_duration_to_the_demo() -> None:
    assert "`DURATION=60 make demo` stops after a minute" in TEXT
    make = require_binary("make", "apt-get install -y make")
    recipe = subprocess.run([make, "-n", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    (line,) = [x for x in recipe.stdout.splitlines() if "trainspend demo" in x]
    # The shell expands the recipe line as make would run it; `echo` stands in for the daemon.
    expanded = subprocess.run(["bash", "-c", "echo " + line], env={"DURATION": "60", "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, timeout=10, check=True)  # fmt: skip
    assert expanded.stdout.split() == [".venv/bin/trainspend", "demo", "--duration", "60"]
    plain = subprocess.run(["bash", "-c", "echo " + line], env={"PATH": "/usr/bin:/bin"}, capture_output=True,
                           text=True, timeout=10, check=True)  # fmt: skip
    assert plain.stdout.split() == [".venv/bin/trainspend", "demo"]  # runs until Ctrl-C


# --- benchmarks -------------------------------------------------------------------------------------------------

# README's estimator accuracy table, first column (up to its first " (" or ","): the report section with the figure.
ACCURACY_ROWS = {
    "parameter counts": "parameters",
    "peak training memory": "peak memory, full",
    "OOM on an 80 GB GPU": "peak memory, full",  # no predicted peak below a measured one that fit
    "step time without `--mfu`": "step time (no --mfu)",
    "step time": "held out",
    "attention rate": "kernel curve, seq held out",
    "Llama-3-8B / 70B / 3.1-405B fp8 tokens/s per GPU": "tokens/s per GPU of published H100 runs",
    "A100 GEMM fraction fitted on 4 published A100 runs": "A100 GEMM fraction fitted on 4 published A100 runs",
    "**step time held out": "step time, held out (H100 rows",
    "…": "modelled GPU-bound",
    "leave one family out": "leave one group out",  # its "family gpt2" row
    "leave one sequence length out": "leave one group out",  # its "seq 2048" / "seq 8192" rows
    "LLaMA-1 7B–65B GPU-hours": "GPU-hours of published runs",
    "Megatron-LM": "GPU-hours for 300B tokens of published Megatron-LM A100 runs",
    "**GPU-hours against all": "published runs: median |error|",
}
# Benchmarks README names → how this suite runs them.
RUNS = {
    "estimator_accuracy": "full, below",
    "estimator_speed": "full, below",
    "store_growth": "quick, below",
    "forecast": "quick, test_benchmarks_quick.py",
    "scale": "quick, test_benchmarks_quick.py",
    "http_load": "quick, test_benchmarks_quick.py",
}


def _benchmarks(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "crashed" not in done.stdout
    return done.stdout


def _accuracy_table() -> list[list[str]]:
    start = TEXT.index("`python -m benchmarks estimator_accuracy`")
    table = re.search(r"^\| check \|.*?\n\|---.*?\n((?:\|.*\n)+)", TEXT[start:], re.MULTILINE)
    assert table is not None
    return [[cell.strip() for cell in row.strip("|\n").split(" | ")] for row in table.group(1).splitlines()]


def test_every_benchmark_the_readme_names_is_run() -> None:
    named = set(re.findall(r"`python -m benchmarks ([a-z_]+)", TEXT))
    assert named == set(RUNS), named


def test_the_estimator_benchmarks_print_the_rows_and_verdict_the_readme_shows() -> None:
    out = _benchmarks("estimator_accuracy", "estimator_speed")
    rows = _accuracy_table()
    for check, *_ in rows:
        key = next((k for k in sorted(ACCURACY_ROWS, key=len, reverse=True) if check.startswith(k)), None)
        assert key is not None, f"README accuracy row {check!r}: name its report section in ACCURACY_ROWS"
        assert ACCURACY_ROWS[key] in out, (check, ACCURACY_ROWS[key])
    # README's table is the markdown the benchmark prints last (benchmarks.readme_rows), row for row
    printed = out[out.index("README accuracy rows") :]
    for row in rows:
        assert "| " + " | ".join(row) + " |" in printed, row
    # README marks the missed targets; the benchmark says a target was missed exactly then.
    readme_missed = any("missed" in row[-1] for row in rows)
    assert readme_missed == ("some targets missed" in out)
    # estimator_speed: README quotes one estimate's time and `plan` over the whole catalog against ≤ 1 s.
    assert "estimate (llama-3-8b LoRA" in out
    assert re.search(r"plan over the whole catalog \(\d+ GPUs, \d+ layouts, \d+ candidates\):\s+[\d.]+ ms", out)


def test_store_growth_prints_the_rows_the_readme_table_shows() -> None:
    out = _benchmarks("--quick", "store_growth")
    start = TEXT.index("**Store growth**")
    table = re.search(r"^\| scenario \|.*?\n\|---.*?\n((?:\|.*\n)+)", TEXT[start:], re.MULTILINE)
    assert table is not None
    labels = [row.split("|")[1].strip() for row in table.group(1).splitlines()]
    printed = {"steady, no churn": "| steady (no churn)", "hourly 10 % pod churn": "| churn: "}
    for label in labels:
        key = next((k for k in printed if label.startswith(k)), None)
        assert key is not None, f"README store growth row {label!r}: name its report row here"
        assert printed[key] in out, label
    assert "sizing: ~" in out  # README: "Sizing: ~0.6 KB per pod plus ~1.7 KB per event"
