"""The estimator's answer for each workload, asked again only when what it depends on changed.

A workload's estimate depends on its parsed spec (the model, tokens, layout annotations) and the GPUs it holds.
Building the estimator's cache key is a JSON dump of the spec, ~10 ms a tick at 1,000 Jobs, so each workload keeps
(spec object, GPU model, GPUs, cache key, answer) and reuses it while the spec is the same object (the facts memo
hands out the same one until the workload changes) on the same hardware. Answers are shared by cache key: a hundred
replicas of one recipe cost one estimate. An estimator failure is an answer too, an AnnotationProblem on the model
annotation, so that it is logged once and never stops the accounting.
"""

from __future__ import annotations

import logging

from monitor.core.domain.annotations import WorkloadSpec
from monitor.core.domain.jobs import EstimateAnswer, JobFacts, needs_estimate
from monitor.core.domain.result import AnnotationProblem
from monitor.core.domain.workload_estimate import EstimateKey, estimate_workload

log = logging.getLogger(__name__)

_Entry = tuple[WorkloadSpec, str, int, str, EstimateAnswer]  # spec, GPU model, GPUs, cache key, answer


class JobEstimates:
    """Per tick: `estimate` for each workload that needs one, then `end_round`, which forgets the workloads that
    asked nothing this round and the answers no workload uses any more."""

    def __init__(self) -> None:
        self._answers: dict[str, EstimateAnswer] = {}  # by estimator cache key
        self._by_job: dict[str, _Entry] = {}  # the last round's entries, by workload uid
        self._round: dict[str, _Entry] = {}  # this round's

    def estimate(self, uid: str, facts: JobFacts) -> EstimateAnswer:
        """The estimate for the hardware the workload holds (`facts` must need one: jobs.needs_estimate)."""
        hardware = needs_estimate(facts)
        assert hardware is not None
        gpu_model, gpus = hardware
        spec = facts.parsed.spec
        entry = self._round.get(uid) or self._by_job.get(uid)
        if entry is None or entry[0] is not spec or entry[1] != gpu_model or entry[2] != gpus:
            key = EstimateKey(spec=spec, gpu_model=gpu_model, gpus=gpus)
            entry = (spec, gpu_model, gpus, key.cache_key, self._answer(key))
        self._round[uid] = entry
        return entry[4]

    def end_round(self) -> None:
        self._by_job, self._round = self._round, {}
        if len(self._answers) > len(self._by_job):
            wanted = {entry[3] for entry in self._by_job.values()}
            self._answers = {key: v for key, v in self._answers.items() if key in wanted}

    def sizes(self) -> dict[str, int]:
        """Entries held (for the agent's memo_sizes): workloads, and distinct answers."""
        return {"job_estimates": len(self._by_job), "estimates": len(self._answers)}

    def _answer(self, key: EstimateKey) -> EstimateAnswer:
        cache_key = key.cache_key
        if cache_key not in self._answers:
            try:
                self._answers[cache_key] = estimate_workload(key)
            except Exception as exc:  # an estimator bug must not stop accounting
                log.exception("estimate failed for %s", cache_key)
                self._answers[cache_key] = AnnotationProblem(
                    annotation="trainspend.io/model", value="", message=str(exc)
                )
        return self._answers[cache_key]
