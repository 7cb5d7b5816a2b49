"""The calls SageMaker makes with a training job's execution role that the emulator has no real work
for, recorded as made (the job's S3, Logs and CloudWatch calls really go through the emulator, signed
with the role's key: adapters/sagemaker.py).

SageMaker assumes the role (sts:AssumeRole by sagemaker.amazonaws.com), pulls the training image and
every Debugger or profiler rule's evaluator image from ECR, and for a job in a VPC manages the
instances' network interfaces (as AWS documents for SageMaker in a VPC); with a volume key it checks
the key and grants EBS its use.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from emulator.call_log import Authorization

_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)")
_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
_RULE_CONFIGURATIONS = ("DebugRuleConfigurations", "ProfilerRuleConfigurations")


def repository_arn(image: str) -> str | None:
    """The ECR repository of an image URI (<account>.dkr.ecr.<region>.amazonaws.com/<name>[:tag|@digest])."""
    match = _ECR_IMAGE.match(image)
    if match is None:
        return None
    account, region, name = match.groups()
    return f"arn:aws:ecr:{region}:{account}:repository/{name}"


def images_of(request: Mapping[str, Any]) -> list[str]:
    """The training image, then each rule's evaluator image (once each)."""
    images = [str((request.get("AlgorithmSpecification") or {}).get("TrainingImage") or "")]
    for field in _RULE_CONFIGURATIONS:
        images += [str(rule.get("RuleEvaluatorImage") or "") for rule in request.get(field) or []]
    return list(dict.fromkeys(image for image in images if image))


def image_pulls(request: Mapping[str, Any]) -> list[Authorization]:
    """Logging in to the registry, then each ECR image's layers and manifest."""
    repositories = [arn for arn in map(repository_arn, images_of(request)) if arn]
    if not repositories:
        return []
    pulls = [Authorization(action, repository) for repository in repositories for action in _PULL_ACTIONS]
    return [Authorization("ecr:GetAuthorizationToken", "*"), *pulls]


def vpc_calls(request: Mapping[str, Any], region: str, account: str) -> list[Authorization]:
    """The network interfaces of a job in a VPC, in its subnets and security groups."""
    vpc = request.get("VpcConfig") or {}
    if not vpc:
        return []
    ec2 = f"arn:aws:ec2:{region}:{account}"
    interface = (
        f"{ec2}:network-interface/eni-{hashlib.sha256(str(request['TrainingJobName']).encode()).hexdigest()[:17]}"
    )
    describes = (
        "DescribeNetworkInterfaces",
        "DescribeVpcs",
        "DescribeDhcpOptions",
        "DescribeSubnets",
        "DescribeSecurityGroups",
    )
    return [
        *(Authorization(f"ec2:{action}", "*") for action in describes),
        Authorization("ec2:CreateNetworkInterface", interface),
        *(Authorization("ec2:CreateNetworkInterface", f"{ec2}:subnet/{subnet}") for subnet in vpc.get("Subnets") or []),
        *(
            Authorization("ec2:CreateNetworkInterface", f"{ec2}:security-group/{group}")
            for group in vpc.get("SecurityGroupIds") or []
        ),
        Authorization("ec2:CreateNetworkInterfacePermission", interface),
    ]


def vpc_cleanup(request: Mapping[str, Any], region: str, account: str) -> list[Authorization]:
    created = [
        call for call in vpc_calls(request, region, account) if call.action == "ec2:CreateNetworkInterfacePermission"
    ]
    return [
        Authorization(action, call.resource)
        for call in created
        for action in ("ec2:DeleteNetworkInterfacePermission", "ec2:DeleteNetworkInterface")
    ]


def volume_key_calls(request: Mapping[str, Any], key_arn: str | None) -> list[Authorization]:
    """With ResourceConfig.VolumeKmsKeyId: SageMaker checks the key and grants EBS its use."""
    if not key_arn:
        return []
    return [
        Authorization("kms:DescribeKey", key_arn),
        Authorization("kms:CreateGrant", key_arn, {"kms:GrantIsForAWSResource": "true"}),
    ]


def s3_location(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def s3_channels(request: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(channel name, S3 data type, S3 URI) of each S3 input channel."""
    channels = []
    for channel in request.get("InputDataConfig") or []:
        source = (channel.get("DataSource") or {}).get("S3DataSource")
        if source:
            channels.append(
                (str(channel["ChannelName"]), str(source.get("S3DataType", "S3Prefix")), str(source["S3Uri"]))
            )
    return channels


def submitted_code(request: Mapping[str, Any]) -> str | None:
    """Script mode's code archive in S3 (the `sagemaker_submit_directory` hyperparameter, JSON-encoded as the SDK
    sends it), which the training toolkit in the container downloads with the role's credentials as it starts.
    None without script mode, and with network isolation (the code arrives as the `code` channel then)."""
    value = (request.get("HyperParameters") or {}).get("sagemaker_submit_directory")
    if not isinstance(value, str):
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        decoded = value
    return decoded if isinstance(decoded, str) and decoded.startswith("s3://") else None


def extra_outputs(request: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(S3 URI, what) of what a job writes besides its model: checkpoints, TensorBoard data, Debugger
    tensors, profiler data and rule outputs, where configured (one small object each, in the place
    SageMaker writes to)."""
    name = str(request["TrainingJobName"])
    outputs: list[tuple[str, str]] = []
    checkpoint = (request.get("CheckpointConfig") or {}).get("S3Uri")
    if checkpoint:
        outputs.append((f"{checkpoint.rstrip('/')}/emulator-checkpoint.json", "checkpoint"))
    for field, folder in (
        ("TensorBoardOutputConfig", "tensorboard-output"),
        ("DebugHookConfig", "debug-output"),
        ("ProfilerConfig", "profiler-output"),
    ):
        path = (request.get(field) or {}).get("S3OutputPath")
        if path:
            outputs.append((f"{path.rstrip('/')}/{name}/{folder}/emulator.json", folder))
    for field in _RULE_CONFIGURATIONS:
        for rule in request.get(field) or []:
            path = rule.get("S3OutputPath") or (request.get("OutputDataConfig") or {}).get("S3OutputPath")
            if path:
                rule_name = rule["RuleConfigurationName"]
                outputs.append((f"{path.rstrip('/')}/{name}/rule-output/{rule_name}/emulator.json", "rule-output"))
    return outputs
