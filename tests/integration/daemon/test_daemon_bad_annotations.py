"""Issue 12 item 2 against the real daemon (kubernetes client over HTTP, SQLite, its HTTP API): Jobs whose
annotations once made them vanish (decimal overflow, deep JSON, a 5,000-digit integer, an ETA past year 9999, a
subnormal progress, a 200 KB value) all appear in /api/v1/jobs and /metrics with their exact cost and a problem."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from monitor.core.clock import ManualClock
from monitor.demo import objects
from monitor.demo.apiserver import LocalApiServer
from monitor.runtime.app import build_daemon
from tests.integration.daemon.helpers import P4D, T0, gpu_node, iso, settings_for

P = "trainspend.io/"
MODEL = {P + "model": "llama-3-8b"}
BAD = {
    "overflow": {**MODEL, P + "tokens": "1e999999999"},
    "deep-json": {P + "model-config": '{"a": ' + "[" * 20_000 + "]" * 20_000 + "}", P + "tokens": "2e9"},
    "digits": {**MODEL, P + "tokens": "2e9", P + "seq-len": "9" * 5000},
    "digits-4000": {**MODEL, P + "tokens": "2e9", P + "total-steps": "9" * 4000, P + "step": "1"},
    "eta-overflow": {**MODEL, P + "tokens": "1e18"},
    "tiny-progress": {**MODEL, P + "tokens": "2e9", P + "progress": "5e-324"},
    "huge-value": {**MODEL, P + "tokens": "2e9", P + "method": "x" * 200_000},
    "huge-config-int": {
        P + "model-config": json.dumps(
            {
                "hidden_size": 10**15,
                "num_hidden_layers": 32,
                "num_attention_heads": 32,
                "vocab_size": 32000,
                "intermediate_size": 11008,
            }
        ),
        P + "tokens": "2e9",
    },
}


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # a 127.0.0.1 test server
        body: bytes = response.read()
        return body


def test_no_job_vanishes_for_a_malformed_annotation(server: LocalApiServer, clock: ManualClock, tmp_path: Path) -> None:
    node = gpu_node("n-p4d", "p4d.24xlarge")
    # NVIDIA GPU feature discovery's product label on a p4d (gpu-feature-discovery README, A100-SXM4-40GB).
    node["metadata"]["labels"]["nvidia.com/gpu.product"] = "NVIDIA-A100-SXM4-40GB"  # type: ignore[index]
    server.create(node)
    for name, given in BAD.items():
        job = server.create(objects.custom("kubeflow.org/v1", "PyTorchJob", name, "ml", annotations=given))
        server.create(
            objects.pod(
                f"{name}-0", "ml", "n-p4d", {"nvidia.com/gpu": "1"}, started=iso(T0), owners=[objects.owner(job)]
            )
        )
    daemon = build_daemon(settings_for(server, tmp_path / "ts.db"), clock)
    daemon.http.start()
    daemon.source.start()
    try:
        assert daemon.source.wait_synced(10)
        clock.advance(3600)
        daemon.tick()
        clock.advance(3600)
        daemon.tick()
        jobs = {job["name"]: job for job in json.loads(get(daemon.url + "/api/v1/jobs"))["items"]}
        metrics = get(daemon.url + "/metrics").decode()
    finally:
        daemon.stop()
    assert set(jobs) == set(BAD)
    for name, job in jobs.items():
        assert job["cost_usd"] == pytest.approx(2 * P4D / 8, abs=0.005), name  # 2 h of 1 of 8 GPUs
        assert (
            f'trainspend_job_cost_usd_total{{cluster="it",namespace="ml",queue="",team="",workload="{name}",'
            'workload_kind="PyTorchJob"} 8.0' in metrics
        )
        assert all(len(problem["value"]) < 300 for problem in job["problems"]), name
    for name in ("overflow", "deep-json", "digits", "digits-4000", "huge-value"):
        assert jobs[name]["problems"], name
    assert jobs["eta-overflow"]["expected_completion"] is None
    assert jobs["tiny-progress"]["projected_cost_usd"] is not None  # the estimate alone: 5e-324 says nothing
    assert jobs["tiny-progress"]["estimate"] is not None
