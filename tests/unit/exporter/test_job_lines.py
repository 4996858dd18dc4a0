"""The exporter writes the job series straight from the statuses, keeping each job's line prefixes while its labels
are the same: through any sequence of jobs added, removed, finished, relabelled (queue, model, GPU) and re-valued,
`/metrics` must be exactly what prometheus_client's `generate_latest` writes for the families built from scratch
(`Exporter.collect`), with and without a display currency, and `job_families` must hold every job's samples."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest

from monitor.core.domain.model import WorkloadRef
from monitor.core.domain.result import Band, WorkloadStatus
from monitor.http.cost_families import job_families
from monitor.http.exporter import Exporter
from tests.unit.exporter.sample import AT, running_job, sample_result

NAMES = ("llama-ft", "eval", 'odd"name', "back\\slash")
TEXT = st.sampled_from(["", "research-a100", "q\nnewline", 'q"uote'])
VALUES = st.sampled_from([0.0, -0.0, 1.0, 1e-7, 12345678.9, 0.1 + 0.2, float("inf"), float("nan")])
BAND = st.none() | st.builds(lambda a, b, c: Band(p10=a, p50=b, p90=c), VALUES, VALUES, VALUES)
OPTIONAL = st.none() | VALUES
# one job's changeable fields
JOB = st.fixed_dictionaries(
    {
        "queue": TEXT,
        "model": TEXT,
        "gpu_model": st.sampled_from(["", "H100-SXM"]),
        "cost_usd": st.sampled_from([0.0, 123.5, 1e7]),
        "hourly_cost_usd": st.sampled_from([0.0, 32.77]),
        "projected_cost_usd": BAND,
        "remaining_cost_usd": BAND,
        "progress": OPTIONAL,
        "gpus": VALUES,
        "budget_usd": OPTIONAL,
        "admission_wait_seconds": OPTIONAL,
        "gpu_utilization": OPTIONAL,
        "unused_gpu_cost_basis_usd": OPTIONAL,
        "expected_completion": st.none() | st.just(AT + timedelta(hours=3)),
        "finished": st.none() | st.just(AT - timedelta(hours=2)) | st.just(AT - timedelta(minutes=5)),
    }
)
# per tick, per job name: keep last tick's status (absent), drop it ("drop"), or a new status (maybe equal)
CHANGE = st.dictionaries(st.sampled_from(NAMES), st.just("drop") | JOB)


def _job(name: str, fields: dict[str, object]) -> WorkloadStatus:
    ref = WorkloadRef(kind="PyTorchJob", api_version="kubeflow.org/v1", namespace="ml", name=name, uid=name)
    return running_job().model_copy(update={"ref": ref, **fields})


@settings(max_examples=150, deadline=None)
@given(st.lists(CHANGE, min_size=1, max_size=6), st.sampled_from(["USD", "EUR"]))
def test_kept_job_prefixes_give_the_exposition_a_rebuild_gives(ticks, currency) -> None:
    exporter = Exporter(display_currency=currency, runtime_metrics=False, finished_job_ttl_seconds=1800)
    base = sample_result()
    jobs: dict[str, WorkloadStatus] = {}
    for change in ticks:
        for name, what in change.items():
            if what == "drop":
                jobs.pop(name, None)
            else:
                jobs[name] = _job(name, what)
        exporter.update(base.model_copy(update={"jobs": tuple(jobs.values())}))
        assert exporter.exposition() == generate_latest(exporter.registry)


@given(st.dictionaries(st.sampled_from(NAMES), JOB))
def test_job_families_hold_each_jobs_samples_once(changes) -> None:
    jobs = [_job(name, fields) for name, fields in changes.items()]
    families = {f.name: f for f in job_families("prod", jobs)}
    assert len(families["trainspend_job_cost_usd"].samples) == len(jobs)
    assert len(families["trainspend_job_info"].samples) == len(jobs)
    bands = sum(3 for job in jobs if job.projected_cost_usd is not None)
    assert len(families["trainspend_job_projected_cost_usd"].samples) == bands
    assert len(families["trainspend_job_progress_ratio"].samples) == sum(job.progress is not None for job in jobs)
    for family in families.values():
        for values, _ in family.samples:
            assert len(values) == len(family.labels)
            assert values[family.labels.index("queue")] in {job.queue for job in jobs}
