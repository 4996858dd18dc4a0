"""Dev tool: imports refreshed price and datasheet JSON into the catalog's data files.

    python scripts/import_prices.py --reference DIR [--check]

Reads the trainspend reference notes' `gpu-prices.json`, `china-and-local-prices.json` and `estimator-cases.json`
(`gpus`) from DIR and rewrites `rows` and `_meta.left_out` of `estimator/catalog/data/{offers,china_offers,gpus}.json`
(each file's `_meta.description` and `source` are kept, and the GPU rows its `_meta.curated` names, added by hand
with their own source, when the reference lacks them). The rules deciding what an offer is — which provider GPU names
map to which catalog GPU, which rows are left out and why, spot estimated from typical savings, CNY conversion — live
here, so a refresh is one command and the result a data diff a reviewer reads. `--check` writes nothing and exits 1
when a file would change. Every row is validated by the package's own models before anything is written. The package
never reads the reference files; edits of single rows can equally be made by hand in the data files.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from estimator.catalog.gpus import GpuRow
from estimator.catalog.tables import parse_table
from estimator.models import CapacityType, Offer

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "estimator" / "catalog" / "data"
GIB = 1 << 30

# Providers' own GPU names → catalog ids. GPU memory decides between 40 and 80 GB parts. Unlisted models (Trainium,
# B200, RTX PRO 6000) have no datasheet row in the catalog and are left out of the embedded offers.
GPU_BY_MODEL: dict[tuple[str, int | None], str] = {
    ("H100", 80): "H100-SXM",  # AWS p5, GCP a3-highgpu, CoreWeave HGX: SXM5 parts
    ("H100-SXM", 80): "H100-SXM",
    ("H100-80GB", 80): "H100-SXM",  # Azure ND H100 v5: HGX (SXM)
    ("H100-PCIe", 80): "H100-PCIe",
    ("H100-NVL-94GB", 94): "H100-NVL",
    ("H200", 141): "H200-SXM",
    ("A100", 40): "A100-SXM-40GB",  # AWS p4d, GCP a2-highgpu: SXM4 40 GB
    ("A100", 80): "A100-SXM-80GB",  # AWS p4de
    ("A100-40GB", 40): "A100-SXM-40GB",  # Lambda gpu_1x_a100: SXM4 40 GB
    ("A100-40GB-SXM", 40): "A100-SXM-40GB",
    ("A100-80GB", 80): "A100-SXM-80GB",  # GCP a2-ultragpu, HF a100 flavors
    ("A100-80GB-SXM", 80): "A100-SXM-80GB",
    ("A100-80GB-PCIe", 80): "A100-PCIe-80GB",
    ("V100", 16): "V100-SXM2-16GB",  # AWS p3: SXM2 16 GB
    ("A10G", 24): "A10G",
    ("L4", 24): "L4",
    ("L40S", 48): "L40S",
    ("T4", 16): "T4",
}


def _tflops(value: Any) -> float | None:
    return None if value is None else float(value)


# The NVIDIA A10 datasheet's dense figures (sparsity halved away), which the reference rows leave out (the A10's
# TF32/INT8/FP32) or leave null (the A10G: NVIDIA and AWS publish no datasheet for it). The A10G is the same GA102
# part with the same 24 GB GDDR6 at 600 GB/s, so it borrows them, saying so in `borrowed_figures`.
A10_DATASHEET_SOURCE = (
    "NVIDIA A10 datasheet (nvidia-a10-datasheet.pdf) as transcribed in public notes: 'FP32 31.2 TFLOPS | TF32 62.5 | "
    "125 TFLOPS | FP16 / BF16 125 | 250 TFLOPS | INT8 250 | 500 TOPS' (dense | 2:4 sparse); Tencent Cloud's A10 "
    "instance page: '31.2 TFLOPS of single-precision floating point performance, 250 TOPS for INT8'"
)
A10_DATASHEET: dict[str, Any] = {
    "bf16_tflops": 125.0,
    "fp16_tflops": 125.0,
    "tf32_tflops": 62.5,
    "fp32_tflops": 31.2,
    "int8_tops": 250.0,
    "as_of": "2026-12-04",
}
A10G_BORROWED = (
    "the NVIDIA A10's datasheet figures, used for the A10G because NVIDIA and AWS publish none for it (same GA102 "
    "chip, memory and bandwidth); the A10G's own tensor rate may be lower: llm-analysis assumes 70 TFLOP/s fp16 "
    "for it. Decode (memory-bound) is unaffected; compute-bound figures (prefill, training step) may be optimistic "
    "by up to ~1.8x"
)
DATASHEET_FILL: dict[str, dict[str, Any]] = {
    "A10": A10_DATASHEET,
    "A10G": A10_DATASHEET | {"borrowed_figures": A10G_BORROWED},
}


def _fill_from_datasheet(entry: dict[str, Any]) -> dict[str, Any]:
    """`entry` with the figures the reference lacks taken from DATASHEET_FILL (never overriding a reference figure)
    and the date they were checked."""
    fill = DATASHEET_FILL.get(entry["id"])
    if fill is None:
        return entry
    filled = dict(entry)
    for key, value in fill.items():
        if key == "as_of" or filled.get(key) is None:  # the row is as of when its figures were last checked
            filled[key] = value
    filled["source"] = f"{entry['source']}; tensor, FP32 and INT8 figures: {A10_DATASHEET_SOURCE}"
    return filled


def gpu_entries(cases: dict[str, Any]) -> list[dict[str, Any]]:
    """The catalog rows, with the 16 GB V100 variant split out (AWS p3 carries it)."""
    entries: list[dict[str, Any]] = []
    for row in cases["gpus"]:
        source = row["source"]
        tdp = row.get("tdp_w")
        if tdp is None:
            # Unpublished TDP (A10G, V100 PCIe): fall back to the sibling part's figure and say so in the source.
            tdp = 150.0 if row["id"] == "A10G" else 250.0
            source += f"; TDP unpublished, {tdp:.0f} W assumed from the sibling part"
        base = {
            "id": row["id"],
            "name": row["name"],
            "memory_bytes": int(row["memory_gb"]) * GIB,
            "memory_bandwidth_bytes_per_second": float(row["memory_bandwidth_gbps"]) * 1e9,
            "bf16_tflops": _tflops(row.get("bf16_dense_tflops")),
            "fp16_tflops": _tflops(row.get("fp16_dense_tflops")),
            "fp8_tflops": _tflops(row.get("fp8_dense_tflops")),
            "int8_tops": _tflops(row.get("int8_tops")),
            "tdp_watts": float(tdp),
            "source": source,
        }
        base = _fill_from_datasheet(base)
        entries.append(base)
        for variant_gb in row.get("memory_gb_variants", []):
            if variant_gb != row["memory_gb"]:
                variant = dict(base)
                variant["id"] = f"{row['id']}-{variant_gb}GB"
                variant["name"] = row["name"].split(" (")[0] + f" {variant_gb}GB"
                variant["memory_bytes"] = int(variant_gb) * GIB
                entries.append(variant)
    return entries


def _offer(row: dict[str, Any], gpu_id: str, capacity: str, usd: float, **extra: Any) -> dict[str, Any]:
    region = row.get("region")
    values: dict[str, Any] = {
        "provider": row["provider"],
        "instance": row["instance"],
        "region": None if region in (None, "n/a") else region,
        "gpu_id": gpu_id,
        "gpu_count": int(row["gpu_count"]),
        "capacity_type": CapacityType[capacity].value,
        "usd_per_hour": round(float(usd), 6),
        "source": row["source"],
        "as_of": _date(row.get("as_of")),
    }
    values.update(extra)
    return values


def _date(value: str | None) -> str | None:
    return None if value is None else date.fromisoformat(value).isoformat()


def offer_entries(prices: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Typed-offer keyword sets and the instances left out, with why."""
    entries: list[dict[str, Any]] = []
    skipped: list[str] = []
    for section, rows in prices.items():
        if section == "_meta":
            continue
        for row in rows:
            name = f"{row['provider']}/{row['instance']}"
            if not row.get("gpu_model") or not row.get("gpu_count"):
                skipped.append(f"{name} (CPU only)")
                continue
            if row.get("on_demand_usd_per_hour") is None:
                skipped.append(f"{name} (no on-demand price)")
                continue
            if row.get("pricing_model") in ("per_gpu_attachable", "per_gpu_component"):
                skipped.append(f"{name} (GPU add-on price, not a whole machine)")
                continue
            if row.get("status") == "removed":
                skipped.append(f"{name} (flavor removed)")
                continue
            gpu_id = GPU_BY_MODEL.get((row["gpu_model"], row.get("gpu_memory_gb")))
            if gpu_id is None:
                skipped.append(f"{name} ({row['gpu_model']}: no datasheet row in the GPU catalog)")
                continue
            notes = row.get("notes", "")
            if row.get("secondary_source"):
                notes = ("price transcribed by a third party; " + notes).strip("; ")
            entries.append(_offer(row, gpu_id, "ON_DEMAND", row["on_demand_usd_per_hour"], notes=notes))
            if row.get("spot_usd_per_hour") is not None:
                entries.append(_offer(row, gpu_id, "SPOT", row["spot_usd_per_hour"], notes="listed spot price"))
            elif row.get("spot_typical_savings_pct") is not None:
                pct = float(row["spot_typical_savings_pct"])
                spot = row["on_demand_usd_per_hour"] * (1 - pct / 100)
                note = f"spot estimated as on-demand less the typical {pct:.0f}% savings of the Spot Instance Advisor"
                extra = {
                    "price_is_estimate": True,
                    "notes": note,
                    "as_of": _date(row.get("spot_as_of") or row.get("as_of")),
                }
                derived = _offer(row, gpu_id, "SPOT", spot)
                derived["source"] = f"{row['source']}; savings: {row['spot_source']}"
                derived.update(extra)
                entries.append(derived)
    return entries, skipped


