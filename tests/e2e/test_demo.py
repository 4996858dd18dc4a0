"""The demo end to end: the simulated cluster over real HTTP, the real daemon, its JSON API and /metrics — and a
real Prometheus scraping it, answering PromQL for per-Job cost and projection and every core dashboard panel."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.demo.runner import DemoRunner
from tests.fixtures.apiserver import eventually
from tests.fixtures.binaries import ROOT, require_binary
from tests.integration.deploy.test_dashboards import panel_queries, substitute


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRunner]:
    runner = DemoRunner(listen="127.0.0.1:0", speed=120.0, db_path=tmp_path_factory.mktemp("demo") / "demo.db")
    runner.start()
    try:
        eventually(lambda: _jobs(runner) and all(j["cost_usd"] > 0 for j in _jobs(runner)[:3]), 30, "demo costs")
        yield runner
    finally:
        runner.stop()


def _jobs(runner: DemoRunner) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = httpx.get(f"{runner.url}/api/v1/jobs", timeout=5).json()["items"]
    return items


def test_api_shows_cost_burn_rate_projection_and_problems(demo: DemoRunner) -> None:
    jobs = {j["name"]: j for j in _jobs(demo)}
    lora = jobs["llama3-8b-lora-support"]
    assert lora["kind"] == "Job"
    assert lora["cost_usd"] > 0
    assert lora["hourly_cost_usd"] == pytest.approx(55.04)  # a whole p5.48xlarge from the embedded catalog
    assert lora["price"]["source"]
    assert lora["price"]["as_of"]
    band = lora["projected_cost_usd"]
    assert band["p10"] <= band["p50"] <= band["p90"]
    assert lora["expected_completion"]
    assert lora["estimate"]["assumptions"]
    assert jobs["qwen-1b-pretrain"]["kind"] == "PyTorchJob"
    assert jobs["qwen-1b-pretrain"]["gpus"] == 16
    assert jobs["mixtral-qlora-sft"]["kind"] == "JobSet"
    assert jobs["rl-reward-finetune"]["kind"] == "RayJob"
    bad = jobs["bad-annotations-demo"]
    assert {p["annotation"] for p in bad["problems"]} >= {"trainspend.io/tokens", "trainspend.io/budget-usd"}
    assert bad["cost_usd"] > 0  # a bad annotation never stops accounting
    one = httpx.get(f"{demo.url}/api/v1/jobs/research/tinyllama-eval", timeout=5).json()
    assert one["name"] == "tinyllama-eval"
    assert one["price"]["source"] == "override"  # the owned DGX box, priced by TCO
    budgets = httpx.get(f"{demo.url}/api/v1/budgets", timeout=5).json()["items"]
    assert {b["name"] for b in budgets} == {
        "nlp-monthly",
        "foundation-weekly",
        "alignment-total",
        "nlp-cq-monthly",
        "hpc-cap",
    }
    assert httpx.get(f"{demo.url}/readyz", timeout=5).status_code == 200


def test_the_newer_kinds_and_kueue_queues_appear(demo: DemoRunner) -> None:
    """A TrainJob (queued in Kueue, admitted 12 simulated minutes in, reporting through status.trainerStatus), an
    mpi-operator v2beta1 MPIJob, a standalone RayCluster and an Argo Workflow's step, each as itself."""

    def by_name() -> dict[str, dict[str, Any]]:
        return {j["name"]: j for j in _jobs(demo)}

    eventually(
        lambda: by_name().get("gemma-sft-trainjob", {}).get("progress_source") == "trainer_status", 60, "the TrainJob"
    )
    jobs = by_name()
    kinds = {name: jobs[name]["kind"] for name in ("gemma-sft-trainjob", "allreduce-bench", "ray-tune-cluster")}
    assert kinds == {"gemma-sft-trainjob": "TrainJob", "allreduce-bench": "MPIJob", "ray-tune-cluster": "RayCluster"}
    assert jobs["kfp-finetune-7c4xq"]["kind"] == "Workflow"
    train = jobs["gemma-sft-trainjob"]
    assert (train["queue"], train["cluster_queue"], train["cohort"]) == ("nlp-queue", "nlp-cq", "research")
    assert train["admission_wait_seconds"] >= 12 * 60  # created suspended, admitted by the simulated Kueue
    assert train["progress_stale"] is False
    assert jobs["allreduce-bench"]["cluster_queue"] == "hpc-cq"
    assert jobs["allreduce-bench"]["gpus"] == 8


