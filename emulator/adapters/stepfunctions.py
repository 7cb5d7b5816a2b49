"""Step Functions: executions run, also of state machines CloudFormation created; executions get a
name; JSONata is evaluated; `sagemaker:createTrainingJob.sync` works."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError


def run_state_machines_created_by_cloudformation() -> None:
    """Executions really run, also for state machines CloudFormation created.

    moto runs definitions only with `stepfunctions.execute_state_machine` on, and then serves the
    API from a second registry (stepfunctions_parser_backends) while CloudFormation keeps creating
    state machines in the first one (stepfunctions_backends): the API cannot see them. Turn the
    setting on and make the interpreter's registry the only one.
    """
    from moto.core.config import default_user_config
    from moto.stepfunctions import models as sfn_models
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    default_user_config["stepfunctions"]["execute_state_machine"] = True
    sfn_models.stepfunctions_backends = stepfunctions_parser_backends  # read by the CFN model


def name_executions_started_without_a_name() -> None:
    """StartExecution without a name gets a generated one, as on AWS.

    moto's interpreter names such an execution `None`: the second one fails with
    ExecutionAlreadyExists (as do the executions EventBridge starts).
    """
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        return original_start(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution


def evaluate_jsonata_with_jsonata_python() -> None:
    """JSONata state machines run: expressions are evaluated by jsonata-python.

    moto's interpreter parses JSONata but leaves the evaluator unset (it expects a JVM bridge), so
    the first `{% ... %}` fails. It also declares string variables without escaping them, which
    breaks on any value with a quote or backslash (an error Cause holding JSON): values are
    declared as JSON here.
    """
    import jsonata as jsonata_python
    from moto.stepfunctions.parser.asl.eval import states as states_module
    from moto.stepfunctions.parser.asl.eval import variable_store as variable_store_module
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    def evaluate(expression: str) -> Any:
        try:
            result = jsonata_python.Jsonata(expression).evaluate(None)
        except Exception as error:  # noqa: BLE001 - reported as States.QueryEvaluationError
            raise moto_jsonata.JSONataException("UNKNOWN", str(error)) from None
        return None if result is None else json.loads(to_json_str(result))

    def encode_declarations(bindings: dict[str, Any]) -> str:
        return "".join(f"{reference}:={to_json_str(value, separators=(',', ':'))};" for reference, value in bindings.items())

    moto_jsonata._eval_jsonata = evaluate
    for module in (moto_jsonata, states_module, variable_store_module):
        module.encode_jsonata_variable_declarations = encode_declarations



def run_create_training_job_sync_in_step_functions() -> None:
    """`arn:aws:states:::sagemaker:createTrainingJob.sync` works like AWS's optimised integration.

    moto forwards SageMaker tasks only request-response (and refuses `.sync` when the definition
    is created). Here: create the job, poll DescribeTrainingJob until it ends, return its output
    (timestamps in epoch milliseconds, as Step Functions gives them); Failed or Stopped fail the
    task with States.TaskFailed and the DescribeTrainingJob output as Cause; an execution stopped
    (or a task timed out) while waiting stops the job. SageMaker API errors are named as Step
    Functions names them (after the AWS Java SDK's exception classes): an error the operation
    models gets its own name (ResourceInUse -> `SageMaker.ResourceInUseException`, likewise
    ResourceLimitExceeded and ResourceNotFound), any other one (ValidationException, throttling)
    is `SageMaker.AmazonSageMakerException`; the cause carries the SageMaker error code.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory as task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_factory as factory,
    )

    sagemaker_task = _sagemaker_task_class()
    original_factory = factory.state_task_service_for

    def state_task_service_for(service_name: str) -> Any:
        return sagemaker_task() if service_name == "sagemaker" else original_factory(service_name)

    factory.state_task_service_for = state_task_service_for
    task_factory.state_task_service_for = state_task_service_for  # imported there by name


_SAGEMAKER_MODEL = boto3.session.Session()._session.get_service_model("sagemaker")