# --- China clouds (Alibaba Cloud ECS, Tencent Cloud CVM) from `china-and-local-prices.json` -------------------------
# The USD figure of a CNY-native price is a conversion at this dated rate; estimator.currency.cfets_rate() is the same
# rate (a unit test keeps them equal), and CNY output uses the native price, never this conversion.
CNY_PER_USD = 7.0197
CNY_RATE_NOTE = "USD figure converted at 7.0197 CNY/USD (CFETS central parity 2026-01-08)"
HOURS_PER_MONTH = 730  # the subscription-to-hourly convention of public price trackers

CHINA_GPU_BY_MODEL: dict[str, str] = {
    "NVIDIA A10": "A10",
    "NVIDIA A100 80GB": "A100-SXM-80GB",  # gn7e: SXM4 80 GB with NVLink
    "NVIDIA A100 40GB": "A100-SXM-40GB",  # gn7 / Tencent GT4: SXM4 40 GB with NVLink
    "NVIDIA A100 NVLink 40GB": "A100-SXM-40GB",
    "NVIDIA V100 16GB": "V100-SXM2-16GB",
    "NVIDIA V100 32GB": "V100-SXM2",
    "NVIDIA V100 NVLink 32GB": "V100-SXM2",
    "NVIDIA T4": "T4",
}


