"""The platform deploys in every partition: synthesized for a region of China (aws-cn) and of GovCloud
(aws-us-gov), no ARN says `arn:aws:` and cdk-nag's AwsSolutions checks still pass (they run in the app, and
an unacknowledged finding fails the synthesis)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app import build_app
from stacks.nag import flatten_reference

# A VPC, an extra bucket, a schedule: every optional statement and rule is in the templates.
_EVERYTHING = {
    "vpc_subnet_ids": "subnet-0123abcd",
    "vpc_security_group_ids": "sg-0123abcd",
    "extra_readable_buckets": "shared-datasets",
    "training_schedule": "rate(1 day)",
    "scheduled_request": '{"instance_type": "ml.m5.large", "instance_count": 1}',
}


def _arns(node: object) -> list[str]:
    """Every `arn:` text in a template value, intrinsic functions joined with their references as <...>."""
    text = json.dumps(node)
    return [piece for piece in text.split('"') if "arn:" in piece]


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_no_arn_names_the_commercial_partition(region: str, partition: str, tmp_path: Path) -> None:
    previous = os.environ.get("CDK_DEFAULT_REGION")
    os.environ["CDK_DEFAULT_REGION"] = region  # the synth-time check of trigger requests judges this region
    try:
        build_app(_EVERYTHING, outdir=str(tmp_path), region=region).synth()
    finally:
        if previous is None:
            del os.environ["CDK_DEFAULT_REGION"]
        else:
            os.environ["CDK_DEFAULT_REGION"] = previous
    templates = {path.name: json.loads(path.read_text()) for path in tmp_path.glob("*.template.json")}
    assert len(templates) == 2

    for name, template in templates.items():
        leftovers = [arn for arn in _arns(template["Resources"]) if "arn:aws:" in arn]
        assert not leftovers, f"{name}: {leftovers}"
    # The workflow's service integrations are in the partition it is deployed to (AWS::Partition: `partition`).
    training = next(t for n, t in templates.items() if "training" in n)
    (definition,) = [
        r["Properties"]["DefinitionString"]
        for r in training["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    rendered = flatten_reference(definition).replace("<AWS::Partition>", partition)
    assert f'"arn:{partition}:states:::sagemaker:createTrainingJob.sync"' in rendered


@pytest.mark.parametrize(
    ("region", "partition"),
    [("eu-west-1", "aws"), ("cn-northwest-1", "aws-cn"), ("us-gov-east-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso")],
)
def test_the_builders_stand_in_role_is_in_the_regions_partition(region: str, partition: str) -> None:
    from platform_contract import partition_of
    from training_request import PlatformDefaults

    assert partition_of(region) == partition
    assert PlatformDefaults.stand_ins(region).role_arn == f"arn:{partition}:iam::123456789012:role/stack-execution-role"
