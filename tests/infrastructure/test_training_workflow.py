"""The training workflow construct: its synthesized template, its definition, and executions of that
definition in moto's Step Functions interpreter with the real Prepare handler.

The construct is synthesized once, in a small stack of its own with cdk-nag's AwsSolutions checks on
(a finding that is not acknowledged fails the synthesis).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from stacks.training_workflow import (
    CREATE_TRAINING_JOB,
    CREATE_TRAINING_JOB_SYNC,
    LAMBDA_INVOKE,
    TrainingWorkflow,
    training_definition,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAX_CAPACITY_RETRIES = 2
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:prepare"
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    outdir = tmp_path_factory.mktemp("workflow-cdk.out")
    app = App(outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = Stack(app, "WorkflowTest")
    execution_role = iam.Role(stack, "ExecutionRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    TrainingWorkflow(
        stack,
        "Workflow",
        execution_role=execution_role,
        default_image_uri="111122223333.dkr.ecr.eu-west-1.amazonaws.com/training:latest",
        default_output_path="s3://artifacts-bucket/",
        default_checkpoint_s3_uri="s3://checkpoints-bucket/",
        readable_bucket_names=["data-bucket", "shared-datasets"],
        writable_bucket_names=["artifacts-bucket", "checkpoints-bucket", "tensorboard-bucket"],
        max_capacity_retries=MAX_CAPACITY_RETRIES,
    )
    assembly = app.synth()
    return assembly.get_stack_by_name("WorkflowTest").template, outdir


@pytest.fixture(scope="module")
def template(synthesized: tuple[dict[str, Any], Path]) -> dict[str, Any]:
    return synthesized[0]


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (resource,) = resources(template, resource_type).values()
    return resource


def logical_id(template: dict[str, Any], resource_type: str, containing: str) -> str:
    (found,) = [k for k in resources(template, resource_type) if containing in k]
    return found


def deployed_definition(template: dict[str, Any]) -> dict[str, Any]:
    """The DefinitionString with the Prepare function's ARN put in as FUNCTION_ARN."""
    function_id = logical_id(template, "AWS::Lambda::Function", "WorkflowPrepare")
    state_machine_id = logical_id(template, "AWS::StepFunctions::StateMachine", "Workflow")
    parts = template["Resources"][state_machine_id]["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        else:
            assert part == {"Fn::GetAtt": [function_id, "Arn"]}, f"unexpected reference in the definition: {part}"
            text += FUNCTION_ARN
    return json.loads(text)


@pytest.fixture(scope="module")
def definition(template: dict[str, Any]) -> dict[str, Any]:
    return deployed_definition(template)


def states_of_type(definition: dict[str, Any], state_type: str) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in definition["States"].items() if s["Type"] == state_type}


# ---------------------------------------------------------------- the definition


def test_the_deployed_definition_is_the_one_tested_here(definition: dict[str, Any]) -> None:
    assert definition == training_definition(FUNCTION_ARN, MAX_CAPACITY_RETRIES)


def test_tasks_are_the_prepare_lambda_and_sagemakers_own_integration(definition: dict[str, Any]) -> None:
    tasks = {name: state["Resource"] for name, state in states_of_type(definition, "Task").items()}

    assert tasks == {
        "Prepare": LAMBDA_INVOKE,
        "RunTrainingJob": CREATE_TRAINING_JOB_SYNC,
        "StartTrainingJob": CREATE_TRAINING_JOB,
    }
    assert definition["States"]["Prepare"]["Arguments"]["FunctionName"] == FUNCTION_ARN
    # No polling: nothing waits in the definition, SageMaker's .sync integration follows the job.
    assert not states_of_type(definition, "Wait")


def test_both_sagemaker_tasks_send_the_built_request_whole(definition: dict[str, Any]) -> None:
    for name in ("RunTrainingJob", "StartTrainingJob"):
        assert definition["States"][name]["Arguments"] == "{% $states.input.request %}"


