"""The emulator's container reads script mode's JSON-encoded hyperparameters as the training toolkit does, so
its own knobs (emulator_outcome, emulator_seconds, emulator_optimum) work in script mode too."""

from __future__ import annotations

import json

from emulator.training_jobs import OUTCOME_HYPERPARAMETER, SECONDS_HYPERPARAMETER, container_hyperparameters
from training_request import build_training_job

BASE = {
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan:latest",
    "role": "arn:aws:iam::123456789012:role/sagemaker-execution",
    "instance_count": 1,
    "instance_type": "ml.m5.xlarge",
    "output_path": "s3://artifacts/out",
    "job_name": "gan",
    "hyperparameters": {OUTCOME_HYPERPARAMETER: "failed", SECONDS_HYPERPARAMETER: 2, "layers": [64, 128]},
}


def test_script_mode_values_are_decoded_as_the_toolkit_decodes_them() -> None:
    script = {**BASE, "entry_point": "train.py", "source_dir": "s3://code/gan/sourcedir.tar.gz"}
    request = build_training_job(script, region="eu-west-1").request
    assert request["HyperParameters"][OUTCOME_HYPERPARAMETER] == '"failed"'

    read = container_hyperparameters(request)

    assert read[OUTCOME_HYPERPARAMETER] == "failed"
    assert read[SECONDS_HYPERPARAMETER] == "2"
    assert json.loads(read["layers"]) == [64, 128]
    assert read["sagemaker_program"] == "train.py"


def test_without_script_mode_the_values_are_read_as_sent() -> None:
    request = build_training_job(BASE, region="eu-west-1").request
    assert container_hyperparameters(request) == request["HyperParameters"]
