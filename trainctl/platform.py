"""The deployed training platform as a typed Python API, used by the CLI and by notebooks.

    from trainctl.platform import Platform
    platform = Platform.connect(stack="mltrain-dev-training", region="eu-west-1")
    training = platform.start({"instance_type": "ml.m5.xlarge", "inputs": {"train": "s3://bucket/data"}})
    state = training.wait(logs=True)      # prints status changes and every instance's log lines live
    state.job.model_artifacts, state.job.final_metrics, state.succeeded

Starting runs an execution of the stack's state machine; its Prepare step builds and names the job,
so the job name is read back from the execution's history. Inputs are checked locally first by the
same builder with the same defaults the Prepare Lambda has (its environment), so a bad input fails
before anything is created.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Union

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from trainctl.joblogs import JobLogReader, LogLine
from trainctl.locate import (
    PlatformError,
    PlatformLocation,
    resolve_location,
    stack_outputs,
    state_machine_arn,
)
from training_request import InvalidTrainingInput, PlatformDefaults, TrainingJob, build_training_job

TERMINAL_JOB_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
TERMINAL_EXECUTION_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
DEFAULT_POLL_SECONDS = 5.0
# How many polls to give the workflow to record a job's end (or start a retry) before reporting.
_WORKFLOW_LAG_POLLS = 12

class TrainingFailedToStart(PlatformError):
    """The execution ended before creating a job (for example invalid input caught by Prepare)."""

    def __init__(self, message: str, *, error: str | None) -> None:
        super().__init__(message)
        self.error = error  # the execution's error name, e.g. InvalidTrainingInput

    @property
    def invalid_input(self) -> bool:
        """Prepare rejected the input: its builder's exception is the execution's error name."""
        return self.error == InvalidTrainingInput.__name__


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass(frozen=True)
class StatusChange:
    """One of SageMaker's SecondaryStatusTransitions: Starting, Downloading, Training, Uploading, ..."""

    status: str
    message: str
    time: datetime | None

    def __str__(self) -> str:
        stamp = self.time.astimezone(timezone.utc).strftime("%H:%M:%S") if self.time else "--:--:--"
        return f"{stamp} {self.status}: {self.message}" if self.message else f"{stamp} {self.status}"


@dataclass(frozen=True)
class JobStatus:
    name: str
    arn: str
    status: str  # InProgress | Completed | Failed | Stopping | Stopped
    secondary_status: str | None
    failure_reason: str | None
    instance_type: str | None
    instance_count: int | None
    created: datetime | None
    ended: datetime | None
    training_seconds: int | None
    billable_seconds: int | None
    model_artifacts: str | None
    final_metrics: dict[str, float]
    transitions: tuple[StatusChange, ...]

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_JOB_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == "Completed"

    def duration_seconds(self, now: datetime | None = None) -> int | None:
        if self.created is None:
            return None
        end = self.ended or (None if self.finished else (now or datetime.now(timezone.utc)))
        return int((end - self.created).total_seconds()) if end else None

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> JobStatus:
        resources = description.get("ResourceConfig", {})
        return cls(
            name=description["TrainingJobName"],
            arn=description.get("TrainingJobArn", ""),
            status=description["TrainingJobStatus"],
            secondary_status=description.get("SecondaryStatus"),
            failure_reason=description.get("FailureReason"),
            instance_type=resources.get("InstanceType"),
            instance_count=resources.get("InstanceCount"),
            created=description.get("CreationTime"),
            ended=description.get("TrainingEndTime"),
            training_seconds=description.get("TrainingTimeInSeconds"),
            billable_seconds=description.get("BillableTimeInSeconds"),
            model_artifacts=description.get("ModelArtifacts", {}).get("S3ModelArtifacts"),
            final_metrics={
                metric["MetricName"]: metric["Value"] for metric in description.get("FinalMetricDataList", [])
            },
            transitions=tuple(
                StatusChange(item["Status"], item.get("StatusMessage", ""), item.get("StartTime"))
                for item in description.get("SecondaryStatusTransitions", [])
            ),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "job_name": self.name,
            "job_arn": self.arn,
            "status": self.status,
            "secondary_status": self.secondary_status,
            "failure_reason": self.failure_reason,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "created": _iso(self.created),
            "ended": _iso(self.ended),
            "duration_seconds": self.duration_seconds(),
            "training_seconds": self.training_seconds,
            "billable_seconds": self.billable_seconds,
            "model_artifacts": self.model_artifacts,
            "final_metrics": self.final_metrics,
        }