def test_estimate_endpoint_and_its_errors(demo: DemoRunner) -> None:
    ok = httpx.get(
        f"{demo.url}/api/v1/estimate",
        params={"model": "llama-3-8b", "tokens": "2e9", "gpu": "A100-SXM-80GB", "gpus": "8", "method": "lora"},
        timeout=10,
    )
    assert ok.status_code == 200
    assert ok.json()["params"]["total"] == 8_030_261_248 + ok.json()["params"]["trainable"]
    bad = httpx.get(f"{demo.url}/api/v1/estimate", params={"model": "llama-9", "tokens": "2e9"}, timeout=10)
    assert bad.status_code == 400
    assert "llama" in bad.json()["error"]


def test_metrics_exposition_carries_job_series(demo: DemoRunner) -> None:
    text = httpx.get(f"{demo.url}/metrics", timeout=5).text
    assert 'trainspend_job_cost_usd_total{cluster="demo"' in text
    assert 'quantile="0.5"' in text
    assert "trainspend_node_hourly_cost_usd{" in text
    assert "node_total_hourly_cost{" not in text  # OpenCost's names are opt-in (exporter.opencost_series)


def test_real_prometheus_scrapes_the_demo(demo: DemoRunner, tmp_path: Path) -> None:
    prometheus = require_binary("prometheus")
    host, port = demo.url.removeprefix("http://").split(":")
    prom_port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: trainspend\n    static_configs: [{{targets: ['{host}:{port}']}}]\n"
    )
    proc = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{prom_port}"
    try:

        def query(expr: str) -> list[dict[str, Any]]:
            body = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=5).json()
            assert body["status"] == "success", body
            result: list[dict[str, Any]] = body["data"]["result"]
            return result

        def ready() -> bool:
            try:
                return httpx.get(f"{base}/-/ready", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        def has_data() -> bool:
            return bool(query('trainspend_job_cost_usd_total{workload="llama3-8b-lora-support"}'))

        eventually(ready, 40, "Prometheus to start")  # before it is ready it answers 503 in plain text
        eventually(has_data, 40, "Prometheus to scrape the demo")
        [cost] = query('trainspend_job_cost_usd_total{workload="llama3-8b-lora-support"}')
        assert float(cost["value"][1]) > 0
        assert cost["metric"]["namespace"] == "ml-research"
        assert "exported_job" not in cost["metric"]
        projected = query('trainspend_job_projected_cost_usd{workload="llama3-8b-lora-support",quantile="0.5"}')
        assert float(projected[0]["value"][1]) >= float(cost["value"][1]) * 0.99
        time.sleep(2)  # a few more scrapes, for queries over ranges
        core = [(uid, title, q) for uid, title, q in panel_queries() if _is_core(uid, title)]
        assert len(core) >= 10
        empty = [f"{uid}/{title}: {q}" for uid, title, q in core if not query(_demo_vars(substitute(q)))]
        assert not empty, "core dashboard panels without data:\n" + "\n".join(empty)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _demo_vars(expr: str) -> str:
    return expr.replace('workload=~".*"', 'workload=~"llama3-8b-lora-support"')


def _is_core(uid: str, title: str) -> bool:
    board = json.loads((ROOT / "deploy" / "grafana" / f"{uid}.json").read_text())
    return any(p["title"] == title and p.get("trainspend", {}).get("core") for p in board["panels"])


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_command_runs_for_a_duration_and_prints_where_to_look(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli.main",
            "demo",
            "--duration",
            "6",
            "--listen",
            "127.0.0.1:0",
            "--quiet",
            "--db",
            str(tmp_path / "d.db"),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("trainspend demo: open http://127.0.0.1:")  # the page's URL comes first
    page = first.split("open ", 1)[1].split(" ", 1)[0]
    assert page.endswith("/")
    assert "/api/v1/jobs" in proc.stdout
    assert "/metrics" in proc.stdout
    assert "qwen-1b-pretrain" in proc.stdout  # the final job table
