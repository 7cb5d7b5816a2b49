"""Settings: cdk.json defaults, `-c key=value` string forms, and one clear error naming each bad key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import cdk_json_context
from stacks.settings import PlatformSettings, SettingsError


def settings_with(**overrides: object) -> PlatformSettings:
    return PlatformSettings.from_context({**cdk_json_context(), **overrides})


def problems_of(**overrides: object) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings_with(**overrides)
    return caught.value.problems


def test_cdk_json_defaults_are_valid_settings() -> None:
    settings = settings_with()
    assert settings.stack_name_prefix == "mltrain-dev"
    assert settings.kms_key_arn is None
    assert settings.vpc_enabled is False
    assert settings.request_prefix == "requests/"
    assert settings.result_prefix == "results/"
    assert settings.max_capacity_retries == 2


def test_command_line_strings_are_read_as_their_types() -> None:
    settings = settings_with(
        checkpoint_retention_days="7",
        vpc_subnet_ids="subnet-0123abcd, subnet-4567ef01",
        vpc_security_group_ids='["sg-0123abcd"]',
        extra_readable_buckets="",
        ecr_tag_mutability="immutable",
        kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    assert settings.checkpoint_retention_days == 7
    assert settings.vpc_subnet_ids == ("subnet-0123abcd", "subnet-4567ef01")
    assert settings.vpc_security_group_ids == ("sg-0123abcd",)
    assert settings.extra_readable_buckets == ()
    assert settings.ecr_tag_mutability == "IMMUTABLE"
    assert settings.vpc_enabled


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("prefix", "ML_Train", "lowercase name"),
        ("environment", "", "lowercase name"),
        ("default_image_tag", "v1:2", "image tag"),
        ("checkpoint_retention_days", "abc", "whole number from 1 to 3650"),
        ("tensorboard_retention_days", 0, "whole number from 1 to 3650"),
        ("checkpoint_retention_days", True, "whole number"),
        ("kms_key_arn", "alias/my-key", "KMS key ARN"),
        ("vpc_subnet_ids", "subnet-xyz", "subnet ids"),
        ("extra_readable_buckets", "s3://my-bucket", "S3 bucket names"),
        ("extra_readable_buckets", "bucket-one,bucket-one", "without repeats"),
        ("extra_readable_buckets", "[not json", "JSON array or comma-separated"),
        ("extra_kms_key_arns", "alias/shared", "KMS key ARNs"),
        ("extra_image_repositories", "docker.io/library/python:3.11", "ECR repository ARNs"),
        ("extra_image_repositories", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/base:latest", "no tag"),
        ("notification_email", "nobody", "e-mail address"),
        ("ecr_tag_mutability", "SOMETIMES", "one of MUTABLE, IMMUTABLE"),
        ("request_prefix", "/requests", "ending in '/'"),
        ("result_prefix", "results", "ending in '/'"),
        ("result_prefix", "", "ending in '/'"),
        ("max_capacity_retries", "11", "whole number from 0 to 10"),
    ],
)
def test_a_bad_value_is_named_with_what_is_allowed(key: str, value: object, rule: str) -> None:
    [problem] = problems_of(**{key: value})
    assert problem.startswith(f"{key}: must be ")
    assert rule in problem
    assert repr(value) in problem


def test_extra_image_repositories_are_read_as_arns_from_arns_or_uris() -> None:
    settings = settings_with(
        extra_image_repositories="123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/base, "
        "arn:aws-cn:ecr:cn-north-1:123456789012:repository/shared",
        extra_kms_key_arns='["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]',
    )
    assert settings.extra_image_repositories == (
        "arn:aws:ecr:eu-west-1:123456789012:repository/team/base",
        "arn:aws-cn:ecr:cn-north-1:123456789012:repository/shared",
    )
    assert settings.extra_kms_key_arns == (
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    assert settings_with().extra_image_repositories == settings_with().extra_kms_key_arns == ()


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(prefix="A", checkpoint_retention_days=-1, ecr_tag_mutability="x")
    assert [p.split(":")[0] for p in problems] == ["prefix", "checkpoint_retention_days", "ecr_tag_mutability"]


def test_vpc_needs_subnets_and_security_groups_together() -> None:
    [problem] = problems_of(vpc_subnet_ids="subnet-0123abcd")
    assert problem.startswith("vpc_subnet_ids, vpc_security_group_ids:")


@pytest.mark.parametrize(
    ("request_prefix", "result_prefix"),
    [("requests/", "requests/results/"), ("team/", "team/requests/"), ("requests/", "requests/")],
)
def test_result_and_request_prefixes_must_not_contain_one_another(request_prefix: str, result_prefix: str) -> None:
    # A result under the request prefix would start a training of its own.
    [problem] = problems_of(request_prefix=request_prefix, result_prefix=result_prefix)
    assert problem.startswith("request_prefix, result_prefix: neither may contain the other")


def test_a_result_prefix_beside_the_request_prefix_is_accepted() -> None:
    settings = settings_with(request_prefix="ml/requests/", result_prefix="ml/results/")
    assert (settings.request_prefix, settings.result_prefix) == ("ml/requests/", "ml/results/")


def test_a_misspelt_setting_is_not_ignored() -> None:
    [problem] = problems_of(checkpoint_retention_dys="5")
    assert problem.startswith("checkpoint_retention_dys: unknown setting")


def test_cdk_own_context_keys_are_not_settings() -> None:
    # Not reported as unknown settings (that would raise), and they change no setting.
    settings = settings_with(**{"@aws-cdk/core:newStyleStackSynthesis": True, "aws:cdk:enable-path-metadata": True})

    assert settings == settings_with()


def test_missing_setting_is_named() -> None:
    context = cdk_json_context()
    del context["request_prefix"]
    with pytest.raises(SettingsError) as caught:
        PlatformSettings.from_context(context)
    assert caught.value.problems == ["request_prefix: missing (cdk.json's context sets every setting)"]


def test_cdk_synth_with_a_bad_value_fails_with_the_message_and_no_traceback(tmp_path: Path, run_cdk) -> None:
    result = run_cdk(
        ["synth", "--quiet", "--output", str(tmp_path / "out"), "-c", "checkpoint_retention_days=zero"], tmp_path
    )
    assert result.returncode != 0
    assert "checkpoint_retention_days: must be a whole number from 1 to 3650 (got 'zero')" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# ---------------------------------------------------------------- trigger requests, judged by the request builder


def test_a_bad_image_push_request_is_named_with_the_builders_own_errors() -> None:
    problems = problems_of(image_push_request='{"instance_type": "m5"}')

    assert [p.split(":")[0] for p in problems] == [
        "image_push_request.instance_type",
        "image_push_request.instance_count",
    ]
    assert "ResourceConfig.InstanceType (got 'm5')" in problems[0]
    assert problems[1] == "image_push_request.instance_count: is required"


def test_an_image_push_request_needs_no_image_as_the_push_supplies_it() -> None:
    settings = settings_with(image_push_request={"instance_type": "ml.g5.xlarge", "instance_count": 2, "wait": False})

    assert settings.image_push_request == {"instance_type": "ml.g5.xlarge", "instance_count": 2, "wait": False}


def test_nested_fields_of_a_scheduled_request_are_named_in_full() -> None:
    problems = problems_of(
        training_schedule="rate(1 day)",
        scheduled_request={
            "instance_type": "ml.m5.large",
            "instance_count": 1,
            "inputs": {"train": "https://example.com/data"},
            "rules": [{"rule": "loss_not_decresing"}],
        },
    )

    assert [p.split(":")[0] for p in problems] == ["scheduled_request.inputs.train", "scheduled_request.rules[0].rule"]


def test_a_request_is_judged_only_when_its_trigger_is_on() -> None:
    invalid_request = {"instance_type": "m5"}

    image_push_off = settings_with(image_tag_pattern="", image_push_request=invalid_request)
    schedule_off = settings_with(training_schedule="", scheduled_request=invalid_request)

    assert (image_push_off.image_tag_pattern, image_push_off.image_push_request) == (None, invalid_request)
    assert (schedule_off.training_schedule, schedule_off.scheduled_request) == (None, invalid_request)
    # The same requests with their triggers on are refused.
    assert problems_of(image_tag_pattern="train-*", image_push_request=invalid_request)[0].startswith(
        "image_push_request.instance_type:"
    )
    assert problems_of(training_schedule="rate(1 day)", scheduled_request=invalid_request)[0].startswith(
        "scheduled_request.instance_type:"
    )


def test_request_problems_are_reported_with_the_other_settings() -> None:
    problems = problems_of(prefix="A", image_push_request={"instance_type": "ml.m5.large", "instance_count": 0})

    assert problems == [
        "prefix: must be a lowercase name: a letter, then up to 19 letters, digits or '-' (got 'A')",
        "image_push_request.instance_count: must be at least 1 (got 0)",
    ]


def test_cdk_synth_with_a_bad_image_push_request_fails_naming_the_field(tmp_path: Path, run_cdk) -> None:
    result = run_cdk(
        ["synth", "--quiet", "--output", str(tmp_path / "out"), "-c", 'image_push_request={"instance_type":"m5"}'],
        tmp_path,
    )

    assert result.returncode != 0
    assert "image_push_request.instance_type: must be one of" in result.stderr
    assert "(got 'm5')" in result.stderr
    assert "image_push_request.instance_count: is required" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# ---------------------------------------------------------------- Lambda's 4 KB environment

LONG_HYPERPARAMETERS = {f"h{i}": "x" * 50 for i in range(60)}  # about 3.6 KB as JSON


def test_a_trigger_request_too_long_for_the_lambda_environment_is_named() -> None:
    request = {"instance_type": "ml.m5.large", "instance_count": 1, "hyperparameters": LONG_HYPERPARAMETERS}

    (problem,) = problems_of(image_push_request=request)

    assert problem.startswith("image_push_request: the Prepare function's environment would take up to ")
    assert "over Lambda's limit of 4096 bytes" in problem


def test_trigger_requests_and_buckets_together_too_long_are_each_named() -> None:
    request = {"instance_type": "ml.m5.large", "instance_count": 1, "hyperparameters": {"h": "x" * 1200}}
    buckets = [f"shared-datasets-{i:02d}-{'b' * 40}" for i in range(20)]  # about 1.2 KB

    (problem,) = problems_of(
        image_push_request=request,
        training_schedule="rate(1 day)",
        scheduled_request=request,
        extra_readable_buckets=buckets,
    )

    named = problem.split(":")[0].split(", ")
    assert sorted(named) == ["extra_readable_buckets", "image_push_request", "scheduled_request"]


def test_a_request_off_its_trigger_takes_no_room() -> None:
    request = {"instance_type": "ml.m5.large", "instance_count": 1, "hyperparameters": LONG_HYPERPARAMETERS}
    assert settings_with(image_tag_pattern="", image_push_request=request).image_tag_pattern is None


def test_cdk_synth_with_a_request_too_long_for_lambda_fails_naming_the_setting(tmp_path: Path, run_cdk) -> None:
    request = json.dumps({"instance_type": "ml.m5.large", "instance_count": 1, "hyperparameters": LONG_HYPERPARAMETERS})
    result = run_cdk(
        ["synth", "--quiet", "--output", str(tmp_path / "out"), "-c", f"image_push_request={request}"], tmp_path
    )

    assert result.returncode != 0
    assert "image_push_request: the Prepare function's environment would take up to" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


TUNING_REQUEST = {
    "instance_type": "ml.m5.large",
    "instance_count": 1,
    "inputs": {"train": "s3://mltrain-dev-data/train/"},
    "tuner": {
        "objective_metric_name": "loss",
        "objective_type": "Minimize",
        "metric_definitions": [{"Name": "loss", "Regex": "loss=(.*?);"}],
        "hyperparameter_ranges": {"learning_rate": {"type": "Continuous", "min_value": 0.0001, "max_value": 0.01}},
        "max_jobs": 4,
        "max_parallel_jobs": 2,
    },
}


@pytest.mark.parametrize(
    "trigger",
    [
        {"training_schedule": "rate(1 day)", "scheduled_request": TUNING_REQUEST},
        {"image_tag_pattern": "train-*", "image_push_request": TUNING_REQUEST},
    ],
)
def test_a_trigger_may_start_a_tuning_job(trigger: dict[str, object]) -> None:
    settings = settings_with(**trigger)

    assert TUNING_REQUEST in (settings.scheduled_request, settings.image_push_request)


def test_a_trigger_s_tuning_request_is_judged_by_the_tuning_builder() -> None:
    request = {**TUNING_REQUEST, "tuner": {**TUNING_REQUEST["tuner"], "objective_type": "Smallest"}}  # type: ignore[dict-item]

    problems = problems_of(training_schedule="rate(1 day)", scheduled_request=request)

    assert [p.split(":")[0] for p in problems] == ["scheduled_request.tuner.objective_type"]


def test_the_scheduled_request_counts_only_with_a_schedule() -> None:
    assert settings_with(scheduled_request=TUNING_REQUEST).triggered_scheduled_request is None
    scheduled = settings_with(training_schedule="rate(1 day)", scheduled_request=TUNING_REQUEST)
    assert scheduled.triggered_scheduled_request == TUNING_REQUEST
