# ruff: noqa: E501
"""Hardware people buy for their desk: Apple M4 Pro / M4 Max Macs and workstation GPUs, with purchase prices and watts.

Copied from the shared reference `china-and-local-prices.json` (`apple`, `workstation`) with each figure's source and
date. Apple publishes no TFLOP/s for M4 chips: the FP32 figures are Hugging Face's hardware table (third-party), and
Apple GPUs run FP16/BF16 at the FP32 rate (no tensor cores), so the same figure is used for all three. Memory sizes
are binary GiB like the datacenter catalog; on a Mac the figure is the unified memory shared with the CPU.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from estimator.models import GPU, Frozen

GIB = 1 << 30
_HF_HARDWARE = "github.com/huggingface/huggingface.js packages/tasks/src/{hardware.ts,hardware-nvidia.ts} @fe42e68"
_GIZMODO = "Gizmodo launch article (copy at https://trendingfeeds.info/here-s-our-first-look-at-the-all-new-macbook-pro-lineup-416171.html)"


class LocalMachine(Frozen):
    """A machine (or one card for a workstation) bought outright, with what it draws while training."""

    id: str
    gpu: GPU
    purchase_usd: float = Field(gt=0)
    purchase_source: str
    purchase_as_of: date | None
    purchase_note: str = ""
    price_is_estimate: bool = False
    watts: float = Field(gt=0, description="power drawn while training, for the energy cost")
    watts_note: str


def _apple(
    id_: str, name: str, memory_gib: int, bandwidth_gb_s: float, tflops: float, watts: float, source: str
) -> GPU:
    return GPU(
        id=id_,
        name=name,
        memory_bytes=memory_gib * GIB,
        memory_bandwidth_bytes_per_second=bandwidth_gb_s * 1e9,
        bf16_tflops=tflops,
        fp16_tflops=tflops,
        fp32_tflops=tflops,
        tdp_watts=watts,
        unified_memory=True,
        source=source,
    )


def local_machine_rows() -> tuple[LocalMachine, ...]:
    """Every local machine of the catalog, each figure citing its source."""
    m4_max_bw = "https://www.notebookcheck.net/Apple-M4-Max-official-with-incremental-upgrades-over-the-M3-Max.911098.0.html ('up to 128 GB ... 546 GB/s')"
    m4_pro_bw = "https://www.neowin.net/news/apple-launches-new-m4-pro-and-m4-max-processors/ ('up to 64GB of unified memory at 273GB/s')"
    m4_max_tf = f"{_HF_HARDWARE} 'Apple M4 Max' 18.4 FP32 TFLOPS (40-core GPU; third-party figure, 2024-11-20)"
    m4_pro_tf = f"{_HF_HARDWARE} 'Apple M4 Pro' 9.2 FP32 TFLOPS (20-core GPU; third-party figure, 2024-11-20)"
    mac_watts = f"package power estimate from {_HF_HARDWARE} (Apple publishes no TDP)"
    return (
        LocalMachine(
            id="M4-Max-40c-128GB",
            gpu=_apple(
                "M4-Max-40c-128GB",
                "Apple M4 Max 16/40-core, 128 GB unified",
                128,
                546,
                18.4,
                100,
                f"{m4_max_bw}; {m4_max_tf}",
            ),
            purchase_usd=5000,
            purchase_source=f"{_GIZMODO}: '$5,000 if you want the maximum 128 GB' (MacBook Pro 16)",
            purchase_as_of=date(2024, 10, 30),
            watts=100,
            watts_note=f"M4 Max {mac_watts}; a MacBook Pro 16 M4 Max sustained ~71 W in geektopia.es's 2024-12-30 review",
        ),
        LocalMachine(
            id="M4-Max-40c-48GB",
            gpu=_apple(
                "M4-Max-40c-48GB",
                "Apple M4 Max 16/40-core, 48 GB unified",
                48,
                546,
                18.4,
                100,
                f"{m4_max_bw}; {m4_max_tf}",
            ),
            purchase_usd=4000,
            purchase_source=f"{_GIZMODO}: MacBook Pro 16 M4 Max 48 GB / 1 TB 'upwards of $4,000'",
            purchase_as_of=date(2024, 10, 30),
            watts=100,
            watts_note=f"M4 Max {mac_watts}",
        ),
        LocalMachine(
            id="M4-Pro-20c-48GB",
            gpu=_apple(
                "M4-Pro-20c-48GB",
                "Apple M4 Pro 14/20-core, 48 GB unified",
                48,
                273,
                9.2,
                45,
                f"{m4_pro_bw}; {m4_pro_tf}",
            ),
            purchase_usd=3200,
            purchase_source=f"{_GIZMODO}: 14-inch M4 Pro models 'from $2,000 to $3,200 without extra add-ons'",
            purchase_as_of=date(2024, 10, 30),
            purchase_note="top of the published range; the exact price of this configuration is not in the reference",
            price_is_estimate=True,
            watts=45,
            watts_note=f"M4 Pro {mac_watts}",
        ),
        LocalMachine(
            id="M4-Pro-16c-24GB",
            gpu=_apple(
                "M4-Pro-16c-24GB",
                "Apple M4 Pro 12/16-core, 24 GB unified",
                24,
                273,
                7.36,
                45,
                f"{m4_pro_bw}; 7.36 FP32 TFLOPS = 9.2 x 16/20 GPU cores (derived from {m4_pro_tf}); measured GEMM 5.5 FP32 / 6.08 FP16 TFLOPS and 253.2 GB/s reads in github.com/taneja-rohit/mac-ml-benchmark results/raw/M4_Pro @d4a5fd8 (2026-01-22)",
            ),
            purchase_usd=2000,
            purchase_source=f"{_GIZMODO}: 14-inch M4 Pro 'from $2,000' (base: 12-core CPU, 16-core GPU, 24 GB)",
            purchase_as_of=date(2024, 10, 30),
            watts=45,
            watts_note=f"M4 Pro {mac_watts}",
        ),
        LocalMachine(
            id="RTX-4090",
            gpu=GPU(
                id="RTX-4090",
                name="NVIDIA GeForce RTX 4090",
                memory_bytes=24 * GIB,
                memory_bandwidth_bytes_per_second=1008e9,
                bf16_tflops=165.2,
                fp16_tflops=165.2,
                fp8_tflops=330.3,
                fp32_tflops=82.6,
                tdp_watts=450,
                source="NVIDIA Ada GPU Architecture whitepaper Appendix A Table 2 (as in the datacenter catalog); FP32 82.6 TFLOPS: https://www.tomshardware.com/reviews/nvidia-geforce-rtx-4090-review",
            ),
            purchase_usd=1417.2,
            purchase_source="github.com/epoch-research/training-cost-trends data/Hardware prices.csv @5e8c5c4 (dealer listing, web.archive.org snapshot of abrmicro.com); launch MSRP was $1,599 (2022-10-11)",
            purchase_as_of=date(2025, 3, 3),
            purchase_note="the card only; the host PC is not included",
            watts=450,
            watts_note="board power 450 W (https://www.tomshardware.com/reviews/nvidia-geforce-rtx-4090-review); host PC not included",
        ),
        LocalMachine(
            id="RTX-6000-Ada",
            gpu=GPU(
                id="RTX-6000-Ada",
                name="NVIDIA RTX 6000 Ada Generation",
                memory_bytes=48 * GIB,
                memory_bandwidth_bytes_per_second=960e9,
                bf16_tflops=364.2,
                fp16_tflops=364.2,
                fp8_tflops=728.5,
                fp32_tflops=91.1,
                tdp_watts=300,
                source="NVIDIA Ada GPU Architecture whitepaper (RTX 6000 Ada: 960 GB/s, 364.2 dense FP16/BF16 tensor TFLOPS with FP32 accumulate, 728.5 FP8); 91.1 FP32 TFLOPS and 300 W: https://www.heise.de/news/Nvidia-RTX-6000-Die-schnellere-GeForce-RTX-4090-mit-doppelt-Speicher-7363725.html",
            ),
            purchase_usd=6800,
            purchase_source=f"{_HF_HARDWARE} 'RTX 6000 Ada' msrp (added 2026-05-13); Newegg listed $7,229 on 2026-07-14",
            purchase_as_of=date(2026, 5, 13),
            purchase_note="the card only; the host PC is not included",
            watts=300,
            watts_note="board power 300 W; host PC not included",
        ),
        LocalMachine(
            id="A100-SXM-80GB",
            gpu=GPU(
                id="A100-SXM-80GB",
                name="NVIDIA A100 80GB SXM",
                memory_bytes=80 * GIB,
                memory_bandwidth_bytes_per_second=2039e9,
                bf16_tflops=312.0,
                fp16_tflops=312.0,
                tdp_watts=400,
                source="NVIDIA A100 datasheet (as in the datacenter catalog)",
            ),
            purchase_usd=17499,
            purchase_source="github.com/epoch-research/training-cost-trends data/Hardware prices.csv @5e8c5c4 (single-unit dealer list, web.archive.org snapshot of signalpulse.com)",
            purchase_as_of=date(2025, 3, 4),
            purchase_note="the card only; an SXM card needs an HGX server, which is not included",
            watts=400,
            watts_note="TDP 400 W (datasheet); server not included",
        ),
    )
