"""What the training stack tells its users (trainctl, the demo) through its outputs and its workflow's
state names: the places trainctl reads instead of searching for them."""

from __future__ import annotations

import json
from typing import Any

from platform_contract import JOB_NAME_FIELD, PrepareEnvironment, TrainingStackOutput, WorkflowState


def _function_ids(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: resource for key, resource in template["Resources"].items() if resource["Type"] == "AWS::Lambda::Function"
    }


def test_the_prepare_function_is_a_stack_output_with_the_defaults_in_its_environment(synthesized_app: Any) -> None:
    template = synthesized_app.template("training")
    output = template["Outputs"][TrainingStackOutput.PREPARE_FUNCTION_NAME.value]
    function_id = output["Value"]["Ref"]  # Ref of a function is its name, what GetFunctionConfiguration takes
    function = _function_ids(template)[function_id]["Properties"]

    assert function["Handler"] == "prepare.handler"
    variables = function["Environment"]["Variables"]
    defaults = (
        PrepareEnvironment.DEFAULT_ROLE_ARN,
        PrepareEnvironment.DEFAULT_IMAGE_URI,
        PrepareEnvironment.DEFAULT_OUTPUT_PATH,
        PrepareEnvironment.DEFAULT_CHECKPOINT_S3_URI,
        PrepareEnvironment.DEFAULT_KMS_KEY_ARN,
        PrepareEnvironment.READABLE_BUCKETS,
        PrepareEnvironment.WRITABLE_BUCKETS,
    )
    assert {name.value for name in defaults} <= set(variables)


def test_every_output_trainctl_reads_is_there(synthesized_app: Any) -> None:
    outputs = synthesized_app.template("training")["Outputs"]

    assert {TrainingStackOutput.STATE_MACHINE_ARN.value, TrainingStackOutput.PREPARE_FUNCTION_NAME.value} <= set(
        outputs
    )


def _definition_text(template: dict[str, Any]) -> str:
    (state_machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    parts = state_machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    # References sit inside strings; the partition is where the stack is deployed (`aws` here).
    return "".join(
        part if isinstance(part, str) else "aws" if part == {"Ref": "AWS::Partition"} else "<reference>"
        for part in parts
    )


def test_the_states_trainctl_reads_the_job_name_from_are_in_the_deployed_workflow(synthesized_app: Any) -> None:
    states = json.loads(_definition_text(synthesized_app.template("training")))["States"]

    prepare = states[WorkflowState.PREPARE.value]
    assert prepare["Resource"] == "arn:aws:states:::lambda:invoke"
    assert prepare["Output"] == "{% $states.result.Payload %}"  # the Lambda's result, with its JOB_NAME_FIELD
    assert f"$prepared.{JOB_NAME_FIELD}" in json.dumps(
        states[WorkflowState.START_TRAINING_JOB.value]
    )  # the workflow reads it too
    for name, resource in (
        (WorkflowState.RUN_TRAINING_JOB, "createTrainingJob.sync"),
        (WorkflowState.START_TRAINING_JOB, "createTrainingJob"),
    ):
        task = states[name.value]
        assert task["Resource"] == f"arn:aws:states:::sagemaker:{resource}"
        # The request Prepare built, TrainingJobName included: only its Tags gain the execution's tag.
        assert task["Arguments"].startswith("{% $merge([$states.input.request, {'Tags': $append(")
