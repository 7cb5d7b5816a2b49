"""The emulator's warm pools (emulator/warm_pools.py): which jobs match, and the statuses a pool goes
through, at chosen moments (no clock, no threads). The pools in the running emulator, through boto3 and
the SageMaker SDK: tests/integration/test_adapters_sagemaker_warm_pools.py."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emulator.training_jobs import instance_types
from emulator.warm_pools import MAX_CLUSTER_LIFETIME, Cluster, WarmPool, pool_for_new_job

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def request(keep_alive: int | None = 60, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "TrainingJobName": "first",
        "RoleArn": "arn:aws:iam::123456789012:role/training",
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30},
        "VpcConfig": {"Subnets": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]},
    }
    if keep_alive is not None:
        body["ResourceConfig"]["KeepAlivePeriodInSeconds"] = keep_alive
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return body


def available_pool(keep_alive: int = 60, ended_at: float = 10) -> WarmPool:
    pool = WarmPool.for_request(request(keep_alive), at(0))
    assert pool is not None
    pool.job_ended(instances_healthy=True, now=at(ended_at))
    return pool


# Matching ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {"RoleArn": "arn:aws:iam::123456789012:role/other"},
        {"ResourceConfig__InstanceType": "ml.m5.2xlarge"},
        {"ResourceConfig__InstanceCount": 1},
        {"ResourceConfig__VolumeSizeInGB": 31},
        {"ResourceConfig__VolumeKmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/k"},
        {"VpcConfig__Subnets": ["subnet-1"]},
        {"VpcConfig__SecurityGroupIds": ["sg-2"]},
        {"EnableInterContainerTrafficEncryption": True},
        {"EnableNetworkIsolation": True},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_job_differing_in_any_matching_value_does_not_take_the_pool(change: dict[str, Any]) -> None:
    pool = available_pool()
    new = pool_for_new_job("second", request(**change), [pool], at(20))
    assert new is not None and not new.reused
    assert pool.describe(at(20)) == {"Status": "Available", "ResourceRetainedBillableTimeInSeconds": 10}


def test_what_does_not_decide_a_match_is_free_to_differ() -> None:
    """Hyperparameters, image, keep-alive, subnet order, the false flags SageMaker fills in: the pool moves."""
    pool = available_pool()
    other = request(keep_alive=None, HyperParameters={"epochs": "3"}, EnableNetworkIsolation=False)
    other["VpcConfig"]["Subnets"].reverse()
    new = pool_for_new_job("second", other, [pool], at(20))
    assert new is not None and new.reused
    assert pool.describe(at(25)) == {
        "Status": "Reused",
        "ResourceRetainedBillableTimeInSeconds": 10,
        "ReusedByJob": "second",
    }


@pytest.mark.parametrize(
    "body",
    [
        request(
            ResourceConfig={
                "InstanceGroups": [{"InstanceGroupName": "a", "InstanceType": "ml.m5.xlarge", "InstanceCount": 2}],
                "KeepAlivePeriodInSeconds": 60,
            }
        ),
        request(EnableManagedSpotTraining=True),
    ],
    ids=["heterogeneous cluster", "managed spot training"],
)
def test_heterogeneous_and_spot_jobs_keep_no_pool_and_take_none(body: dict[str, Any]) -> None:
    assert Cluster.of(body) is None
    pool = available_pool()
    own = pool_for_new_job("second", body, [pool], at(20))
    assert own is not None and not own.reused
    own.job_ended(instances_healthy=True, now=at(30))
    assert own.describe(at(31)) == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 0}
    assert pool.available(at(31))


def test_of_several_matching_pools_the_one_waiting_longest_is_taken() -> None:
    later, earlier = available_pool(ended_at=15), available_pool(ended_at=5)
    new = pool_for_new_job("third", request(), [later, earlier], at(20))
    assert new is not None and new.reused
    assert (earlier.status(at(20)), later.status(at(20))) == ("Reused", "Available")


def test_a_cluster_moves_from_job_to_job_for_at_most_its_lifetime() -> None:
    pool = available_pool()
    pool.launched = at(20) - MAX_CLUSTER_LIFETIME
    assert not pool.matches(Cluster.of(request()), at(20))
    pool.launched = at(21) - MAX_CLUSTER_LIFETIME
    assert pool.matches(Cluster.of(request()), at(20))


# Statuses ---------------------------------------------------------------------------------------------
def test_a_pool_is_available_for_its_keep_alive_period_after_the_job_then_terminated() -> None:
    pool = WarmPool.for_request(request(keep_alive=60), at(0))
    assert pool is not None
    assert pool.describe(at(5)) is None  # a job that did not reuse a pool shows none while it runs
    pool.job_ended(instances_healthy=True, now=at(10))
    assert pool.describe(at(40)) == {"Status": "Available", "ResourceRetainedBillableTimeInSeconds": 30}
    assert pool.describe(at(69.9))["Status"] == "Available"  # type: ignore[index]
    assert pool.describe(at(500)) == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 60}


def test_a_job_without_keep_alive_has_no_pool() -> None:
    assert WarmPool.for_request(request(keep_alive=None), at(0)) is None
    assert WarmPool.for_request(request(keep_alive=0), at(0)) is None


def test_instances_that_never_came_up_leave_a_terminated_pool() -> None:
    pool = WarmPool.for_request(request(), at(0))
    assert pool is not None
    pool.job_ended(instances_healthy=False, now=at(10))
    assert pool.describe(at(11)) == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 0}
    assert pool_for_new_job("second", request(), [pool], at(11)).reused is False  # type: ignore[union-attr]


def test_the_reusing_job_shows_in_use_then_its_own_keep_alive() -> None:
    first = available_pool(keep_alive=60)
    second = pool_for_new_job("second", request(keep_alive=5), [first], at(20))
    assert second is not None
    assert second.describe(at(25)) == {"Status": "InUse"}
    second.job_ended(instances_healthy=True, now=at(30))
    assert second.describe(at(32)) == {"Status": "Available", "ResourceRetainedBillableTimeInSeconds": 2}
    assert second.describe(at(40)) == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 5}
    assert second.launched == first.launched  # the same cluster


def test_a_reusing_job_without_keep_alive_spins_the_pool_down_when_it_ends() -> None:
    second = pool_for_new_job("second", request(keep_alive=None), [available_pool()], at(20))
    assert second is not None and second.describe(at(21)) == {"Status": "InUse"}
    second.job_ended(instances_healthy=True, now=at(30))
    assert second.describe(at(31)) == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 0}


def test_update_changes_the_period_from_the_jobs_end_and_zero_terminates() -> None:
    pool = available_pool(keep_alive=60, ended_at=10)
    pool.update_keep_alive(100, at(50))
    assert pool.describe(at(100))["Status"] == "Available"  # type: ignore[index]
    assert pool.describe(at(200)) == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 100}
    pool = available_pool(keep_alive=60, ended_at=10)
    pool.update_keep_alive(0, at(30))
    assert pool.describe(at(31)) == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 20}


# Hosts of a heterogeneous cluster ----------------------------------------------------------------------
def test_hosts_are_numbered_over_all_instance_groups() -> None:
    groups = [
        {"InstanceGroupName": "data", "InstanceType": "ml.c5.xlarge", "InstanceCount": 2},
        {"InstanceGroupName": "train", "InstanceType": "ml.g5.xlarge", "InstanceCount": 1},
    ]
    assert instance_types({"ResourceConfig": {"InstanceGroups": groups}}) == [
        "ml.c5.xlarge",
        "ml.c5.xlarge",
        "ml.g5.xlarge",
    ]
    assert instance_types(copy.deepcopy(request())) == ["ml.m5.xlarge", "ml.m5.xlarge"]
