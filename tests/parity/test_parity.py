"""Our CreateTrainingJob request equals the real SageMaker SDK's, field by field, for every case.

The only normalisations are the deliberate differences (the CER tag, the timestamp of a generated name) and
the SDK's set-ordered debugger collections; see compare.expected_from_sdk.
"""

from __future__ import annotations

import pytest

from training_request import PlatformDefaults, build_training_job

from .cases import ACCOUNT, CASES, ParityCase
from .compare import (
    JOB_NAME_PATTERN,
    botocore_problems,
    comparable,
    expected_from_sdk,
    field_diff,
    generated_name_base,
)

# What a deployed stack supplies. Every case names its own role, image and output path, so these
# must never show up in a parity request.
STACK_DEFAULTS = PlatformDefaults(
    role_arn=f"arn:aws:iam::{ACCOUNT}:role/platform-sagemaker-execution",
    image_uri=f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/platform-training:latest",
    output_path="s3://platform-artifacts-bucket/output",
    checkpoint_s3_uri="s3://platform-checkpoints-bucket/checkpoints",
)

by_name = pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)


@by_name
def test_request_matches_the_sdk(case: ParityCase, sdk) -> None:
    sdk_request_ = sdk(case.execution_input, region=case.region)
    ours = build_training_job(case.execution_input, region=case.region, defaults=STACK_DEFAULTS)

    expected = expected_from_sdk(sdk_request_, ours.request["TrainingJobName"])
    differences = field_diff(expected, comparable(ours.request))
    assert not differences, f"{case.name} differs from the SDK:\n" + "\n".join(differences)
    assert ours.job_name == ours.request["TrainingJobName"]
    assert ours.wait is case.execution_input.get("wait", True)


@by_name
def test_request_passes_botocore_validation(case: ParityCase) -> None:
    ours = build_training_job(case.execution_input, region=case.region, defaults=STACK_DEFAULTS)
    assert botocore_problems(ours.request) == ""
    assert JOB_NAME_PATTERN.match(ours.job_name), ours.job_name


@pytest.mark.parametrize(
    "case", [case for case in CASES if "job_name" not in case.execution_input], ids=lambda c: c.name
)
def test_generated_name_keeps_the_sdk_base(case: ParityCase, sdk) -> None:
    sdk_name = sdk(case.execution_input, region=case.region)["TrainingJobName"]
    ours = build_training_job(case.execution_input, region=case.region, defaults=STACK_DEFAULTS)
    assert generated_name_base(ours.job_name) == generated_name_base(sdk_name, by_sdk=True) is not None
    assert len(ours.job_name) == len(sdk_name) <= 63


def test_an_sdk_name_with_a_short_millisecond_part_is_still_compared_by_base() -> None:
    # sagemaker_timestamp cuts the milliseconds from repr(time.time()): at ...15.44 it writes "-44", not "-440".
    sdk = {"TrainingJobName": "gan-trainer-2026-11-29-01-39-15-44", "Tags": []}
    assert (
        expected_from_sdk(sdk, "gan-trainer-2026-11-29-01-39-15-440")["TrainingJobName"]
        == "gan-trainer-2026-11-29-01-39-15-440"
    )
    # Our base must still be the SDK's, and our name keeps three digits.
    assert expected_from_sdk(sdk, "other-2026-11-29-01-39-15-440")["TrainingJobName"] == sdk["TrainingJobName"]
    assert expected_from_sdk(sdk, "gan-trainer-2026-11-29-01-39-15-44")["TrainingJobName"] == sdk["TrainingJobName"]
