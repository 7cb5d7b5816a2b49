"""The training workflow construct: its synthesized template and what the definition holds that no
execution can show (IAM grants, logging, retry and timeout settings, validity for AWS). What the workflow
does with an input is tested by running it: test_training_workflow_executions.py.

The construct is synthesized once, in a small stack of its own with cdk-nag's AwsSolutions checks on
(a finding that is not acknowledged fails the synthesis).
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from platform_contract import EXECUTION_TAG_KEY
from stacks.training_definition import (
    CREATE_TRAINING_JOB,
    CREATE_TRAINING_JOB_SYNC,
    CREATE_TUNING_JOB,
    CREATE_TUNING_JOB_SYNC,
    DESCRIBE_TRAINING_JOB,
    LAMBDA_INVOKE,
    LIST_TAGS,
    integration_arn,
    training_definition,
)
from stacks.training_workflow import TrainingWorkflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAX_CAPACITY_RETRIES = 2
JOB_POLL_SECONDS = 45
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:prepare"
WRITER_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:write-result"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


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
        state_machine_name="workflow-test",
        execution_role=execution_role,
        default_image_uri="111122223333.dkr.ecr.eu-west-1.amazonaws.com/training:latest",
        default_output_path="s3://artifacts-bucket/",
        default_checkpoint_s3_uri="s3://checkpoints-bucket/",
        readable_bucket_names=["data-bucket", "shared-datasets"],
        writable_bucket_names=["artifacts-bucket", "checkpoints-bucket", "tensorboard-bucket"],
        request_bucket=s3.Bucket.from_bucket_name(stack, "DataBucket", "data-bucket"),
        request_prefix="requests/",
        result_prefix="results/",
        key=kms.Key.from_key_arn(stack, "Key", KEY_ARN),
        max_capacity_retries=MAX_CAPACITY_RETRIES,
        job_poll_seconds=JOB_POLL_SECONDS,
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
    """The DefinitionString with the Prepare and WriteResult functions' ARNs put in as FUNCTION_ARN, WRITER_ARN,
    deployed in the `aws` partition."""
    functions = {
        logical_id(template, "AWS::Lambda::Function", "WorkflowPrepare"): FUNCTION_ARN,
        logical_id(template, "AWS::Lambda::Function", "WorkflowWriteResult"): WRITER_ARN,
    }
    state_machine_id = logical_id(template, "AWS::StepFunctions::StateMachine", "Workflow")
    parts = template["Resources"][state_machine_id]["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        elif part == {"Ref": "AWS::Partition"}:
            text += "aws"
        else:
            (function_id, attribute) = part["Fn::GetAtt"]
            assert attribute == "Arn" and function_id in functions, f"unexpected reference in the definition: {part}"
            text += functions[function_id]
    return json.loads(text)


@pytest.fixture(scope="module")
def definition(template: dict[str, Any]) -> dict[str, Any]:
    return deployed_definition(template)


def states_of_type(definition: dict[str, Any], state_type: str) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in definition["States"].items() if s["Type"] == state_type}


# ---------------------------------------------------------------- the definition


def test_the_deployed_definition_is_the_one_the_executions_run(definition: dict[str, Any]) -> None:
    assert definition == training_definition(
        FUNCTION_ARN, MAX_CAPACITY_RETRIES, WRITER_ARN, job_poll_seconds=JOB_POLL_SECONDS, partition="aws"
    )


# Settings no test waits for: retries seconds to minutes apart, timeouts of minutes.


def retry_settings(task: dict[str, Any]) -> dict[str, tuple[int, int, float, int | None]]:
    """Each retried error: (IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds)."""
    return {
        error: (retry["IntervalSeconds"], retry["MaxAttempts"], retry["BackoffRate"], retry.get("MaxDelaySeconds"))
        for retry in task.get("Retry", [])
        for error in retry["ErrorEquals"]
    }


def test_sagemaker_tasks_wait_out_quotas_and_throttling_and_nothing_else(definition: dict[str, Any]) -> None:
    for name in ("RunTrainingJob", "StartTrainingJob", "RunTuningJob", "StartTuningJob"):
        assert retry_settings(definition["States"][name]) == {
            # Instance quota in use by other jobs: 1, 2, 4, 8, 15 minutes for them to finish.
            "SageMaker.ResourceLimitExceededException": (60, 5, 2, 900),
            # Throttling (and, indistinguishably, validation errors): a few quick tries.
            "SageMaker.AmazonSageMakerException": (5, 3, 2, None),
        }
        # Full jitter: executions started together by one event burst do not retry in step.
        assert {retry["JitterStrategy"] for retry in definition["States"][name]["Retry"]} == {"FULL"}


def test_lambda_tasks_retry_only_lambda_service_errors_and_time_out(definition: dict[str, Any]) -> None:
    # As AWS's best practice for Lambda service exceptions lists them, and throttling of the invocation.
    service_errors = {
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    }
    for name, timeout in (("Prepare", 120), ("WriteResult", 60)):
        task = definition["States"][name]
        # A handler's own error (invalid input, a malformed event) would fail again: it is not retried.
        assert retry_settings(task) == {error: (2, 6, 2, None) for error in service_errors}
        assert task["TimeoutSeconds"] == timeout


def test_every_task_error_that_is_not_retried_is_caught(definition: dict[str, Any]) -> None:
    # So every failure, a timeout included, ends in a Fail state that names it (see the executions' tests).
    for name, task in states_of_type(definition, "Task").items():
        assert task["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name


def test_the_workflow_uses_sagemakers_own_integration_and_polls_only_its_own_job_met_by_name(
    definition: dict[str, Any],
) -> None:
    # The state machine role is granted for exactly these integrations (see the roles below).
    tasks = {name: state["Resource"] for name, state in states_of_type(definition, "Task").items()}

    assert tasks == {
        "Prepare": integration_arn("aws", LAMBDA_INVOKE),
        "RunTrainingJob": integration_arn("aws", CREATE_TRAINING_JOB_SYNC),
        "StartTrainingJob": integration_arn("aws", CREATE_TRAINING_JOB),
        "RunTuningJob": integration_arn("aws", CREATE_TUNING_JOB_SYNC),
        "StartTuningJob": integration_arn("aws", CREATE_TUNING_JOB),
        # A completed tuning job names its best training job, not that job's model.
        "DescribeBestTrainingJob": integration_arn("aws", DESCRIBE_TRAINING_JOB),
        "DescribeJobInUse": integration_arn("aws", DESCRIBE_TRAINING_JOB),
        "ReadJobInUseTags": integration_arn("aws", LIST_TAGS),
        "DescribeOwnJob": integration_arn("aws", DESCRIBE_TRAINING_JOB),
        "WriteResult": integration_arn("aws", LAMBDA_INVOKE),
    }
    # The one poll loop: the execution's own job, found under its name after a retried create.
    assert states_of_type(definition, "Wait") == {
        "WaitForOwnJob": {"Type": "Wait", "Seconds": "{% $job_poll_seconds %}", "Next": "DescribeOwnJob"}
    }
    assert definition["States"]["Begin"]["Assign"]["job_poll_seconds"] == JOB_POLL_SECONDS


def test_sagemaker_reads_retry_throttling_a_few_times(definition: dict[str, Any]) -> None:
    for name in ("DescribeJobInUse", "ReadJobInUseTags", "DescribeOwnJob", "DescribeBestTrainingJob"):
        assert retry_settings(definition["States"][name]) == {
            "SageMaker.ThrottlingException": (5, 3, 2, None),
            "SageMaker.SageMakerException": (5, 3, 2, None),
        }


def test_every_job_is_tagged_with_the_execution_that_creates_it(definition: dict[str, Any]) -> None:
    assert definition["States"]["Begin"]["Assign"]["execution_tag_key"] == EXECUTION_TAG_KEY
    for name in ("RunTrainingJob", "StartTrainingJob", "RunTuningJob", "StartTuningJob"):
        arguments = definition["States"][name]["Arguments"]
        assert "{'Key': $execution_tag_key, 'Value': $states.context.Execution.Id}" in arguments


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
    writer_id = logical_id(template, "AWS::Lambda::Function", "WriteResult")
    execution_role_id = logical_id(template, "AWS::IAM::Role", "ExecutionRole")
    training_jobs = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job/*"
    tuning_jobs = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:hyper-parameter-tuning-job/*"
    by_action = {
        action: (tuple(joined(r) for r in as_list(s["Resource"])), json.dumps(s.get("Condition"), sort_keys=True))
        for s in statements
        for action in as_list(s["Action"])
    }
    assert all(s["Effect"] == "Allow" for s in statements)
    assert all("*" not in action for action in by_action)
    tagged = json.dumps({"StringEquals": {"aws:RequestTag/CER": "1"}}, sort_keys=True)
    to_sagemaker = json.dumps({"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}, sort_keys=True)
    rules = (
        "arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/StepFunctionsGetEventsForSageMaker{}JobsRule"
    )
    sync_rules = (rules.format("Training"), rules.format("Tuning"))
    expected_specific = {
        "sagemaker:CreateTrainingJob": ((training_jobs,), tagged),
        # Tuning jobs are created under the same conditions.
        "sagemaker:CreateHyperParameterTuningJob": ((tuning_jobs,), tagged),
        # As AWS's policy for the integration: Step Functions adds its own tag, without the cost tag.
        "sagemaker:AddTags": ((training_jobs, tuning_jobs), "null"),
        "sagemaker:ListTags": ((training_jobs, tuning_jobs), "null"),
        "sagemaker:DescribeTrainingJob": ((training_jobs,), "null"),
        "sagemaker:StopTrainingJob": ((training_jobs,), "null"),
        "sagemaker:DescribeHyperParameterTuningJob": ((tuning_jobs,), "null"),
        "sagemaker:StopHyperParameterTuningJob": ((tuning_jobs,), "null"),
        "sagemaker:ListTrainingJobsForHyperParameterTuningJob": ((tuning_jobs,), "null"),
        "iam:PassRole": ((f"<{execution_role_id}.Arn>",), to_sagemaker),
        "events:PutTargets": (sync_rules, "null"),
        "events:PutRule": (sync_rules, "null"),
        "events:DescribeRule": (sync_rules, "null"),
        "lambda:InvokeFunction": ((f"<{function_id}.Arn>", f"<{writer_id}.Arn>"), "null"),
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
    # Only this account's state machine of this name may assume it (confused deputy).
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert joined(statement["Condition"]["ArnLike"]["aws:SourceArn"]) == (
        "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:workflow-test"
    )


def role_actions(template: dict[str, Any], role_id_part: str) -> dict[str, tuple[tuple[str, ...], str]]:
    return {
        action: (tuple(joined(r) for r in as_list(s["Resource"])), json.dumps(s.get("Condition"), sort_keys=True))
        for s in policy_statements(template, role_id_part)
        for action in as_list(s["Action"])
    }


def _logs_and_traces(template: dict[str, Any], log_group_part: str) -> dict[str, tuple[tuple[str, ...], str]]:
    log_group_id = logical_id(template, "AWS::Logs::LogGroup", log_group_part)
    return {
        "logs:CreateLogStream": ((f"<{log_group_id}.Arn>",), "null"),
        "logs:PutLogEvents": ((f"<{log_group_id}.Arn>",), "null"),
        "xray:PutTraceSegments": (("*",), "null"),
        "xray:PutTelemetryRecords": (("*",), "null"),
    }


def test_prepare_lambda_reads_only_request_files_besides_its_logs_and_traces(template: dict[str, Any]) -> None:
    actions = role_actions(template, "PrepareRole")

    assert actions == {
        **_logs_and_traces(template, "PrepareLogs"),
        "s3:GetObject": (("arn:<AWS::Partition>:s3:::data-bucket/requests/*",), "null"),
        "s3:GetObjectVersion": (("arn:<AWS::Partition>:s3:::data-bucket/requests/*",), "null"),
        # Only through S3: the key cannot decrypt anything else for this role.
        "kms:Decrypt": ((KEY_ARN,), actions["kms:Decrypt"][1]),
    }
    assert "kms:ViaService" in actions["kms:Decrypt"][1] and "s3." in actions["kms:Decrypt"][1]


def test_result_writer_writes_only_under_the_result_prefix(template: dict[str, Any]) -> None:
    actions = role_actions(template, "WriteResultRole")

    assert actions == {
        **_logs_and_traces(template, "WriteResultLogs"),
        "s3:PutObject": (("arn:<AWS::Partition>:s3:::data-bucket/results/*",), "null"),
        "kms:GenerateDataKey": ((KEY_ARN,), actions["kms:GenerateDataKey"][1]),
    }
    assert "kms:ViaService" in actions["kms:GenerateDataKey"][1]


# ---------------------------------------------------------------- Lambda, logging, tracing


def function_properties(template: dict[str, Any], id_part: str) -> dict[str, Any]:
    return template["Resources"][logical_id(template, "AWS::Lambda::Function", id_part)]["Properties"]


def test_prepare_lambda_runs_the_handler_with_the_stack_defaults(template: dict[str, Any]) -> None:
    function = function_properties(template, "Prepare")
    execution_role_id = logical_id(template, "AWS::IAM::Role", "ExecutionRole")

    assert function["Runtime"] in ("python3.12", "python3.13")
    assert function["Handler"] == "prepare.handler"
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": logical_id(template, "AWS::Logs::LogGroup", "PrepareLogs")}
    assert function["Environment"]["Variables"] == {
        "DEFAULT_ROLE_ARN": {"Fn::GetAtt": [execution_role_id, "Arn"]},
        "DEFAULT_IMAGE_URI": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/training:latest",
        "DEFAULT_OUTPUT_PATH": "s3://artifacts-bucket/",
        "DEFAULT_CHECKPOINT_S3_URI": "s3://checkpoints-bucket/",
        "DEFAULT_KMS_KEY_ARN": KEY_ARN,
        "READABLE_BUCKETS": "data-bucket,shared-datasets",
        "WRITABLE_BUCKETS": "artifacts-bucket,checkpoints-bucket,tensorboard-bucket",
        "REQUEST_PREFIX": "requests/",
    }
    writer = function_properties(template, "WriteResult")
    assert writer["Handler"] == "write_result.handler"
    assert writer["Code"] == function["Code"]
    assert writer["Environment"]["Variables"] == {"REQUEST_PREFIX": "requests/", "RESULT_PREFIX": "results/"}


def test_lambda_asset_is_the_runtime_code_without_tests_or_caches(synthesized: tuple[dict[str, Any], Path]) -> None:
    template, outdir = synthesized
    function = template["Resources"][logical_id(template, "AWS::Lambda::Function", "Prepare")]
    asset = outdir / ("asset." + function["Properties"]["Code"]["S3Key"].removesuffix(".zip"))
    files = {path.relative_to(asset).as_posix() for path in asset.rglob("*") if path.is_file()}

    assert "prepare.py" in files
    assert "training_request/__init__.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or f.startswith("tests/")]
    assert not [f for f in files if any(part.startswith(".") for part in f.split("/"))]  # no tool's cache


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


def test_the_execution_log_group_is_a_vended_logs_group_named_afresh_per_stack(template: dict[str, Any]) -> None:
    # Outside /aws/vendedlogs/ Step Functions adds the group to the account's CloudWatch Logs resource policy,
    # whose size limit breaks deployments in busy accounts. The stack id keeps a retained group from blocking
    # a redeployment.
    execution_logs = template["Resources"][logical_id(template, "AWS::Logs::LogGroup", "ExecutionLogs")]
    name = execution_logs["Properties"]["LogGroupName"]

    prefix, stack_uuid = name["Fn::Join"][1]
    assert prefix == "/aws/vendedlogs/states/workflow-test-"
    assert stack_uuid == {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


def test_every_log_group_expires(template: dict[str, Any]) -> None:
    log_groups = resources(template, "AWS::Logs::LogGroup")

    assert len(log_groups) == 3
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
    assert joined_imports(variables["DEFAULT_IMAGE_URI"]).endswith(
        f"/<{prefix}-RepositoryName>:{settings['default_image_tag']}"
    )
    assert joined_imports(variables["DEFAULT_OUTPUT_PATH"]) == f"s3://<{prefix}-ArtifactsBucketName>/"
    assert joined_imports(variables["DEFAULT_CHECKPOINT_S3_URI"]) == f"s3://<{prefix}-CheckpointsBucketName>/"
    # The builder accepts only images the execution role may pull: the platform's repository (no extra ones here).
    assert joined_imports(variables["IMAGE_REPOSITORIES"]) == (
        f"<AWS::AccountId>.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/<{prefix}-RepositoryName>"
    )
    # Outputs and volumes are encrypted with the project key (the stateful stack's) by default.
    assert joined_imports(variables["DEFAULT_KMS_KEY_ARN"]) == f"<{prefix}-KeyArn>"
    assert joined_imports(variables["WRITABLE_BUCKETS"]).split(",") == [
        f"<{prefix}-{name}BucketName>" for name in ("Artifacts", "Checkpoints", "TensorBoard")
    ]
    assert f"<{prefix}-DataBucketName>" in joined_imports(variables["READABLE_BUCKETS"]).split(",")
    state_machine_id = logical_id(template, "AWS::StepFunctions::StateMachine", "TrainingWorkflow")
    assert {"Ref": state_machine_id} in [output["Value"] for output in template["Outputs"].values()]
    # The name console users search for, as docs/workflow.md says.
    assert template["Resources"][state_machine_id]["Properties"]["StateMachineName"] == "mltrain-dev-training"
    assert deployed_definition(template) == training_definition(
        FUNCTION_ARN,
        settings["max_capacity_retries"],
        WRITER_ARN,
        job_poll_seconds=settings["job_poll_seconds"],
        partition="aws",
    )


def test_the_state_machine_is_named_after_the_prefix_and_environment(customised_app: Any) -> None:
    (state_machine,) = customised_app.resources("training", "AWS::StepFunctions::StateMachine").values()

    assert state_machine["Properties"]["StateMachineName"] == "team-prod-training"


def joined_imports(value: Any) -> str:
    """Like joined(), with cross-stack imports written as <export name>."""
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        return f"<{value['Fn::ImportValue']}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(joined_imports(part) for part in parts)
    return joined(value)
