"""Step Functions: executions run, also of state machines CloudFormation created; executions get a
name; JSONata is evaluated; `sagemaker:createTrainingJob.sync` and `createHyperParameterTuningJob.sync`
work; DescribeExecution, GetExecutionHistory and StopExecution answer as AWS does; executions publish
their metrics."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any


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
        except Exception as error:
            raise moto_jsonata.JSONataException("UNKNOWN", str(error)) from None
        return None if result is None else json.loads(to_json_str(result))

    def encode_declarations(bindings: dict[str, Any]) -> str:
        return "".join(
            f"{reference}:={to_json_str(value, separators=(',', ':'))};" for reference, value in bindings.items()
        )

    moto_jsonata._eval_jsonata = evaluate
    for module in (moto_jsonata, states_module, variable_store_module):
        module.encode_jsonata_variable_declarations = encode_declarations


def run_create_training_job_sync_in_step_functions() -> None:
    """`arn:aws:states:::sagemaker:createTrainingJob.sync` (and `createHyperParameterTuningJob.sync`)
    work like AWS's optimised integration.

    moto forwards SageMaker tasks only request-response (and refuses `.sync` when the definition
    is created). Here: create the job, poll its Describe operation until it ends, return its output
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

    from emulator.adapters.stepfunctions_sagemaker_task import SageMakerTask

    original_factory = factory.state_task_service_for

    def state_task_service_for(service_name: str) -> Any:
        return SageMakerTask() if service_name == "sagemaker" else original_factory(service_name)

    factory.state_task_service_for = state_task_service_for
    task_factory.state_task_service_for = state_task_service_for  # imported there by name


def describe_executions_as_aws_does() -> None:
    """DescribeExecution returns the fields AWS returns for a standard execution.

    moto omits inputDetails, the redrive fields and the stop date of a timed-out execution, and
    writes a succeeded execution's output with spaces AWS does not put there.
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    from emulator.adapters import stepfunctions_executions

    def describe_execution(self: StepFunctionResponse) -> ActionResult:
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        return ActionResult(stepfunctions_executions.describe(execution))

    StepFunctionResponse.describe_execution = describe_execution


def page_execution_histories_as_aws_does() -> None:
    """GetExecutionHistory honours reverseOrder, maxResults, nextToken and includeExecutionData.

    moto ignores all four: every event, oldest first, in one answer. A console user's
    `aws stepfunctions get-execution-history --reverse-order --max-results 5` (the last five events)
    got the first events of the execution instead.
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    from emulator.adapters import stepfunctions_executions

    def get_execution_history(self: StepFunctionResponse) -> ActionResult:
        execution_arn = self._get_param("executionArn")
        events = self.stepfunction_backend.get_execution_history(execution_arn)["events"]
        return ActionResult(
            stepfunctions_executions.history_page(
                list(events),
                execution_arn,
                reverse=bool(self._get_param("reverseOrder", False)),
                max_results=int(self._get_param("maxResults") or 0),
                next_token=self._get_param("nextToken"),
                include_data=self._get_param("includeExecutionData", True) is not False,
            )
        )

    StepFunctionResponse.get_execution_history = get_execution_history


def stop_executions_with_their_error_and_cause() -> None:
    """StopExecution records its error and cause, and the execution is ABORTED at once.

    moto drops both (DescribeExecution and the ExecutionAborted event showed neither), answers
    without a stop date, and leaves the execution RUNNING until its interpreter notices the stop.
    Here the execution is ABORTED when StopExecution answers, with ExecutionAborted (error, cause)
    the last event of its history; a stopped execution's interpreter adds no event after it.
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.responses import StepFunctionResponse

    from emulator.adapters import stepfunctions_executions

    original_add_event = EventManager.add_event
    original_reflect = BaseExecutionWorkerCommunication._reflect_execution_status

    def stop_execution(self: StepFunctionResponse) -> ActionResult:
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        if execution.status == "RUNNING" and execution.exec_worker.env is not None:
            stepfunctions_executions.abort(execution, self._get_param("error"), self._get_param("cause"))
        return ActionResult({"stopDate": execution.stop_date or datetime.now(tz=UTC)})

    def add_event(self: EventManager, *args: Any, **kwargs: Any) -> int:
        if getattr(self, "closed_by_stop", False):
            return 0  # the history of an aborted execution ends with ExecutionAborted
        event_id: int = original_add_event(self, *args, **kwargs)
        return event_id

    def reflect_execution_status(self: BaseExecutionWorkerCommunication) -> None:
        if self.execution.exec_status != "ABORTED":  # else StopExecution recorded the end already
            original_reflect(self)

    StepFunctionResponse.stop_execution = stop_execution
    EventManager.add_event = add_event
    BaseExecutionWorkerCommunication._reflect_execution_status = reflect_execution_status


def publish_step_functions_execution_metrics() -> None:
    """Executions publish Step Functions' AWS/States metrics (dimension StateMachineArn):
    ExecutionsStarted, then ExecutionsSucceeded, ExecutionsFailed, ExecutionsAborted or
    ExecutionsTimedOut, and ExecutionTime, when its interpreter ends. moto publishes none, so an
    alarm on failed executions (the platform's FailedExecutionsAlarm) could never fire.
    """
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

    from emulator.adapters import stepfunctions_executions

    original_start = Execution.start
    original_terminated = BaseExecutionWorkerCommunication.terminated

    def start(self: Execution) -> None:
        original_start(self)
        stepfunctions_executions.publish_metric(self, "ExecutionsStarted")

    def terminated(self: BaseExecutionWorkerCommunication) -> None:
        original_terminated(self)
        stepfunctions_executions.publish_end_metrics(self.execution)

    Execution.start = start
    BaseExecutionWorkerCommunication.terminated = terminated
