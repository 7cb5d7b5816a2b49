"""What `trainctl status` (and `list`) show of a job's cluster: each group of a heterogeneous cluster, and
the warm pool the job kept or reused, read from DescribeTrainingJob as SageMaker answers it (the members
checked against botocore's output shape)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.validate import ParamValidator

from trainctl.platform_commands import describe
from trainctl.states import JobStatus, TrainingState

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def description(**members: Any) -> dict[str, Any]:
    described = {
        "TrainingJobName": "gan-1",
        "TrainingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:training-job/gan-1",
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "CreationTime": T0,
        "TrainingEndTime": T0 + timedelta(seconds=90),
        "TrainingTimeInSeconds": 60,
        "BillableTimeInSeconds": 60,
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30},
        **members,
    }
    output = boto3.session.Session()._session.get_service_model("sagemaker").operation_model("DescribeTrainingJob")
    for member in ("ResourceConfig", "WarmPoolStatus"):  # the members these tests are about, as SageMaker shapes them
        if member in described:
            report = ParamValidator().validate(described[member], output.output_shape.members[member])
            assert not report.has_errors(), report.generate_report()
    return described


def status_lines(described: dict[str, Any]) -> list[str]:
    return describe(TrainingState(None, JobStatus.from_description(described)))


def test_a_heterogeneous_cluster_shows_each_group() -> None:
    resources = {
        "VolumeSizeInGB": 30,
        "InstanceGroups": [
            {"InstanceGroupName": "data", "InstanceType": "ml.c5.xlarge", "InstanceCount": 2},
            {"InstanceGroupName": "train", "InstanceType": "ml.g5.xlarge", "InstanceCount": 1},
        ],
    }
    described = description(ResourceConfig=resources)
    assert "instances: data: 2 x ml.c5.xlarge, train: 1 x ml.g5.xlarge" in status_lines(described)
    document = JobStatus.from_description(described).to_json()
    assert (document["instance_type"], document["instance_count"]) == (None, None)
    assert document["instance_groups"] == [
        {"name": "data", "instance_type": "ml.c5.xlarge", "instance_count": 2},
        {"name": "train", "instance_type": "ml.g5.xlarge", "instance_count": 1},
    ]


def test_one_instance_type_shows_as_before_without_groups_or_pool() -> None:
    described = description()
    lines = status_lines(described)
    assert "instances: 2 x ml.m5.xlarge" in lines
    assert not any(line.startswith("warm pool:") for line in lines)
    document = JobStatus.from_description(described).to_json()
    assert (document["instance_groups"], document["warm_pool"]) == (None, None)


@pytest.mark.parametrize(
    ("pool", "line", "document"),
    [
        (
            {"Status": "Available", "ResourceRetainedBillableTimeInSeconds": 42},
            "warm pool: Available (retained 0m42s)",
            {"status": "Available", "retained_seconds": 42, "reused_by": None},
        ),
        (
            {"Status": "Reused", "ResourceRetainedBillableTimeInSeconds": 5, "ReusedByJob": "gan-2"},
            "warm pool: Reused by gan-2 (retained 0m05s)",
            {"status": "Reused", "retained_seconds": 5, "reused_by": "gan-2"},
        ),
        ({"Status": "InUse"}, "warm pool: InUse", {"status": "InUse", "retained_seconds": None, "reused_by": None}),
        (
            {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 3600},
            "warm pool: Terminated (retained 1h00m00s)",
            {"status": "Terminated", "retained_seconds": 3600, "reused_by": None},
        ),
    ],
    ids=lambda value: value.get("Status", "") if isinstance(value, dict) else "",
)
def test_the_warm_pool_shows_its_status_retained_time_and_reusing_job(
    pool: dict[str, Any], line: str, document: dict[str, Any]
) -> None:
    described = description(WarmPoolStatus=pool)
    lines = status_lines(described)
    assert lines[lines.index("instances: 2 x ml.m5.xlarge") + 1] == line
    assert JobStatus.from_description(described).to_json()["warm_pool"] == document
