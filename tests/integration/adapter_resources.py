"""What the adapter tests make in the emulator with boto3: unique names, a Lambda deployment package,
a stack deployed as the CDK CLI deploys it, a training request, and the wait for a job's end."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError
from execution_waits import wait_for

from platform_contract import COST_TAG_KEY, COST_TAG_VALUE, FINAL_JOB_STATUSES

ROLE_ARN = "arn:aws:iam::123456789012:role/emulator-test"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/trainer:latest"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def python_package(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("index.py", source)
    return buffer.getvalue()


CDK_CHANGE_SET = "cdk-deploy-change-set"  # the CDK CLI gives every stack's change set this name


def deploy_template(emulator: Any, template: dict[str, Any], stack_name: str) -> dict[str, Any]:
    """Deploy as the CDK CLI does: delete the stack's old change set, create one by name, execute it.

    find_change_sets_by_stack_and_name keeps the same-named change sets of several stacks apart;
    keep_previous_ssm_parameter_values_on_update lets an update reuse an SSM-typed parameter.
    """
    cloudformation = emulator.client("cloudformation")
    exists = any(s["StackName"] == stack_name for s in cloudformation.describe_stacks()["Stacks"])
    cloudformation.delete_change_set(StackName=stack_name, ChangeSetName=CDK_CHANGE_SET)
    with pytest.raises(ClientError, match="ChangeSetNotFound"):
        cloudformation.describe_change_set(StackName=stack_name, ChangeSetName=CDK_CHANGE_SET)
    parameters = [{"ParameterKey": name, "UsePreviousValue": True} for name in template.get("Parameters", {})]
    cloudformation.create_change_set(
        StackName=stack_name,
        ChangeSetName=CDK_CHANGE_SET,
        TemplateBody=json.dumps(template),
        ChangeSetType="UPDATE" if exists else "CREATE",
        Parameters=parameters if exists else [],
    )
    assert (
        cloudformation.describe_change_set(StackName=stack_name, ChangeSetName=CDK_CHANGE_SET)["StackName"]
        == stack_name
    )
    cloudformation.execute_change_set(StackName=stack_name, ChangeSetName=CDK_CHANGE_SET)
    return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]


def training_request(name: str, bucket: str, **hyperparameters: str) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "RoleArn": ROLE_ARN,
        "AlgorithmSpecification": {
            "TrainingImage": IMAGE,
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "loss", "Regex": "Loss = (.*?);"}],
        },
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "HyperParameters": {"run": unique("run"), **hyperparameters},
        "Tags": [{"Key": COST_TAG_KEY, "Value": COST_TAG_VALUE}],
    }


def final_job(sagemaker: Any, name: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        job = sagemaker.describe_training_job(TrainingJobName=name)
        return job if job["TrainingJobStatus"] in FINAL_JOB_STATUSES else None

    return wait_for(ended, timeout=30)
