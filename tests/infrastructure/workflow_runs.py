"""The training workflow's definition running in moto's Step Functions interpreter, in this process.

`workflow_in_moto` creates the state machine from `training_definition` unmodified, with what the
emulator adds to moto to run it (emulator.adapters): JSONata evaluated by jsonata-python, and
SageMaker's `createTrainingJob(.sync)` and `createHyperParameterTuningJob(.sync)` integration, which
creates the job, reads its description until it ends, fails with that description as Cause, and names
SageMaker's errors as Step Functions does (as it names those of the AWS SDK integration's
`aws-sdk:sagemaker:*` tasks). Behind that integration answers `ScriptedSageMaker`: it checks every
CreateTrainingJob and CreateHyperParameterTuningJob request against the API model, refuses a name in use,
and ends each job as the test says. The Lambda functions are
answered in-process by the handlers the caller gives.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.validate import ParamValidator
from moto import mock_aws

from emulator.adapters import (
    evaluate_jsonata_with_jsonata_python,
    name_sagemaker_sdk_errors_as_step_functions_does,
    run_create_training_job_sync_in_step_functions,
)
from platform_contract import JOB_NAME_FIELD, WorkflowState
from stacks.training_definition import training_definition

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
PREPARE = WorkflowState.PREPARE.value
JOB_POLL_SECONDS = 1  # the own job's poll loop, fast enough for a test
Handler = Callable[[Any], Any]


# ---------------------------------------------------------------- SageMaker's answers


@dataclass(frozen=True)
class JobEnd:
    """How a created job ends (DescribeTrainingJob's fields), after being described `running_for` times
    as InProgress."""

    status: str
    failure_reason: str | None = None
    secondary_status: str | None = None
    running_for: int = 0


@dataclass(frozen=True)
class TuningEnd:
    """How a created tuning job ends (DescribeHyperParameterTuningJob's fields): `best` says whether one of
    its training jobs reported the objective metric; `counts` are its training jobs by status."""

    status: str
    failure_reason: str | None = None
    best: bool = True
    counts: tuple[int, int, int, int, int] = (3, 0, 1, 1, 0)  # Completed, InProgress, Retryable, NonRetryable, Stopped


@dataclass(frozen=True)
class Refusal:
    """SageMaker refuses the CreateTrainingJob call with this error code and message."""

    code: str
    message: str


@dataclass(frozen=True)
class LostAnswer:
    """SageMaker creates the job (ending as `end`), but the caller gets `refusal` instead of the answer:
    throttling or a 5xx after the job was made. The caller's retry then finds the name in use."""

    end: JobEnd
    refusal: Refusal


COMPLETED = JobEnd("Completed")
CAPACITY = JobEnd(
    "Failed",
    "CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type.",
)
ALGORITHM_ERROR = JobEnd("Failed", "AlgorithmError: ExecuteUserScriptError: exit code 1")
MAX_RUNTIME_EXCEEDED = JobEnd("Stopped", secondary_status="MaxRuntimeExceeded")


def completed_summary(name: str, links: object) -> dict[str, object]:
    """The execution's output for a job that ended as COMPLETED describes it, whichever route created it."""
    return {
        JOB_NAME_FIELD: name,
        "job_arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}",
        "status": "Completed",
        "model_artifacts": f"s3://artifacts-bucket/{name}/output/model.tar.gz",
        "final_metrics": {"GAN_loss": 0.25, "D_loss": 0.5},
        "training_time_seconds": 310,
        "billable_time_seconds": 124,
        "capacity_retries": 0,
        "links": links,
    }


# A job that ends badly, the execution's error and its cause (`{name}`: the job's), whichever route created it.
BAD_ENDS = [
    (
        ALGORITHM_ERROR,
        "TrainingJobFailed",
        "Training job {name} failed: AlgorithmError: ExecuteUserScriptError: exit code 1",
    ),
    (MAX_RUNTIME_EXCEEDED, "TrainingJobStopped", "Training job {name} was stopped (MaxRuntimeExceeded)"),
    (
        JobEnd("Stopped", "Stopped by the user", "Stopped"),
        "TrainingJobStopped",
        "Training job {name} was stopped (Stopped): Stopped by the user",
    ),
]
NAME_IN_USE_MESSAGE = "Training job names must be unique within an AWS account and region, and a training job with this name already exists"
NAME_IN_USE = Refusal("ResourceInUse", NAME_IN_USE_MESSAGE)
THROTTLED = Refusal("ThrottlingException", "Rate exceeded")
FINAL_METRICS = [{"MetricName": "GAN_loss", "Value": 0.25}, {"MetricName": "D_loss", "Value": 0.5}]
TUNING_COMPLETED = TuningEnd("Completed")
TUNING_FAILED = TuningEnd(
    "Failed", "No training job succeeded after 5 attempts. Please take a look at the training job failures.", False
)
TUNING_STOPPED = TuningEnd("Stopped", counts=(1, 0, 0, 0, 2))
BEST_OBJECTIVE_VALUE = 0.125
_SAGEMAKER_MODEL = botocore.session.get_session().get_service_model("sagemaker")
_CREATE_TRAINING_JOB = _SAGEMAKER_MODEL.operation_model("CreateTrainingJob")
_CREATE_TUNING_JOB = _SAGEMAKER_MODEL.operation_model("CreateHyperParameterTuningJob")


@dataclass
class ScriptedSageMaker:
    """CreateTrainingJob and DescribeTrainingJob, each created job ending as the next scripted answer
    (Completed once the script is spent). Like SageMaker, a request the API model rejects is a
    ValidationException, and a name that exists is refused with ResourceInUse; a scripted NAME_IN_USE
    makes the name another execution's job, as it is when SageMaker refuses it."""

    script: list[JobEnd | TuningEnd | Refusal | LostAnswer] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every CreateTrainingJob call
    tuning_requests: list[dict[str, Any]] = field(default_factory=list)  # every CreateHyperParameterTuningJob call
    tuning_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # DescribeHyperParameterTuningJob by name
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # DescribeTrainingJob by name, once ended
    running: dict[str, int] = field(default_factory=dict)  # how many more describes find the job InProgress
    tags: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # ListTags by job ARN

    def create(self, request: dict[str, Any]) -> str:
        from moto.sagemaker.exceptions import SagemakerClientError

        self.requests.append(request)
        report = ParamValidator().validate(request, _CREATE_TRAINING_JOB.input_shape)
        if report.has_errors():
            raise SagemakerClientError("ValidationException", report.generate_report())
        name = request["TrainingJobName"]
        if name in self.jobs:
            raise SagemakerClientError(NAME_IN_USE.code, f"{NAME_IN_USE.message} ({self.jobs[name]['TrainingJobArn']})")
        answer = self.script.pop(0) if self.script else COMPLETED
        assert not isinstance(answer, TuningEnd), "a tuning job's end scripted for a training job"
        if answer == NAME_IN_USE:  # the name is another execution's: its job (without this one's tag) exists
            self.jobs[name] = described_job({**request, "Tags": []}, COMPLETED)
            self.tags[self.jobs[name]["TrainingJobArn"]] = []
        if isinstance(answer, Refusal):
            raise SagemakerClientError(answer.code, answer.message)
        end = answer.end if isinstance(answer, LostAnswer) else answer
        self.jobs[name] = described_job(request, end)
        self.running[name] = end.running_for
        self.tags[self.jobs[name]["TrainingJobArn"]] = list(request.get("Tags", []))
        if isinstance(answer, LostAnswer):
            raise SagemakerClientError(answer.refusal.code, answer.refusal.message)
        return self.jobs[name]["TrainingJobArn"]

    def describe(self, name: str) -> dict[str, Any]:
        from moto.sagemaker.exceptions import ValidationError

        if name not in self.jobs:
            raise ValidationError(message="Requested resource not found.")
        if self.running.get(name):
            self.running[name] -= 1
            return {**self.jobs[name], "TrainingJobStatus": "InProgress", "SecondaryStatus": "Training"}
        return self.jobs[name]

    def list_tags(self, arn: str) -> list[dict[str, str]]:
        return self.tags.get(arn, [])

    def create_tuning(self, request: dict[str, Any]) -> str:
        """A tuning job, ended at once as scripted (TUNING_COMPLETED once the script is spent); its best
        training job, when it has one, is described as a completed training job."""
        from moto.sagemaker.exceptions import SagemakerClientError

        self.tuning_requests.append(request)
        report = ParamValidator().validate(request, _CREATE_TUNING_JOB.input_shape)
        if report.has_errors():
            raise SagemakerClientError("ValidationException", report.generate_report())
        name = request["HyperParameterTuningJobName"]
        if name in self.tuning_jobs:
            raise SagemakerClientError(NAME_IN_USE.code, "Hyperparameter tuning job names must be unique")
        answer = self.script.pop(0) if self.script else TUNING_COMPLETED
        if isinstance(answer, Refusal):
            raise SagemakerClientError(answer.code, answer.message)
        assert isinstance(answer, TuningEnd), "a training job's end scripted for a tuning job"
        described = described_tuning_job(request, answer)
        self.tuning_jobs[name] = described
        if "BestTrainingJob" in described:
            best = described["BestTrainingJob"]["TrainingJobName"]
            definition = request["TrainingJobDefinition"]
            # The SDK's definition carries HyperParameterTuningResourceConfig: a training job's is ResourceConfig.
            resources = {
                k: v for k, v in definition["HyperParameterTuningResourceConfig"].items() if k != "AllocationStrategy"
            }
            self.jobs[best] = described_job(
                {**definition, "ResourceConfig": resources, "TrainingJobName": best}, COMPLETED
            )
        return described["HyperParameterTuningJobArn"]

    def describe_tuning(self, name: str) -> dict[str, Any]:
        from moto.sagemaker.exceptions import ValidationError

        if name not in self.tuning_jobs:
            raise ValidationError(message="Requested resource not found.")
        return self.tuning_jobs[name]


def described_tuning_job(request: dict[str, Any], end: TuningEnd) -> dict[str, Any]:
    name = request["HyperParameterTuningJobName"]
    config = request["HyperParameterTuningJobConfig"]
    completed, in_progress, retryable, non_retryable, stopped = end.counts
    best = f"{name}-002-5d8f0a1b"
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/{name.lower()}",
        "HyperParameterTuningJobConfig": config,
        "TrainingJobDefinition": request["TrainingJobDefinition"],
        "HyperParameterTuningJobStatus": end.status,
        "CreationTime": datetime.now(UTC),
        "TrainingJobStatusCounters": {
            "Completed": completed,
            "InProgress": in_progress,
            "RetryableError": retryable,
            "NonRetryableError": non_retryable,
            "Stopped": stopped,
        },
        "ObjectiveStatusCounters": {
            "Succeeded": completed,
            "Pending": in_progress,
            "Failed": retryable + non_retryable,
        },
        **({"FailureReason": end.failure_reason} if end.failure_reason else {}),
        **(
            {
                "BestTrainingJob": {
                    "TrainingJobName": best,
                    "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{best}",
                    "CreationTime": datetime.now(UTC),
                    "TrainingJobStatus": "Completed",
                    "TunedHyperParameters": {"learning_rate": "0.002"},
                    "FinalHyperParameterTuningJobObjectiveMetric": {
                        "Type": config["HyperParameterTuningJobObjective"]["Type"],
                        "MetricName": config["HyperParameterTuningJobObjective"]["MetricName"],
                        "Value": BEST_OBJECTIVE_VALUE,
                    },
                }
            }
            if end.best
            else {}
        ),
    }


def described_job(request: dict[str, Any], end: JobEnd) -> dict[str, Any]:
    name = request["TrainingJobName"]
    completed = end.status == "Completed"
    return {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}",
        "TrainingJobStatus": end.status,
        "SecondaryStatus": end.secondary_status or end.status,
        **({"FailureReason": end.failure_reason} if end.failure_reason else {}),
        "ModelArtifacts": {
            "S3ModelArtifacts": f"{request['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{name}/output/model.tar.gz"
        },
        **({"FinalMetricDataList": FINAL_METRICS} if completed else {}),
        "AlgorithmSpecification": request["AlgorithmSpecification"],
        "RoleArn": request["RoleArn"],
        "ResourceConfig": request["ResourceConfig"],
        "StoppingCondition": request["StoppingCondition"],
        "CreationTime": datetime.now(UTC),
        "TrainingTimeInSeconds": 310,
        "BillableTimeInSeconds": 124,
    }


