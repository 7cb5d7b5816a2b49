"""The service's rules for the cluster, container and job-feature arguments, refused before any job: each
problem names the field the user wrote. (What a valid input becomes is held against the SDK in tests/parity.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from training_request import InvalidTrainingInput, Problem, build_training_job

NOW = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
BASE = {
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan:latest",
    "role": "arn:aws:iam::123456789012:role/sagemaker-execution",
    "instance_count": 1,
    "instance_type": "ml.m5.xlarge",
    "output_path": "s3://artifacts/out",
}
GROUPS = [
    {"instance_group_name": "gpu", "instance_type": "ml.p3.2xlarge", "instance_count": 2},
    {"instance_group_name": "cpu", "instance_type": "ml.c5.xlarge", "instance_count": 1},
]
LAMBDA_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:registry-credentials"


def heterogeneous(**extra: object) -> dict:
    data = {key: value for key, value in BASE.items() if key not in ("instance_type", "instance_count")}
    return {**data, "instance_groups": GROUPS, **extra}


def problems(data: dict) -> list[Problem]:
    with pytest.raises(InvalidTrainingInput) as caught:
        build_training_job(data, region="eu-west-1", now=NOW)
    return caught.value.problems


def fields(data: dict) -> dict[str, str]:
    return {problem.field: problem.rule for problem in problems(data)}


def request(data: dict) -> dict:
    return build_training_job(data, region="eu-west-1", now=NOW).request


# -- keep_alive_period_in_seconds, training_plan, instance_placement_config ----------------------------------


@pytest.mark.parametrize("value", [-1, 21601])
def test_keep_alive_outside_the_api_range(value: int) -> None:
    assert (
        "between 0 and 21600" in fields({**BASE, "keep_alive_period_in_seconds": value})["keep_alive_period_in_seconds"]
    )


def test_keep_alive_must_be_an_integer() -> None:
    assert "integer" in fields({**BASE, "keep_alive_period_in_seconds": "600"})["keep_alive_period_in_seconds"]


def test_training_plan_must_be_a_training_plan_arn() -> None:
    rule = fields({**BASE, "training_plan": "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/x" + "y" * 20})
    assert "pattern" in rule["training_plan"]


def test_instance_placement_config_members_are_checked_by_name() -> None:
    found = fields(
        {
            **BASE,
            "instance_placement_config": {
                "EnableMultipleJob": True,
                "PlacementSpecifications": [{"UltraServerId": "x"}, {"InstanceCount": -1}],
            },
        }
    )
    assert "did you mean 'EnableMultipleJobs'" in found["instance_placement_config.EnableMultipleJob"]
    assert found["instance_placement_config.PlacementSpecifications[0].InstanceCount"] == "is required"
    assert "between 0" in found["instance_placement_config.PlacementSpecifications[1].InstanceCount"]


# -- instance_groups ------------------------------------------------------------------------------------------


def test_instance_groups_replace_instance_type_and_count() -> None:
    config = request(heterogeneous())["ResourceConfig"]
    assert "InstanceType" not in config and "InstanceCount" not in config
    assert [group["InstanceGroupName"] for group in config["InstanceGroups"]] == ["gpu", "cpu"]


def test_instance_groups_mixed_with_instance_type_or_count_names_each() -> None:
    found = fields(heterogeneous(instance_type="ml.m5.xlarge", instance_count=1))
    assert set(found) == {"instance_type", "instance_count"}
    assert all("cannot be set with instance_groups" in rule for rule in found.values())


def test_duplicate_group_names() -> None:
    found = fields(heterogeneous(instance_groups=[GROUPS[0], {**GROUPS[1], "instance_group_name": "gpu"}]))
    assert found == {"instance_groups[1].instance_group_name": "must differ from the other groups' names"}


def test_each_group_needs_its_three_members_and_api_values() -> None:
    found = fields(
        heterogeneous(
            instance_groups=[
                {"instance_group_name": "gpu", "instance_type": "ml.p3.2xlarg"},
                {"instance_group_name": "", "instance_type": "ml.c5.xlarge", "instance_count": -1},
                "cpu",
            ]
        )
    )
    assert found["instance_groups[0].instance_count"] == "is required"
    assert "did you mean 'ml.p3.2xlarge'" in found["instance_groups[0].instance_type"]
    assert "must not be empty" in found["instance_groups[1].instance_group_name"]
    assert "between 0" in found["instance_groups[1].instance_count"]
    assert "must be a" in found["instance_groups[2]"]


def test_at_most_five_groups() -> None:
    many = [{**GROUPS[1], "instance_group_name": f"g{index}"} for index in range(6)]
    assert "at most 5" in fields(heterogeneous(instance_groups=many))["instance_groups"]


def test_empty_instance_groups() -> None:
    assert "at least one" in fields(heterogeneous(instance_groups=[]))["instance_groups"]


def test_a_channel_naming_an_unknown_group_names_the_channel_field() -> None:
    found = fields(heterogeneous(inputs={"train": {"s3_data": "s3://d/t", "instance_groups": ["cpu", "tpu"]}}))
    assert list(found) == ["inputs.train.instance_groups[1]"]
    assert "one of the job's instance_groups (gpu, cpu)" in found["inputs.train.instance_groups[1]"]


def test_a_channel_naming_groups_on_a_one_type_cluster() -> None:
    found = fields({**BASE, "inputs": {"s3_data": "s3://d/t", "instance_groups": ["gpu"]}})
    assert found == {"inputs.instance_groups[0]": "names an instance group, but the job has no instance_groups"}


def test_without_instance_groups_type_and_count_stay_required() -> None:
    data = {key: value for key, value in BASE.items() if key not in ("instance_type", "instance_count")}
    assert fields(data) == {"instance_type": "is required", "instance_count": "is required"}


# -- container and registry -----------------------------------------------------------------------------------


def test_empty_entry_point_and_arguments_lists_are_refused() -> None:
    # The SDK sends them; the API wants at least one item.
    found = fields({**BASE, "container_entry_point": [], "container_arguments": []})
    assert set(found) == {"container_entry_point", "container_arguments"}
    assert all("at least 1" in rule for rule in found.values())


def test_entry_point_items_must_be_strings() -> None:
    assert "must be a string" in fields({**BASE, "container_entry_point": ["python", 3]})["container_entry_point[1]"]


def test_access_mode_enum() -> None:
    rule = fields({**BASE, "training_repository_access_mode": "vpc"})["training_repository_access_mode"]
    assert "must be one of Platform, Vpc" in rule


@pytest.mark.parametrize("mode", [None, "Platform"])
def test_credentials_provider_only_with_vpc_mode(mode: str | None) -> None:
    data = {**BASE, "training_repository_credentials_provider_arn": LAMBDA_ARN}
    if mode:
        data["training_repository_access_mode"] = mode
    rule = fields(data)["training_repository_credentials_provider_arn"]
    assert "set training_repository_access_mode to Vpc" in rule


def test_credentials_provider_must_be_a_lambda_function_arn() -> None:
    data = {
        **BASE,
        "training_repository_access_mode": "Vpc",
        "training_repository_credentials_provider_arn": "arn:aws:iam::123456789012:role/x",
    }
    assert "pattern" in fields(data)["training_repository_credentials_provider_arn"]


# -- job features ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["enable_infra_check", "enable_remote_debug", "enable_session_tag_chaining", "disable_output_compression"]
)
def test_feature_switches_are_booleans(key: str) -> None:
    assert "true or false" in fields({**BASE, key: "yes"})[key]


def test_output_compression_is_left_out_unless_disabled() -> None:
    assert "CompressionType" not in request({**BASE, "disable_output_compression": False})["OutputDataConfig"]
    assert request({**BASE, "disable_output_compression": True})["OutputDataConfig"]["CompressionType"] == "NONE"
