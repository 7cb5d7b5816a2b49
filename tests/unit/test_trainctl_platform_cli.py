"""The platform commands' contract: one-line errors and exit codes, input from a file or stdin with
--set overrides checked before anything starts, and the human-readable summary."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from trainctl.cli import main
from trainctl.errors import TrainingFailedToStart
from trainctl.platform_commands import describe, guarded
from trainctl.states import ExecutionStatus, JobStatus, TrainingState

REGION = "eu-west-1"
MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:TrainingWorkflow"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def platform_stack(mocked_aws):
    boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="TrainingWorkflow",
        roleArn="arn:aws:iam::123456789012:role/workflow",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
    )
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="platform",
        TemplateBody=json.dumps(
            {
                "Resources": {"T": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"TrainingStateMachineArn": {"Value": MACHINE}},
            }
        ),
    )
    yield


def test_missing_stack_is_one_line_and_exit_1(platform_stack):
    code, out, err = run("status", "job-1", "--stack", "nope", "--region", REGION)
    assert (code, out) == (1, "")
    assert (
        err
        == "error: stack 'nope' not found in eu-west-1: deploy the platform or pick its stack with --stack / TRAINCTL_STACK\n"
    )


def test_invalid_json_on_stdin_is_exit_2_naming_the_position():
    code, _, err = run("start", "--stack", "s", "--region", REGION, stdin='{"instance_type": ')
    assert code == 2
    assert err.startswith("error: -: not valid JSON: Expecting value at line 1 column 19")


def test_missing_file_is_exit_2(tmp_path):
    code, _, err = run("start", str(tmp_path / "absent.json"), "--stack", "s", "--region", REGION)
    assert (code, err) == (2, f"error: {tmp_path / 'absent.json'}: cannot read the file: No such file or directory\n")


def test_bad_override_is_exit_2():
    code, _, err = run(
        "start",
        "--set",
        "instance_type.x=1",
        "--stack",
        "s",
        "--region",
        REGION,
        stdin='{"instance_type": "ml.m5.xlarge"}',
    )
    assert (code, err) == (2, "error: --set instance_type.x=1: 'instance_type' is a string, not an object\n")


def test_invalid_input_after_overrides_lists_every_problem_and_starts_nothing(platform_stack, tmp_path):
    source = tmp_path / "input.json"
    source.write_text(
        json.dumps({"instance_count": 1, "instance_type": "ml.m5.xlarge", "hyperparameters": {"epochs": 10}})
    )
    code, out, err = run(
        "start",
        str(source),
        "--set",
        "instance_type=m5.large",
        "--set",
        "max_run=-1",
        "--stack",
        "platform",
        "--region",
        REGION,
    )
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"error: {source}: invalid training input (2 problems):"
    assert [line.split(":")[0] for line in lines[1:]] == ["  instance_type", "  max_run"]
    assert (
        boto3.client("stepfunctions", region_name=REGION).list_executions(stateMachineArn=MACHINE)["executions"] == []
    )


def test_an_invalid_tuning_input_is_called_a_tuning_input_and_starts_nothing(platform_stack, tmp_path):
    source = tmp_path / "tuning.json"
    tuner = {
        "objective_metric_name": "loss",
        "metric_definitions": [{"Name": "loss", "Regex": "loss=(.*?);"}],
        "hyperparameter_ranges": {"lr": {"type": "Continuous", "min_value": 0.1, "max_value": 0.01}},
    }
    source.write_text(json.dumps({"instance_count": 1, "instance_type": "ml.m5.xlarge", "tuner": tuner}))
    code, out, err = run("start", str(source), "--stack", "platform", "--region", REGION)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"error: {source}: invalid tuning input (1 problem):"
    assert lines[1].startswith("  tuner.hyperparameter_ranges.lr")
    assert (
        boto3.client("stepfunctions", region_name=REGION).list_executions(stateMachineArn=MACHINE)["executions"] == []
    )


def test_summary_shows_status_metrics_model_billable_time_and_links():
    job = JobStatus(
        name="gan-1",
        arn="",
        status="Completed",
        secondary_status="Completed",
        failure_reason=None,
        instance_type="ml.g5.xlarge",
        instance_count=2,
        created=T0,
        ended=T0.replace(minute=12),
        training_seconds=600,
        billable_seconds=3725,
        model_artifacts="s3://a/gan-1/output/model.tar.gz",
        final_metrics={"ganloss": 0.25},
        transitions=(),
    )
    execution = ExecutionStatus(
        "arn:x", "run-1", "SUCCEEDED", T0, T0, output={"links": {"console": "https://console/x"}}
    )
    assert describe(TrainingState(execution, job)) == [
        "execution: run-1 SUCCEEDED",
        "job:       gan-1 Completed (Completed)",
        "instances: 2 x ml.g5.xlarge",
        "duration:  12m00s (training 10m00s, billable 1h02m05s)",
        "metric:    ganloss = 0.25",
        "model:     s3://a/gan-1/output/model.tar.gz",
        "console:   https://console/x",
    ]


def test_a_job_lasts_at_least_as_long_as_its_training() -> None:
    # A job stopped while Starting, as the emulator describes it: 5.6 s from creation to end, and
    # SageMaker's whole-second TrainingTimeInSeconds rounded from them.
    description = {
        "TrainingJobName": "gan-1",
        "TrainingJobStatus": "Stopped",
        "SecondaryStatus": "Stopped",
        "CreationTime": T0,
        "TrainingEndTime": T0 + timedelta(seconds=5.6),
        "TrainingTimeInSeconds": 6,
        "BillableTimeInSeconds": 6,
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    }
    job = JobStatus.from_description(description)
    assert job.duration_seconds() == 6 and job.to_json()["duration_seconds"] == 6
    assert "duration:  0m06s (training 0m06s, billable 0m06s)" in describe(TrainingState(None, job))


@pytest.mark.parametrize(("error", "code"), [("InvalidTrainingInput", 2), ("SageMakerRequestFailed", 1), (None, 1)])
def test_a_failure_to_start_is_exit_2_only_when_prepare_rejected_the_input(error, code):
    # The cause quotes the input (here the words "InvalidTrainingInput"): only the error name decides.
    cause = "tags[0].Key: tag 'InvalidTrainingInput' refused\ninstance_count: must be at least 1 (got 0)"
    message = f"execution run-1 FAILED before starting a job: {error}: {cause}"

    @guarded
    def command(args, stdin, out, err):
        raise TrainingFailedToStart(message, error=error, cause=cause)

    err = io.StringIO()
    assert command(argparse.Namespace(input="input.json"), io.StringIO(), io.StringIO(), err) == code
    if error == "InvalidTrainingInput":  # the Prepare Lambda's problems, as a local check shows them
        assert err.getvalue().splitlines() == [
            "error: input.json: invalid training input (2 problems):",
            "  tags[0].Key: tag 'InvalidTrainingInput' refused",
            "  instance_count: must be at least 1 (got 0)",
        ]
    else:  # one line whatever the cause holds
        assert err.getvalue() == f"error: {message.replace(chr(10), '; ')}\n"


def test_logs_of_a_tuning_job_says_its_training_jobs_have_the_lines(platform_stack):
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="gan-hpo",
        HyperParameterTuningJobConfig={
            "Strategy": "Random",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
        },
    )
    assert run("logs", "gan-hpo", "--stack", "platform", "--region", REGION) == (
        1,
        "",
        "error: gan-hpo is a tuning job: its training jobs have the log lines "
        "(`status gan-hpo` names its best one, `list` shows the executions)\n",
    )
    code, _, err = run("logs", "no-such-job", "--stack", "platform", "--region", REGION)
    assert (code, err) == (1, f"error: no training job named 'no-such-job' in {REGION}\n")
