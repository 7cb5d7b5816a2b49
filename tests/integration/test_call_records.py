"""The emulator's call log on the deployed platform: each call the platform's roles make, and the
calls AWS services make for it, recorded with its principal, action, resource and context
(docs/emulator.md, "The call log"). Whether IAM allows them is judged elsewhere; here only that they
are recorded, and in the agreed shape.

One console execution (a single training) and one request file upload.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from call_records import FIELDS, Record, calls, find, one
from execution_waits import execution_output, finished_execution, wait_for
from request_files import put_request, request_key

from emulator.call_log import CALLER_ARN
from platform_contract import SAGEMAKER_TRAINING_SYNC_RULE, TRAINING_JOB_LOG_GROUP, TRAINING_JOB_METRICS_NAMESPACE


def role_named(part: str) -> Callable[[Any], bool]:
    return lambda arn: isinstance(arn, str) and ":role/" in arn and part in arn


@pytest.fixture(scope="module")
def console_training(emulator: Any, platform: Any) -> tuple[dict[str, Any], list[Record]]:
    """One console execution, its channel holding two objects; the records of the session so far."""
    data = platform.outputs["DataBucketName"]
    prefix = f"records-{uuid.uuid4().hex[:8]}/train/"
    s3 = emulator.client("s3")
    for name in ("a.csv", "b.csv"):
        s3.put_object(Bucket=data, Key=f"{prefix}{name}", Body=b"1,2\n")
    execution_input = {
        "instance_type": "ml.m5.xlarge",
        "instance_count": 1,
        "base_job_name": "records",
        "inputs": {"train": f"s3://{data}/{prefix}"},
        "hyperparameters": {"epochs": 1, "run": uuid.uuid4().hex[:10]},
        "metric_definitions": [{"Name": "loss", "Regex": "Loss = (.*?);"}],
    }
    sfn = emulator.client("stepfunctions")
    started = sfn.start_execution(stateMachineArn=platform.state_machine_arn, input=json.dumps(execution_input))
    described = finished_execution(sfn, started["executionArn"])
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = execution_output(described)
    # The job's last traces (its final state change, the role's last log lines) follow the execution's end.
    wait_for(lambda: find(calls(emulator), action="s3:PutObject", resource=lambda r: "model.tar.gz" in str(r)))
    return {**output, "data": data, "prefix": prefix, "input": execution_input}, calls(emulator)


def test_every_record_has_the_agreed_shape(console_training: tuple[dict[str, Any], list[Record]]) -> None:
    _, records = console_training
    assert [r["sequence"] for r in records] == list(range(len(records)))
    for record in records:
        assert set(record) == FIELDS, record
        assert record["principal_type"] in {"role", "service", "caller"}
        assert record["context"]["aws:SecureTransport"] == "true"
        assert record["time"].endswith("Z")
    assert find(records, principal=CALLER_ARN, principal_type="caller", action="states:StartExecution")


def test_prepare_runs_with_its_role_assumed_by_lambda(
    console_training: tuple[dict[str, Any], list[Record]], platform: Any
) -> None:
    _, records = console_training
    prepare_role = one(records, principal=role_named("Prepare"), principal_type="role")["principal"]
    assumed = one(records, principal="lambda.amazonaws.com", action="sts:AssumeRole", resource=prepare_role)
    assert assumed["principal_type"] == "service"
    assert ":function:" in assumed["context"]["aws:SourceArn"]
    log_writes = find(records, principal=prepare_role, action="logs:PutLogEvents")
    assert log_writes and all(":log-stream:" in r["resource"] for r in log_writes)


def test_the_state_machine_role_creates_the_tagged_job_and_passes_the_execution_role(
    console_training: tuple[dict[str, Any], list[Record]], platform: Any
) -> None:
    output, records = console_training
    job_arn = one(records, action="sagemaker:CreateTrainingJob", resource=lambda r: output["job_name"] in str(r))
    state_machine_role = job_arn["principal"]
    assert job_arn["principal_type"] == "role" and job_arn["by"].startswith("state machine")
    assert job_arn["context"]["aws:RequestTag/CER"] == "1" and "CER" in job_arn["context"]["aws:TagKeys"]
    assert one(records, principal=state_machine_role, action="sagemaker:AddTags", resource=job_arn["resource"])
    passed = one(records, principal=state_machine_role, action="iam:PassRole")
    assert passed["context"]["iam:PassedToService"] == "sagemaker.amazonaws.com"
    assert one(records, principal=state_machine_role, action="lambda:InvokeFunction", resource=lambda r: "Prepare" in r)
    assert one(
        records, principal=state_machine_role, action="sagemaker:DescribeTrainingJob", resource=job_arn["resource"]
    )
    for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
        rule = one(records, principal=state_machine_role, action=action)["resource"]
        assert rule.endswith(f":rule/{SAGEMAKER_TRAINING_SYNC_RULE}")
    assumed = one(records, principal="states.amazonaws.com", action="sts:AssumeRole", resource=state_machine_role)
    assert assumed["context"]["aws:SourceArn"] == platform.state_machine_arn


def test_the_job_acts_with_its_execution_role(console_training: tuple[dict[str, Any], list[Record]]) -> None:
    output, records = console_training
    by_job = [r for r in records if r["by"] == f"training job {output['job_name']}"]
    created = one(records, action="sagemaker:CreateTrainingJob", resource=lambda r: output["job_name"] in str(r))
    execution_role = one(records, action="iam:PassRole", principal=created["principal"])["resource"]
    assert by_job and {r["principal"] for r in by_job} == {execution_role}
    job_arn = f"training-job/{output['job_name'].lower()}"
    assumed = find(records, principal="sagemaker.amazonaws.com", action="sts:AssumeRole", resource=execution_role)
    assert [a for a in assumed if a["context"]["aws:SourceArn"].endswith(job_arn)]

    assert one(by_job, action="ecr:GetAuthorizationToken", resource="*")
    for action in ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"):
        assert ":repository/" in one(by_job, action=action)["resource"]

    data, prefix = output["data"], output["prefix"]
    listed = one(by_job, action="s3:ListBucket", resource=f"arn:aws:s3:::{data}")
    assert listed["context"]["s3:prefix"] == prefix and listed["outcome"] == "ok"
    for name in ("a.csv", "b.csv"):
        assert one(by_job, action="s3:GetObject", resource=f"arn:aws:s3:::{data}/{prefix}{name}")["outcome"] == "ok"
    decrypt = one(by_job, action="kms:Decrypt", via="s3.amazonaws.com")
    assert decrypt["context"]["kms:EncryptionContext:aws:s3:arn"] == f"arn:aws:s3:::{data}"

    artifact = output["model_artifacts"].removeprefix("s3://")
    assert one(by_job, action="s3:PutObject", resource=f"arn:aws:s3:::{artifact}")["outcome"] == "ok"
    data_key = one(by_job, action="kms:GenerateDataKey", via="s3.amazonaws.com")
    assert data_key["context"]["kms:ViaService"].startswith("s3.") and data_key["resource"].startswith("arn:aws:kms:")

    assert one(by_job, action="logs:PutLogEvents", resource=lambda r: f"log-group:{TRAINING_JOB_LOG_GROUP}:" in r)
    metrics = one(by_job, action="cloudwatch:PutMetricData", resource="*")
    assert metrics["context"]["cloudwatch:namespace"] == TRAINING_JOB_METRICS_NAMESPACE


def test_a_request_file_upload_starts_the_workflow_with_the_rule_s_role(
    emulator: Any, platform: Any, console_training: tuple[dict[str, Any], list[Record]]
) -> None:
    since = len(calls(emulator))
    data = platform.outputs["DataBucketName"]
    name = f"records-{uuid.uuid4().hex[:8]}"
    request = {**console_training[0]["input"], "wait": False}
    put_request(emulator.client("s3"), data, name, request)

    def delivered() -> list[Record]:
        records = calls(emulator, since)
        return records if find(records, action="states:StartExecution", principal_type="role") else []

    records = wait_for(delivered, timeout=120)
    started = one(records, action="states:StartExecution", principal_type="role")
    assert started["resource"] == platform.state_machine_arn and started["by"].startswith("EventBridge rule")
    assumed = one(records, principal="events.amazonaws.com", action="sts:AssumeRole", resource=started["principal"])
    assert ":rule/" in assumed["context"]["aws:SourceArn"]
    assert assumed["context"]["aws:SourceAccount"] == started["resource_account"]

    def prepare_read() -> Record | None:
        found = find(
            calls(emulator, since),
            principal=role_named("Prepare"),
            action=lambda a: a in {"s3:GetObject", "s3:GetObjectVersion"},
            resource=f"arn:aws:s3:::{data}/{request_key(name)}",
        )
        return found[0] if found else None

    assert wait_for(prepare_read, timeout=120)["outcome"] == "ok"