# ---------------------------------------------------------------- the harness


@dataclass
class Execution:
    arn: str
    status: str
    output: Any  # the parsed output of a SUCCEEDED execution
    error: str | None
    cause: str | None
    entered: list[str]  # the states entered, in order
    prepared: list[dict[str, Any]]  # Prepare's output, once per run of Prepare


class Workflow:
    def __init__(self, sfn: Any, state_machine_arn: str, sagemaker: ScriptedSageMaker) -> None:
        self.sfn = sfn
        self.state_machine_arn = state_machine_arn
        self.sagemaker = sagemaker

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.sagemaker.requests

    @property
    def job_names(self) -> list[str]:
        return [request["TrainingJobName"] for request in self.sagemaker.requests]

    @property
    def tuning_requests(self) -> list[dict[str, Any]]:
        return self.sagemaker.tuning_requests

    def run(self, execution_input: object, *script: JobEnd | TuningEnd | Refusal | LostAnswer) -> Execution:
        """Start an execution with SageMaker answering as scripted, and wait (bounded) for its end."""
        self.sagemaker.script = list(script)
        arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=f"test-{time.time_ns()}", input=json.dumps(execution_input)
        )["executionArn"]
        deadline = time.monotonic() + 30
        while (described := self.sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution did not end"
            time.sleep(0.05)
        events = self.sfn.get_execution_history(executionArn=arn)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
        prepared = [
            json.loads(e["stateExitedEventDetails"]["output"])
            for e in events
            if e.get("stateExitedEventDetails", {}).get("name") == PREPARE
        ]
        return Execution(
            arn=arn,
            status=described["status"],
            output=json.loads(described["output"]) if "output" in described else None,
            error=described.get("error"),
            cause=described.get("cause"),
            entered=entered,
            prepared=prepared,
        )


@functools.cache
def run_definitions_as_the_emulator_does() -> None:
    """The emulator's Step Functions adapters, installed once in this process (they change moto's
    interpreter for good, as in the emulator's server; no other test here runs Step Functions)."""
    evaluate_jsonata_with_jsonata_python()
    run_create_training_job_sync_in_step_functions()
    name_sagemaker_sdk_errors_as_step_functions_does()


def lambda_invoked_in_process(handlers: Mapping[str, Handler]) -> Callable[..., bytes]:
    """moto's Lambda invoke, answering with the handler named after the function, as the runtime would."""

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: dict) -> bytes:
        handler = handlers[function_name.rsplit(":", 1)[-1]]
        try:
            return json.dumps(handler(json.loads(body))).encode()
        except Exception as error:  # an unhandled error, as the Python runtime reports it
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []}
            ).encode()

    return invoke


