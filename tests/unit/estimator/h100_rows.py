"""The public H100 training measurements (tests/data/h100_measurements.jsonl) as estimator inputs.

Source: trainspend reference data, real runs on one NVIDIA H100 80GB HBM3 (PyTorch 2.11, transformers 5.17, peft 0.21),
collected 2026-11-23; see the file's `env` and `peak` rows for the machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from estimator.models import Checkpointing, Method, ModelArch, Precision, TrainingRun

DATA = Path(__file__).resolve().parents[2] / "data" / "h100_measurements.jsonl"

# The measurements' 1.3B shape (hidden 2048, 24 layers, 16 heads, intermediate 5504, vocab 32000, untied).
SMALL = ModelArch(
    vocab_size=32000,
    hidden_size=2048,
    num_layers=24,
    num_heads=16,
    num_kv_heads=16,
    head_dim=128,
    intermediate_size=5504,
)


@dataclass(frozen=True)
class Row:
    case_id: str
    arch: ModelArch
    run: TrainingRun
    peak_bytes: int
    step_seconds: float  # median of the timed steps
    lora: bool
    step_range_seconds: tuple[float, float]  # fastest and slowest of the timed steps


def h100_rows() -> list[Row]:
    rows = []
    for line in DATA.read_text().splitlines():
        r = json.loads(line)
        if r["part"] not in ("A", "B") or r["status"] != "ok":
            continue
        arch = ModelArch(
            vocab_size=r["vocab"],
            hidden_size=r["hidden"],
            num_layers=r["layers"],
            num_heads=r["heads"],
            num_kv_heads=r["heads"],
            head_dim=r["hidden"] // r["heads"],
            intermediate_size=r["intermediate"],
        )
        run = TrainingRun(
            tokens=1e9,
            seq_len=r["seq"],
            micro_batch=r["batch"],
            precision=Precision.BF16 if r.get("recipe") == "bf16" else Precision.FP32_AMP,
            method=Method.LORA if r["part"] == "B" else Method.FULL,
            checkpointing=Checkpointing.FULL if r["grad_ckpt"] else Checkpointing.NONE,
        )
        times = r["step_times_s"]
        row = Row(
            r["case_id"], arch, run, r["peak_alloc_bytes"], r["step_s"], r["part"] == "B", (min(times), max(times))
        )
        rows.append(row)
    return rows
