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


@pytest.fixture(scope="session")
def platform() -> FakePlatform:
    return fake_platform({})


@pytest.fixture(scope="session")
def vpc_platform() -> FakePlatform:
    return fake_platform(VPC_AND_EXTRA_BUCKET)