@contextlib.contextmanager
def workflow_in_moto(
    environment: Mapping[str, str],
    max_capacity_retries: int,
    handlers: Callable[[], Mapping[str, Handler]],
    *,
    prepare_timeout_seconds: int | None = None,
) -> Iterator[Workflow]:
    """The workflow deployed in moto, with the Prepare and WriteResult functions answered by
    `handlers()["prepare"]` and `["write_result"]` (called once moto runs, so their clients are moto's).
    `prepare_timeout_seconds` shortens Prepare's timeout, for a test that makes it time out."""
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    run_definitions_as_the_emulator_does()
    sagemaker = ScriptedSageMaker()
    handled: dict[str, Handler] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**environment, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}.items():
            patch.setenv(name, value)
        patch.setattr(LambdaSimpleBackend, "invoke", lambda_invoked_in_process(handled))
        patch.setattr(
            SageMakerResponse,
            "create_training_job",
            lambda response: ActionResult({"TrainingJobArn": sagemaker.create(json.loads(response.body))}),
        )
        patch.setattr(
            SageMakerResponse,
            "describe_training_job",
            lambda response: ActionResult(sagemaker.describe(json.loads(response.body)["TrainingJobName"])),
        )
        patch.setattr(
            SageMakerResponse,
            "create_hyper_parameter_tuning_job",
            lambda response: ActionResult(
                {"HyperParameterTuningJobArn": sagemaker.create_tuning(json.loads(response.body))}
            ),
        )
        patch.setattr(
            SageMakerResponse,
            "describe_hyper_parameter_tuning_job",
            lambda response: ActionResult(
                sagemaker.describe_tuning(json.loads(response.body)["HyperParameterTuningJobName"])
            ),
        )
        patch.setattr(
            SageMakerResponse,
            "list_tags",
            lambda response: ActionResult({"Tags": sagemaker.list_tags(json.loads(response.body)["ResourceArn"])}),
        )
        with mock_aws(config={"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}):
            role = boto3.client("iam").create_role(RoleName="workflow", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
            function_arns = {
                name: boto3.client("lambda").create_function(
                    FunctionName=name, Runtime="python3.13", Role=role, Handler="h.h", Code={"ZipFile": b"-"}
                )["FunctionArn"]
                for name in ("prepare", "write_result")
            }
            definition = training_definition(
                function_arns["prepare"],
                max_capacity_retries,
                function_arns["write_result"],
                job_poll_seconds=JOB_POLL_SECONDS,
                partition="aws",
            )
            if prepare_timeout_seconds is not None:
                definition["States"][PREPARE]["TimeoutSeconds"] = prepare_timeout_seconds  # type: ignore[index]
            sfn = boto3.client("stepfunctions")
            state_machine = sfn.create_state_machine(name="training", definition=json.dumps(definition), roleArn=role)
            handled.update(handlers())
            yield Workflow(sfn, state_machine["stateMachineArn"], sagemaker)
