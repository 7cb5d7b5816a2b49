"""The Prepare Lambda (lambda/prepare.py): what the state machine receives for a valid and an invalid input.

The handler runs here as in Lambda (AWS_REGION and the stack's DEFAULT_* variables set), with no
credentials and every network connection refused, which shows it makes no AWS call.
"""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import unquote

import pytest

import prepare
from training_events import console_links
from training_request import InvalidTrainingInput

ROLE_ARN = "arn:aws:iam::111122223333:role/mltrain-dev-execution"
IMAGE_URI = "111122223333.dkr.ecr.eu-south-1.amazonaws.com/mltrain-dev-training:latest"
STACK_ENVIRONMENT = {
    "AWS_REGION": "eu-south-1",
    "DEFAULT_ROLE_ARN": ROLE_ARN,
    "DEFAULT_IMAGE_URI": IMAGE_URI,
    "DEFAULT_OUTPUT_PATH": "s3://mltrain-dev-artifacts/",
    "DEFAULT_CHECKPOINT_S3_URI": "s3://mltrain-dev-checkpoints/",
    "READABLE_BUCKETS": "mltrain-dev-data,shared-datasets",
    "WRITABLE_BUCKETS": "mltrain-dev-artifacts,mltrain-dev-checkpoints,mltrain-dev-tensorboard",
}
MINIMAL_INPUT = {
    "instance_type": "ml.m5.xlarge",
    "instance_count": 1,
    "inputs": {"train": "s3://mltrain-dev-data/gan/train/"},
}


class NetworkUsed(AssertionError):
    pass


