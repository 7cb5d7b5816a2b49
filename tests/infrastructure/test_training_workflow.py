"""The training workflow construct: its synthesized template, its definition, and executions of that
definition in moto's Step Functions interpreter with the real Prepare handler.

The construct is synthesized once, in a small stack of its own with cdk-nag's AwsSolutions checks on
(a finding that is not acknowledged fails the synthesis).
"""

from __future__ import annotations

import copy
import importlib
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from stacks.training_definition import CREATE_TRAINING_JOB, CREATE_TRAINING_JOB_SYNC, LAMBDA_INVOKE, training_definition
from stacks.training_workflow import TrainingWorkflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MAX_CAPACITY_RETRIES = 2
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:prepare"
WRITER_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:write-result"
REGION = "eu-west-1"
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
        key=kms.Key.from_key_arn(stack, "Key", KEY_ARN),
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
    """The DefinitionString with the Prepare and WriteResult functions' ARNs put in as FUNCTION_ARN, WRITER_ARN."""
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


def test_the_deployed_definition_is_the_one_tested_here(definition: dict[str, Any]) -> None:
    assert definition == training_definition(FUNCTION_ARN, MAX_CAPACITY_RETRIES, WRITER_ARN)


def test_tasks_are_the_prepare_lambda_and_sagemakers_own_integration(definition: dict[str, Any]) -> None:
    tasks = {name: state["Resource"] for name, state in states_of_type(definition, "Task").items()}

    assert tasks == {
        "Prepare": LAMBDA_INVOKE,
        "RunTrainingJob": CREATE_TRAINING_JOB_SYNC,
        "StartTrainingJob": CREATE_TRAINING_JOB,
        "WriteResult": LAMBDA_INVOKE,
    }
    assert definition["States"]["Prepare"]["Arguments"]["FunctionName"] == FUNCTION_ARN
    assert definition["States"]["WriteResult"]["Arguments"]["FunctionName"] == WRITER_ARN
    # No polling: nothing waits in the definition, SageMaker's .sync integration follows the job.
    assert not states_of_type(definition, "Wait")


def test_both_sagemaker_tasks_send_the_built_request_whole(definition: dict[str, Any]) -> None:
    for name in ("RunTrainingJob", "StartTrainingJob"):
        assert definition["States"][name]["Arguments"] == "{% $states.input.request %}"


def test_prepare_reads_the_execution_input_so_a_retry_rebuilds_the_same_request(definition: dict[str, Any]) -> None:
    payload = definition["States"]["Prepare"]["Arguments"]["Payload"]

    assert payload == {"input": "{% $states.context.Execution.Input %}", "capacity_retries": "{% $capacity_retries %}"}


def test_wait_false_starts_the_job_and_ends(definition: dict[str, Any]) -> None:
    route = definition["States"]["Route"]

    assert {"Condition": "{% $states.input.wait = false %}", "Next": "StartTrainingJob"} in route["Choices"]
    assert route["Default"] == "RunTrainingJob"
    assert definition["States"]["StartTrainingJob"]["Assign"]["ending"] == "Started"
    assert definition["States"]["Started"]["Type"] == "Succeed"


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

    assert sorted(into_prepare) == ["Begin", "RetryWithFreshName", "RetryWithNewName"]
    begin = definition["States"]["Begin"]["Assign"]
    assert (begin["capacity_retries"], begin["max_capacity_retries"]) == (0, MAX_CAPACITY_RETRIES)
    assert retry["Assign"] == {"capacity_retries": "{% $capacity_retries + 1 %}"}
    assert len(capacity_choice) == 1
    assert "$capacity_retries < $max_capacity_retries" in capacity_choice[0]["Condition"]


def test_every_failure_ends_in_a_named_fail_state(definition: dict[str, Any]) -> None:
    fails = {name: state["Error"] for name, state in states_of_type(definition, "Fail").items()}

    assert fails == {
        "InvalidInput": "InvalidTrainingInput",
        "PreparationFailed": "{% $failure.Error %}",
        "TrainingJobFailed": "TrainingJobFailed",
        "TrainingJobStopped": "TrainingJobStopped",
        "SageMakerRequestFailed": "{% $failure.Error %}",
        "JobNameInUse": "JobNameInUse",
        "ResultNotWritten": "ResultNotWritten",
    }
    catch_targets = {
        catch["Next"] for state in states_of_type(definition, "Task").values() for catch in state.get("Catch", [])
    }
    assert catch_targets == {"InvalidInput", "PreparationFailed", "ClassifyFailure", "ResultNotWritten"}


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


