import json

import pytest

from estimator.models import Checkpointing, Method, Precision
from monitor.core.domain.annotations import ANNOTATIONS, PREFIX, merge_progress, parse_workload_annotations

P = PREFIX


def test_full_contract_parses_into_a_spec():
    config = {"hidden_size": 4096, "num_hidden_layers": 32, "vocab_size": 128256}
    parsed = parse_workload_annotations(
        {
            P + "model": "llama-3-8b",
            P + "model-config": json.dumps(config),
            P + "tokens": "2B",
            P + "method": "LoRA",
            P + "seq-len": "4096",
            P + "micro-batch": "4",
            P + "precision": "bf16",
            P + "zero-stage": "3",
            P + "grad-checkpointing": "true",
            P + "mfu": "0.42",
            P + "budget-usd": "$5,000",
            P + "step": "1200",
            P + "total-steps": "10000",
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
        }
    )
    spec = parsed.spec
    assert parsed.problems == ()
    assert spec.model == "llama-3-8b"
    assert spec.model_config == config
    assert spec.tokens == 2e9
    assert spec.method is Method.LORA
    assert (spec.seq_len, spec.micro_batch, spec.zero_stage) == (4096, 4, 3)
    assert spec.precision is Precision.BF16
    assert spec.grad_checkpointing is Checkpointing.FULL
    assert spec.mfu == 0.42
    assert spec.budget_usd == 5000.0
    assert spec.progress_ratio == pytest.approx(0.12)
    assert spec.describes_workload


def test_no_annotations_gives_an_empty_spec_without_problems():
    parsed = parse_workload_annotations({"app": "x"})
    assert parsed.problems == ()
    assert parsed.spec.total_tokens is None
    assert parsed.spec.progress_ratio is None
    assert not parsed.spec.describes_workload


def test_dataset_tokens_times_epochs():
    spec = parse_workload_annotations({P + "dataset-tokens": "500M", P + "epochs": "3", P + "model": "m"}).spec
    assert spec.total_tokens == 1.5e9
    assert spec.describes_workload


@pytest.mark.parametrize(
    ("suffix", "value", "fix_fragment"),
    [
        ("tokens", "lots", "2e9"),
        ("method", "dpo", "full, lora, qlora"),
        ("precision", "int4", "bf16, fp32-amp"),
        ("zero-stage", "4", "0, 1, 2 or 3"),
        ("grad-checkpointing", "sometimes", "none, selective, full"),
        ("mfu", "1.5", "(0, 1]"),
        ("mfu", "0", "(0, 1]"),
        ("budget-usd", "-3", "USD"),
        ("progress", "1.2", "0 to 1"),
        ("progress", "nan", "0 to 1"),
        ("seq-len", "4096.5", "positive integer"),
        ("total-steps", "0", "positive integer"),
        ("model-config", "{not json", "JSON"),
        ("model-config", "[1, 2]", "JSON object"),
        ("epochs", "0", "positive"),
    ],
)
def test_one_bad_value_names_annotation_value_and_fix_and_others_still_parse(suffix, value, fix_fragment):
    parsed = parse_workload_annotations({P + "model": "llama-3-8b", P + "tokens": "2e9", P + suffix: value})
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert problem.annotation == P + suffix
    assert problem.value == value
    assert fix_fragment in problem.message
    # whoever shows the problem prints "annotation=value: message"; the message must not say them again
    assert problem.annotation not in problem.message
    assert problem.message.startswith("must ")
    assert parsed.spec.model == "llama-3-8b"
    if suffix != "tokens":
        assert parsed.spec.tokens == 2e9


def test_many_bad_values_each_reported():
    parsed = parse_workload_annotations({P + "method": "x", P + "mfu": "y", P + "seq-len": "z", P + "micro-batch": "2"})
    assert {p.annotation for p in parsed.problems} == {P + "method", P + "mfu", P + "seq-len"}
    assert parsed.spec.micro_batch == 2


