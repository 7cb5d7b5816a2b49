"""from_estimator: a notebook's configured SDK Estimator becomes the platform input that produces
the same CreateTrainingJob request, for every parity input (built into real SDK objects)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("sagemaker")

# The oracle is the package `parity` (tests/ is no package: site-packages already has a `tests`),
# the name pytest itself gives it when it collects tests/parity.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parity.cases import CASES, ParityCase
from parity.compare import comparable
from parity.sdk_oracle import (
    estimator_kwargs,
    isolated_sdk,
    offline_session,
    sdk_inputs,
    sdk_request,
)

from trainctl.notebook import UnsupportedEstimator, from_estimator
from training_request import InvalidTrainingInput, build_training_job

NOW = datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture(scope="module")
def session_for():
    sessions = {}

    def session(region: str):
        if region not in sessions:
            with isolated_sdk():
                sessions[region] = offline_session(region)
        return sessions[region]

    return session


def estimator_for(case: ParityCase, session_for, **overrides):
    from sagemaker.estimator import Estimator

    with isolated_sdk():
        return Estimator(
            sagemaker_session=session_for(case.region), **{**estimator_kwargs(case.execution_input), **overrides}
        )


def converted(case: ParityCase, session_for) -> dict:
    given = case.execution_input
    estimator = estimator_for(case, session_for)
    return from_estimator(
        estimator,
        inputs=sdk_inputs(given.get("inputs")),
        job_name=given.get("job_name"),
        wait=given.get("wait", True),
        logs=given.get("logs"),
        experiment_config=given.get("experiment_config"),
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_parity_input_round_trips_through_sdk_objects_to_the_same_request(case, session_for):
    ours = build_training_job(converted(case, session_for), region=case.region, now=NOW)
    # The SDK takes a keyword given as None as not given; the platform asks to omit it.
    given = {key: value for key, value in case.execution_input.items() if value is not None}
    original = build_training_job(given, region=case.region, now=NOW)
    assert comparable(ours.request) == comparable(original.request)
    assert ours.wait == original.wait


@pytest.mark.parametrize(
    "name",
    [
        "seed_gan_example",
        "training_input_every_option",
        "file_system_input_fsx_every_option",
        "debugger_and_profiler_rules",
        "debugger_hook_config_every_option",
        "everything_at_once",
        "heterogeneous_cluster",
        "training_repository_private_registry",
        "instance_placement_config",
        "remote_debug_off_is_sent",
        "script_mode_s3_source_dir",
        "script_mode_network_isolation_code_channel",
    ],
)
def test_the_sdk_sends_the_same_request_for_the_converted_input(name, session_for):
    matching = [case for case in CASES if case.name == name]
    if not matching:
        pytest.skip(f"no parity case named {name}")
    case = matching[0]
    sdk_for_original = sdk_request(case.execution_input, region=case.region, session=session_for(case.region))
    sdk_for_converted = sdk_request(converted(case, session_for), region=case.region, session=session_for(case.region))
    assert comparable(sdk_for_converted) == comparable(sdk_for_original)


def test_seed_notebook_becomes_a_readable_input_with_only_what_was_set(session_for):
    from sagemaker.debugger import TensorBoardOutputConfig
    from sagemaker.inputs import TrainingInput

    case = ParityCase(
        "notebook",
        {
            "role": "arn:aws:iam::123456789012:role/r",
            "image_uri": "img:1",
            "instance_count": 1,
            "instance_type": "ml.p3.2xlarge",
        },
    )
    estimator = estimator_for(
        case,
        session_for,
        hyperparameters={"epochs": 50, "lr": 0.0002},
        metric_definitions=[{"Name": "ganloss", "Regex": "GAN_loss=(.*?);"}],
        tensorboard_output_config=TensorBoardOutputConfig("s3://tb/gan/", "/opt/ml/output/tensorboard"),
        tags=[{"Key": "CER", "Value": "1"}],
    )
    result = from_estimator(
        estimator,
        inputs={"nome_modello": "s3://data/gan", "val": TrainingInput("s3://data/val", content_type="image/png")},
        job_name="gan-1",
    )
    assert result == {
        "image_uri": "img:1",
        "role": "arn:aws:iam::123456789012:role/r",
        "instance_count": 1,
        "instance_type": "ml.p3.2xlarge",
        "tags": [{"Key": "CER", "Value": "1"}],
        "metric_definitions": [{"Name": "ganloss", "Regex": "GAN_loss=(.*?);"}],
        "hyperparameters": {"epochs": 50, "lr": 0.0002},
        "tensorboard_output_config": {
            "s3_output_path": "s3://tb/gan/",
            "container_local_output_path": "/opt/ml/output/tensorboard",
        },
        "inputs": {"nome_modello": "s3://data/gan", "val": {"s3_data": "s3://data/val", "content_type": "image/png"}},
        "job_name": "gan-1",
    }
    assert "role" not in from_estimator(estimator, keep_role=False)


def test_a_script_mode_estimator_with_local_code_is_carried_as_the_sdk_holds_it(session_for):
    """trainctl packages and uploads what the Estimator names, as fit() would (tests/parity/test_script_code_parity.py
    compares the archive and the request with the SDK's)."""
    case = ParityCase(
        "x",
        {
            "role": "arn:aws:iam::123456789012:role/r",
            "image_uri": "img:1",
            "instance_count": 1,
            "instance_type": "ml.m5.xlarge",
        },
    )
    git_config = {"repo": "https://example.com/team/gan.git", "branch": "training", "commit": "4f2a9c1"}
    estimator = estimator_for(
        case,
        session_for,
        entry_point="train.py",
        source_dir="src",
        dependencies=["../common"],
        git_config=git_config,
        code_location="s3://team-code/gan",
        container_log_level=10,
        hyperparameters={"epochs": 3, "optimizer": "adam"},
    )
    assert from_estimator(estimator) == {
        "image_uri": "img:1",
        "role": "arn:aws:iam::123456789012:role/r",
        "instance_count": 1,
        "instance_type": "ml.m5.xlarge",
        "entry_point": "train.py",
        "source_dir": "src",
        "git_config": git_config,
        "dependencies": ["../common"],
        "code_location": "s3://team-code/gan",
        "container_log_level": 10,
        # The Estimator holds them JSON-encoded with a source_dir; the input holds the values.
        "hyperparameters": {"epochs": 3, "optimizer": "adam"},
    }


def test_custom_debugger_rules_are_refused_by_name(session_for):
    from sagemaker.debugger import Rule

    custom = Rule.custom(
        name="MyRule",
        image_uri="1.dkr.ecr.eu-west-1.amazonaws.com/rule:1",
        instance_type="ml.t3.medium",
        volume_size_in_gb=5,
    )
    case = ParityCase(
        "x",
        {
            "role": "arn:aws:iam::123456789012:role/r",
            "image_uri": "img:1",
            "instance_count": 1,
            "instance_type": "ml.m5.xlarge",
        },
    )
    with pytest.raises(UnsupportedEstimator, match=r"rules\[0\]: only built-in rules .* not 'MyRule'"):
        from_estimator(estimator_for(case, session_for, rules=[custom]))


def test_pipeline_variables_are_refused_with_the_field(session_for):
    from sagemaker.workflow.parameters import ParameterString

    case = ParityCase(
        "x",
        {
            "role": "arn:aws:iam::123456789012:role/r",
            "image_uri": "img:1",
            "instance_count": 1,
            "instance_type": "ml.m5.xlarge",
        },
    )
    estimator = estimator_for(case, session_for, output_path=ParameterString("OutputPath", default_value="s3://b/o"))
    with pytest.raises(UnsupportedEstimator, match="output_path: a pipeline variable"):
        from_estimator(estimator)


def test_a_script_mode_estimator_with_a_local_source_dir_gives_an_input_refused_with_what_to_do(session_for):
    case = ParityCase(
        "local-code",
        {
            "role": "arn:aws:iam::123456789012:role/r",
            "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan:1",
            "instance_count": 1,
            "instance_type": "ml.m5.xlarge",
            "output_path": "s3://team-artifacts/out",
        },
    )
    estimator = estimator_for(
        case, session_for, entry_point="train.py", source_dir="src", hyperparameters={"model": "pix2pix"}
    )
    execution_input = from_estimator(estimator)
    assert execution_input["hyperparameters"] == {"model": "pix2pix"}  # the value, not the SDK's JSON text
    with pytest.raises(InvalidTrainingInput) as refused:
        build_training_job(execution_input, region="eu-west-1", now=NOW)
    assert [problem.field for problem in refused.value.problems] == ["source_dir"]
    assert "upload it to S3" in refused.value.problems[0].rule
