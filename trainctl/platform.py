"""The deployed training platform as a typed Python API, used by the CLI and by notebooks.

    from trainctl.platform import Platform
    platform = Platform.connect(stack="mltrain-dev-training", region="eu-west-1")
    training = platform.start({"instance_type": "ml.m5.xlarge", "inputs": {"train": "s3://bucket/data"}})
    state = training.wait(logs=True)      # prints status changes and every instance's log lines live
    state.job.model_artifacts, state.job.final_metrics, state.succeeded

Starting runs an execution of the stack's state machine; its Prepare step builds and names the job (a
training job, or a hyperparameter tuning job for a request with a `tuner`), so the job is read back from
the execution's history (trainctl.history). Inputs are checked locally first by the same builder with the
same defaults the Prepare Lambda has (its environment), so a bad input fails before anything is created.
Script mode with local code (a local source_dir, dependencies, git_config) is packaged and uploaded first,
as the SDK's fit() does (trainctl.script_code).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from platform_contract import TrainingJobStatus, TuningJobStatus
from trainctl.errors import PlatformError
from trainctl.history import NamedJob, job_in_history, read_history
from trainctl.joblogs import JobLogReader, LogLine
from trainctl.locate import PlatformLocation, prepare_function_name, resolve_location, stack_outputs, state_machine_arn
from trainctl.script_code import PackagedCode, has_local_code, packaged_code
from trainctl.states import ExecutionStatus, JobStatus, ProgressEvent, TrainingState
from trainctl.training import Training
from trainctl.tuning import TuningEvent, TuningJobState, describe_tuning_job, tuned_training_jobs, tuning_progress
from training_request import (
    PlatformDefaults,
    TrainingJob,
    TuningJob,
    build_training_job,
    build_tuning_job,
    is_tuning_request,
)

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

    def check(self, execution_input: object) -> TrainingJob | TuningJob:
        """The request the platform would send (CreateHyperParameterTuningJob's for a request with a `tuner`);
        raises InvalidTrainingInput naming every bad field."""
        build = build_tuning_job if is_tuning_request(execution_input) else build_training_job
        return build(execution_input, region=self.region, defaults=self.defaults())

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
        defaults = self.defaults()  # read first: whether they are the stack's decides where the code may go

        def build(staged: object) -> TrainingJob:  # has_local_code: never a tuning request
            return build_training_job(staged, region=self.region, defaults=defaults)

        with packaged_code(
            execution_input, base_dir=code_dir, build=build, output_path_known=self._defaults_are_the_stacks
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

    def tuning_job(self, name: str) -> TuningJobState:
        return describe_tuning_job(self.client("sagemaker"), name)

    def tuning_job_with_best_model(self, name: str) -> TuningJobState:
        """The tuning job, with the model of its best training job (one more call: the tuning job's
        description has no model)."""
        tuning = self.tuning_job(name)
        if tuning.best is None:
            return tuning
        try:
            model = self.job(tuning.best.name).model_artifacts
        except PlatformError:
            return tuning
        return replace(tuning, best_model_artifacts=model)

    def execution(self, execution_arn: str) -> ExecutionStatus:
        try:
            description = self.client("stepfunctions").describe_execution(executionArn=execution_arn)
        except ClientError as error:
            if _client_error_code(error) in ("ExecutionDoesNotExist", "InvalidArn"):
                raise PlatformError(f"no execution {execution_arn!r}") from None
            raise
        return ExecutionStatus.from_description(description)

    def job_of(self, execution_arn: str) -> NamedJob | None:
        """The job an execution named so far (None while Prepare runs or when it failed)."""
        return job_in_history(read_history(self.client("stepfunctions"), execution_arn))

    def has_job(self, named: NamedJob) -> bool:
        """SageMaker has created the job (the workflow names it a moment before asking)."""
        try:
            self.tuning_job(named.name) if named.tuning else self.job(named.name)
        except PlatformError:
            return False
        return True

    def execution_arn_for(self, name: str) -> str:
        """An execution's ARN from its name under this state machine."""
        prefix, _, machine = self.state_machine_arn.rpartition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def status(self, reference: str) -> TrainingState:
        """An execution (ARN or name), a training job or a tuning job (name or ARN), and what it ran."""
        if reference.startswith("arn:") and ":states:" in reference:
            return self._state_of(self.execution(reference), with_best_model=True)
        if ":hyper-parameter-tuning-job/" in reference:
            return TrainingState(None, None, self.tuning_job_with_best_model(reference.split("/", 1)[1]))
        job_name = reference.split(":training-job/", 1)[1] if ":training-job/" in reference else reference
        try:
            return TrainingState(None, self.job(job_name))
        except PlatformError:
            if reference.startswith("arn:"):
                raise
        try:
            return TrainingState(None, None, self.tuning_job_with_best_model(reference))
        except PlatformError:
            pass
        try:
            return self.status(self.execution_arn_for(reference))
        except PlatformError:
            raise PlatformError(
                f"no training job, tuning job or execution named {reference!r} in {self.region}"
            ) from None

    def _state_of(self, execution: ExecutionStatus, *, with_best_model: bool = False) -> TrainingState:
        """An execution with the job it named: none while Prepare runs, or when the job was named but
        SageMaker refused to create it (the execution's error says why)."""
        named = self.job_of(execution.arn)
        if named is None:
            return TrainingState(execution, None)
        try:
            if named.tuning:
                read = self.tuning_job_with_best_model if with_best_model else self.tuning_job
                return TrainingState(execution, None, read(named.name))
            return TrainingState(execution, self.job(named.name))
        except PlatformError:
            return TrainingState(execution, None)

    def list(self, limit: int = 10) -> list[TrainingState]:
        """The most recent executions, newest first, each with the job it ran (see TrainingState.ignored
        for the ones that ran none by design)."""
        page = self.client("stepfunctions").list_executions(stateMachineArn=self.state_machine_arn, maxResults=limit)
        states: list[TrainingState] = []
        for item in page.get("executions", [])[:limit]:
            state = self._state_of(ExecutionStatus.from_description(item))
            if state.kind is None and state.execution is not None and state.execution.succeeded:
                # ListExecutions has no output: was it ignored?
                state = TrainingState(self.execution(state.execution.arn), None)
            states.append(state)
        return states

    # -- stop -----------------------------------------------------------------------------------

    def stop(self, reference: str) -> TrainingState:
        """Stop an execution (which stops its job), a training job or a tuning job; returns the state after asking."""
        state = self.status(reference)
        asked = False
        if state.execution is not None and not state.execution.finished:
            self.client("stepfunctions").stop_execution(
                executionArn=state.execution.arn, error="StoppedByUser", cause="stopped with trainctl"
            )
            asked = True
        # Step Functions stops a .sync job itself; asking too makes `stop JOB` and a stop of an
        # execution whose job outlives it (wait: false) behave the same.
        asked = self._stop_job(state) or asked
        if not asked:
            status = _final_status(state)
            if status in (TrainingJobStatus.STOPPING.value, TuningJobStatus.STOPPING.value):
                raise PlatformError(f"{reference} is already stopping; nothing more to stop")
            raise PlatformError(f"{reference} already ended ({status}); nothing to stop")
        if state.execution is not None:
            return self.status(state.execution.arn)
        if state.tuning_job is not None:
            return TrainingState(None, None, self.tuning_job(state.tuning_job.name))
        return self.status(state.job.name)  # type: ignore[union-attr]

    def _stop_job(self, state: TrainingState) -> bool:
        """Ask SageMaker to stop the state's job if it runs; whether it was asked."""
        sagemaker = self.client("sagemaker")
        try:
            if state.tuning_job is not None and state.tuning_job.status == TuningJobStatus.IN_PROGRESS.value:
                sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=state.tuning_job.name)
                return True
            if state.job is not None and state.job.status == TrainingJobStatus.IN_PROGRESS.value:
                sagemaker.stop_training_job(TrainingJobName=state.job.name)
                return True
        except ClientError as error:
            if _client_error_code(error) != "ValidationException":  # already stopping or ended
                raise
            return True
        return False

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

    def follow_tuning(self, name: str) -> Iterator[TuningEvent]:
        """The tuning job's status, each training job's end and each better objective, until it ends."""
        sagemaker = self.client("sagemaker")
        yield from tuning_progress(
            lambda: (describe_tuning_job(sagemaker, name), tuned_training_jobs(sagemaker, name)),
            lambda: self.sleep(self.poll_seconds),
        )

    def logs(self, job_name: str, *, follow: bool = False) -> Iterator[LogLine]:
        """The job's log lines so far; with follow, also the new ones until the job ends."""
        self._training_job_for_logs(job_name)  # a clear error for a job that does not exist
        if follow:
            yield from (event for event in self.follow(job_name) if isinstance(event, LogLine))
        else:
            yield from JobLogReader(self.client("logs"), job_name).poll()

    def _training_job_for_logs(self, job_name: str) -> None:
        """Only training jobs have log lines: a tuning job's name is answered with where its lines are."""
        try:
            self.job(job_name)
        except PlatformError:
            try:
                self.tuning_job(job_name)
            except PlatformError:
                raise PlatformError(f"no training job named {job_name!r} in {self.region}") from None
            raise PlatformError(
                f"{job_name} is a tuning job: its training jobs have the log lines "
                f"(`status {job_name}` names its best one, `list` shows the executions)"
            ) from None


def _final_status(state: TrainingState) -> str:
    if state.tuning_job is not None:
        return state.tuning_job.status
    return state.job.status if state.job else state.execution.status  # type: ignore[union-attr]