@dataclass(frozen=True)
class ExecutionStatus:
    arn: str
    name: str
    status: str  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    started: datetime | None
    stopped: datetime | None
    error: str | None = None
    cause: str | None = None
    output: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_EXECUTION_STATUSES

    @property
    def links(self) -> dict[str, str]:
        links = (self.output or {}).get("links")
        return dict(links) if isinstance(links, dict) else {}

    def to_json(self) -> dict[str, object]:
        return {
            "execution_arn": self.arn,
            "execution_name": self.name,
            "execution_status": self.status,
            "started": _iso(self.started),
            "stopped": _iso(self.stopped),
            "error": self.error,
            "cause": self.cause,
            "links": self.links,
        }


@dataclass(frozen=True)
class TrainingState:
    """An execution and/or its job, as `status` shows them."""

    execution: ExecutionStatus | None
    job: JobStatus | None

    @property
    def succeeded(self) -> bool:
        return self.job is not None and self.job.succeeded

    @property
    def ignored(self) -> bool:
        """An event the workflow ignored at once (a result file's upload, a tag that does not match):
        the execution named no job and succeeded with {"ignored": <reason>}."""
        execution = self.execution
        return (self.job is None and execution is not None and execution.status == "SUCCEEDED"
                and "ignored" in (execution.output or {}))

    @property
    def finished(self) -> bool:
        if self.job is not None:
            return self.job.finished
        return self.execution is not None and self.execution.finished

    def to_json(self) -> dict[str, object]:
        return {
            "succeeded": self.succeeded,
            "execution": self.execution.to_json() if self.execution else None,
            "job": self.job.to_json() if self.job else None,
        }


ProgressEvent = Union[StatusChange, LogLine]


def _client_error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _find_key(value: object, key: str) -> str | None:
    """The first string under `key` anywhere in a JSON value."""
    if isinstance(value, dict):
        if isinstance(value.get(key), str):
            return value[key]
        children: list[object] = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = _find_key(child, key)
        if found:
            return found
    return None


def job_name_in_history(events: list[Mapping[str, Any]]) -> str | None:
    """The job an execution created, from its history (newest event first): the newest event naming
    one, as the SageMaker task's TrainingJobName or the Prepare step's job_name. After a capacity
    retry that is the fresh name, from Prepare's output even before the new task is scheduled."""
    for event in events:
        for name, details in event.items():
            if not name.endswith("EventDetails") or not isinstance(details, dict):
                continue
            for payload_key in ("parameters", "output"):
                text = details.get(payload_key)
                if not isinstance(text, str):
                    continue
                try:
                    payload = json.loads(text)
                except ValueError:
                    continue
                found = _find_key(payload, "TrainingJobName") or _find_key(payload, "job_name")
                if found:
                    return found
    return None