def test_result_writer_writes_only_result_files_beside_the_requests(template: dict[str, Any]) -> None:
    actions = role_actions(template, "WriteResultRole")

    assert actions == {
        **_logs_and_traces(template, "WriteResultLogs"),
        "s3:PutObject": (("arn:<AWS::Partition>:s3:::data-bucket/requests/*.result.json",), "null"),
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
        "REQUEST_PREFIX": "requests/",
    }
    writer = function_properties(template, "WriteResult")
    assert writer["Handler"] == "request_files.handler"
    assert writer["Code"] == function["Code"]


def test_lambda_asset_is_the_runtime_code_without_tests_or_caches(synthesized: tuple[dict[str, Any], Path]) -> None:
    template, outdir = synthesized
    function = template["Resources"][logical_id(template, "AWS::Lambda::Function", "Prepare")]
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
    assert joined_imports(variables["DEFAULT_IMAGE_URI"]).endswith(f"/<{prefix}-RepositoryName>:{settings['default_image_tag']}")
    assert joined_imports(variables["DEFAULT_OUTPUT_PATH"]) == f"s3://<{prefix}-ArtifactsBucketName>/"
    assert joined_imports(variables["DEFAULT_CHECKPOINT_S3_URI"]) == f"s3://<{prefix}-CheckpointsBucketName>/"
    assert joined_imports(variables["WRITABLE_BUCKETS"]).split(",") == [
        f"<{prefix}-{name}BucketName>" for name in ("Artifacts", "Checkpoints", "TensorBoard")
    ]
    assert f"<{prefix}-DataBucketName>" in joined_imports(variables["READABLE_BUCKETS"]).split(",")
    state_machine_id = logical_id(template, "AWS::StepFunctions::StateMachine", "TrainingWorkflow")
    assert {"Ref": state_machine_id} in [output["Value"] for output in template["Outputs"].values()]
    # The name console users search for, as the README says.
    assert template["Resources"][state_machine_id]["Properties"]["StateMachineName"] == "mltrain-dev-training"
    assert deployed_definition(template) == training_definition(FUNCTION_ARN, settings["max_capacity_retries"], WRITER_ARN)


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


# ---------------------------------------------------------------- executions in moto's interpreter
#
# moto 5.2.5 runs the definition, with two stand-ins: JSONata is evaluated by jsonata-python (moto's
# own evaluator is a stub; jsonata-python is a port of the Java library AWS's interpreter lineage uses),
# and `createTrainingJob.sync`, which moto does not run, is replaced by a Lambda that answers like the
# integration: the DescribeTrainingJob output, or for a Failed/Stopped job an error whose Cause is
# that output as JSON. Prepare is the real handler; `wait: false` goes to moto's SageMaker.

PLATFORM_ENVIRONMENT = {
    "AWS_REGION": REGION,
    "DEFAULT_ROLE_ARN": "arn:aws:iam::123456789012:role/training-execution",
    "DEFAULT_IMAGE_URI": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/training:latest",
    "DEFAULT_OUTPUT_PATH": "s3://artifacts-bucket/",
    "DEFAULT_CHECKPOINT_S3_URI": "s3://checkpoints-bucket/",
    "READABLE_BUCKETS": "data-bucket,artifacts-bucket",
    "WRITABLE_BUCKETS": "artifacts-bucket,checkpoints-bucket",
}
TRAINING_INPUT = {"instance_type": "ml.m5.xlarge", "instance_count": 1, "inputs": {"train": "s3://data-bucket/train/"}}
CAPACITY = {"TrainingJobStatus": "Failed", "FailureReason": "CapacityError: Unable to provision requested ML compute capacity."}
COMPLETED = {"TrainingJobStatus": "Completed"}
DATA_BUCKET = "data-bucket"