def _china_notes(row: dict[str, Any], *parts: str) -> str:
    notes = [part for part in parts if part]
    if row.get("regions_with_same_price"):
        notes.append("same price in " + ", ".join(row["regions_with_same_price"]))
    if row.get("confidence"):
        notes.append(f"confidence {row['confidence']}")
    if row.get("as_of_note"):
        notes.append(row["as_of_note"])
    return "; ".join(notes)


def _cny_offer(
    row: dict[str, Any], gpu_id: str, capacity: str, cny: float, region: str | None, note: str
) -> dict[str, Any]:
    entry = _offer({**row, "region": region}, gpu_id, capacity, cny / CNY_PER_USD)
    entry.update(
        currency="CNY",
        native_price_per_hour=round(float(cny), 6),
        price_is_estimate=bool(row.get("confidence")) or capacity == "RESERVED",
        notes=_china_notes(row, note, CNY_RATE_NOTE),
    )
    return entry


def china_offer_entries(china: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Typed-offer keyword sets for Alibaba Cloud and Tencent Cloud, and the rows left out, with why."""
    entries: list[dict[str, Any]] = []
    skipped: list[str] = []
    for row in [*china["aliyun"], *china["tencent"]]:
        if "instance" not in row:
            skipped.append(f"{row['provider']}: {row.get('pricing') or row.get('service')} (not an instance price)")
            continue
        name = f"{row['provider']}/{row['instance']}"
        if not row.get("gpu_model"):
            skipped.append(f"{name} (CPU only)")
            continue
        gpu_id = CHINA_GPU_BY_MODEL.get(row["gpu_model"])
        count = row.get("gpu_count")
        if gpu_id is None or not isinstance(count, int):
            skipped.append(f"{name} ({row.get('gpu_model')} x {count}: no whole-GPU datasheet row in the GPU catalog)")
            continue
        region = row.get("region")
        if row["provider"] == "aliyun" and row.get("pay_as_you_go_cny_per_hour") is not None:
            entries.append(_cny_offer(row, gpu_id, "ON_DEMAND", row["pay_as_you_go_cny_per_hour"], region, ""))
        elif row.get("pay_as_you_go_usd_per_hour") is not None:
            entry = _offer({**row, "region": "ap-guangzhou"}, gpu_id, "ON_DEMAND", row["pay_as_you_go_usd_per_hour"])
            note = "international-site USD list price for Guangzhou Zone 3, compute only (CPU+RAM+GPU)"
            entry["notes"] = _china_notes(row, note)
            entries.append(entry)
        elif row.get("subscription_cny_per_gpu_month") is not None:
            monthly = float(row["subscription_cny_per_gpu_month"]) * count
            note = (
                f"monthly subscription {row['subscription_cny_per_gpu_month']:,} CNY per GPU-month"
                f" / {HOURS_PER_MONTH} h"
                " (paid for the whole month whether used or not)"
            )
            entries.append(_cny_offer(row, gpu_id, "RESERVED", monthly / HOURS_PER_MONTH, None, note))
        else:
            skipped.append(f"{name} (spec only: no dated public price)")
    return _unique_offers(entries, skipped), skipped


def _unique_offers(entries: list[dict[str, Any]], skipped: list[str]) -> list[dict[str, Any]]:
    """One offer per (provider, instance, region, capacity type): the reference lists some rows twice."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for entry in entries:
        key = (entry["provider"], entry["instance"], entry["region"], entry["capacity_type"])
        if key in seen:
            skipped.append(f"{entry['provider']}/{entry['instance']} in {entry['region']} (listed twice)")
        seen.setdefault(key, entry)
    return list(seen.values())


def render_table(meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """A data file's text: two-space JSON, lists of numbers on one line, UTF-8 as is."""
    text = json.dumps({"_meta": meta, "rows": rows}, indent=2, ensure_ascii=False) + "\n"
    return re.sub(r"\[\n\s+([-0-9., \n]+?)\n\s+\]", lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)


# Where the reference's researchers kept their copy of a page says nothing to a user reading a price's source (the
# CLI tests refuse such wording in every source shown).
INTERNAL_WORDING = (" as stored in the docs corpus",)


def _public(source: str) -> str:
    for words in INTERNAL_WORDING:
        source = source.replace(words, "")
    return source


def _table(name: str, model: type[BaseModel], entries: list[dict[str, Any]], skipped: list[str] | None) -> str:
    meta = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))["_meta"]
    if skipped is not None:
        meta["left_out"] = skipped
    public = [entry | {"source": _public(entry["source"])} for entry in entries]
    rows = [model.model_validate(entry).model_dump(mode="json") for entry in public]
    text = render_table(meta, rows)
    parse_table(name, text, model)  # the file the package will read, validated as the package validates it
    return text


