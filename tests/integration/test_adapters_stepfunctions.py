"""The Step Functions adapters (emulator/adapters/stepfunctions.py): state machines made by
CloudFormation run, executions get names, JSONata is evaluated, createTrainingJob.sync works, and the AWS
SDK integration's SageMaker errors have AWS's names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from adapter_resources import ROLE_ARN, deploy_template, final_job, training_request, unique
from execution_waits import all_job_names, execution_output, finished_execution, wait_for


# run_state_machines_created_by_cloudformation ------------------------------------------------
def test_a_state_machine_created_by_cloudformation_runs(emulator: Any) -> None:
    definition = {
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.name)"}, "End": True}
        },
    }
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": json.dumps(definition), "RoleArn": ROLE_ARN},
            }
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Machine"}}},
    }
    stack = deploy_template(emulator, template, unique("machine"))
    sfn = emulator.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=stack["Outputs"][0]["OutputValue"], input='{"name": "Ada"}')
    described = finished_execution(sfn, execution["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert execution_output(described) == {"greeting": "hello Ada"}


# name_executions_started_without_a_name ---------------------------------------------------------
def test_executions_started_without_a_name_get_distinct_names(emulator: Any) -> None:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(name=unique("unnamed"), definition=json.dumps(definition), roleArn=ROLE_ARN)
    arns = {sfn.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"] for _ in range(2)}
    assert len(arns) == 2 and not any(arn.endswith(":None") for arn in arns)


# evaluate_jsonata_with_jsonata_python -----------------------------------------------------------
def test_a_jsonata_state_machine_evaluates_its_expressions(emulator: Any) -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Remember",
        "States": {
            "Remember": {
                "Type": "Pass",
                "Assign": {"quoted": "{% $states.input.text %}", "count": 1},
                "Next": "Answer",
            },
            "Answer": {
                "Type": "Pass",
                "Output": (
                    "{% {'parsed': $parse($quoted).a, 'count': $count + 1, "
                    "'capacity': $contains('CapacityError: none left', /CapacityError|InsufficientCapacity/), "
                    "'metrics': $merge([{'MetricName': 'loss', 'Value': 0.5}].{MetricName: Value})} %}"
                ),
                "End": True,
            },
        },
    }
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(name=unique("jsonata"), definition=json.dumps(definition), roleArn=ROLE_ARN)
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps({"text": '{"a": "b\\"c"}'})
    )
    described = finished_execution(sfn, execution["executionArn"])
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert execution_output(described) == {"parsed": 'b"c', "count": 2, "capacity": True, "metrics": {"loss": 0.5}}


# run_create_training_job_sync_in_step_functions -------------------------------------------------
@pytest.fixture(scope="module")
def training_machine(emulator: Any, output_bucket: str) -> str:
    request = training_request("unused", output_bucket)
    parameters = {k: v for k, v in request.items() if k not in ("TrainingJobName", "HyperParameters")}
    definition = {
        "StartAt": "Train",
        "States": {
            "Train": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                "Parameters": {**parameters, "TrainingJobName.$": "$.name", "HyperParameters.$": "$.hyperparameters"},
                "End": True,
            }
        },
    }
    sfn = emulator.client("stepfunctions")
    return sfn.create_state_machine(name=unique("train"), definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]


def start_training(emulator: Any, machine: str, **hyperparameters: str) -> tuple[str, str]:
    name = unique("job")
    execution = emulator.client("stepfunctions").start_execution(
        stateMachineArn=machine,
        input=json.dumps({"name": name, "hyperparameters": {"run": unique("run"), **hyperparameters}}),
    )
    return execution["executionArn"], name


def test_create_training_job_sync_returns_the_completed_job(emulator: Any, training_machine: str) -> None:
    execution, name = start_training(emulator, training_machine)
    described = finished_execution(emulator.client("stepfunctions"), execution)
    assert described["status"] == "SUCCEEDED"
    output = execution_output(described)
    assert (output["TrainingJobName"], output["TrainingJobStatus"]) == (name, "Completed")
    assert isinstance(output["CreationTime"], int)  # epoch milliseconds, as Step Functions gives them


def test_create_training_job_sync_fails_with_the_job_description_as_cause(emulator: Any, training_machine: str) -> None:
    execution, name = start_training(emulator, training_machine, emulator_outcome="failed")
    described = finished_execution(emulator.client("stepfunctions"), execution)
    assert (described["status"], described["error"]) == ("FAILED", "States.TaskFailed")
    cause = json.loads(described["cause"])
    assert (cause["TrainingJobName"], cause["TrainingJobStatus"]) == (name, "Failed")
    assert cause["FailureReason"].startswith("AlgorithmError: ")


def test_sagemaker_errors_are_named_as_step_functions_names_them(emulator: Any, training_machine: str) -> None:
    """A modelled error (ResourceInUse) gets its own name; others the generic AmazonSageMakerException."""
    sfn = emulator.client("stepfunctions")
    first, name = start_training(emulator, training_machine)
    finished_execution(sfn, first)
    duplicate = sfn.start_execution(
        stateMachineArn=training_machine, input=json.dumps({"name": name, "hyperparameters": {"run": unique("run")}})
    )["executionArn"]
    described = finished_execution(sfn, duplicate)
    assert (described["status"], described["error"]) == ("FAILED", "SageMaker.ResourceInUseException")
    assert "Error Code: ResourceInUse;" in described["cause"]

    invalid = sfn.start_execution(
        stateMachineArn=training_machine,
        input=json.dumps(
            {"name": unique("job"), "hyperparameters": {"run": unique("run"), "emulator_outcome": "unknown"}}
        ),
    )["executionArn"]
    described = finished_execution(sfn, invalid)
    assert (described["status"], described["error"]) == ("FAILED", "SageMaker.AmazonSageMakerException")
    assert "Error Code: ValidationException;" in described["cause"]


# name_sagemaker_sdk_errors_as_step_functions_does ---------------------------------------------------
def test_aws_sdk_sagemaker_errors_are_named_as_step_functions_names_them(emulator: Any, output_bucket: str) -> None:
    """The AWS SDK integration: a modelled error gets its own name, others SageMaker.SageMakerException."""
    request = training_request("unused", output_bucket)
    parameters = {k: v for k, v in request.items() if k not in ("TrainingJobName", "HyperParameters")}
    definition = {
        "StartAt": "Create",
        "States": {
            "Create": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:createTrainingJob",
                "Parameters": {**parameters, "TrainingJobName.$": "$.name", "HyperParameters.$": "$.hyperparameters"},
                "End": True,
            }
        },
    }
    sfn = emulator.client("stepfunctions")
    machine = sfn.create_state_machine(name=unique("sdk"), definition=json.dumps(definition), roleArn=ROLE_ARN)

    def created(name: str, **hyperparameters: str) -> dict[str, Any]:
        execution = sfn.start_execution(
            stateMachineArn=machine["stateMachineArn"],
            input=json.dumps({"name": name, "hyperparameters": {"run": unique("run"), **hyperparameters}}),
        )
        return finished_execution(sfn, execution["executionArn"])

    name = unique("job")
    first = created(name)
    assert first["status"] == "SUCCEEDED", first.get("cause")
    assert execution_output(first)["TrainingJobArn"].endswith(f":training-job/{name}")
    again = created(name)
    assert (again["status"], again["error"]) == ("FAILED", "SageMaker.ResourceInUseException")
    invalid = created(unique("job"), emulator_outcome="unknown")
    assert (invalid["status"], invalid["error"]) == ("FAILED", "SageMaker.SageMakerException")


def test_stopping_the_execution_stops_its_training_job(emulator: Any, training_machine: str) -> None:
    sfn, sagemaker = emulator.client("stepfunctions"), emulator.client("sagemaker")
    execution, name = start_training(emulator, training_machine, emulator_seconds="60")
    wait_for(lambda: name in all_job_names(emulator))
    sfn.stop_execution(executionArn=execution)
    assert finished_execution(sfn, execution)["status"] == "ABORTED"
    assert final_job(sagemaker, name)["TrainingJobStatus"] == "Stopped"