class LambdaError(Exception):
    """What the Python Lambda runtime reports for an unhandled exception (or, here, the .sync failure)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload)
        self.payload = payload


class Workflow:
    def __init__(self, sfn: Any, state_machine_arn: str) -> None:
        self.sfn = sfn
        self.state_machine_arn = state_machine_arn
        self.outcomes: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []

    def describe_after_sync(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        name = request["TrainingJobName"]
        if "errorType" in self.outcomes[0]:  # SageMaker refused the request (e.g. ResourceInUse)
            raise LambdaError(self.outcomes.pop(0))
        description = {
            "TrainingJobName": name,
            "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/{name}",
            "SecondaryStatus": "Completed",
            **self.outcomes.pop(0),
        }
        if description["TrainingJobStatus"] != "Completed":
            raise LambdaError({**description, "errorType": "SageMakerTrainingJobEnded"})
        return {
            **description,
            "ModelArtifacts": {"S3ModelArtifacts": f"{request['OutputDataConfig']['S3OutputPath']}{name}/output/model.tar.gz"},
            "FinalMetricDataList": [{"MetricName": "GAN_loss", "Value": 0.25}, {"MetricName": "D_loss", "Value": 0.5}],
            "TrainingTimeInSeconds": 310,
            "BillableTimeInSeconds": 124,
        }

    def run(self, execution_input: object, outcomes: list[dict[str, Any]] = ()) -> dict[str, Any]:
        self.outcomes = list(outcomes)
        execution_arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=f"test-{time.time_ns()}", input=json.dumps(execution_input)
        )["executionArn"]
        deadline = time.monotonic() + 30
        while (execution := self.sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution did not end"
            time.sleep(0.02)
        return execution


@pytest.fixture
def workflow(monkeypatch: pytest.MonkeyPatch) -> Iterator[Workflow]:
    import boto3
    import jsonata
    from moto import mock_aws
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    import prepare_training

    for name, value in {**PLATFORM_ENVIRONMENT, "AWS_DEFAULT_REGION": REGION, "REQUEST_PREFIX": "requests/"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(
        moto_jsonata, "_eval_jsonata", lambda expression: json.loads(json.dumps(jsonata.Jsonata(expression).evaluate(None)))
    )
    handlers: dict[str, Callable[[Any], Any]] = {}

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: dict) -> bytes:
        handler = handlers[function_name.rsplit(":", 1)[-1]]
        try:
            return json.dumps(handler(json.loads(body))).encode()
        except LambdaError as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(error.payload).encode()
        except Exception as error:  # as the Python runtime reports it
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []}).encode()

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
    with mock_aws(config={"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}):
        role = boto3.client("iam", region_name=REGION).create_role(RoleName="workflow", AssumeRolePolicyDocument="{}")
        lambdas = boto3.client("lambda", region_name=REGION)
        arns = {
            name: lambdas.create_function(
                FunctionName=name, Runtime="python3.13", Role=role["Role"]["Arn"], Handler="h.h", Code={"ZipFile": b"-"}
            )["FunctionArn"]
            for name in ("prepare", "sync", "write_result")
        }
        definition = training_definition(arns["prepare"], MAX_CAPACITY_RETRIES, arns["write_result"])
        definition["States"]["RunTrainingJob"]["Resource"] = arns["sync"]
        sfn = boto3.client("stepfunctions", region_name=REGION)
        state_machine_arn = sfn.create_state_machine(
            name="training", definition=json.dumps(definition), roleArn=role["Role"]["Arn"]
        )["stateMachineArn"]
        workflow = Workflow(sfn, state_machine_arn)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=DATA_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=DATA_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        import request_files

        importlib.reload(request_files)  # its S3 client is made at import: make it inside moto
        handlers.update(
            prepare=lambda event: prepare_training.handler(event, None),
            sync=workflow.describe_after_sync,
            write_result=lambda event: request_files.handler(event, None),
        )
        yield workflow


def test_a_completed_job_gives_a_usable_summary(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, [COMPLETED])

    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    (request,) = workflow.requests
    name = request["TrainingJobName"]
    assert request["RoleArn"] == PLATFORM_ENVIRONMENT["DEFAULT_ROLE_ARN"]
    assert output == {
        "job_name": name,
        "job_arn": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/{name}",
        "status": "Completed",
        "model_artifacts": f"s3://artifacts-bucket/{name}/output/model.tar.gz",
        "final_metrics": {"GAN_loss": 0.25, "D_loss": 0.5},
        "training_time_seconds": 310,
        "billable_time_seconds": 124,
        "capacity_retries": 0,
        "links": output["links"],
    }
    assert name in output["links"]["console"] and name in output["links"]["logs"]


def test_invalid_input_fails_naming_every_field_before_any_job(workflow: Workflow) -> None:
    execution = workflow.run({"instance_type": "m5.xlarge", "instance_count": 0, "inputs": {"train": "/data"}})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "InvalidTrainingInput"
    for field in ("instance_type", "instance_count", "inputs.train"):
        assert field in execution["cause"]
    assert "Traceback" not in execution["cause"] and "stackTrace" not in execution["cause"]
    assert workflow.requests == []


def test_wait_false_creates_the_job_and_ends(workflow: Workflow) -> None:
    import boto3

    execution = workflow.run({**TRAINING_INPUT, "wait": False})

    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    assert output["status"] == "InProgress"
    # The request reached moto's SageMaker through botocore, which validated it against the API model.
    job = boto3.client("sagemaker", region_name=REGION).describe_training_job(TrainingJobName=output["job_name"])
    assert job["TrainingJobArn"] == output["job_arn"]
    assert workflow.requests == []


def test_a_capacity_failure_is_retried_under_a_fresh_name(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, [CAPACITY, COMPLETED])

    assert execution["status"] == "SUCCEEDED", execution
    first, second = (request["TrainingJobName"] for request in workflow.requests)
    assert first != second
    assert json.loads(execution["output"])["job_name"] == second
    assert json.loads(execution["output"])["capacity_retries"] == 1


def test_capacity_retries_stop_at_the_configured_count(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, [CAPACITY] * (MAX_CAPACITY_RETRIES + 1))

    assert execution["status"] == "FAILED"
    assert execution["error"] == "TrainingJobFailed"
    assert "CapacityError" in execution["cause"]
    assert f"after {MAX_CAPACITY_RETRIES} retries" in execution["cause"]
    assert len(workflow.requests) == MAX_CAPACITY_RETRIES + 1


def test_a_job_name_the_user_chose_is_not_retried_for_capacity(workflow: Workflow) -> None:
    execution = workflow.run({**TRAINING_INPUT, "job_name": "gan-run-7"}, [CAPACITY])

    assert execution["error"] == "TrainingJobFailed"
    assert [request["TrainingJobName"] for request in workflow.requests] == ["gan-run-7"]


@pytest.mark.parametrize(
    ("outcome", "error", "cause"),
    [
        (
            {"TrainingJobStatus": "Failed", "FailureReason": "AlgorithmError: ExecuteUserScriptError: exit code 1"},
            "TrainingJobFailed",
            "failed: AlgorithmError: ExecuteUserScriptError: exit code 1",
        ),
        ({"TrainingJobStatus": "Stopped", "SecondaryStatus": "MaxRuntimeExceeded"}, "TrainingJobStopped", "was stopped (MaxRuntimeExceeded)"),
    ],
)
def test_a_job_that_ends_badly_fails_the_execution_with_sagemakers_reason(
    workflow: Workflow, outcome: dict[str, Any], error: str, cause: str
) -> None:
    execution = workflow.run(TRAINING_INPUT, [outcome])

    assert execution["status"] == "FAILED"
    assert execution["error"] == error
    assert workflow.requests[0]["TrainingJobName"] in execution["cause"]
    assert cause in execution["cause"]
    assert len(workflow.requests) == 1


# ---------------------------------------------------------------- event-triggered executions
#
# The execution input is the EventBridge event itself; the request file lives in moto's S3 and the result
# file is written there by the real result writer. SageMaker's ResourceInUse comes as Step Functions names
# the modelled error (SageMaker.ResourceInUseException); the emulator's tests cover the generic form.

NAME_IN_USE = {
    "errorType": "SageMaker.ResourceInUseException",
    "errorMessage": "Training job names must be unique within an AWS account and region, and a training job with this name already exists",
}


def request_file_event(key: str, body: object) -> dict[str, Any]:
    """Upload a request file to moto's S3 and return the "Object Created" event EventBridge would deliver."""
    import boto3

    text = body if isinstance(body, str) else json.dumps(body)
    put = boto3.client("s3", region_name=REGION).put_object(Bucket=DATA_BUCKET, Key=key, Body=text.encode())
    return {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "region": REGION,
        "detail": {
            "bucket": {"name": DATA_BUCKET},
            "object": {"key": key, "etag": put["ETag"].strip('"'), "version-id": put["VersionId"]},
        },
    }