@dataclass
class Platform:
    """One deployed platform: its state machine and the AWS clients to reach it."""

    state_machine_arn: str
    region: str
    session: Any = None  # boto3.Session; None = the default credential chain
    stack_name: str | None = None
    poll_seconds: float = field(default_factory=lambda: float(os.environ.get("TRAINCTL_POLL_SECONDS", DEFAULT_POLL_SECONDS)))
    sleep: Callable[[float], None] = time.sleep
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _defaults: PlatformDefaults | None = field(default=None, repr=False)

    @classmethod
    def connect(
        cls,
        stack: str | None = None,
        region: str | None = None,
        *,
        session: Any = None,
        environ: Mapping[str, str] | None = None,
    ) -> Platform:
        """Find the platform from its CloudFormation stack outputs (see trainctl.locate for the order)."""
        session = session or boto3.Session()
        location: PlatformLocation = resolve_location(stack, region, environ=environ, profile_region=session.region_name)
        cloudformation = session.client("cloudformation", region_name=location.region)
        outputs = stack_outputs(cloudformation, location)
        platform = cls(state_machine_arn(outputs, location), location.region, session=session, stack_name=location.stack_name)
        platform._clients["cloudformation"] = cloudformation
        return platform

    def client(self, service: str) -> Any:
        if service not in self._clients:
            session = self.session or boto3.Session()
            self._clients[service] = session.client(service, region_name=self.region)
        return self._clients[service]

    # -- inputs ---------------------------------------------------------------------------------

    def defaults(self) -> PlatformDefaults:
        """The defaults the Prepare Lambda applies, read from its environment; stand-ins when that is
        not readable (no stack name, or no lambda:GetFunctionConfiguration permission): the fields the
        user wrote are still validated, and the Lambda checks again with the real defaults."""
        if self._defaults is None:
            self._defaults = self._lambda_defaults() or PlatformDefaults.stand_ins(self.region)
        return self._defaults

    def _lambda_defaults(self) -> PlatformDefaults | None:
        if not self.stack_name:
            return None
        try:
            resources = self.client("cloudformation").describe_stack_resources(StackName=self.stack_name)
            for resource in resources.get("StackResources", []):
                if resource.get("ResourceType") != "AWS::Lambda::Function":
                    continue
                configuration = self.client("lambda").get_function_configuration(
                    FunctionName=resource["PhysicalResourceId"]
                )
                variables = configuration.get("Environment", {}).get("Variables", {})
                if "DEFAULT_ROLE_ARN" in variables:
                    return PlatformDefaults.from_environment(variables)
        except (ClientError, BotoCoreError):
            return None
        return None

    def check(self, execution_input: object) -> TrainingJob:
        """The request the platform would send; raises InvalidTrainingInput naming every bad field."""
        return build_training_job(execution_input, region=self.region, defaults=self.defaults())

    # -- start ----------------------------------------------------------------------------------

    def start(self, execution_input: Mapping[str, object], *, check: bool = True) -> Training:
        if check:
            self.check(execution_input)
        response = self.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn, input=json.dumps(execution_input)
        )
        return Training(self, response["executionArn"])

    # -- look up --------------------------------------------------------------------------------

    def job(self, job_name: str) -> JobStatus:
        try:
            return JobStatus.from_description(self.client("sagemaker").describe_training_job(TrainingJobName=job_name))
        except ClientError as error:
            if _client_error_code(error) in ("ValidationException", "ResourceNotFound"):
                raise PlatformError(f"no training job named {job_name!r} in {self.region}") from None
            raise

    def execution(self, execution_arn: str) -> ExecutionStatus:
        try:
            description = self.client("stepfunctions").describe_execution(executionArn=execution_arn)
        except ClientError as error:
            if _client_error_code(error) in ("ExecutionDoesNotExist", "InvalidArn"):
                raise PlatformError(f"no execution {execution_arn!r}") from None
            raise
        output = description.get("output")
        try:
            parsed = json.loads(output) if output else None
        except ValueError:
            parsed = None
        return ExecutionStatus(
            arn=description["executionArn"],
            name=description.get("name", execution_arn.rsplit(":", 1)[-1]),
            status=description["status"],
            started=description.get("startDate"),
            stopped=description.get("stopDate"),
            error=description.get("error"),
            cause=description.get("cause"),
            output=parsed if isinstance(parsed, dict) else None,
        )

    def job_name_of(self, execution_arn: str) -> str | None:
        """The job an execution created so far (None while Prepare runs or when it failed)."""
        request: dict[str, Any] = {"executionArn": execution_arn, "reverseOrder": True, "maxResults": 1000}
        while True:
            page = self.client("stepfunctions").get_execution_history(**request)
            # Newest first even where reverseOrder is ignored (the emulator's moto does).
            events = sorted(page.get("events", []), key=lambda event: event.get("id", 0), reverse=True)
            found = job_name_in_history(events)
            if found or not page.get("nextToken"):
                return found
            request["nextToken"] = page["nextToken"]

    def execution_arn_for(self, name: str) -> str:
        """An execution's ARN from its name under this state machine."""
        prefix, _, machine = self.state_machine_arn.rpartition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def status(self, reference: str) -> TrainingState:
        """An execution (ARN or name) or a training job (name or ARN) and what it ran."""
        if reference.startswith("arn:") and ":states:" in reference:
            execution = self.execution(reference)
            job_name = self.job_name_of(execution.arn)
            return TrainingState(execution, self.job(job_name) if job_name else None)
        job_name = reference.split(":training-job/", 1)[1] if ":training-job/" in reference else reference
        try:
            return TrainingState(None, self.job(job_name))
        except PlatformError:
            if reference.startswith("arn:"):
                raise
        try:
            return self.status(self.execution_arn_for(reference))
        except PlatformError:
            raise PlatformError(f"no training job or execution named {reference!r} in {self.region}") from None

    def list(self, limit: int = 10) -> list[TrainingState]:
        """The most recent executions, newest first, each with the job it ran (see TrainingState.ignored
        for the ones that ran none by design)."""
        page = self.client("stepfunctions").list_executions(stateMachineArn=self.state_machine_arn, maxResults=limit)
        states: list[TrainingState] = []
        for item in page.get("executions", [])[:limit]:
            execution = ExecutionStatus(
                arn=item["executionArn"],
                name=item["name"],
                status=item["status"],
                started=item.get("startDate"),
                stopped=item.get("stopDate"),
            )
            job_name = self.job_name_of(execution.arn)
            job = None
            if job_name:
                try:
                    job = self.job(job_name)
                except PlatformError:
                    job = None  # Prepare named it but the create call failed
            elif execution.status == "SUCCEEDED":
                execution = self.execution(execution.arn)  # ListExecutions has no output: was it ignored?
            states.append(TrainingState(execution, job))
        return states

    # -- stop -----------------------------------------------------------------------------------

    def stop(self, reference: str) -> TrainingState:
        """Stop an execution (which stops its job) or a job; returns the state after asking."""
        state = self.status(reference)
        asked = False
        if state.execution is not None and not state.execution.finished:
            self.client("stepfunctions").stop_execution(
                executionArn=state.execution.arn, error="StoppedByUser", cause="stopped with trainctl"
            )
            asked = True
        if state.job is not None and state.job.status == "InProgress":
            # Step Functions stops a .sync job itself; asking too makes `stop JOB` and a stop of an
            # execution whose job outlives it (wait: false) behave the same.
            try:
                self.client("sagemaker").stop_training_job(TrainingJobName=state.job.name)
            except ClientError as error:
                if _client_error_code(error) != "ValidationException":  # already stopping or ended
                    raise
            asked = True
        if not asked:
            what = state.job.status if state.job else state.execution.status  # type: ignore[union-attr]
            raise PlatformError(f"{reference} already ended ({what}); nothing to stop")
        return self.status(state.execution.arn if state.execution else state.job.name)  # type: ignore[union-attr]

    # -- follow ---------------------------------------------------------------------------------

    def follow(self, job_name: str, *, logs: bool = True) -> Iterator[ProgressEvent]:
        """Status changes (and log lines of every instance) as they happen, until the job ends."""
        reader = JobLogReader(self.client("logs"), job_name) if logs else None
        shown: list[tuple[str, str]] = []
        while True:
            job = self.job(job_name)
            for index, change in enumerate(job.transitions):
                key = (change.status, change.message)
                if index < len(shown) and shown[index] == key:
                    continue
                shown[index:] = [key]
                yield change
            if reader is not None:
                yield from reader.poll()
            if job.finished:
                if reader is not None:
                    # CloudWatch may receive the last lines a little after the job ends.
                    self.sleep(self.poll_seconds)
                    yield from reader.poll()
                return
            self.sleep(self.poll_seconds)

    def logs(self, job_name: str, *, follow: bool = False) -> Iterator[LogLine]:
        """The job's log lines so far; with follow, also the new ones until the job ends."""
        if follow:
            yield from (event for event in self.follow(job_name) if isinstance(event, LogLine))
        else:
            self.job(job_name)  # a clear error for a job that does not exist
            yield from JobLogReader(self.client("logs"), job_name).poll()


