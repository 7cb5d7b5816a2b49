"""The oracle itself: it runs the real SDK offline, shut off from everything but its arguments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .cases import CASES, ParityCase
from .compare import botocore_problems
from .sdk_oracle import sdk_request


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_oracle_request_is_what_boto3_accepts(case: ParityCase, sdk) -> None:
    """The oracle itself: the SDK's request for a parity case is a valid boto3 call."""
    request = sdk(case.execution_input, region=case.region)
    assert botocore_problems(request) == ""
    assert request["RoleArn"] == case.execution_input["role"]
    assert request["AlgorithmSpecification"]["TrainingImage"] == case.execution_input["image_uri"]


def test_oracle_ignores_config_files_and_studio_project_tags(tmp_path: Path, monkeypatch) -> None:
    """A user's SDK defaults file and a `.sagemaker-code-config` would change the SDK's request:
    the oracle must not see them."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "SchemaVersion: '1.0'\n"
        "SageMaker:\n"
        "  TrainingJob:\n"
        "    EnableNetworkIsolation: true\n"
        "    Tags:\n"
        "    - Key: from-config-file\n"
        "      Value: 'yes'\n"
    )
    (tmp_path / ".sagemaker-code-config").write_text(
        '{"sagemakerProjectId": "p-1", "sagemakerProjectName": "leaked"}'
    )
    monkeypatch.setenv("SAGEMAKER_USER_CONFIG_OVERRIDE", str(config))
    monkeypatch.chdir(tmp_path)
    case = CASES[0]

    request = sdk_request(case.execution_input, region=case.region)

    assert "Tags" not in request
    assert "EnableNetworkIsolation" not in request
    assert os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] == str(config)  # restored afterwards
    assert Path.cwd() == tmp_path