def test_unknown_annotation_suggests_the_closest():
    parsed = parse_workload_annotations({P + "budget": "100"})
    assert parsed.problems[0].annotation == P + "budget"
    assert "did you mean trainspend.io/budget-usd" in parsed.problems[0].message


def test_known_models_rejects_an_unknown_preset_with_suggestions():
    parsed = parse_workload_annotations({P + "model": "llama-3-8"}, known_models={"llama-3-8b", "llama-3-70b", "gpt2"})
    assert parsed.spec.model is None
    assert "llama-3-8b" in parsed.problems[0].message


def test_tokens_disagreeing_with_dataset_tokens_times_epochs_is_reported_and_tokens_wins():
    parsed = parse_workload_annotations({P + "tokens": "2e9", P + "dataset-tokens": "1e9", P + "epochs": "3"})
    assert parsed.spec.total_tokens == 2e9
    assert parsed.problems[0].annotation == P + "tokens"
    assert "remove one" in parsed.problems[0].message


def test_step_beyond_total_steps_is_reported_and_progress_clips_to_one():
    parsed = parse_workload_annotations({P + "step": "120", P + "total-steps": "100"})
    assert parsed.spec.progress_ratio == 1.0
    assert parsed.problems[0].annotation == P + "step"


def test_progress_accepts_percent():
    assert parse_workload_annotations({P + "progress": "42%"}).spec.progress == pytest.approx(0.42)


def test_annotation_list_covers_the_design_contract():
    expected = {
        "model", "model-config", "tokens", "dataset-tokens", "epochs", "method", "seq-len", "micro-batch",
        "precision", "zero-stage", "grad-checkpointing", "mfu", "budget-usd", "progress", "step", "total-steps",
    }  # fmt: skip
    assert set(ANNOTATIONS) == {P + name for name in expected}


def test_merge_progress_takes_the_furthest_valid_report():
    workload = {P + "progress": "0.30"}
    pods = [{P + "step": "450", P + "total-steps": "1000"}, {P + "progress": "garbage"}, {}]
    assert merge_progress(workload, pods) == pytest.approx(0.45)
    assert merge_progress({P + "progress": "0.5"}, [{P + "progress": "0.2"}]) == 0.5


def test_merge_progress_none_when_nobody_reports():
    assert merge_progress({}, [{"other": "1"}, {P + "step": "5"}]) is None


def test_budget_message_is_the_explanation_and_fix_only():
    problem = parse_workload_annotations({P + "budget-usd": "lots"}).problems[0]
    assert (problem.annotation, problem.value) == (P + "budget-usd", "lots")
    assert problem.message == 'must be a positive amount in USD such as "5000"'


def test_step_without_total_steps_is_reported_naming_the_partner():
    parsed = parse_workload_annotations({P + "step": "1200"})
    assert parsed.spec.progress_ratio is None
    assert [(p.annotation, p.value) for p in parsed.problems] == [(P + "step", "1200")]
    assert P + "total-steps" in parsed.problems[0].message


def test_step_beside_progress_needs_no_total_steps():
    assert parse_workload_annotations({P + "step": "1200", P + "progress": "0.5"}).problems == ()


def test_epochs_without_dataset_tokens_is_reported_naming_the_partner():
    parsed = parse_workload_annotations({P + "epochs": "3", P + "tokens": "2e9"})
    assert parsed.spec.total_tokens == 2e9  # epochs multiply dataset-tokens only
    assert [(p.annotation, p.value) for p in parsed.problems] == [(P + "epochs", "3")]
    assert P + "dataset-tokens" in parsed.problems[0].message


def test_consistency_messages_do_not_repeat_the_annotation_or_value():
    parsed = parse_workload_annotations(
        {
            P + "tokens": "2e9",
            P + "dataset-tokens": "1e9",
            P + "epochs": "3",
            P + "step": "120",
            P + "total-steps": "100",
        }
    )
    assert {p.annotation for p in parsed.problems} == {P + "tokens", P + "step"}
    for problem in parsed.problems:
        assert problem.annotation not in problem.message
        assert f"({problem.value})" not in problem.message