def collected_on(cases: dict[str, Any]) -> str:
    """The date estimator-cases.json says its rows were collected ("... Collected 2026-11-23.")."""
    found = re.search(r"Collected (\d{4}-\d{2}-\d{2})", cases.get("_about", ""))
    if found is None:
        raise SystemExit("estimator-cases.json: _about names no 'Collected YYYY-MM-DD' date for the GPU rows")
    return found.group(1)


def with_curated_rows(
    produced: list[dict[str, Any]], current: list[dict[str, Any]], curated: Collection[str]
) -> list[dict[str, Any]]:
    """The rows a refresh writes: the reference's, then the current file's rows named in its `_meta.curated` (added
    by hand with their own source, e.g. the H800, whose datasheet NVIDIA no longer publishes) that the reference
    lacks, in their order. Any other row the reference no longer has goes, as a refresh should."""
    ids = {entry["id"] for entry in produced}
    return produced + [row for row in current if row["id"] in curated and row["id"] not in ids]


def tables(reference: Path) -> dict[str, str]:
    """File name → new text of each data file built from the reference directory."""
    cases = json.loads((reference / "estimator-cases.json").read_text(encoding="utf-8"))
    prices = json.loads((reference / "gpu-prices.json").read_text(encoding="utf-8"))
    china = json.loads((reference / "china-and-local-prices.json").read_text(encoding="utf-8"))
    as_of = collected_on(cases)
    produced = [{"as_of": as_of} | entry for entry in gpu_entries(cases)]  # a row's own date wins
    current = json.loads((DATA_DIR / "gpus.json").read_text(encoding="utf-8"))
    gpus = with_curated_rows(produced, current["rows"], current["_meta"].get("curated", ()))
    offers, skipped = offer_entries(prices)
    china_offers, china_skipped = china_offer_entries(china)
    return {
        "gpus.json": _table("gpus.json", GpuRow, gpus, None),
        "offers.json": _table("offers.json", Offer, offers, skipped),
        "china_offers.json": _table("china_offers.json", Offer, china_offers, china_skipped),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reference", type=Path, required=True, help="folder with the reference JSON files")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a data file would change")
    args = parser.parse_args(argv)
    changed = []
    for name, text in tables(args.reference).items():
        path = DATA_DIR / name
        if path.read_text(encoding="utf-8") != text:
            changed.append(name)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    verb = "would change" if args.check else "rewrote"
    print(f"{verb}: {', '.join(changed)}" if changed else "data files already match the reference")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