@dataclass
class Training:
    """A started execution: what `Platform.start` returns."""

    platform: Platform
    execution_arn: str
    _job_name: str | None = None

    def wait_for_job(self) -> str:
        """The job's name, once SageMaker has created it (Prepare names it a moment before, and
        `logs`/`status` need the job itself); TrainingFailedToStart if the execution ended first."""
        while self._job_name is None:
            name = self.platform.job_name_of(self.execution_arn)
            if name and self._created(name):
                self._job_name = name
                break
            execution = self.platform.execution(self.execution_arn)
            if execution.finished:
                name = self.platform.job_name_of(self.execution_arn)
                if name and self._created(name):
                    self._job_name = name
                    break
                raise TrainingFailedToStart(
                    f"execution {execution.name} {execution.status} before starting a job: "
                    f"{execution.error or 'no error'}: {execution.cause or 'no cause given'}",
                    error=execution.error,
                )
            self.platform.sleep(self.platform.poll_seconds)
        return self._job_name

    def _created(self, job_name: str) -> bool:
        try:
            self.platform.job(job_name)
        except PlatformError:
            return False
        return True

    @property
    def job_name(self) -> str:
        return self.wait_for_job()

    def events(self, *, logs: bool = True) -> Iterator[ProgressEvent]:
        """Status changes (and log lines) until the job ends; when a job fails and the workflow
        starts another (a capacity retry under a fresh name), on into that one."""
        job_name = self.wait_for_job()
        while True:
            yield from self.platform.follow(job_name, logs=logs)
            retry = self._job_after(job_name)
            if retry is None:
                return
            yield StatusChange("Retrying", f"{job_name} failed; the workflow retries it as {retry}", datetime.now(timezone.utc))
            self._job_name = job_name = retry

    def _job_after(self, job_name: str) -> str | None:
        """The job the execution started after `job_name` failed, if any (waits a bounded time).

        Prepare names the retry a moment before SageMaker creates it: the name counts only once the
        job exists, as for the first job (see wait_for_job)."""
        if self.platform.job(job_name).status != "Failed":
            return None
        for _ in range(_WORKFLOW_LAG_POLLS):
            finished = self.platform.execution(self.execution_arn).finished
            newest = self.platform.job_name_of(self.execution_arn)
            if newest and newest != job_name and self._created(newest):
                return newest
            if finished:
                return None
            self.platform.sleep(self.platform.poll_seconds)
        return None

    def status(self) -> TrainingState:
        return self.platform.status(self.execution_arn)

    def wait(self, *, logs: bool = True, out: Callable[[str], None] = print) -> TrainingState:
        """Show status changes (and log lines) until the job ends; returns the final state."""
        for event in self.events(logs=logs):
            out(str(event))
        return self.final_state()

    def final_state(self) -> TrainingState:
        """The state once the job has ended, after the execution has recorded it (its output has
        the console links); bounded, so a workflow that lags never hangs the caller."""
        state = self.status()
        for _ in range(_WORKFLOW_LAG_POLLS):
            if state.execution is None or state.execution.finished:
                break
            self.platform.sleep(self.platform.poll_seconds)
            state = self.status()
        return state

    def stop(self) -> TrainingState:
        return self.platform.stop(self.execution_arn)
