"""The Step Functions task state for `arn:aws:states:::sagemaker:*` that
run_create_training_job_sync_in_step_functions (stepfunctions.py) installs: request-response for
every SageMaker action, `.sync` for createTrainingJob and createHyperParameterTuningJob, SageMaker API errors named as Step Functions
names them.

It subclasses moto's Step Functions interpreter, so only that adapter imports it, when installed in
the emulator's server process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from emulator import call_log
from emulator.call_recording_table import event_rule_arn
from platform_contract import (
    FINAL_JOB_STATUSES,
    SAGEMAKER_TRAINING_SYNC_RULE,
    SAGEMAKER_TUNING_SYNC_RULE,
    TrainingJobStatus,
)

_SAGEMAKER_MODEL = boto3.session.Session()._session.get_service_model("sagemaker")


@dataclass(frozen=True)
class _SyncJob:
    """How `.sync` follows one kind of SageMaker job: its name member, describe and stop operations,
    status member, and the managed rule Step Functions puts to hear of its end."""

    name_member: str
    describe: str
    stop: str
    status_member: str
    managed_rule: str


_SYNC_JOBS = {
    "createtrainingjob": _SyncJob(
        "TrainingJobName",
        "describe_training_job",
        "stop_training_job",
        "TrainingJobStatus",
        SAGEMAKER_TRAINING_SYNC_RULE,
    ),
    "createhyperparametertuningjob": _SyncJob(
        "HyperParameterTuningJobName",
        "describe_hyper_parameter_tuning_job",
        "stop_hyper_parameter_tuning_job",
        "HyperParameterTuningJobStatus",
        SAGEMAKER_TUNING_SYNC_RULE,
    ),
}


class SageMakerTask(StateTaskServiceCallback):
    """One Task state whose resource is `arn:aws:states:::sagemaker:<action>[.sync]`."""

    def __init__(self) -> None:
        super().__init__({ResourceCondition.WaitForTaskToken, ResourceCondition.Sync})

    def _validate_service_integration_is_supported(self) -> None:
        if self.resource.condition == ResourceCondition.Sync and self.resource.api_action.lower() not in _SYNC_JOBS:
            raise ValueError(
                "The emulator runs .sync only for createTrainingJob and createHyperParameterTuningJob: "
                f"{self.resource.resource_arn}"
            )

    def _client(self, region: str, credentials: Any) -> Any:
        return boto_client_for(region=region, service="sagemaker", state_credentials=credentials)

    def _from_error(self, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return super()._from_error(env=env, ex=ex)
        error = step_functions_error_name(self._get_boto_service_action(), ex.response["Error"]["Code"])
        return self._task_failed(env, CustomErrorName(error), error, _api_error_cause(ex.response))

    def _eval_service_task(
        self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> None:
        sagemaker = self._client(resource_runtime_part.region, state_credentials)
        response = getattr(sagemaker, self._get_boto_service_action())(**normalised_parameters)
        env.stack.append(step_functions_json(response))

    def _build_sync_resolver(
        self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> Callable[[], Any]:
        sync = _SYNC_JOBS[self.resource.api_action.lower()]
        sagemaker = self._client(resource_runtime_part.region, state_credentials)
        _record_managed_rule_calls(resource_runtime_part, state_credentials.role_arn, sync.managed_rule)
        env.stack.pop()  # the Create call's own output: the .sync result replaces it
        name = normalised_parameters[sync.name_member]
        self._stop_job = lambda: getattr(sagemaker, sync.stop)(**{sync.name_member: name})
        return lambda: self._ended_job(env, sagemaker, sync, name)

    def _ended_job(self, env: Any, sagemaker: Any, sync: _SyncJob, name: str) -> dict[str, Any] | None:
        """The .sync resolver: the job's description once Completed, None while it runs; a job that
        failed or was stopped fails the task with States.TaskFailed, its description as cause."""
        described = step_functions_json(getattr(sagemaker, sync.describe)(**{sync.name_member: name}))
        if described[sync.status_member] == TrainingJobStatus.COMPLETED.value:
            return described
        if described[sync.status_member] in FINAL_JOB_STATUSES:
            error = StatesErrorNameType.StatesTaskFailed
            raise FailureEventException(
                self._task_failed(env, StatesErrorName(typ=error), error.to_name(), to_json_str(described))
            )
        return None

    def _eval_sync(
        self, env: Any, sync_resolver: Any, timeout_seconds: Any, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        outcome = super()._eval_sync(env, sync_resolver, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        if outcome is None and not env.is_running():  # the execution was stopped, or the task timed out
            with contextlib.suppress(ClientError):  # it ended meanwhile
                self._stop_job()
        return outcome

    def _task_failed(self, env: Any, error_name: ErrorName, error: str, cause: str) -> FailureEvent:
        return FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=error,
                    cause=cause,
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                )
            ),
        )


def _record_managed_rule_calls(resource_runtime_part: Any, role_arn: str, rule_name: str) -> None:
    """`.sync` hears of the job's end through Step Functions' managed EventBridge rule, which it puts
    (and describes) with the state machine's role: recorded as made, not executed against moto (the
    emulator polls the job's Describe operation instead)."""
    from emulator.adapters.principals import state_machine_principal

    region, account = resource_runtime_part.region, resource_runtime_part.account
    rule = event_rule_arn(region, account, rule_name)
    actions = ("events:PutTargets", "events:PutRule", "events:DescribeRule")
    call_log.record(state_machine_principal(role_arn), [call_log.Authorization(a, rule) for a in actions])


def step_functions_error_name(boto_action: str, code: str) -> str:
    """The error name Step Functions gives a SageMaker API error, after the AWS Java SDK's exception
    classes: an error the operation models gets its own (ResourceInUse ->
    `SageMaker.ResourceInUseException`), any other one is `SageMaker.AmazonSageMakerException`."""
    operation = _SAGEMAKER_MODEL.operation_model(
        next(name for name in _SAGEMAKER_MODEL.operation_names if xform_name(name) == boto_action)
    )
    if code in {shape.name for shape in operation.error_shapes}:
        return f"SageMaker.{code}" + ("" if code.endswith("Exception") else "Exception")
    return "SageMaker.AmazonSageMakerException"


def _api_error_cause(response: dict[str, Any]) -> str:
    """A SageMaker API error's cause, in the AWS Java SDK's words (it carries the error code)."""
    error, meta = response["Error"], response["ResponseMetadata"]
    return (
        f"{error['Message']} (Service: AmazonSageMaker; Status Code: {meta['HTTPStatusCode']}; "
        f"Error Code: {error['Code']}; Request ID: {meta.get('RequestId')}; Proxy: null)"
    )


def step_functions_json(value: Any) -> Any:
    """A boto3 response as Step Functions passes it on: epoch-millisecond times, no ResponseMetadata."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: step_functions_json(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [step_functions_json(v) for v in value]
    return value
