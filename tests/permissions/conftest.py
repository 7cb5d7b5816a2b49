"""This checkout deployed in a fake account, once per test process: with cdk.json's settings, and with the
settings that add a VPC and an extra readable bucket (which add grants)."""

from __future__ import annotations

import pytest

from permissions.fake_platform import FakePlatform, fake_platform

# -c settings away from cdk.json's that change the execution role's grants.
VPC_AND_EXTRA_BUCKET = {
    "vpc_subnet_ids": "subnet-0123abcd,subnet-4567cdef",
    "vpc_security_group_ids": "sg-0123abcd",
    "extra_readable_buckets": "team-datasets",
}


# -c settings that set every guardrail and turn every capability on (the image push request's type allowed).
GUARDRAILS_AND_CAPABILITIES = {
    "allowed_instance_types": "ml.m5.large,ml.g5.xlarge",
    "max_instance_count": "4",
    "max_run_seconds": "14400",
    "max_keep_alive_seconds": "600",
    "allow_remote_debug": "true",
    "allow_session_tag_chaining": "true",
    "training_repository_credentials_providers": "arn:aws:lambda:eu-west-1:123456789012:function:registry-credentials",
    "training_plans": "arn:aws:sagemaker:eu-west-1:123456789012:training-plan/p5-week",
}


@pytest.fixture(scope="session")
def platform() -> FakePlatform:
    return fake_platform({})


@pytest.fixture(scope="session")
def vpc_platform() -> FakePlatform:
    return fake_platform(VPC_AND_EXTRA_BUCKET)


@pytest.fixture(scope="session")
def guarded_platform() -> FakePlatform:
    return fake_platform(GUARDRAILS_AND_CAPABILITIES)
