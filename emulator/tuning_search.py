"""What an emulated tuning job decides, free of threads and I/O: the hyperparameter values of its next
training job, whether a running training job is stopped early, which training job is best, and the
counters DescribeHyperParameterTuningJob reports.

- Values: Random, Bayesian and Hyperband draw each tuned hyperparameter independently from a
  `random.Random` seeded with the request's RandomSeed (else a hash of the tuning job's name), so the
  same request always tries the same values. Continuous and integer ranges honour their ScalingType
  (Linear and Auto: uniform; Logarithmic: uniform in log space; ReverseLogarithmic: uniform in
  log(1 - value)); categorical values are picked uniformly. Bayesian and Hyperband do not learn from
  earlier results here: they sample like Random. Grid enumerates every combination of the categorical
  values, in the order the ranges and their values are given (the first range varies slowest).
- Early stopping (TrainingJobEarlyStoppingType Auto), as SageMaker's developer guide describes it: when
  a training job reports its objective metric for the n-th time, take the running average of the
  objective over the first n reports of every earlier training job of the tuning job that has made n
  reports, and their median; if the job's value is worse than that median (higher when minimizing,
  lower when maximizing), the job is stopped. A job with no earlier job to compare with runs on.
- Best: among the training jobs that Completed with an objective value, the best value; ties go to the
  earlier job.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MINIMIZE = "Minimize"
GRID = "Grid"
_FAILED_FOR_CAPACITY = "CapacityError"


@dataclass(frozen=True)
class ParameterRange:
    name: str
    kind: str  # "Continuous", "Integer" or "Categorical"
    values: tuple[str, ...] = ()  # Categorical
    low: float = 0.0
    high: float = 0.0
    scaling: str = "Auto"

    def sample(self, rng: random.Random) -> str:
        if self.kind == "Categorical":
            return rng.choice(self.values)
        value = _scaled_uniform(rng, self.low, self.high, self.scaling)
        if self.kind == "Integer":
            return str(min(int(self.high), max(int(self.low), round(value))))
        return repr(value)


def _scaled_uniform(rng: random.Random, low: float, high: float, scaling: str) -> float:
    if scaling == "Logarithmic" and low > 0:
        return math.exp(rng.uniform(math.log(low), math.log(high)))
    if scaling == "ReverseLogarithmic" and high < 1:
        return 1.0 - math.exp(rng.uniform(math.log(1.0 - high), math.log(1.0 - low)))
    return rng.uniform(low, high)


def parameter_ranges(ranges: Mapping[str, Any] | None) -> list[ParameterRange]:
    """The ranges of a ParameterRanges member, categorical ones last (as Grid enumerates them)."""
    ranges = ranges or {}
    found: list[ParameterRange] = []
    for kind in ("Continuous", "Integer"):
        for item in ranges.get(f"{kind}ParameterRanges") or []:
            found.append(
                ParameterRange(
                    str(item["Name"]),
                    kind,
                    low=float(item["MinValue"]),
                    high=float(item["MaxValue"]),
                    scaling=str(item.get("ScalingType") or "Auto"),
                )
            )
    for item in ranges.get("CategoricalParameterRanges") or []:
        found.append(ParameterRange(str(item["Name"]), "Categorical", values=tuple(str(v) for v in item["Values"])))
    return found


def seed_of(config: Mapping[str, Any], tuning_job_name: str) -> int:
    seed = config.get("RandomSeed")
    return int(seed) if seed is not None else zlib.crc32(tuning_job_name.encode())


def candidates(config: Mapping[str, Any], tuning_job_name: str) -> Iterator[dict[str, str]]:
    """The tuned hyperparameters of the tuning job's training jobs, in launch order (endless but for Grid)."""
    ranges = parameter_ranges(config.get("ParameterRanges"))
    if config.get("Strategy") == GRID:
        categorical = [r for r in ranges if r.kind == "Categorical"]
        for combination in itertools.product(*(r.values for r in categorical)):
            yield {r.name: value for r, value in zip(categorical, combination, strict=True)}
        return
    rng = random.Random(seed_of(config, tuning_job_name))
    while True:
        yield {r.name: r.sample(rng) for r in ranges}


def grid_size(config: Mapping[str, Any]) -> int | None:
    """How many combinations Grid has (None for the other strategies)."""
    if config.get("Strategy") != GRID:
        return None
    return math.prod(len(r.values) for r in parameter_ranges(config.get("ParameterRanges")) if r.kind == "Categorical")


def is_worse(value: float, than: float, objective_type: str) -> bool:
    return value > than if objective_type == MINIMIZE else value < than


def stops_early(
    value: float, curve_length: int, earlier_curves: Sequence[Sequence[float]], objective_type: str
) -> bool:
    """Whether a job whose objective's `curve_length`-th report is `value` is stopped (module docstring)."""
    averages = [statistics.fmean(curve[:curve_length]) for curve in earlier_curves if len(curve) >= curve_length]
    return bool(averages) and is_worse(value, statistics.median(averages), objective_type)


@dataclass(frozen=True)
class TrialState:
    """What the tuning job knows of one of its training jobs."""

    name: str
    status: str  # TrainingJobStatus
    failure_reason: str | None = None
    objective: float | None = None  # the final value of the objective metric, once the job has ended


def objective_status(trial: TrialState) -> str:
    if trial.status in ("InProgress", "Stopping"):
        return "Pending"
    if trial.objective is not None and trial.status in ("Completed", "Stopped"):
        return "Succeeded"
    return "Failed"


def best_trial(trials: Sequence[TrialState], objective_type: str) -> TrialState | None:
    best: TrialState | None = None
    for trial in trials:
        if trial.status != "Completed" or trial.objective is None:
            continue
        if best is None or is_worse(best.objective, trial.objective, objective_type):  # type: ignore[arg-type]
            best = trial
    return best


def training_job_counters(trials: Sequence[TrialState]) -> dict[str, int]:
    """TrainingJobStatusCounters: a job failed for capacity is a RetryableError, any other failure not."""
    counters = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
    for trial in trials:
        if trial.status == "Failed":
            retryable = (trial.failure_reason or "").startswith(_FAILED_FOR_CAPACITY)
            counters["RetryableError" if retryable else "NonRetryableError"] += 1
        elif trial.status in ("InProgress", "Stopping"):
            counters["InProgress"] += 1
        else:
            counters[trial.status] += 1
    return counters


def objective_counters(trials: Sequence[TrialState]) -> dict[str, int]:
    counters = {"Succeeded": 0, "Pending": 0, "Failed": 0}
    for trial in trials:
        counters[objective_status(trial)] += 1
    return counters


__all__ = [
    "ParameterRange",
    "TrialState",
    "best_trial",
    "candidates",
    "grid_size",
    "objective_counters",
    "objective_status",
    "parameter_ranges",
    "seed_of",
    "stops_early",
    "training_job_counters",
]
