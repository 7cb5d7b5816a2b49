"""Our CreateHyperParameterTuningJob request equals the real SageMaker SDK's, field by field, for every tuning
case: `HyperparameterTuner(Estimator(...), **tuner).fit(...)` run offline.

The only normalisations are the deliberate differences (the CER tag, a generated name's finer timestamp and
shorter base, no null MaxNumberOfTrainingJobs for Grid) and the SDK's set-ordered warm-start parents; see
compare.expected_tuning_from_sdk.
"""

from __future__ import annotations

import pytest

from training_request import build_tuning_job

from .cases import ParityCase
from .compare import (
    TUNING_BASE_LENGTH,
    TUNING_JOB_NAME_PATTERN,
    botocore_tuning_problems,
    comparable_tuning,
    expected_tuning_from_sdk,
    field_diff,
    tuning_name_base,
)
from .test_parity import STACK_DEFAULTS
from .tuning_cases import TUNING_CASES

by_name = pytest.mark.parametrize("case", TUNING_CASES, ids=lambda case: case.name)


@by_name
def test_tuning_request_matches_the_sdk(case: ParityCase, sdk_tuning) -> None:
    sdk_request_ = sdk_tuning(case.execution_input, region=case.region)
    ours = build_tuning_job(case.execution_input, region=case.region, defaults=STACK_DEFAULTS)

    expected = expected_tuning_from_sdk(sdk_request_, ours.request["HyperParameterTuningJobName"])
    differences = field_diff(expected, comparable_tuning(ours.request))
    assert not differences, f"{case.name} differs from the SDK:\n" + "\n".join(differences)
    assert ours.job_name == ours.request["HyperParameterTuningJobName"]
    assert ours.wait is case.execution_input.get("wait", True)


@by_name
def test_tuning_request_passes_botocore_validation(case: ParityCase) -> None:
    ours = build_tuning_job(case.execution_input, region=case.region, defaults=STACK_DEFAULTS)
    assert botocore_tuning_problems(ours.request) == ""
    assert TUNING_JOB_NAME_PATTERN.match(ours.job_name), ours.job_name


@pytest.mark.parametrize(
    "case", [case for case in TUNING_CASES if "job_name" not in case.execution_input], ids=lambda c: c.name
)
def test_generated_tuning_name_keeps_the_sdk_base(case: ParityCase, sdk_tuning) -> None:
    sdk_name = sdk_tuning(case.execution_input, region=case.region)["HyperParameterTuningJobName"]
    ours = build_tuning_job(case.execution_input, region=case.region, defaults=STACK_DEFAULTS)
    sdk_base = tuning_name_base(sdk_name, by_sdk=True)
    assert sdk_base is not None and tuning_name_base(ours.job_name) == sdk_base[:TUNING_BASE_LENGTH]
    assert len(sdk_name) <= len(ours.job_name) <= 32


def test_tuning_cases_cover_every_tuner_key_range_type_and_strategy() -> None:
    from .sdk_oracle import TUNER_KEYS

    tuners = [case.execution_input["tuner"] for case in TUNING_CASES]
    assert not TUNER_KEYS - {key for tuner in tuners for key in tuner}
    ranges = [spec for tuner in tuners for spec in (tuner.get("hyperparameter_ranges") or {}).values()]
    assert {spec["type"] for spec in ranges} == {"Continuous", "Integer", "Categorical"}
    scalings = {(spec["type"], spec.get("scaling_type", "Auto")) for spec in ranges if spec["type"] != "Categorical"}
    assert {("Continuous", s) for s in ("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")} <= scalings
    assert {("Integer", s) for s in ("Auto", "Linear", "Logarithmic")} <= scalings
    assert {tuner.get("strategy", "Bayesian") for tuner in tuners} == {"Bayesian", "Random", "Grid", "Hyperband"}
    warm_starts = {tuner["warm_start_config"]["warm_start_type"] for tuner in tuners if "warm_start_config" in tuner}
    assert warm_starts == {"IdenticalDataAndAlgorithm", "TransferLearning"}
    assert any(case.execution_input.get("include_cls_metadata") for case in TUNING_CASES)
    assert len(TUNING_CASES) >= 25