def test_prepare_reads_the_execution_input_so_a_retry_rebuilds_the_same_request(definition: dict[str, Any]) -> None:
    payload = definition["States"]["Prepare"]["Arguments"]["Payload"]

    assert payload == {"input": "{% $states.context.Execution.Input %}"}


def test_wait_false_starts_the_job_and_ends(definition: dict[str, Any]) -> None:
    choose = definition["States"]["ChooseWait"]

    assert choose["Choices"] == [{"Condition": "{% $states.input.wait = false %}", "Next": "StartTrainingJob"}]
    assert choose["Default"] == "RunTrainingJob"
    assert definition["States"]["StartTrainingJob"]["End"] is True


def test_quota_and_throttling_errors_are_retried_with_backoff(definition: dict[str, Any]) -> None:
    for name in ("RunTrainingJob", "StartTrainingJob"):
        retries = {error: retry for retry in definition["States"][name]["Retry"] for error in retry["ErrorEquals"]}
        assert set(retries) == {"SageMaker.ResourceLimitExceededException", "SageMaker.AmazonSageMakerException"}
        for retry in retries.values():
            assert retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 3
        # A job that ran and failed is never retried under the same name (it would be refused).
        assert "States.ALL" not in retries and "States.TaskFailed" not in retries


def test_only_the_capacity_branch_leads_back_to_prepare_and_it_counts(definition: dict[str, Any]) -> None:
    into_prepare = [name for name, state in definition["States"].items() if state.get("Next") == "Prepare"]
    retry = definition["States"]["RetryWithFreshName"]
    capacity_choice = [
        choice for choice in definition["States"]["ClassifyFailure"]["Choices"] if choice["Next"] == "RetryWithFreshName"
    ]

    assert sorted(into_prepare) == ["Begin", "RetryWithFreshName"]
    assert definition["States"]["Begin"]["Assign"] == {"capacity_retries": 0}
    assert retry["Assign"] == {"capacity_retries": "{% $capacity_retries + 1 %}"}
    assert len(capacity_choice) == 1
    assert f"$capacity_retries < {MAX_CAPACITY_RETRIES}" in capacity_choice[0]["Condition"]


def test_every_failure_ends_in_a_named_fail_state(definition: dict[str, Any]) -> None:
    fails = {name: state["Error"] for name, state in states_of_type(definition, "Fail").items()}

    assert fails == {
        "InvalidInput": "InvalidTrainingInput",
        "PreparationFailed": "{% $failure.Error %}",
        "TrainingJobFailed": "TrainingJobFailed",
        "TrainingJobStopped": "TrainingJobStopped",
        "SageMakerRequestFailed": "{% $failure.Error %}",
    }
    catch_targets = {
        catch["Next"] for state in states_of_type(definition, "Task").values() for catch in state.get("Catch", [])
    }
    assert catch_targets == {"InvalidInput", "PreparationFailed", "ClassifyFailure", "SageMakerRequestFailed"}


