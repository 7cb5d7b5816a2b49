"""The deployed training platform as a typed Python API, used by the CLI and by notebooks.

    from trainctl.platform import Platform
    platform = Platform.connect(stack="mltrain-dev-training", region="eu-west-1")
    training = platform.start({"instance_type": "ml.m5.xlarge", "inputs": {"train": "s3://bucket/data"}})
    state = training.wait(logs=True)      # prints status changes and every instance's log lines live
    state.job.model_artifacts, state.job.final_metrics, state.succeeded

Starting runs an execution of the stack's state machine; its Prepare step builds and names the job,
so the job name is read back from the execution's history (trainctl.history). Inputs are checked
locally first by the same builder with the same defaults the Prepare Lambda has (its environment),
so a bad input fails before anything is created. Script mode with local code (a local source_dir,
dependencies, git_config) is packaged and uploaded first, as the SDK's fit() does (trainctl.script_code).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from platform_contract import TrainingJobStatus
from trainctl.errors import PlatformError
from trainctl.history import job_name_in_history, read_history
from trainctl.joblogs import JobLogReader, LogLine
from trainctl.locate import PlatformLocation, prepare_function_name, resolve_location, stack_outputs, state_machine_arn
from trainctl.script_code import PackagedCode, has_local_code, packaged_code
from trainctl.states import ExecutionStatus, JobStatus, ProgressEvent, TrainingState
from trainctl.training import Training
from training_request import PlatformDefaults, TrainingJob, build_training_job

DEFAULT_POLL_SECONDS = 5.0


def _client_error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass
class Platform:
    """One deployed platform: its state machine and the AWS clients to reach it."""

    state_machine_arn: str
    region: str
    session: Any = None  # boto3.Session; None = the default credential chain
    prepare_function_name: str | None = None  # the Lambda whose environment holds the stack's defaults
    poll_seconds: float = field(
        default_factory=lambda: float(os.environ.get("TRAINCTL_POLL_SECONDS", DEFAULT_POLL_SECONDS))
    )
    sleep: Callable[[float], None] = time.sleep
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _defaults: PlatformDefaults | None = field(default=None, repr=False)
    _defaults_are_the_stacks: bool = field(default=False, repr=False)  # read from the Lambda, not stand-ins

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
        location: PlatformLocation = resolve_location(
            stack, region, environ=environ, profile_region=session.region_name
        )
        outputs = stack_outputs(session.client("cloudformation", region_name=location.region), location)
        return cls(
            state_machine_arn(outputs, location),
            location.region,
            session=session,
            prepare_function_name=prepare_function_name(outputs),
        )

    def client(self, service: str) -> Any:
        if service not in self._clients:
            session = self.session or boto3.Session()
            self._clients[service] = session.client(service, region_name=self.region)
        return self._clients[service]

    # -- inputs ---------------------------------------------------------------------------------

    def defaults(self) -> PlatformDefaults:
        """The defaults the Prepare Lambda applies, read from its environment; stand-ins when that is
        not readable (no such stack output, or no lambda:GetFunctionConfiguration permission): the
        fields the user wrote are still validated, and the Lambda checks again with the real defaults."""
        if self._defaults is None:
            stack_defaults = self._lambda_defaults()
            self._defaults_are_the_stacks = stack_defaults is not None
            self._defaults = stack_defaults or PlatformDefaults.stand_ins(self.region)
        return self._defaults

    def _lambda_defaults(self) -> PlatformDefaults | None:
        if not self.prepare_function_name:
            return None
        try:
            configuration = self.client("lambda").get_function_configuration(FunctionName=self.prepare_function_name)
        except (ClientError, BotoCoreError):
            return None
        # Variables named by platform_contract.PrepareEnvironment, read by the builder's own reader.
        return PlatformDefaults.from_environment(configuration.get("Environment", {}).get("Variables", {}))

    def check(self, execution_input: object) -> TrainingJob:
        """The request the platform would send; raises InvalidTrainingInput naming every bad field."""
        return build_training_job(execution_input, region=self.region, defaults=self.defaults())

    # -- start ----------------------------------------------------------------------------------

    def start(
        self, execution_input: Mapping[str, object], *, check: bool = True, code_dir: str | os.PathLike[str] = "."
    ) -> Training:
        """Start an execution. Script-mode code on this machine (paths relative to `code_dir`) is packaged and
        uploaded first, and the execution gets its S3 URI (Training.code_uri)."""
        if has_local_code(execution_input):
            return self._start_with_code(execution_input, Path(code_dir))
        if check:
            self.check(execution_input)
        return self._start_execution(execution_input)

    def _start_execution(self, execution_input: Mapping[str, object]) -> Training:
        response = self.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn, input=json.dumps(execution_input)
        )
        return Training(self, response["executionArn"])

    def _start_with_code(self, execution_input: Mapping[str, object], code_dir: Path) -> Training:
        self.defaults()  # read first: whether they are the stack's decides where the code may go
        with packaged_code(
            execution_input, base_dir=code_dir, build=self.check, output_path_known=self._defaults_are_the_stacks
        ) as code:
            self.upload_code(code)
            training = self._start_execution(code.execution_input)
        training.code_uri = code.uri
        return training

    def upload_code(self, code: PackagedCode) -> None:
        """The archive to its S3 URI, encrypted as the SDK asks (the output key in the output bucket), else as
        the bucket's default encryption says."""
        bucket, _, key = code.uri.removeprefix("s3://").partition("/")
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": code.kms_key} if code.kms_key else {}
        try:
            with code.archive.open("rb") as body:
                self.client("s3").put_object(Bucket=bucket, Key=key, Body=body, **encryption)
        except ClientError as error:
            details = error.response.get("Error", {})
            raise PlatformError(
                f"could not upload the code to {code.uri}: {details.get('Code')}: {details.get('Message')}"
            ) from None

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
        return ExecutionStatus.from_description(description)

    def job_name_of(self, execution_arn: str) -> str | None:
        """The job an execution created so far (None while Prepare runs or when it failed)."""
        return job_name_in_history(read_history(self.client("stepfunctions"), execution_arn))

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
            execution = ExecutionStatus.from_description(item)
            job_name = self.job_name_of(execution.arn)
            job = None
            if job_name:
                try:
                    job = self.job(job_name)
                except PlatformError:
                    job = None  # Prepare named it but the create call failed
            elif execution.succeeded:
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
        if state.job is not None and state.job.status == TrainingJobStatus.IN_PROGRESS.value:
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
