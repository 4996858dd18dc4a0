"""boto3 and botocore add ~6 MiB to the daemon's RSS (~25 MiB in a bare interpreter); the daemon imports them only
when a setting turns an AWS part on (AWS pricing, CloudWatch, SNS), so a cluster on GCP, Azure or its own hardware
does not carry them (the scale benchmark's 250 MiB RSS target). Each case runs in a fresh interpreter: this test
process imports boto3 elsewhere. The daemon is built and ticks once against the local API server, so the laziness is
checked on the real path. The node is the EKS p4d.24xlarge of tests/data/gpu-nodes/eks.yaml (its labels cite EKS's
managed node group docs and NVIDIA GPU feature discovery)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EKS_NODES = Path(__file__).parents[2] / "data" / "gpu-nodes" / "eks.yaml"

SCRIPT = """
import json, sys
from datetime import UTC, datetime
import yaml
from monitor.config.settings import KubeSettings, PricingSettings, Settings, StoreSettings
from monitor.core.clock import ManualClock
from monitor.demo.apiserver import LocalApiServer
from monitor.runtime.app import build_daemon

aws = sys.argv[2] == "aws"
with LocalApiServer() as server:
    with open(sys.argv[3]) as handle:
        server.create(next(yaml.safe_load_all(handle)))
    settings = Settings(
        cluster="it",
        listen="127.0.0.1:0",
        kube=KubeSettings(api_url=server.url, request_timeout_seconds=2.0, watch_timeout_seconds=3),
        store=StoreSettings(url="sqlite:///" + sys.argv[1]),
        pricing=PricingSettings(aws_enabled=aws, aws_ec2_endpoint_url="http://127.0.0.1:9", request_timeout_seconds=1),
    )
    daemon = build_daemon(settings, ManualClock(datetime(2026, 11, 10, 8, 0, tzinfo=UTC)))
    daemon.source.start()
    assert daemon.source.wait_synced(10)
    result = daemon.tick()
    daemon.source.stop()
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore"))
    print(json.dumps({"nodes": len(result.nodes), "price": result.nodes[0].price.source, "loaded": loaded[:3]}))
"""


def _run(db: Path, mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(db), mode, str(EKS_NODES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize(("mode", "expect_boto"), [("plain", False), ("aws", True)])
def test_boto_is_imported_only_with_an_aws_part_on(tmp_path: Path, mode: str, expect_boto: bool) -> None:
    found = _run(tmp_path / "ts.db", mode)
    assert found["nodes"] == 1
    assert found["price"] == "catalog"  # priced either way: the embedded catalog answers while AWS is unreachable
    assert bool(found["loaded"]) is expect_boto, found["loaded"]
