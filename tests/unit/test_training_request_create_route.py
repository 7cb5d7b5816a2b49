"""Which Step Functions integration creates a request: the optimised one only when every member the request
sets is one it is known to pass; a request with any other member goes through the AWS SDK integration, and
the members that sent it there are named."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import botocore.session
import pytest

import prepare
from platform_contract import CREATE_ROUTE_FIELD, CreateRoute
from training_request import build_training_job, create_route, members_outside_optimised_integration
from training_request.create_route import OPTIMISED_INTEGRATION_MEMBERS

NOW = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
BASE = {
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan:latest",
    "role": "arn:aws:iam::123456789012:role/sagemaker-execution",
    "instance_count": 1,
    "instance_type": "ml.m5.xlarge",
    "output_path": "s3://artifacts/out",
    "inputs": {"train": "s3://data/train/"},
}


def request_for(**arguments: object) -> dict[str, object]:
    return build_training_job({**BASE, **arguments}, region="eu-west-1", now=NOW).request


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"environment": {"EPOCHS": "3"}, "hyperparameters": {"lr": 0.1}, "tags": [{"Key": "team", "Value": "gan"}]},
        {"use_spot_instances": True, "max_wait": 7200, "max_run": 3600, "checkpoint_s3_uri": "s3://ckpt/gan/"},
        {"subnets": ["subnet-0abc"], "security_group_ids": ["sg-0abc"], "enable_network_isolation": True},
        {"metric_definitions": [{"Name": "loss", "Regex": "loss=(\\S+)"}], "volume_size": 50},
        {"experiment_config": {"ExperimentName": "gan", "TrialName": "t1"}},
    ],
    ids=["default", "environment-hyperparameters-tags", "spot-checkpoints", "vpc-isolation", "metrics", "experiment"],
)
def test_requests_of_long_supported_members_take_the_optimised_integration(arguments: dict) -> None:
    request = request_for(**arguments)

    assert members_outside_optimised_integration(request) == []
    assert create_route(request) is CreateRoute.OPTIMISED


@pytest.mark.parametrize(
    ("arguments", "members"),
    [
        ({"max_retry_attempts": 2}, ["RetryStrategy"]),
        ({"keep_alive_period_in_seconds": 600}, ["ResourceConfig.KeepAlivePeriodInSeconds"]),
        ({"container_entry_point": ["python", "train.py"]}, ["AlgorithmSpecification.ContainerEntrypoint"]),
        ({"container_arguments": ["--epochs", "3"]}, ["AlgorithmSpecification.ContainerArguments"]),
        ({"enable_remote_debug": True}, ["RemoteDebugConfig"]),
        ({"enable_infra_check": True}, ["InfraCheckConfig"]),
        ({"enable_session_tag_chaining": True}, ["SessionChainingConfig"]),
        ({"disable_output_compression": True}, ["OutputDataConfig.CompressionType"]),
        ({"encrypt_inter_container_traffic": True}, ["EnableInterContainerTrafficEncryption"]),
        ({"enable_sagemaker_metrics": True}, ["AlgorithmSpecification.EnableSageMakerMetricsTimeSeries"]),
        (
            {"experiment_config": {"ExperimentName": "gan", "RunName": "r1"}},
            ["ExperimentConfig.RunName"],
        ),
        (
            {"max_retry_attempts": 1, "keep_alive_period_in_seconds": 60},
            ["ResourceConfig.KeepAlivePeriodInSeconds", "RetryStrategy"],
        ),
    ],
)
def test_a_newer_member_sends_the_request_through_the_aws_sdk_and_is_named(arguments: dict, members: list) -> None:
    request = request_for(**arguments)

    assert members_outside_optimised_integration(request) == members
    assert create_route(request) is CreateRoute.SDK


def test_a_member_several_channels_set_is_named_once() -> None:
    request = {
        "TrainingJobName": "gan",
        "InputDataConfig": [
            {"ChannelName": name, "DataSource": {"S3DataSource": {"S3Uri": "s3://d/", "InstanceGroupNames": ["a"]}}}
            for name in ("train", "test")
        ],
    }

    assert members_outside_optimised_integration(request) == [
        "InputDataConfig[].DataSource.S3DataSource.InstanceGroupNames"
    ]


def shape_members(shape: object) -> Mapping[str, object]:
    """The members of a structure shape, or of the structures a list holds."""
    member = getattr(shape, "member", None)
    return getattr(member if member is not None else shape, "members", {})


def unknown_members(known: Mapping[str, object], shape: object, path: str) -> list[str]:
    members = shape_members(shape)
    found = [f"{path}{name}" for name in known if name not in members]
    for name, nested in known.items():
        if isinstance(nested, Mapping) and name in members:
            found += unknown_members(nested, members[name], f"{path}{name}.")
    return found


def test_every_listed_member_is_one_of_create_training_jobs() -> None:
    # A misspelt member would never match, and would send every request using it the other way.
    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model("CreateTrainingJob")

    assert unknown_members(OPTIMISED_INTEGRATION_MEMBERS, shape.input_shape, "") == []


def test_prepare_tells_the_workflow_the_route_of_a_training_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    for argument, route in ((BASE, CreateRoute.OPTIMISED), ({**BASE, "max_retry_attempts": 2}, CreateRoute.SDK)):
        assert prepare.handler({"input": argument}, None)[CREATE_ROUTE_FIELD] == route.value