def run_asl_validator(definition: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition))
    return subprocess.run(
        ["npx", "--no-install", "asl-validator", "--json-path", str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_definition_is_valid_amazon_states_language(definition: dict[str, Any], tmp_path: Path) -> None:
    result = run_asl_validator(definition, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    # The validator does reject a broken definition (a transition to a state that does not exist).
    broken = copy.deepcopy(definition)
    broken["States"]["RetryWithFreshName"]["Next"] = "Preparre"
    assert run_asl_validator(broken, tmp_path).returncode != 0


# ---------------------------------------------------------------- the roles


def policy_statements(template: dict[str, Any], role_id_part: str) -> list[dict[str, Any]]:
    role_id = logical_id(template, "AWS::IAM::Role", role_id_part)
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    assert not only_role(template, role_id).get("ManagedPolicyArns")
    assert not only_role(template, role_id).get("Policies")
    return statements


def only_role(template: dict[str, Any], role_id: str) -> dict[str, Any]:
    return template["Resources"][role_id]["Properties"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def joined(value: Any) -> str:
    """An ARN built with Fn::Join, pseudo parameters written as <AWS::...>."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{value['Fn::GetAtt'][0]}.Arn>"
    separator, parts = value["Fn::Join"]
    return separator.join(joined(part) for part in parts)


def test_state_machine_role_holds_exactly_what_the_integrations_need(template: dict[str, Any]) -> None:
    statements = policy_statements(template, "StateMachineRole")
    function_id = logical_id(template, "AWS::Lambda::Function", "Prepare")
    execution_role_id = logical_id(template, "AWS::IAM::Role", "ExecutionRole")
    training_jobs = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job/*"
    by_action = {
        action: (tuple(joined(r) for r in as_list(s["Resource"])), json.dumps(s.get("Condition"), sort_keys=True))
        for s in statements
        for action in as_list(s["Action"])
    }
    assert all(s["Effect"] == "Allow" for s in statements)
    assert all("*" not in action for action in by_action)
    tagged = json.dumps({"StringEquals": {"aws:RequestTag/CER": "1"}}, sort_keys=True)
    to_sagemaker = json.dumps({"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}, sort_keys=True)
    sync_rule = "arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"
    expected_specific = {
        "sagemaker:CreateTrainingJob": ((training_jobs,), tagged),
        "sagemaker:AddTags": ((training_jobs,), tagged),
        "sagemaker:DescribeTrainingJob": ((training_jobs,), "null"),
        "sagemaker:StopTrainingJob": ((training_jobs,), "null"),
        "iam:PassRole": ((f"<{execution_role_id}.Arn>",), to_sagemaker),
        "events:PutTargets": ((sync_rule,), "null"),
        "events:PutRule": ((sync_rule,), "null"),
        "events:DescribeRule": ((sync_rule,), "null"),
        "lambda:InvokeFunction": ((f"<{function_id}.Arn>",), "null"),
    }
    # Actions AWS offers no resource-level permission for (X-Ray, CloudWatch Logs delivery), added by the CDK.
    resource_wide = {action for action, (res, _) in by_action.items() if res == ("*",)}
    assert {a: v for a, v in by_action.items() if a not in resource_wide} == expected_specific
    assert resource_wide == {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }


def test_state_machine_role_is_assumed_by_step_functions_only(template: dict[str, Any]) -> None:
    role = only_role(template, logical_id(template, "AWS::IAM::Role", "StateMachineRole"))
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]

    assert statement["Principal"] == {"Service": "states.amazonaws.com"}


def test_prepare_lambda_can_only_write_its_logs_and_traces(template: dict[str, Any]) -> None:
    statements = policy_statements(template, "PrepareRole")
    log_group_id = logical_id(template, "AWS::Logs::LogGroup", "PrepareLogs")

    actions = {
        action: tuple(joined(r) for r in as_list(s["Resource"])) for s in statements for action in as_list(s["Action"])
    }
    assert actions == {
        "logs:CreateLogStream": (f"<{log_group_id}.Arn>",),
        "logs:PutLogEvents": (f"<{log_group_id}.Arn>",),
        "xray:PutTraceSegments": ("*",),
        "xray:PutTelemetryRecords": ("*",),
    }


# ---------------------------------------------------------------- Lambda, logging, tracing


def test_prepare_lambda_runs_the_handler_with_the_stack_defaults(template: dict[str, Any]) -> None:
    function = only(template, "AWS::Lambda::Function")["Properties"]
    execution_role_id = logical_id(template, "AWS::IAM::Role", "ExecutionRole")

    assert function["Runtime"] in ("python3.12", "python3.13")
    assert function["Handler"] == "prepare_training.handler"
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": logical_id(template, "AWS::Logs::LogGroup", "PrepareLogs")}
    assert function["Environment"]["Variables"] == {
        "DEFAULT_ROLE_ARN": {"Fn::GetAtt": [execution_role_id, "Arn"]},
        "DEFAULT_IMAGE_URI": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/training:latest",
        "DEFAULT_OUTPUT_PATH": "s3://artifacts-bucket/",
        "DEFAULT_CHECKPOINT_S3_URI": "s3://checkpoints-bucket/",
        "READABLE_BUCKETS": "data-bucket,shared-datasets",
        "WRITABLE_BUCKETS": "artifacts-bucket,checkpoints-bucket,tensorboard-bucket",
    }


def test_lambda_asset_is_the_runtime_code_without_tests_or_caches(synthesized: tuple[dict[str, Any], Path]) -> None:
    template, outdir = synthesized
    function = only(template, "AWS::Lambda::Function")
    asset = outdir / ("asset." + function["Properties"]["Code"]["S3Key"].removesuffix(".zip"))
    files = {path.relative_to(asset).as_posix() for path in asset.rglob("*") if path.is_file()}

    assert "prepare_training.py" in files
    assert "training_request/__init__.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or f.startswith("tests/")]


def test_executions_are_logged_without_their_data_and_traced(template: dict[str, Any]) -> None:
    state_machine = only(template, "AWS::StepFunctions::StateMachine")["Properties"]
    logging = state_machine["LoggingConfiguration"]

    assert state_machine["StateMachineType"] == "STANDARD"
    assert state_machine["TracingConfiguration"] == {"Enabled": True}
    assert logging["Level"] == "ALL"
    # Inputs may carry secrets in `environment`: no input, output or request in CloudWatch Logs.
    assert logging["IncludeExecutionData"] is False
    (destination,) = logging["Destinations"]
    execution_logs = logical_id(template, "AWS::Logs::LogGroup", "ExecutionLogs")
    assert destination["CloudWatchLogsLogGroup"]["LogGroupArn"] == {"Fn::GetAtt": [execution_logs, "Arn"]}


def test_every_log_group_expires(template: dict[str, Any]) -> None:
    log_groups = resources(template, "AWS::Logs::LogGroup")

    assert len(log_groups) == 2
    assert all(group["Properties"]["RetentionInDays"] > 0 for group in log_groups.values())


# ---------------------------------------------------------------- wired into the training stack


def test_training_stack_runs_the_workflow_with_the_platform_defaults(synthesized_app: Any) -> None:
    from app import cdk_json_context

    template = synthesized_app.template("training")
    function_id = logical_id(template, "AWS::Lambda::Function", "TrainingWorkflowPrepare")
    variables = template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    settings = cdk_json_context()
    prefix = f"{settings['prefix']}-{settings['environment']}-stateful"

    assert joined(variables["DEFAULT_ROLE_ARN"]) == f"<{logical_id(template, 'AWS::IAM::Role', 'ExecutionRole')}.Arn>"
    assert joined_imports(variables["DEFAULT_IMAGE_URI"]).endswith(f"/<{prefix}-RepositoryName>:{settings['default_image_tag']}")
    assert joined_imports(variables["DEFAULT_OUTPUT_PATH"]) == f"s3://<{prefix}-ArtifactsBucketName>/"
    assert joined_imports(variables["DEFAULT_CHECKPOINT_S3_URI"]) == f"s3://<{prefix}-CheckpointsBucketName>/"
    assert joined_imports(variables["WRITABLE_BUCKETS"]).split(",") == [
        f"<{prefix}-{name}BucketName>" for name in ("Artifacts", "Checkpoints", "TensorBoard")
    ]
    assert f"<{prefix}-DataBucketName>" in joined_imports(variables["READABLE_BUCKETS"]).split(",")
    state_machine_id = logical_id(template, "AWS::StepFunctions::StateMachine", "TrainingWorkflow")
    assert {"Ref": state_machine_id} in [output["Value"] for output in template["Outputs"].values()]
    retry_condition = next(
        choice["Condition"]
        for choice in deployed_definition(template)["States"]["ClassifyFailure"]["Choices"]
        if choice["Next"] == "RetryWithFreshName"
    )
    assert f"$capacity_retries < {settings['max_capacity_retries']}" in retry_condition


def joined_imports(value: Any) -> str:
    """Like joined(), with cross-stack imports written as <export name>."""
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        return f"<{value['Fn::ImportValue']}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(joined_imports(part) for part in parts)
    return joined(value)
