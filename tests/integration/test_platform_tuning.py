"""Tuning requests on the deployed platform in the emulator: the real stacks, state machine and Prepare Lambda,
and the emulator's tuning jobs, which launch emulated training jobs and pick the best by their final metrics.

A console input (start_execution) ends with the tuning job's summary and its best job's model; a request
file's result names the best job; a tuning job whose training jobs all fail fails the execution with
SageMaker's reason (the training jobs' outcome is chosen with the `emulator_outcome` static hyperparameter).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from execution_waits import execution_output, finished_execution, wait_for
from request_files import INTERIM_STATUSES, latest_result, put_request

from platform_contract import BestTrainingJobField, TrainingJobCountField, TuningOutputField

OUTCOME_SECONDS = 240.0
MAX_JOBS = 3


def tuning_request(platform: Any, **static_hyperparameters: str) -> dict[str, Any]:
    """The seed's GAN training, tuned for its GAN loss over two learning rates."""
    data = platform.outputs["DataBucketName"]
    return {
        "instance_type": "ml.m5.large",
        "instance_count": 1,
        "inputs": {"nome_modello": f"s3://{data}/gan/train/"},
        "hyperparameters": {"epochs": 3, "run": uuid.uuid4().hex[:10], **static_hyperparameters},
        "tuner": {
            "base_tuning_job_name": "gan",
            "objective_metric_name": "ganloss",
            "objective_type": "Minimize",
            "metric_definitions": [{"Name": "ganloss", "Regex": "GAN_loss=(.*?);"}],
            "hyperparameter_ranges": {"learning_rate": {"type": "Categorical", "values": [0.001, 0.0002]}},
            "max_jobs": MAX_JOBS,
            "max_parallel_jobs": 2,
        },
    }


def run(emulator: Any, platform: Any, execution_input: dict[str, Any]) -> dict[str, Any]:
    sfn = emulator.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=platform.state_machine_arn, input=json.dumps(execution_input))
    return finished_execution(sfn, arn["executionArn"])


def test_a_console_tuning_execution_reports_the_best_training_job_and_its_model(emulator: Any, platform: Any) -> None:
    described = run(emulator, platform, tuning_request(platform))

    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = execution_output(described)
    name = output[TuningOutputField.TUNING_JOB_NAME.value]
    sagemaker = emulator.client("sagemaker")
    tuning_job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    best_name = tuning_job["BestTrainingJob"]["TrainingJobName"]
    best_job = sagemaker.describe_training_job(TrainingJobName=best_name)
    assert name.startswith("gan-") and output[TuningOutputField.STATUS.value] == "Completed"
    assert output[TuningOutputField.TUNING_JOB_ARN.value] == tuning_job["HyperParameterTuningJobArn"]
    assert output[TuningOutputField.BEST_TRAINING_JOB.value] == {
        BestTrainingJobField.NAME.value: best_name,
        BestTrainingJobField.OBJECTIVE_METRIC.value: "ganloss",
        BestTrainingJobField.OBJECTIVE_VALUE.value: tuning_job["BestTrainingJob"][
            "FinalHyperParameterTuningJobObjectiveMetric"
        ]["Value"],
        BestTrainingJobField.MODEL_ARTIFACTS.value: best_job["ModelArtifacts"]["S3ModelArtifacts"],
        BestTrainingJobField.TUNED_HYPERPARAMETERS.value: tuning_job["BestTrainingJob"]["TunedHyperParameters"],
    }
    artifacts = platform.outputs["ArtifactsBucketName"]
    assert best_job["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{artifacts}/{best_name}/output/model.tar.gz"
    counts = output[TuningOutputField.TRAINING_JOB_COUNTS.value]
    assert counts[TrainingJobCountField.COMPLETED.value] == tuning_job["TrainingJobStatusCounters"]["Completed"] > 0
    assert counts[TrainingJobCountField.IN_PROGRESS.value] == 0
    assert f"#/hyper-tuning-jobs/{name}" in output[TuningOutputField.CONSOLE_URL.value]
    # The tuning job carries the cost tag; SageMaker gives its training jobs its tags.
    tags = sagemaker.list_tags(ResourceArn=tuning_job["HyperParameterTuningJobArn"])["Tags"]
    assert {"Key": "CER", "Value": "1"} in tags
    assert {"Key": "CER", "Value": "1"} in sagemaker.list_tags(ResourceArn=best_job["TrainingJobArn"])["Tags"]


def test_a_tuning_job_whose_training_jobs_all_fail_fails_the_execution_saying_why(emulator: Any, platform: Any) -> None:
    described = run(emulator, platform, tuning_request(platform, emulator_outcome="failed"))

    assert (described["status"], described.get("error")) == ("FAILED", "TuningJobFailed"), described.get("cause")
    assert " failed: No training job succeeded after " in described["cause"]


def test_a_tuning_request_file_s_result_names_the_best_training_job(emulator: Any, platform: Any) -> None:
    s3, bucket = emulator.client("s3"), platform.outputs["DataBucketName"]
    name = f"team-{uuid.uuid4().hex[:8]}/gan-tuning"
    version = put_request(s3, bucket, name, tuning_request(platform))["VersionId"]

    def final() -> dict[str, Any] | None:
        result = latest_result(s3, bucket, name)
        return result if result and result["status"] not in INTERIM_STATUSES else None

    result = wait_for(final, OUTCOME_SECONDS, interval=0.5)

    assert (result["status"], result["request_version_id"]) == ("Completed", version), result
    tuning_job = emulator.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=result["tuning_job_name"]
    )
    best = result["best_training_job"]
    assert best[BestTrainingJobField.NAME.value] == tuning_job["BestTrainingJob"]["TrainingJobName"]
    assert best[BestTrainingJobField.MODEL_ARTIFACTS.value].endswith(
        f"/{best[BestTrainingJobField.NAME.value]}/output/model.tar.gz"
    )
    assert finished_execution(emulator.client("stepfunctions"), result["execution_arn"])["status"] == "SUCCEEDED"
