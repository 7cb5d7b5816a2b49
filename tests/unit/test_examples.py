"""Every console input in examples/ renders, with the defaults a deployed stack supplies."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from training_request import PlatformDefaults, build_training_job

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STACK = PlatformDefaults(
    role_arn="arn:aws:iam::123456789012:role/training-platform-sagemaker-execution",
    image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/training-platform:latest",
    output_path="s3://my-training-artifacts/jobs/",
    checkpoint_s3_uri="s3://my-training-checkpoints/checkpoints/",
    readable_buckets=("my-training-data",),
    writable_buckets=("my-training-artifacts", "my-training-checkpoints", "my-training-tensorboard"),
)
NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
EXPECTED = {"minimal", "gan-seed", "spot-with-checkpoints", "vpc-fsx", "vpc-efs", "pipe-and-fastfile", "debugger-rules"}


def render(name: str) -> dict:
    data = json.loads((EXAMPLES / f"{name}.json").read_text())
    return build_training_job(data, region="eu-west-1", defaults=STACK, now=NOW).request


def test_the_promised_examples_exist() -> None:
    assert EXPECTED <= {path.stem for path in EXAMPLES.glob("*.json")}


@pytest.mark.parametrize("name", sorted(path.stem for path in EXAMPLES.glob("*.json")))
def test_every_example_renders_with_the_cer_tag(name: str) -> None:
    request = render(name)
    assert {"Key": "CER", "Value": "1"} in request["Tags"]
    assert request["RoleArn"] == STACK.role_arn


def test_minimal_uses_every_stack_default() -> None:
    request = render("minimal")
    assert request["AlgorithmSpecification"]["TrainingImage"] == STACK.image_uri
    assert request["OutputDataConfig"]["S3OutputPath"] == STACK.output_path
    assert request["InputDataConfig"][0]["ChannelName"] == "training"


def test_gan_seed_matches_the_team_notes() -> None:
    request = render("gan-seed")
    assert [channel["ChannelName"] for channel in request["InputDataConfig"]] == ["nome_modello"]
    assert [metric["Regex"] for metric in request["AlgorithmSpecification"]["MetricDefinitions"]] == [
        "Loss = (.*?);", "GAN_loss=(.*?);", "disc_train_loss=(.*?);", "disc-combined=(.*?);"]
    assert request["TensorBoardOutputConfig"] == {"S3OutputPath": "s3://my-training-tensorboard/gan/",
                                                  "LocalPath": "/opt/ml/output/tensorboard/"}
    assert request["Tags"] == [{"Key": "CER", "Value": "1"}]
    assert request["TrainingJobName"].startswith("gan-")


def test_spot_example_gets_a_checkpoint_in_the_checkpoints_bucket() -> None:
    request = render("spot-with-checkpoints")
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 36000, "MaxWaitTimeInSeconds": 72000}
    assert request["CheckpointConfig"] == {"S3Uri": f"s3://my-training-checkpoints/checkpoints/{request['TrainingJobName']}",
                                           "LocalPath": "/opt/ml/checkpoints"}


@pytest.mark.parametrize(("name", "file_system_type"), [("vpc-fsx", "FSxLustre"), ("vpc-efs", "EFS")])
def test_vpc_examples_read_a_file_system(name: str, file_system_type: str) -> None:
    request = render(name)
    assert request["VpcConfig"]["Subnets"] and request["VpcConfig"]["SecurityGroupIds"]
    assert request["InputDataConfig"][0]["DataSource"]["FileSystemDataSource"]["FileSystemType"] == file_system_type


def test_pipe_and_fastfile_modes() -> None:
    request = render("pipe-and-fastfile")
    assert request["AlgorithmSpecification"]["TrainingInputMode"] == "Pipe"
    assert {channel["ChannelName"]: channel.get("InputMode") for channel in request["InputDataConfig"]} == {
        "train": None, "lookup": "FastFile", "config": "File"}


def test_debugger_rules_example() -> None:
    request = render("debugger-rules")
    assert [rule["RuleConfigurationName"] for rule in request["DebugRuleConfigurations"]] == ["LossNotDecreasing", "VanishingGradient", "Overtraining"]
    assert [rule["RuleConfigurationName"] for rule in request["ProfilerRuleConfigurations"]] == ["ProfilerReport", "LowGPUUtilization"]
    assert request["ProfilerConfig"]["ProfilingIntervalInMilliseconds"] == 500
