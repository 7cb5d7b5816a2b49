"""The platform API: start (checked first), the job an execution runs, status changes and log lines
as they happen, status, list and stop. AWS answers come from botocore's Stubber (validated against
the service models) and, for CloudWatch logs and CloudFormation, from moto in-process."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber

from platform_contract import TRAINING_JOB_LOG_GROUP, RequestKind, TrainingStackOutput
from trainctl import platform_commands
from trainctl.cli import main
from trainctl.errors import PlatformError, TrainingFailedToStart
from trainctl.history import NamedJob, job_in_history
from trainctl.joblogs import LogLine
from trainctl.platform import Platform
from trainctl.reporting import invocation
from trainctl.states import StatusChange
from trainctl.training import Training
from training_request import InvalidTrainingInput

REGION = "eu-west-1"
ACCOUNT = "123456789012"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:TrainingWorkflow"
EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:TrainingWorkflow:run-1"
JOB = "gan-2024-05-01-10-00-00-000"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
ENVIRONMENT = {
    "DEFAULT_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/platform-execution",
    "DEFAULT_IMAGE_URI": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mltrain:latest",
    "DEFAULT_OUTPUT_PATH": "s3://mltrain-artifacts/",
    "DEFAULT_CHECKPOINT_S3_URI": "s3://mltrain-checkpoints/",
}


@pytest.fixture(autouse=True)
def offline_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


class Stubs:
    """Stubbed clients wired into one Platform; sleeping runs the scripted 'meanwhile' actions."""

    def __init__(self) -> None:
        self.clients = {
            name: boto3.client(name, region_name=REGION)
            for name in ("sagemaker", "stepfunctions", "cloudformation", "lambda")
        }
        self.stubbers = {name: Stubber(client) for name, client in self.clients.items()}
        self.meanwhile: list = []
        self.sleeps = 0
        self.platform = Platform(
            MACHINE, REGION, prepare_function_name="prepare-fn", poll_seconds=0.01, sleep=self.sleep
        )
        self.platform._clients.update(self.clients)
        for stubber in self.stubbers.values():
            stubber.activate()

    def sleep(self, _: float) -> None:
        self.sleeps += 1
        if self.meanwhile:
            self.meanwhile.pop(0)()

    def add(self, service: str, operation: str, response: dict, expected: dict | None = None) -> None:
        self.stubbers[service].add_response(operation, response, expected)

    def error(self, service: str, operation: str, code: str, message: str = "") -> None:
        self.stubbers[service].add_client_error(operation, code, message)

    def done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def stubs():
    return Stubs()


def description(status="InProgress", transitions=(), **extra) -> dict:
    result = {
        "TrainingJobName": JOB,
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{JOB}",
        "TrainingJobStatus": status,
        "SecondaryStatus": transitions[-1][0] if transitions else "Starting",
        "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
        "ResourceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "CreationTime": T0,
        "ModelArtifacts": {"S3ModelArtifacts": ""},
        "SecondaryStatusTransitions": [
            {"Status": name, "StartTime": T0 + timedelta(minutes=i), "StatusMessage": message}
            for i, (name, message) in enumerate(transitions)
        ],
    }
    result.update(extra)
    return result


def history(*groups: dict | list[dict]) -> dict:
    """GetExecutionHistory's answer: the events in the order given (oldest first), numbered as Step
    Functions numbers them."""
    events = [event for group in groups for event in (group if isinstance(group, list) else [group])]
    return {"events": [{"timestamp": T0, "id": i + 1, "previousEventId": i, **event} for i, event in enumerate(events)]}


def entered(state: str, kind: str = "Task") -> dict:
    return {"type": f"{kind}StateEntered", "stateEnteredEventDetails": {"name": state, "input": "{}"}}


def exited(state: str, output: object, kind: str = "Task") -> dict:
    return {"type": f"{kind}StateExited", "stateExitedEventDetails": {"name": state, "output": json.dumps(output)}}


def scheduled(resource_type: str, resource: str, parameters: object) -> dict:
    return {
        "type": "TaskScheduled",
        "taskScheduledEventDetails": {
            "resourceType": resource_type,
            "resource": resource,
            "region": REGION,
            "parameters": json.dumps(parameters),
        },
    }


def prepared(output: dict) -> list[dict]:
    """The Prepare state's events; its output (the Lambda's payload) is `output`."""
    return [
        entered("Prepare"),
        scheduled("lambda", "invoke", {"FunctionName": "prepare-fn", "Payload": {"input": {}}}),
        {
            "type": "TaskSucceeded",
            "taskSucceededEventDetails": {
                "resourceType": "lambda",
                "resource": "invoke",
                "output": json.dumps({"Payload": output, "StatusCode": 200}),
            },
        },
        exited("Prepare", output),
    ]


def named(job_name: str) -> list[dict]:
    """Prepare named the job (and SageMaker has not been asked yet)."""
    return prepared({"job_name": job_name, "wait": True, "request": {"TrainingJobName": job_name}})


def run_scheduled(job_name: str, state: str = "RunTrainingJob") -> list[dict]:
    return [
        entered("Route", "Choice"),
        exited("Route", {}, "Choice"),
        entered(state),
        scheduled(
            "sagemaker", "createTrainingJob.sync", {"TrainingJobName": job_name, "Tags": [{"Key": "CER", "Value": "1"}]}
        ),
    ]


def started(job_name: str) -> list[dict]:
    """Prepare named the job and the SageMaker task was scheduled to create it."""
    return named(job_name) + run_scheduled(job_name)


EXECUTION_STARTED = {"type": "ExecutionStarted"}


def training_job(name: str) -> NamedJob:
    return NamedJob(RequestKind.TRAINING, name)


# -- the job an execution runs --------------------------------------------------------------------


def test_job_name_comes_from_prepares_output_and_the_sagemaker_task_and_the_newest_retry_wins():
    capacity_failure = [
        {
            "type": "TaskFailed",
            "taskFailedEventDetails": {
                "resourceType": "sagemaker",
                "resource": "createTrainingJob.sync",
                "error": "SageMaker.AmazonSageMakerException",
            },
        },
        exited("RunTrainingJob", {}),
        entered("RetryWithFreshName", "Pass"),
        exited("RetryWithFreshName", {}, "Pass"),
    ]
    retry = f"{JOB}-retry"
    assert job_in_history(history(EXECUTION_STARTED, started(JOB))["events"]) == training_job(JOB)
    assert job_in_history(
        history(EXECUTION_STARTED, started(JOB), capacity_failure, named(retry))["events"]
    ) == training_job(retry)
    events = history(EXECUTION_STARTED, started(JOB), capacity_failure, started(retry))["events"]
    assert job_in_history(events) == training_job(retry)
    assert job_in_history(list(reversed(events))) == training_job(
        retry
    )  # read by event id, whatever the order returned


def test_job_name_from_prepare_before_the_task_is_scheduled():
    assert job_in_history(history(EXECUTION_STARTED, named(JOB))["events"]) == training_job(JOB)
    assert job_in_history(history(EXECUTION_STARTED, entered("Prepare"))["events"]) is None


def test_a_wait_false_execution_names_its_job_in_the_start_task():
    events = history(EXECUTION_STARTED, prepared({"wait": False}), run_scheduled(JOB, state="StartTrainingJob"))[
        "events"
    ]
    assert job_in_history(events) == training_job(JOB)


def test_only_the_workflows_own_places_name_the_job_not_any_key_that_looks_right():
    ignored = prepared({"ignored": "a result file", "request": {"TrainingJobName": "not-this-one"}})
    assert job_in_history(history(EXECUTION_STARTED, ignored)["events"]) is None
    # Another state's task and output carrying the same keys (a result file naming the job, say).
    elsewhere = [
        entered("WriteResult"),
        scheduled("lambda", "invoke", {"Payload": {"job_name": "not-this-one", "TrainingJobName": "nor-this"}}),
        exited("WriteResult", {"job_name": "not-this-one"}),
    ]
    assert job_in_history(history(EXECUTION_STARTED, started(JOB), elsewhere)["events"]) == training_job(JOB)


def test_start_waits_for_prepare_to_name_the_job(stubs):
    stubs.add(
        "stepfunctions",
        "start_execution",
        {"executionArn": EXECUTION, "startDate": T0},
        {"stateMachineArn": MACHINE, "input": ANY},
    )
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED))
    stubs.add(
        "stepfunctions",
        "describe_execution",
        {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": "RUNNING", "startDate": T0},
    )
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB)))
    stubs.add("sagemaker", "describe_training_job", description(), {"TrainingJobName": JOB})
    training = stubs.platform.start(
        {"role": ENVIRONMENT["DEFAULT_ROLE_ARN"], "image_uri": "img:1", "instance_type": "ml.m5.xlarge"}, check=False
    )
    assert training.job_name == JOB
    assert stubs.sleeps == 1
    stubs.done()


def test_start_waits_for_sagemaker_to_create_the_job_prepare_named(stubs):
    running = {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": "RUNNING", "startDate": T0}
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, named(JOB)))
    stubs.error("sagemaker", "describe_training_job", "ValidationException", f"Requested resource not found: {JOB}")
    stubs.add("stepfunctions", "describe_execution", running)
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB)))
    stubs.add("sagemaker", "describe_training_job", description(), {"TrainingJobName": JOB})
    assert Training(stubs.platform, EXECUTION).wait_for_job() == JOB
    assert stubs.sleeps == 1
    stubs.done()


def test_a_capacity_retry_is_followed_once_sagemaker_has_the_job_prepare_named(stubs):
    retry = f"{JOB}-r1"
    failed = description("Failed", [("Failed", "Training job failed")], FailureReason="CapacityError: no ml.g5.xlarge")
    running = {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": "RUNNING", "startDate": T0}
    training = Training(stubs.platform, EXECUTION, _job=training_job(JOB))
    stubs.add("sagemaker", "describe_training_job", failed, {"TrainingJobName": JOB})
    # Prepare has named the retry, but SageMaker has no such job yet: not followed yet.
    stubs.add("stepfunctions", "describe_execution", running)
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB), named(retry)))
    stubs.error("sagemaker", "describe_training_job", "ValidationException", f"Requested resource not found: {retry}")
    stubs.add("stepfunctions", "describe_execution", running)
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB), started(retry)))
    stubs.add("sagemaker", "describe_training_job", description(TrainingJobName=retry), {"TrainingJobName": retry})
    assert training._job_after(JOB) == retry
    assert stubs.sleeps == 1
    stubs.done()


def test_a_job_sagemaker_refused_to_create_is_a_failure_to_start_with_the_workflows_cause(stubs):
    cause = "SageMaker.ResourceLimitExceededException: The account-level service limit was exceeded"
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, named(JOB)))
    stubs.error("sagemaker", "describe_training_job", "ValidationException", f"Requested resource not found: {JOB}")
    stubs.add(
        "stepfunctions",
        "describe_execution",
        {
            "executionArn": EXECUTION,
            "stateMachineArn": MACHINE,
            "status": "FAILED",
            "startDate": T0,
            "error": "SageMakerRequestFailed",
            "cause": cause,
        },
    )
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, named(JOB)))
    stubs.error("sagemaker", "describe_training_job", "ValidationException", f"Requested resource not found: {JOB}")
    with pytest.raises(TrainingFailedToStart) as caught:
        Training(stubs.platform, EXECUTION).wait_for_job()
    assert str(caught.value) == f"execution run-1 FAILED before starting a job: SageMakerRequestFailed: {cause}"
    assert (caught.value.error, caught.value.invalid_input) == ("SageMakerRequestFailed", False)


def test_execution_that_fails_in_prepare_reports_its_error_and_cause(stubs):
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED))
    cause = "instance_type: must be an ML instance type such as ml.m5.xlarge (got 'm5.large')"
    stubs.add(
        "stepfunctions",
        "describe_execution",
        {
            "executionArn": EXECUTION,
            "stateMachineArn": MACHINE,
            "status": "FAILED",
            "startDate": T0,
            "error": "InvalidTrainingInput",
            "cause": cause,
        },
    )
    stubs.add(
        "stepfunctions",
        "get_execution_history",
        history(EXECUTION_STARTED, entered("Prepare"), {"type": "ExecutionFailed"}),
    )
    with pytest.raises(TrainingFailedToStart) as caught:
        Training(stubs.platform, EXECUTION).wait_for_job()
    assert str(caught.value) == f"execution run-1 FAILED before starting a job: InvalidTrainingInput: {cause}"
    assert (caught.value.error, caught.value.invalid_input) == ("InvalidTrainingInput", True)


def test_input_is_checked_with_the_prepare_lambdas_defaults_before_anything_starts(stubs):
    # The function the stack's PrepareFunctionName output names, and nothing else, is asked.
    stubs.add(
        "lambda",
        "get_function_configuration",
        {"FunctionName": "prepare-fn", "Environment": {"Variables": ENVIRONMENT}},
        {"FunctionName": "prepare-fn"},
    )
    job = stubs.platform.check({"instance_count": 1, "instance_type": "ml.m5.xlarge", "inputs": "s3://data/train"})
    assert job.request["RoleArn"] == ENVIRONMENT["DEFAULT_ROLE_ARN"]
    assert job.request["AlgorithmSpecification"]["TrainingImage"] == ENVIRONMENT["DEFAULT_IMAGE_URI"]
    with pytest.raises(InvalidTrainingInput, match="instance_type"):
        stubs.platform.start(
            {"instance_type": "m5.large"}
        )  # no start_execution stubbed: calling it would fail the test
    stubs.done()


def test_an_image_the_execution_role_cannot_pull_is_refused_before_anything_starts(stubs):
    repository = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mltrain"
    stubs.add(
        "lambda",
        "get_function_configuration",
        {"FunctionName": "prepare-fn", "Environment": {"Variables": {**ENVIRONMENT, "IMAGE_REPOSITORIES": repository}}},
        {"FunctionName": "prepare-fn"},
    )
    with pytest.raises(InvalidTrainingInput, match="image_uri") as caught:
        stubs.platform.start(
            {
                "instance_count": 1,
                "instance_type": "ml.m5.xlarge",
                "image_uri": "999999999999.dkr.ecr.eu-west-1.amazonaws.com/x:1",
            }
        )  # no start_execution stubbed: calling it would fail the test
    assert "extra_image_repositories" in str(caught.value)
    stubs.done()


def test_without_access_to_the_lambda_the_users_fields_are_still_checked(stubs):
    stubs.error("lambda", "get_function_configuration", "AccessDeniedException")
    with pytest.raises(InvalidTrainingInput, match="max_run"):
        stubs.platform.check({"instance_count": 1, "instance_type": "ml.m5.xlarge", "max_run": -5})
    stubs.done()


def test_a_stack_without_the_prepare_function_output_is_checked_with_stand_ins(stubs):
    stubs.platform.prepare_function_name = None  # a training stack deployed before it had the output
    job = stubs.platform.check({"instance_count": 1, "instance_type": "ml.m5.xlarge"})  # no AWS call stubbed
    assert job.request["RoleArn"].endswith(":role/stack-execution-role")


# -- following a job ------------------------------------------------------------------------------


@pytest.fixture
def logs(mocked_aws):
    client = boto3.client("logs", region_name=REGION)
    client.create_log_group(logGroupName=TRAINING_JOB_LOG_GROUP)
    yield client


def log(client, instance: str, message: str) -> None:
    stream = f"{JOB}/{instance}-1714557600"
    if not client.describe_log_streams(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamNamePrefix=stream)["logStreams"]:
        client.create_log_stream(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamName=stream)
    client.put_log_events(
        logGroupName=TRAINING_JOB_LOG_GROUP,
        logStreamName=stream,
        logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
    )


def test_follow_shows_status_changes_and_every_instances_lines_while_the_job_runs(stubs, logs):
    stubs.platform._clients["logs"] = logs
    starting = [("Starting", "Preparing the instances for training")]
    downloading = [*starting, ("Downloading", "Downloading input data")]
    training = [
        *downloading[:1],
        ("Downloading", "Downloading the training image"),
        ("Training", "Training image download completed. Training in progress."),
    ]
    done = [*training, ("Uploading", "Uploading generated training model"), ("Completed", "Training job completed")]
    for transitions in (starting, downloading, training, training, done):
        stubs.add(
            "sagemaker",
            "describe_training_job",
            description("Completed" if transitions is done else "InProgress", transitions),
        )
    stubs.meanwhile = [
        lambda: None,
        lambda: log(logs, "algo-1", "epoch 1 GAN_loss=0.9;"),
        lambda: (log(logs, "algo-2", "epoch 1 disc_train_loss=0.4;"), log(logs, "algo-1", "epoch 2 GAN_loss=0.5;")),
        lambda: log(logs, "algo-1", "saving model"),
        lambda: log(logs, "algo-1", "written after the end"),
    ]
    shown = [
        str(event) if isinstance(event, LogLine) else (event.status, event.message)
        for event in stubs.platform.follow(JOB)
    ]
    assert shown == [
        ("Starting", "Preparing the instances for training"),
        ("Downloading", "Downloading input data"),
        ("Downloading", "Downloading the training image"),  # same status, new message
        ("Training", "Training image download completed. Training in progress."),
        "[algo-1] epoch 1 GAN_loss=0.9;",
        "[algo-2] epoch 1 disc_train_loss=0.4;",
        "[algo-1] epoch 2 GAN_loss=0.5;",
        ("Uploading", "Uploading generated training model"),
        ("Completed", "Training job completed"),
        "[algo-1] saving model",  # written while the last status was read: shown with the same poll
        "[algo-1] written after the end",  # CloudWatch's late lines: one more read after the end
    ]
    stubs.done()


def test_status_change_reads_as_time_status_and_message():
    assert str(StatusChange("Training", "Training in progress.", T0)) == "10:00:00 Training: Training in progress."


def test_logs_without_follow_prints_what_is_there_and_returns(stubs, logs):
    stubs.platform._clients["logs"] = logs
    log(logs, "algo-1", "hello")
    stubs.add("sagemaker", "describe_training_job", description("InProgress", [("Training", "")]))
    assert [str(line) for line in stubs.platform.logs(JOB)] == ["[algo-1] hello"]
    assert stubs.sleeps == 0


# -- status, list, stop ---------------------------------------------------------------------------


def test_status_of_a_job_name_has_the_final_figures(stubs):
    stubs.add(
        "sagemaker",
        "describe_training_job",
        description(
            "Completed",
            [("Completed", "Training job completed")],
            TrainingEndTime=T0 + timedelta(minutes=12),
            TrainingTimeInSeconds=600,
            BillableTimeInSeconds=180,
            ModelArtifacts={"S3ModelArtifacts": f"s3://mltrain-artifacts/{JOB}/output/model.tar.gz"},
            FinalMetricDataList=[{"MetricName": "ganloss", "Value": 0.25, "Timestamp": T0}],
        ),
    )
    state = stubs.platform.status(JOB)
    assert state.succeeded and state.execution is None
    assert state.job.to_json() | {} == {
        "job_name": JOB,
        "job_arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{JOB}",
        "status": "Completed",
        "secondary_status": "Completed",
        "failure_reason": None,
        "instance_type": "ml.g5.xlarge",
        "instance_count": 2,
        "instance_groups": None,
        "created": T0.isoformat(),
        "ended": (T0 + timedelta(minutes=12)).isoformat(),
        "duration_seconds": 720,
        "training_seconds": 600,
        "billable_seconds": 180,
        "model_artifacts": f"s3://mltrain-artifacts/{JOB}/output/model.tar.gz",
        "final_metrics": {"ganloss": 0.25},
        "warm_pool": None,
    }


def test_status_of_an_execution_name_falls_back_from_jobs_to_executions(stubs):
    stubs.error("sagemaker", "describe_training_job", "ValidationException", "Requested resource not found.")
    stubs.error("sagemaker", "describe_hyper_parameter_tuning_job", "ResourceNotFound", "Amazon SageMaker can't find")
    stubs.add(
        "stepfunctions",
        "describe_execution",
        {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": "RUNNING", "startDate": T0},
        {"executionArn": EXECUTION},
    )
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB)))
    stubs.add("sagemaker", "describe_training_job", description("InProgress", [("Training", "")]))
    state = stubs.platform.status("run-1")
    assert state.execution.status == "RUNNING" and state.job.name == JOB and not state.finished


def test_unknown_reference_is_one_clear_error(stubs):
    stubs.error("sagemaker", "describe_training_job", "ValidationException", "Requested resource not found.")
    stubs.error("sagemaker", "describe_hyper_parameter_tuning_job", "ResourceNotFound", "Amazon SageMaker can't find")
    stubs.error("stepfunctions", "describe_execution", "ExecutionDoesNotExist")
    with pytest.raises(PlatformError, match=f"^no training job, tuning job or execution named 'nope' in {REGION}$"):
        stubs.platform.status("nope")


def test_list_shows_recent_trainings_with_job_status_duration_and_instance_type(stubs):
    stubs.add(
        "stepfunctions",
        "list_executions",
        {
            "executions": [
                {
                    "executionArn": EXECUTION,
                    "stateMachineArn": MACHINE,
                    "name": "run-1",
                    "status": "RUNNING",
                    "startDate": T0,
                },
                {
                    "executionArn": EXECUTION.replace("run-1", "run-0"),
                    "stateMachineArn": MACHINE,
                    "name": "run-0",
                    "status": "FAILED",
                    "startDate": T0,
                    "stopDate": T0,
                },
            ]
        },
        {"stateMachineArn": MACHINE, "maxResults": 5},
    )
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB)))
    stubs.add("sagemaker", "describe_training_job", description("InProgress", [("Training", "")]))
    stubs.add(
        "stepfunctions",
        "get_execution_history",
        history(EXECUTION_STARTED, entered("Prepare"), {"type": "ExecutionFailed"}),
    )
    states = stubs.platform.list(limit=5)
    assert [(s.execution.name, s.job.name if s.job else None) for s in states] == [("run-1", JOB), ("run-0", None)]
    assert states[0].job.instance_type == "ml.g5.xlarge"
    assert states[0].job.duration_seconds(now=T0 + timedelta(seconds=90)) == 90
    stubs.done()


def test_stop_of_a_running_execution_stops_it_and_its_job(stubs):
    running = {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": "RUNNING", "startDate": T0}
    stubs.add("stepfunctions", "describe_execution", running)
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB)))
    stubs.add("sagemaker", "describe_training_job", description("InProgress", [("Training", "")]))
    stubs.add(
        "stepfunctions",
        "stop_execution",
        {"stopDate": T0},
        {"executionArn": EXECUTION, "error": "StoppedByUser", "cause": "stopped with trainctl"},
    )
    stubs.add("sagemaker", "stop_training_job", {}, {"TrainingJobName": JOB})
    stubs.add("stepfunctions", "describe_execution", {**running, "status": "ABORTED"})
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB)))
    stubs.add("sagemaker", "describe_training_job", description("Stopping", [("Stopping", "")]))
    state = stubs.platform.stop(EXECUTION)
    assert state.execution.status == "ABORTED" and state.job.status == "Stopping"
    stubs.done()


def test_stop_of_a_finished_job_says_there_is_nothing_to_stop(stubs):
    stubs.add("sagemaker", "describe_training_job", description("Completed", [("Completed", "")]))
    with pytest.raises(PlatformError, match=f"^{JOB} already ended \\(Completed\\); nothing to stop$"):
        stubs.platform.stop(JOB)


# -- locating -------------------------------------------------------------------------------------


def test_connect_finds_the_state_machine_in_the_stack_outputs(mocked_aws):
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="mltrain-dev-training",
        TemplateBody=json.dumps(
            {
                "Resources": {"T": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {
                    TrainingStackOutput.STATE_MACHINE_ARN.value: {"Value": MACHINE},
                    TrainingStackOutput.PREPARE_FUNCTION_NAME.value: {"Value": "prepare-fn"},
                },
            }
        ),
    )
    platform = Platform.connect("mltrain-dev-training", REGION)
    assert (platform.state_machine_arn, platform.region, platform.prepare_function_name) == (
        MACHINE,
        REGION,
        "prepare-fn",
    )
    with pytest.raises(PlatformError, match="stack 'other' not found in eu-west-1"):
        Platform.connect("other", REGION)


# -- the command line over the API ----------------------------------------------------------------


def ctrl_c() -> None:
    raise KeyboardInterrupt


def run_command(stubs: Stubs, monkeypatch, *argv: str) -> tuple[int, str, str]:
    """A platform command as `python -m trainctl` runs it, on the stubbed platform, stdin not a terminal."""
    monkeypatch.setattr(platform_commands, "_connect", lambda _: stubs.platform)
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdin=io.StringIO(), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_ctrl_c_while_start_waits_for_the_workflow_to_record_the_end_leaves_it_running(stubs, monkeypatch, tmp_path):
    source = tmp_path / "input.json"
    source.write_text(
        json.dumps(
            {
                "role": ENVIRONMENT["DEFAULT_ROLE_ARN"],
                "image_uri": ENVIRONMENT["DEFAULT_IMAGE_URI"],
                "instance_count": 1,
                "instance_type": "ml.m5.xlarge",
            }
        )
    )
    running = {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": "RUNNING", "startDate": T0}
    completed = description("Completed", [("Completed", "Training job completed")])
    stubs.error("lambda", "get_function_configuration", "AccessDeniedException")
    stubs.add("stepfunctions", "start_execution", {"executionArn": EXECUTION, "startDate": T0})
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB)))
    stubs.add("sagemaker", "describe_training_job", description())
    stubs.add("sagemaker", "describe_training_job", completed)  # followed to its end
    stubs.add("sagemaker", "describe_training_job", completed)  # no retry after a success
    stubs.add("stepfunctions", "describe_execution", running)  # the final read: not recorded yet
    stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB)))
    stubs.add("sagemaker", "describe_training_job", completed)
    stubs.meanwhile = [ctrl_c]  # pressed while waiting for the workflow
    code, out, err = run_command(stubs, monkeypatch, "start", str(source), "--wait", "--stack", "s", "--region", REGION)
    assert code == 130
    assert "Completed: Training job completed" in out
    assert err == f"\nleft running; stop it with: {invocation()} stop {EXECUTION}\n"
    stubs.done()


def test_list_hides_the_events_the_workflow_ignored_and_says_how_many(stubs, monkeypatch):
    ignored_arn, failed_arn = EXECUTION.replace("run-1", "run-2"), EXECUTION.replace("run-1", "run-0")
    for _ in range(2):  # `list`, then `list --all`
        stubs.add(
            "stepfunctions",
            "list_executions",
            {
                "executions": [
                    {
                        "executionArn": ignored_arn,
                        "stateMachineArn": MACHINE,
                        "name": "run-2",
                        "status": "SUCCEEDED",
                        "startDate": T0,
                        "stopDate": T0,
                    },
                    {
                        "executionArn": EXECUTION,
                        "stateMachineArn": MACHINE,
                        "name": "run-1",
                        "status": "RUNNING",
                        "startDate": T0,
                    },
                    {
                        "executionArn": failed_arn,
                        "stateMachineArn": MACHINE,
                        "name": "run-0",
                        "status": "FAILED",
                        "startDate": T0,
                        "stopDate": T0,
                    },
                ]
            },
        )
        stubs.add(
            "stepfunctions", "get_execution_history", history(EXECUTION_STARTED, prepared({"ignored": "a result file"}))
        )
        stubs.add(
            "stepfunctions",
            "describe_execution",
            {
                "executionArn": ignored_arn,
                "stateMachineArn": MACHINE,
                "name": "run-2",
                "status": "SUCCEEDED",
                "startDate": T0,
                "stopDate": T0,
                "output": json.dumps({"ignored": "a result file"}),
            },
            {"executionArn": ignored_arn},
        )
        stubs.add("stepfunctions", "get_execution_history", history(EXECUTION_STARTED, started(JOB)))
        stubs.add("sagemaker", "describe_training_job", description("InProgress", [("Training", "")]))
        stubs.add(
            "stepfunctions",
            "get_execution_history",
            history(EXECUTION_STARTED, entered("Prepare"), {"type": "ExecutionFailed"}),
        )
    code, out, _ = run_command(stubs, monkeypatch, "list", "--stack", "s", "--region", REGION)
    lines = out.splitlines()
    assert code == 0 and [line.split()[2] for line in lines[1:-1]] == ["run-1", "run-0"]  # a failure to start stays
    assert lines[-1] == "(1 ignored event not shown; --all to show)"
    code, out, _ = run_command(stubs, monkeypatch, "list", "--all", "--stack", "s", "--region", REGION)
    assert code == 0 and [line.split()[2] for line in out.splitlines()[1:]] == ["run-2", "run-1", "run-0"]
    stubs.done()