@pytest.fixture(autouse=True)
def lambda_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The Lambda's environment, no credentials anywhere, and no network."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name, value in STACK_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkUsed(f"the handler opened a network connection: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_valid_input_becomes_the_request_with_the_stack_defaults() -> None:
    result = prepare.handler({"input": MINIMAL_INPUT}, None)

    request = result["request"]
    assert result["job_name"] == request["TrainingJobName"]
    assert result["wait"] is True
    assert request["RoleArn"] == ROLE_ARN
    assert request["AlgorithmSpecification"]["TrainingImage"] == IMAGE_URI
    assert request["OutputDataConfig"]["S3OutputPath"].startswith("s3://mltrain-dev-artifacts/")
    assert request["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert {"Key": "CER", "Value": "1"} in request["Tags"]
    # Step Functions passes the result on as JSON.
    assert json.loads(json.dumps(result)) == result


def test_wait_false_is_passed_to_the_state_machine() -> None:
    result = prepare.handler({"input": {**MINIMAL_INPUT, "wait": False}}, None)

    assert result["wait"] is False


def test_user_values_win_over_the_stack_defaults() -> None:
    own_role = "arn:aws:iam::111122223333:role/team-role"
    result = prepare.handler({"input": {**MINIMAL_INPUT, "role": own_role}}, None)

    assert result["request"]["RoleArn"] == own_role


def test_links_lead_to_the_job_and_its_logs_in_the_lambda_region() -> None:
    result = prepare.handler({"input": {**MINIMAL_INPUT, "job_name": "gan-run-7"}}, None)

    console, logs = result["links"]["console"], result["links"]["logs"]
    assert console == "https://eu-south-1.console.aws.amazon.com/sagemaker/home?region=eu-south-1#/jobs/gan-run-7"
    assert logs.startswith("https://eu-south-1.console.aws.amazon.com/cloudwatch/home?region=eu-south-1#logsV2:")
    # The console decodes its fragment twice, '$' standing for '%'.
    fragment = unquote(unquote(logs.split("#", 1)[1].replace("$", "%")))
    assert fragment == "logsV2:log-groups/log-group//aws/sagemaker/TrainingJobs?logStreamNameFilter=gan-run-7"


@pytest.mark.parametrize(
    ("region", "domain"),
    [("cn-north-1", "console.amazonaws.cn"), ("us-gov-west-1", "console.amazonaws-us-gov.com")],
)
def test_links_use_the_partition_console(region: str, domain: str) -> None:
    links = console_links("gan-run-7", region)

    assert links["console"].startswith(f"https://{region}.{domain}/sagemaker/")
    assert links["logs"].startswith(f"https://{region}.{domain}/cloudwatch/")


def test_a_later_call_names_a_fresh_job() -> None:
    # A capacity retry goes back to Prepare after the failed job ended: the new job needs a new name.
    first = prepare.handler({"input": MINIMAL_INPUT}, None)["job_name"]
    time.sleep(0.002)  # the generated name has millisecond resolution
    second = prepare.handler({"input": MINIMAL_INPUT}, None)["job_name"]

    assert first != second


def test_invalid_input_raises_one_error_naming_every_field() -> None:
    bad_input = {"instance_type": "m5.xlarge", "instance_count": 0, "inputs": {"train": "/local/data"}}

    with pytest.raises(InvalidTrainingInput) as raised:
        prepare.handler({"input": bad_input}, None)

    fields = {problem.field for problem in raised.value.problems}
    assert {"instance_type", "instance_count", "inputs.train"} <= fields
    # Step Functions reports the error by its class name and str() as the message.
    assert type(raised.value).__name__ == "InvalidTrainingInput"
    for field in ("instance_type", "instance_count", "inputs.train"):
        assert field in str(raised.value)


@pytest.mark.parametrize("execution_input", [None, [], "ml.m5.xlarge", 7])
def test_an_input_that_is_not_an_object_is_invalid_input(execution_input: object) -> None:
    with pytest.raises(InvalidTrainingInput):
        prepare.handler({"input": execution_input}, None)


def test_unreachable_data_is_reported_before_any_job_exists() -> None:
    foreign = {**MINIMAL_INPUT, "inputs": {"train": "s3://someone-elses-bucket/train/"}}

    with pytest.raises(InvalidTrainingInput) as raised:
        prepare.handler({"input": foreign}, None)

    assert [problem.field for problem in raised.value.problems] == ["inputs.train"]


TUNING_INPUT = {
    **MINIMAL_INPUT,
    "hyperparameters": {"epochs": 10, "lr": 0.01},
    "tuner": {
        "objective_metric_name": "loss",
        "objective_type": "Minimize",
        "metric_definitions": [{"Name": "loss", "Regex": "loss=(.*?);"}],
        "hyperparameter_ranges": {"lr": {"type": "Continuous", "min_value": 0.001, "max_value": 0.1}},
        "max_jobs": 8,
        "max_parallel_jobs": 2,
    },
}


def test_a_tuning_request_becomes_the_tuning_request_the_workflow_routes_on() -> None:
    from platform_contract import JOB_NAME_FIELD, REQUEST_KIND_FIELD, TUNING_JOB_NAME_FIELD, RequestKind

    result = prepare.handler({"input": TUNING_INPUT}, None)

    assert result[REQUEST_KIND_FIELD] == RequestKind.TUNING.value
    assert JOB_NAME_FIELD not in result  # nothing mistakes it for a training job's name
    request = result["request"]
    assert result[TUNING_JOB_NAME_FIELD] == request["HyperParameterTuningJobName"]
    assert request["TrainingJobDefinition"]["RoleArn"] == ROLE_ARN
    assert request["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingImage"] == IMAGE_URI
    assert request["TrainingJobDefinition"]["StaticHyperParameters"] == {"epochs": "10"}
    assert request["Tags"] == [{"Key": "CER", "Value": "1"}]
    assert result["wait"] is True and result["job_name_origin"] == "generated"
    assert result["links"]["console"].endswith(f"#/hyper-tuning-jobs/{result[TUNING_JOB_NAME_FIELD]}")


def test_a_training_request_says_it_is_one() -> None:
    from platform_contract import REQUEST_KIND_FIELD, RequestKind

    assert prepare.handler({"input": MINIMAL_INPUT}, None)[REQUEST_KIND_FIELD] == RequestKind.TRAINING.value


def test_an_invalid_tuning_input_raises_naming_every_field() -> None:
    bad = {**TUNING_INPUT, "instance_count": 0, "tuner": {**TUNING_INPUT["tuner"], "max_parallel_jobs": 9}}
    with pytest.raises(InvalidTrainingInput) as raised:
        prepare.handler({"input": bad}, None)
    assert {problem.field for problem in raised.value.problems} == {"instance_count", "tuner.max_parallel_jobs"}
