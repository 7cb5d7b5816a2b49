"""Step Functions: executions run, also of state machines CloudFormation created; executions get a
name; JSONata is evaluated; `sagemaker:createTrainingJob.sync` works."""

from __future__ import annotations

import json
import uuid
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

    from emulator.adapters.stepfunctions_sagemaker_task import SageMakerTask

    original_factory = factory.state_task_service_for

    def state_task_service_for(service_name: str) -> Any:
        return SageMakerTask() if service_name == "sagemaker" else original_factory(service_name)

    factory.state_task_service_for = state_task_service_for
    task_factory.state_task_service_for = state_task_service_for  # imported there by name