def _step_functions_error_name(boto_action: str, code: str) -> str:
    """The error name Step Functions gives a SageMaker API error (see the adapter's docstring)."""
    operation = _SAGEMAKER_MODEL.operation_model(
        next(name for name in _SAGEMAKER_MODEL.operation_names if xform_name(name) == boto_action))
    if code in {shape.name for shape in operation.error_shapes}:
        return f"SageMaker.{code}" + ("" if code.endswith("Exception") else "Exception")
    return "SageMaker.AmazonSageMakerException"


def _step_functions_json(value: Any) -> Any:
    """A boto3 response as Step Functions passes it on: epoch-millisecond times, no ResponseMetadata."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _step_functions_json(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_step_functions_json(v) for v in value]
    return value


def _sagemaker_task_class() -> type:
    """The Step Functions task state for `arn:aws:states:::sagemaker:*`: request-response, and .sync
    for createTrainingJob (moto's interpreter classes are imported only in the server process)."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
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

    class SageMakerTask(StateTaskServiceCallback):
        def __init__(self) -> None:
            super().__init__({ResourceCondition.WaitForTaskToken, ResourceCondition.Sync})

        def _validate_service_integration_is_supported(self) -> None:
            if self.resource.condition == ResourceCondition.Sync and self.resource.api_action.lower() != "createtrainingjob":
                raise ValueError(f"The emulator runs .sync only for createTrainingJob: {self.resource.resource_arn}")

        def _client(self, region: str, credentials: Any) -> Any:
            return boto_client_for(region=region, service="sagemaker", state_credentials=credentials)

        def _from_error(self, env: Any, ex: Exception) -> Any:
            if not isinstance(ex, ClientError):
                return super()._from_error(env=env, ex=ex)
            error = _step_functions_error_name(self._get_boto_service_action(), ex.response["Error"]["Code"])
            meta = ex.response["ResponseMetadata"]
            cause = (f"{ex.response['Error']['Message']} (Service: AmazonSageMaker; Status Code: "
                     f"{meta['HTTPStatusCode']}; Error Code: {ex.response['Error']['Code']}; "
                     f"Request ID: {meta.get('RequestId')}; Proxy: null)")
            return FailureEvent(
                env=env, error_name=CustomErrorName(error), event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                    error=error, cause=cause, resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type())),
            )

        def _eval_service_task(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                               state_credentials: Any) -> None:
            sagemaker = self._client(resource_runtime_part.region, state_credentials)
            response = getattr(sagemaker, self._get_boto_service_action())(**normalised_parameters)
            env.stack.append(_step_functions_json(response))

        def _build_sync_resolver(self, env: Any, resource_runtime_part: Any, normalised_parameters: dict,
                                 state_credentials: Any) -> Callable[[], Any]:
            sagemaker = self._client(resource_runtime_part.region, state_credentials)
            env.stack.pop()  # CreateTrainingJob's own output: the .sync result replaces it
            name = normalised_parameters["TrainingJobName"]

            def resolve() -> dict[str, Any] | None:
                described = _step_functions_json(sagemaker.describe_training_job(TrainingJobName=name))
                if described["TrainingJobStatus"] == "Completed":
                    return described
                if described["TrainingJobStatus"] in ("Failed", "Stopped"):
                    error = StatesErrorNameType.StatesTaskFailed
                    raise FailureEventException(FailureEvent(
                        env=env, error_name=StatesErrorName(typ=error), event_type=HistoryEventType.TaskFailed,
                        event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(
                            resource=self._get_sfn_resource(), resourceType=self._get_sfn_resource_type(),
                            error=error.to_name(), cause=to_json_str(described))),
                    ))
                return None

            self._stop_job = lambda: sagemaker.stop_training_job(TrainingJobName=name)
            return resolve

        def _eval_sync(self, env: Any, sync_resolver: Any, timeout_seconds: Any, callback_endpoint: Any,
                       heartbeat_endpoint: Any) -> Any:
            outcome = super()._eval_sync(env, sync_resolver, timeout_seconds, callback_endpoint, heartbeat_endpoint)
            if outcome is None and not env.is_running():
                try:
                    self._stop_job()
                except ClientError:
                    pass  # it ended meanwhile
            return outcome


    return SageMakerTask

