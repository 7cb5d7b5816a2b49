"""Finding the deployed platform: stack and region from flags, environment or config; the state
machine and the Prepare function from the stack's outputs; a clear error when something is missing."""

import json
import re
from pathlib import Path

import boto3
import pytest

from platform_contract import TrainingStackOutput, training_stack_name
from trainctl.errors import PlatformError
from trainctl.locate import (
    PlatformLocation,
    default_stack_name,
    prepare_function_name,
    resolve_location,
    stack_outputs,
    state_machine_arn,
)

MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:TrainingWorkflow1234"


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('stack = "from-config"\nregion = "us-west-2"\n')
    return path


def test_flags_win_over_environment_and_config(config):
    environ = {"TRAINCTL_STACK": "from-env", "AWS_REGION": "eu-central-1", "TRAINCTL_CONFIG": str(config)}
    assert resolve_location("from-flag", "ap-south-1", environ=environ) == PlatformLocation("from-flag", "ap-south-1")


def test_environment_wins_over_config(config):
    environ = {"TRAINCTL_STACK": "from-env", "AWS_DEFAULT_REGION": "eu-central-1", "TRAINCTL_CONFIG": str(config)}
    assert resolve_location(environ=environ) == PlatformLocation("from-env", "eu-central-1")


def test_config_file_fills_what_flags_and_environment_leave_out(config):
    assert resolve_location(environ={"TRAINCTL_CONFIG": str(config)}) == PlatformLocation("from-config", "us-west-2")


def test_config_file_under_xdg_config_home(tmp_path):
    (tmp_path / "trainctl").mkdir()
    (tmp_path / "trainctl" / "config.toml").write_text('stack = "xdg"\n')
    location = resolve_location(environ={"XDG_CONFIG_HOME": str(tmp_path)}, profile_region="eu-south-1")
    assert location == PlatformLocation("xdg", "eu-south-1")


def test_without_any_setting_the_stack_is_this_checkouts_default_deployment(tmp_path):
    context = json.loads(Path("cdk.json").read_text())["context"]
    expected = training_stack_name(context["prefix"], context["environment"])
    assert default_stack_name() == expected
    assert resolve_location(region="eu-west-1", environ={"XDG_CONFIG_HOME": str(tmp_path)}).stack_name == expected


def test_missing_region_is_an_error_saying_how_to_set_it(tmp_path):
    with pytest.raises(PlatformError, match=re.escape("no AWS region given: use --region R, set AWS_REGION")):
        resolve_location("stack", environ={"XDG_CONFIG_HOME": str(tmp_path)})


def test_unreadable_config_file_is_named(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("stack = \n")
    with pytest.raises(PlatformError, match=re.escape("broken.toml")):
        resolve_location(environ={"TRAINCTL_CONFIG": str(broken)})


def test_state_machine_and_prepare_function_are_the_outputs_the_training_stack_defines():
    outputs = {
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/x",
        "AlertsStateMachineArn": MACHINE.replace("TrainingWorkflow1234", "Other"),
        TrainingStackOutput.STATE_MACHINE_ARN.value: MACHINE,
        TrainingStackOutput.PREPARE_FUNCTION_NAME.value: "prepare-fn",
    }
    assert state_machine_arn(outputs, PlatformLocation("s", "eu-west-1")) == MACHINE
    assert prepare_function_name(outputs) == "prepare-fn"
    assert prepare_function_name({TrainingStackOutput.STATE_MACHINE_ARN.value: MACHINE}) is None


def test_stack_without_the_state_machine_output_says_so():
    # Another state machine's ARN is not taken for the training workflow's.
    outputs = {"ExecutionRoleArn": "arn:aws:iam::1:role/x", "WorkflowOutput9F3A": MACHINE}
    with pytest.raises(
        PlatformError,
        match=r"has no output TrainingStateMachineArn \(its outputs: ExecutionRoleArn, WorkflowOutput9F3A\)",
    ):
        state_machine_arn(outputs, PlatformLocation("s", "eu-west-1"))


@pytest.fixture
def cloudformation(mocked_aws):
    yield boto3.client("cloudformation", region_name="eu-west-1")


def test_outputs_of_a_deployed_stack_are_read(cloudformation):
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"TrainingStateMachineArn": {"Value": MACHINE}, "Other": {"Value": "x"}},
    }
    cloudformation.create_stack(StackName="mltrain-dev-training", TemplateBody=json.dumps(template))
    outputs = stack_outputs(cloudformation, PlatformLocation("mltrain-dev-training", "eu-west-1"))
    assert outputs == {"TrainingStateMachineArn": MACHINE, "Other": "x"}


def test_missing_stack_is_a_clear_error_naming_stack_and_region(cloudformation):
    with pytest.raises(PlatformError) as caught:
        stack_outputs(cloudformation, PlatformLocation("nope", "eu-west-1"))
    assert str(caught.value) == (
        "stack 'nope' not found in eu-west-1: deploy the platform or pick its stack with --stack / TRAINCTL_STACK"
    )
