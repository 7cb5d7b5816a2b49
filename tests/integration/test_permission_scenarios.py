"""Trainings whose calls the rest of the suite does not make, so that test_permissions judges them too: a job with
Debugger and profiler rules, a spot job with checkpoints, a tuning job run to its end and one stopped with its
execution, and (after a redeploy with a VPC and an extra
readable bucket, as `cdk deploy -c ...` would) a job in the VPC reading the extra bucket. Each asserts what its
user sees: the job completed, with its settings in DescribeTrainingJob.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from execution_waits import execution_output, wait_for
from permissions.recorded_calls import ReplacedDeployment, deployed_platform, recorded_calls
from test_platform import console_input, run, start
from test_platform_tuning import tuning_request

from emulator import ACCOUNT_ID

SUBNETS = ("subnet-0123abcd", "subnet-4567cdef")
SECURITY_GROUP = "sg-0123abcd"


def trained_job(emulator: Any, platform: Any, **overrides: Any) -> dict[str, Any]:
    """Runs a console execution of the seed's input with `overrides`; the job it trained, described."""
    described = run(emulator, platform, console_input(platform, **overrides))
    assert described["status"] == "SUCCEEDED", described.get("cause")
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=execution_output(described)["job_name"])
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    return dict(job)


def test_a_training_with_debugger_and_profiler_rules_completes_with_its_rules(emulator: Any, platform: Any) -> None:
    job = trained_job(
        emulator,
        platform,
        base_job_name="rules",
        rules=[{"rule": "loss_not_decreasing"}, {"profiler_rule": "ProfilerReport"}],
    )

    (debug_rule,) = job["DebugRuleConfigurations"]
    (profiler_rule,) = job["ProfilerRuleConfigurations"]
    assert debug_rule["RuleParameters"]["rule_to_invoke"] == "LossNotDecreasing"
    assert profiler_rule["RuleParameters"]["rule_to_invoke"] == "ProfilerReport"
    artifacts = platform.outputs["ArtifactsBucketName"]
    assert job["DebugHookConfig"]["S3OutputPath"].startswith(f"s3://{artifacts}/")


def test_a_spot_training_with_checkpoints_completes_with_them(emulator: Any, platform: Any) -> None:
    job = trained_job(emulator, platform, base_job_name="spot", use_spot_instances=True, max_run=3600, max_wait=7200)

    assert job["EnableManagedSpotTraining"] is True
    assert job["StoppingCondition"]["MaxWaitTimeInSeconds"] == 7200
    checkpoints = platform.outputs["CheckpointsBucketName"]
    assert job["CheckpointConfig"]["S3Uri"] == f"s3://{checkpoints}/{job['TrainingJobName']}"


def test_a_tuning_job_completes_and_its_best_training_job_is_described(emulator: Any, platform: Any) -> None:
    # The tuning path: createHyperParameterTuningJob.sync (create, tag, describe, its managed rule, the
    # execution role passed), then DescribeTrainingJob of the best job; its training jobs are SageMaker's own.
    described = run(emulator, platform, tuning_request(platform))

    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = execution_output(described)
    assert output["best_training_job"]["model_artifacts"].startswith("s3://")


def test_stopping_a_tuning_execution_stops_its_tuning_job(emulator: Any, platform: Any) -> None:
    sfn, sagemaker = emulator.client("stepfunctions"), emulator.client("sagemaker")
    execution_arn = start(emulator, platform, tuning_request(platform, emulator_seconds="30"))

    def tuning_job_name() -> str | None:
        events = sfn.get_execution_history(executionArn=execution_arn, reverseOrder=True)["events"]
        entered = [e for e in events if e.get("stateEnteredEventDetails", {}).get("name") == "RunTuningJob"]
        return json.loads(entered[0]["stateEnteredEventDetails"]["input"])["tuning_job_name"] if entered else None

    name = wait_for(tuning_job_name)
    wait_for(lambda: _tuning_status(sagemaker, name) == "InProgress")
    sfn.stop_execution(executionArn=execution_arn)

    # Step Functions stops the tuning job it follows (StopHyperParameterTuningJob, as the role allows).
    assert wait_for(lambda: _tuning_status(sagemaker, name) in ("Stopping", "Stopped"))


def _tuning_status(sagemaker: Any, name: str) -> str | None:
    try:
        return str(
            sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
                "HyperParameterTuningJobStatus"
            ]
        )
    except sagemaker.exceptions.ClientError:
        return None


GUARDRAILS = {
    "allowed_instance_types": "ml.m5.xlarge,ml.m5.large",
    "max_instance_count": "2",
    "max_run_seconds": "3600",
    "max_keep_alive_seconds": "600",
}


@pytest.fixture(scope="module")
def redeployed_extra_bucket(emulator: Any, platform: Any, replaced_deployments: list[ReplacedDeployment]) -> str:
    """One redeploy (each costs a CDK deploy) with a VPC, an extra readable bucket and guardrails; the bucket."""
    extra = f"team-datasets-{uuid.uuid4().hex[:8]}"
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=extra, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    s3.put_object(Bucket=extra, Key="train/part-0.csv", Body=b"1,2\n")
    replaced_deployments.append(
        ReplacedDeployment(
            _calls_so_far(emulator), deployed_platform(emulator.client("cloudformation"), ACCOUNT_ID, emulator.region)
        )
    )
    platform.cdk.deploy(
        {
            "vpc_subnet_ids": ",".join(SUBNETS),
            "vpc_security_group_ids": SECURITY_GROUP,
            "extra_readable_buckets": extra,
            **GUARDRAILS,
        }
    )
    return extra


@pytest.mark.redeploys
def test_after_a_redeploy_with_a_vpc_and_an_extra_bucket_a_vpc_training_reads_it(
    emulator: Any, platform: Any, redeployed_extra_bucket: str
) -> None:
    job = trained_job(
        emulator,
        platform,
        base_job_name="vpc",
        inputs={"team": f"s3://{redeployed_extra_bucket}/train/"},
        subnets=list(SUBNETS),
        security_group_ids=[SECURITY_GROUP],
    )

    assert job["VpcConfig"] == {"Subnets": list(SUBNETS), "SecurityGroupIds": [SECURITY_GROUP]}
    (channel,) = job["InputDataConfig"]
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{redeployed_extra_bucket}/train/"


def _calls_so_far(emulator: Any) -> int:
    return len(recorded_calls(emulator.endpoint))


@pytest.mark.redeploys
def test_after_a_redeploy_with_guardrails_a_job_within_them_trains_and_one_beyond_is_refused_naming_the_setting(
    emulator: Any, platform: Any, redeployed_extra_bucket: str
) -> None:
    """The workflow's CreateTrainingJob, with the guardrails' context keys, is judged by test_permissions against
    the conditions this deployment's grant carries."""
    job = trained_job(emulator, platform, base_job_name="guarded", keep_alive_period_in_seconds=300)
    assert job["StoppingCondition"]["MaxRuntimeInSeconds"] == 3600  # no max_run: the deployment's limit

    refused = run(emulator, platform, console_input(platform, base_job_name="big", instance_type="ml.p4d.24xlarge"))
    assert refused["status"] == "FAILED"
    assert (
        "instance_type: ml.p4d.24xlarge is not among the allowed instance types "
        "(setting allowed_instance_types: ml.m5.xlarge, ml.m5.large)" in refused.get("cause", "")
    )
