"""No input, however malformed, gives anything but a TrainingJob or InvalidTrainingInput."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training_request import InvalidTrainingInput, PlatformDefaults, TrainingJob, build_training_job
from training_request.builder import KNOWN_KEYS

NOW = datetime(2024, 1, 1, tzinfo=UTC)
STACK = PlatformDefaults(
    role_arn="arn:aws:iam::123456789012:role/r",
    image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1",
    output_path="s3://artifacts/out",
    readable_buckets=("data",),
    writable_buckets=("artifacts",),
)
NAMES = st.sampled_from(
    [
        *list(KNOWN_KEYS),
        "s3_data",
        "file_system_id",
        "rule",
        "profiler_rule",
        "Key",
        "Value",
        "Name",
        "Regex",
        "seed",
        "name",
        "parameters",
        "rule_parameters",
        "s3_output_path",
        "disable_profiler",
        "train",
        "CER",
        "ExperimentName",
    ]
) | st.text(max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**6000), max_value=10**6000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(
        [
            "",
            "s3://data/x",
            "s3://",
            "file:///x",
            "ml.m5.large",
            "File",
            "Pipe",
            "EFS",
            "fs-0123456789abcdef0",
            "loss_not_decreasing",
            "ProfilerReport",
            "1",
            "(.*",
            "x" * 3000,
        ]
    )
    | st.text(max_size=20)
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(NAMES, children, max_size=5),
    max_leaves=30,
)
INPUTS = st.dictionaries(NAMES, JSON, max_size=12) | JSON


def assert_request_or_problems(value: object, region: str = "eu-west-1") -> None:
    try:
        job = build_training_job(value, region=region, defaults=STACK, now=NOW)
    except InvalidTrainingInput as error:
        assert error.problems and all(problem.field and problem.rule for problem in error.problems)
        assert str(error)
    else:
        assert isinstance(job, TrainingJob) and job.request["TrainingJobName"] == job.job_name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(INPUTS, st.sampled_from(["eu-west-1", "cn-north-1", "ap-southeast-3", "il-central-1", "x"]))
def test_any_json_gives_a_request_or_problems(value: object, region: str) -> None:
    assert_request_or_problems(value, region)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(NAMES, JSON, max_size=6))
def test_any_additions_to_a_valid_input(extra: dict) -> None:
    assert_request_or_problems({"instance_count": 1, "instance_type": "ml.m5.large", **extra})


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    deep: object = "x"
    for _ in range(100_000):
        deep = [deep]
    assert_request_or_problems({"instance_count": 1, "instance_type": "ml.m5.large", "hyperparameters": {"deep": deep}})
    assert_request_or_problems(
        {"instance_count": 1, "instance_type": "ml.m5.large", "rules": [{"rule": "overfit", "rule_parameters": deep}]}
    )


def test_huge_integer_is_a_problem_not_a_crash() -> None:
    assert_request_or_problems(
        {"instance_count": 10**10000, "instance_type": "ml.m5.large", "hyperparameters": {"n": 10**10000}}
    )