def result_file(key: str) -> dict[str, Any] | None:
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    try:
        return json.loads(s3.get_object(Bucket=DATA_BUCKET, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def test_a_request_file_trains_and_its_outcome_is_written_beside_it(workflow: Workflow) -> None:
    event = request_file_event("requests/gan.json", TRAINING_INPUT)

    execution = workflow.run(event, [COMPLETED])

    assert execution["status"] == "SUCCEEDED", execution
    (request,) = workflow.requests
    output = json.loads(execution["output"])
    assert output["job_name"] == request["TrainingJobName"] and output["job_name"].startswith("gan-")
    result = result_file("requests/gan.result.json")
    assert result == {
        "request": f"s3://{DATA_BUCKET}/requests/gan.json",
        "request_version": event["detail"]["object"]["version-id"],
        "status": "Completed",
        "job_name": output["job_name"],
        "model_artifacts": output["model_artifacts"],
        "links": output["links"],
        "execution_arn": execution["executionArn"],
    }


def test_an_invalid_request_file_fails_with_its_errors_written_beside_it(workflow: Workflow) -> None:
    event = request_file_event("requests/bad.json", {"instance_type": "m5.xlarge", "instance_count": 0})

    execution = workflow.run(event)

    assert (execution["status"], execution["error"]) == ("FAILED", "InvalidTrainingInput")
    assert "instance_type" in execution["cause"] and "instance_count" in execution["cause"]
    result = result_file("requests/bad.result.json")
    assert result["status"] == "Invalid"
    assert execution["cause"].splitlines() == result["errors"]
    assert workflow.requests == []


def test_a_failed_job_of_a_request_file_is_reported_beside_it(workflow: Workflow) -> None:
    reason = "AlgorithmError: ExecuteUserScriptError: exit code 1"

    execution = workflow.run(request_file_event("requests/gan.json", TRAINING_INPUT), [{"TrainingJobStatus": "Failed", "FailureReason": reason}])

    assert execution["error"] == "TrainingJobFailed"
    result = result_file("requests/gan.result.json")
    assert (result["status"], result["failure_reason"]) == ("Failed", reason)


def test_a_redelivered_event_ends_as_a_duplicate_of_the_first_job(workflow: Workflow) -> None:
    event = request_file_event("requests/gan.json", TRAINING_INPUT)

    execution = workflow.run(event, [NAME_IN_USE])

    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    (request,) = workflow.requests
    assert output["status"] == "Duplicate"
    assert output["job_name"] == request["TrainingJobName"]
    assert f"training job {output['job_name']} was started for it by an earlier execution" in output["message"]
    assert result_file("requests/gan.result.json")["status"] == "Duplicate"


def test_a_capacity_retry_of_an_event_keeps_a_name_derived_from_the_event(workflow: Workflow) -> None:
    event = request_file_event("requests/gan.json", TRAINING_INPUT)

    execution = workflow.run(event, [CAPACITY, COMPLETED])

    assert execution["status"] == "SUCCEEDED", execution
    first, second = (request["TrainingJobName"] for request in workflow.requests)
    assert first != second and first.startswith("gan-") and second.startswith("gan-")
    # Not a duplicate: the retry's name is new, and so is the job.
    assert result_file("requests/gan.result.json")["job_name"] == second
    assert result_file("requests/gan.result.json")["status"] == "Completed"


def test_a_generated_name_already_in_use_is_replaced_by_a_fresh_one(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, [NAME_IN_USE, COMPLETED])

    assert execution["status"] == "SUCCEEDED", execution
    first, second = (request["TrainingJobName"] for request in workflow.requests)
    assert first != second
    assert json.loads(execution["output"])["job_name"] == second


def test_a_job_name_the_user_chose_that_is_in_use_fails_saying_so(workflow: Workflow) -> None:
    execution = workflow.run({**TRAINING_INPUT, "job_name": "gan-run-7"}, [NAME_IN_USE])

    assert (execution["status"], execution["error"]) == ("FAILED", "JobNameInUse")
    assert "gan-run-7 is already in use" in execution["cause"]
    assert len(workflow.requests) == 1


def test_a_result_file_event_ends_at_once_without_training(workflow: Workflow) -> None:
    execution = workflow.run(request_file_event("requests/gan.result.json", {"status": "Completed"}))

    assert execution["status"] == "SUCCEEDED", execution
    assert "result file" in json.loads(execution["output"])["ignored"]
    assert workflow.requests == []


def test_prepare_failing_on_a_malformed_event_fails_with_its_message_and_no_traceback(workflow: Workflow) -> None:
    event = {
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": DATA_BUCKET}, "object": {"key": "requests/gan.json"}},
    }

    execution = workflow.run(event)

    assert (execution["status"], execution["error"]) == ("FAILED", "MalformedEvent")
    assert execution["cause"] == f"S3 event for s3://{DATA_BUCKET}/requests/gan.json has neither object.version-id nor object.etag"
    assert workflow.requests == []


def test_a_result_that_cannot_be_written_fails_the_execution_naming_the_outcome(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    import request_files
    from botocore.exceptions import ClientError

    def denied(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObject")

    event = request_file_event("requests/gan.json", TRAINING_INPUT)
    monkeypatch.setattr(request_files._S3, "put_object", denied)

    execution = workflow.run(event, [COMPLETED])

    assert (execution["status"], execution["error"]) == ("FAILED", "ResultNotWritten")
    (request,) = workflow.requests
    assert execution["cause"] == (
        f"The outcome (Completed, training job {request['TrainingJobName']}) could not be written beside the request "
        "file: ClientError: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied"
    )
