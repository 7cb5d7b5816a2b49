"""Every console input in examples/ renders, with the defaults a deployed stack supplies: the ones
examples/defaults.json holds (its bucket names are the examples' `my-training-*`), through the
builder and through `trainctl validate --defaults` (an example with local script-mode code through the
packaging `trainctl start` does first, its paths from examples/)."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trainctl.cli import main
from trainctl.script_code import has_local_code, packaged_code
from training_request import PlatformDefaults, TrainingJob, build_training_job, build_tuning_job, is_tuning_request

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DEFAULTS_FILE = EXAMPLES / "defaults.json"
INPUTS = sorted(path.stem for path in EXAMPLES.glob("*.json") if path != DEFAULTS_FILE)
STACK = PlatformDefaults.from_mapping(json.loads(DEFAULTS_FILE.read_text()))
NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
EXPECTED = {
    "minimal",
    "gan-seed",
    "gan-tuning",
    "spot-with-checkpoints",
    "vpc-fsx",
    "vpc-efs",
    "pipe-and-fastfile",
    "debugger-rules",
    "heterogeneous-cluster",
    "script-mode",
    "script-mode-local",
}


def render(name: str) -> dict:
    data = json.loads((EXAMPLES / f"{name}.json").read_text())
    if has_local_code(data):
        with packaged_code(data, base_dir=EXAMPLES, build=build_with_the_stack) as code:
            return code.job.request
    build = build_tuning_job if is_tuning_request(data) else build_training_job
    return build(data, region="eu-west-1", defaults=STACK, now=NOW).request


def build_with_the_stack(execution_input: object) -> TrainingJob:
    return build_training_job(execution_input, region="eu-west-1", defaults=STACK, now=NOW)


def training_part(request: dict) -> dict:
    """The training job's settings: the request itself, or a tuning request's training job definition."""
    return request.get("TrainingJobDefinition", request)


def test_the_promised_examples_exist() -> None:
    assert set(INPUTS) >= EXPECTED


def test_the_defaults_file_is_what_a_deployed_stack_supplies() -> None:
    # Every value given, so nothing is a stand-in and the bucket check is on.
    assert all(
        getattr(STACK, name)
        for name in (
            "role_arn",
            "image_uri",
            "output_path",
            "checkpoint_s3_uri",
            "kms_key_arn",
            "readable_buckets",
            "writable_buckets",
        )
    )


@pytest.mark.parametrize("name", INPUTS)
def test_every_example_is_valid_with_the_example_defaults(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # `trainctl validate examples/<name>.json --defaults examples/defaults.json`, from the repository root.
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", f"examples/{name}.json", "--defaults", "examples/defaults.json"], stdout=out, stderr=err)
    # Local code is packaged, not uploaded: validate says so.
    uploads_nothing = (
        "note: validate uploads nothing: `start` would upload the code (" if name.endswith("-local") else ""
    )
    assert (
        code == 0 and err.getvalue().startswith(uploads_nothing) and err.getvalue().count("\n") == bool(uploads_nothing)
    )
    assert out.getvalue().startswith(
        (f"examples/{name}.json: valid (job ", f"examples/{name}.json: valid (tuning job ")
    )


@pytest.mark.parametrize("name", INPUTS)
def test_every_example_renders_with_the_cer_tag(name: str) -> None:
    request = render(name)
    assert {"Key": "CER", "Value": "1"} in request["Tags"]
    assert training_part(request)["RoleArn"] == STACK.role_arn


def test_minimal_uses_every_stack_default() -> None:
    request = render("minimal")
    assert request["AlgorithmSpecification"]["TrainingImage"] == STACK.image_uri
    assert request["OutputDataConfig"]["S3OutputPath"] == STACK.output_path
    assert request["InputDataConfig"][0]["ChannelName"] == "training"


def test_gan_seed_matches_the_team_notes() -> None:
    request = render("gan-seed")
    assert [channel["ChannelName"] for channel in request["InputDataConfig"]] == ["nome_modello"]
    assert [metric["Regex"] for metric in request["AlgorithmSpecification"]["MetricDefinitions"]] == [
        "Loss = (.*?);",
        "GAN_loss=(.*?);",
        "disc_train_loss=(.*?);",
        "disc-combined=(.*?);",
    ]
    assert request["TensorBoardOutputConfig"] == {
        "S3OutputPath": "s3://my-training-tensorboard/gan/",
        "LocalPath": "/opt/ml/output/tensorboard/",
    }
    assert request["Tags"] == [{"Key": "CER", "Value": "1"}]
    assert request["TrainingJobName"].startswith("gan-")


def test_spot_example_gets_a_checkpoint_in_the_checkpoints_bucket() -> None:
    request = render("spot-with-checkpoints")
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 36000, "MaxWaitTimeInSeconds": 72000}
    assert request["CheckpointConfig"] == {
        "S3Uri": f"s3://my-training-checkpoints/checkpoints/{request['TrainingJobName']}",
        "LocalPath": "/opt/ml/checkpoints",
    }


@pytest.mark.parametrize(("name", "file_system_type"), [("vpc-fsx", "FSxLustre"), ("vpc-efs", "EFS")])
def test_vpc_examples_read_a_file_system(name: str, file_system_type: str) -> None:
    request = render(name)
    assert request["VpcConfig"]["Subnets"] and request["VpcConfig"]["SecurityGroupIds"]
    assert request["InputDataConfig"][0]["DataSource"]["FileSystemDataSource"]["FileSystemType"] == file_system_type


def test_pipe_and_fastfile_modes() -> None:
    request = render("pipe-and-fastfile")
    assert request["AlgorithmSpecification"]["TrainingInputMode"] == "Pipe"
    assert {channel["ChannelName"]: channel.get("InputMode") for channel in request["InputDataConfig"]} == {
        "train": None,
        "lookup": "FastFile",
        "config": "File",
    }


def test_debugger_rules_example() -> None:
    request = render("debugger-rules")
    assert [rule["RuleConfigurationName"] for rule in request["DebugRuleConfigurations"]] == [
        "LossNotDecreasing",
        "VanishingGradient",
        "Overtraining",
    ]
    assert [rule["RuleConfigurationName"] for rule in request["ProfilerRuleConfigurations"]] == [
        "ProfilerReport",
        "LowGPUUtilization",
    ]
    assert request["ProfilerConfig"]["ProfilingIntervalInMilliseconds"] == 500


def test_heterogeneous_cluster_example_sends_each_channel_to_its_groups() -> None:
    request = render("heterogeneous-cluster")
    assert request["ResourceConfig"]["InstanceGroups"] == [
        {"InstanceGroupName": "data-prep", "InstanceType": "ml.c5.4xlarge", "InstanceCount": 2},
        {"InstanceGroupName": "training", "InstanceType": "ml.p3.2xlarge", "InstanceCount": 1},
    ]
    assert "InstanceType" not in request["ResourceConfig"]
    assert {
        channel["ChannelName"]: channel["DataSource"]["S3DataSource"].get("InstanceGroupNames")
        for channel in request["InputDataConfig"]
    } == {"raw": ["data-prep"], "validation": ["training"], "config": None}


def test_script_mode_example_runs_the_uploaded_script_with_json_hyperparameters() -> None:
    request = render("script-mode")
    hyperparameters = request["HyperParameters"]
    assert hyperparameters == {
        "epochs": "200",
        "lr": "0.0002",
        "model": '"pix2pix"',
        "sagemaker_submit_directory": '"s3://my-training-data/code/gan/sourcedir.tar.gz"',
        "sagemaker_program": '"train.py"',
        "sagemaker_container_log_level": "10",
        "sagemaker_job_name": f'"{request["TrainingJobName"]}"',
        "sagemaker_region": '"eu-west-1"',
    }


def test_local_script_mode_example_uploads_its_code_to_the_artifacts_bucket() -> None:
    data = json.loads((EXAMPLES / "script-mode-local.json").read_text())
    with packaged_code(data, base_dir=EXAMPLES, build=build_with_the_stack) as code:
        with tarfile.open(code.archive) as archive:
            names = sorted(member.name for member in archive if member.isfile())
        request = code.job.request
    job = request["TrainingJobName"]
    assert code.uri == f"s3://my-training-artifacts/{job}/source/sourcedir.tar.gz"
    assert json.loads(request["HyperParameters"]["sagemaker_submit_directory"]) == code.uri
    assert names == ["gan_common/__init__.py", "gan_common/losses.py", "train.py"]
    # Encrypted as SageMaker encrypts the job's outputs there: with the platform's key.
    assert code.kms_key == STACK.kms_key_arn


def test_gan_tuning_tunes_the_seed_notes_training() -> None:
    """The tuning example is the GAN seed's training, with its metric definitions moved into the tuner and its
    learning rate and batch size tuned."""
    seed, tuning = render("gan-seed"), render("gan-tuning")
    definition = tuning["TrainingJobDefinition"]
    for member in ("InputDataConfig", "StoppingCondition", "OutputDataConfig"):
        assert definition[member] == seed[member]
    assert (
        definition["AlgorithmSpecification"]["MetricDefinitions"] == seed["AlgorithmSpecification"]["MetricDefinitions"]
    )
    assert definition["StaticHyperParameters"] == {"epochs": "200"}
    assert definition["HyperParameterTuningResourceConfig"]["InstanceType"] == seed["ResourceConfig"]["InstanceType"]
    config = tuning["HyperParameterTuningJobConfig"]
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Minimize", "MetricName": "ganloss"}
    assert [r["Name"] for r in config["ParameterRanges"]["ContinuousParameterRanges"]] == ["learning_rate"]
    assert tuning["HyperParameterTuningJobName"] == "gan-240506-070809-000"
