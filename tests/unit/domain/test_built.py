"""`built` (a model from already-typed values, not validated again) must give what pydantic's own constructors give:
equal to the validated model, and the same `__dict__`, fields-set, dump and JSON as `model_construct`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.domain.model import built
from monitor.core.domain.result import Band, WorkloadStatus
from tests.unit.exporter.sample import AT, finished_job, running_job

FLOATS = st.floats(allow_nan=False) | st.integers(-(2**53), 2**53)


@given(FLOATS, FLOATS, FLOATS)
def test_a_small_model_built_equals_the_validated_one(p10: float, p50: float, p90: float) -> None:
    values = {"p90": float(p90), "p10": float(p10), "p50": float(p50)}
    fast = built(Band, values)
    assert fast == Band(p10=p10, p50=p50, p90=p90)
    assert fast.model_dump_json() == Band(p10=p10, p50=p50, p90=p90).model_dump_json()
    assert fast.model_fields_set == {"p10", "p50", "p90"}


@pytest.mark.parametrize("status", [running_job(), finished_job(AT)])
def test_built_status_is_what_model_construct_gives(status: WorkloadStatus) -> None:
    values = dict(status.__dict__)
    fast = built(WorkloadStatus, values)
    slow = WorkloadStatus.model_construct(**dict(reversed(list(values.items()))))  # any keyword order
    assert fast == slow == status
    assert list(fast.__dict__) == list(slow.__dict__) == list(WorkloadStatus.model_fields)
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump_json() == status.model_dump_json()
    assert fast.model_copy(update={"gpus": 1.0}).gpus == 1.0


def test_a_missing_or_unknown_field_is_named() -> None:
    values = dict(running_job().__dict__)
    del values["team"]
    with pytest.raises(TypeError, match=r"missing fields \['team'\], unknown fields \[\]"):
        built(WorkloadStatus, values)
    with pytest.raises(TypeError, match=r"unknown fields \['teams'\]"):
        built(WorkloadStatus, {**values, "teams": "x"})
