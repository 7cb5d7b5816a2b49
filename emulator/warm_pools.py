"""SageMaker managed warm pools, as AWS's guide to them describes them ("SageMaker AI managed warm pools").

A job whose `ResourceConfig.KeepAlivePeriodInSeconds` is above 0 keeps its instances once it ends with
them healthy (completed, stopped once they were up, or failed in the algorithm): its pool is `Available`
for that many seconds, then `Terminated`. A job created meanwhile whose cluster matches (`Cluster`: the
same role, instance type and count, volume size and key, VPC subnets and security groups,
inter-container traffic encryption and network isolation) takes the pool over: the first job's pool is
`Reused` (`ReusedByJob` the new job), the new job's is `InUse` while it runs, then `Available` for its
own keep-alive period (or `Terminated` at once without one). A pool moves from job to job for at most
MAX_CLUSTER_LIFETIME. `ResourceRetainedBillableTimeInSeconds` is the time a job's pool waited, idle,
after the job ended. UpdateTrainingJob's `ResourceConfig.KeepAlivePeriodInSeconds` changes the period
of an `Available` pool, counted from the job's end (0 terminates it).

Nothing here runs on a timer: a pool's status is read from the times it was given, at the moment asked.
Warm pools are not for heterogeneous clusters (`InstanceGroups`) or managed spot training, as the guide
says: such a job's pool is `Terminated` when it ends, as is the pool of a job whose instances never came
up or whose cluster was not healthy at its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

# How long one cluster may move from job to job (AWS's guide; older versions of it said 7 days).
MAX_CLUSTER_LIFETIME = timedelta(days=28)


class PoolStatus(str, Enum):
    """WarmPoolStatus.Status (botocore's WarmPoolResourceStatus)."""

    AVAILABLE = "Available"
    TERMINATED = "Terminated"
    REUSED = "Reused"
    IN_USE = "InUse"


@dataclass(frozen=True)
class Cluster:
    """What a job must share with the job that left a pool to run on it (the guide's "matching training
    jobs"): all of these are equal, or the pool is not reused."""

    role_arn: str
    instance_type: str
    instance_count: int
    volume_size_in_gb: int | None
    volume_kms_key_id: str | None
    subnets: frozenset[str]
    security_group_ids: frozenset[str]
    inter_container_traffic_encryption: bool
    network_isolation: bool

    @classmethod
    def of(cls, request: Mapping[str, Any]) -> Cluster | None:
        """The cluster of a CreateTrainingJob request; None for one that cannot have a warm pool
        (a heterogeneous cluster, managed spot training)."""
        resources = request.get("ResourceConfig") or {}
        if resources.get("InstanceGroups") or request.get("EnableManagedSpotTraining"):
            return None
        vpc = request.get("VpcConfig") or {}
        return cls(
            role_arn=str(request.get("RoleArn")),
            instance_type=str(resources.get("InstanceType")),
            instance_count=int(resources.get("InstanceCount") or 1),
            volume_size_in_gb=resources.get("VolumeSizeInGB"),
            volume_kms_key_id=resources.get("VolumeKmsKeyId") or None,
            subnets=frozenset(vpc.get("Subnets") or ()),
            security_group_ids=frozenset(vpc.get("SecurityGroupIds") or ()),
            inter_container_traffic_encryption=bool(request.get("EnableInterContainerTrafficEncryption")),
            network_isolation=bool(request.get("EnableNetworkIsolation")),
        )


def keep_alive_of(request: Mapping[str, Any]) -> int:
    return int((request.get("ResourceConfig") or {}).get("KeepAlivePeriodInSeconds") or 0)


@dataclass
class WarmPool:
    """One job's warm pool: the instances it ran on, from its creation (InUse if they came from another
    job's pool) until they moved to another job, were terminated, or outlived the keep-alive period.

    Callers serialise access (the registry's lock); every method takes the moment it acts at."""

    cluster: Cluster | None  # None: this job's instances can never be a warm pool
    keep_alive: int  # seconds, as requested or updated
    launched: datetime  # when the cluster was first launched, for MAX_CLUSTER_LIFETIME
    reused: bool = False  # the job runs on another job's pool
    retained_since: datetime | None = None  # the job ended with its instances kept
    released_at: datetime | None = None  # the pool ended early: reused by another job, or terminated
    reused_by: str | None = None
    ended: bool = False  # the job has ended

    @classmethod
    def for_request(cls, request: Mapping[str, Any], now: datetime) -> WarmPool | None:
        """The pool a new job will have, if it asks for one (a taken-over pool: see take_over)."""
        if keep_alive_of(request) <= 0:
            return None
        return cls(cluster=Cluster.of(request), keep_alive=keep_alive_of(request), launched=now)

    def take_over(self, job_name: str, request: Mapping[str, Any], now: datetime) -> WarmPool:
        """This Available pool moves to the new job `job_name`: its own pool, InUse."""
        self.reused_by = job_name
        self.released_at = now
        return WarmPool(self.cluster, keep_alive_of(request), self.launched, reused=True)

    def job_ended(self, instances_healthy: bool, now: datetime) -> None:
        """The job ended; its pool is retained if it asked for one and its instances are fit for reuse."""
        self.ended = True
        if instances_healthy and self.cluster is not None and self.keep_alive > 0:
            self.retained_since = now
        else:
            self.released_at = now

    def update_keep_alive(self, seconds: int, now: datetime) -> None:
        """UpdateTrainingJob on an Available pool: a new keep-alive period, counted from the job's end
        (0 terminates the pool)."""
        if seconds == 0:
            self.released_at = now
        else:
            self.keep_alive = seconds

    def available(self, now: datetime) -> bool:
        return self.status(now) == PoolStatus.AVAILABLE.value

    def matches(self, cluster: Cluster | None, now: datetime) -> bool:
        """An Available pool of this cluster, young enough for one more job."""
        return (
            cluster is not None
            and cluster == self.cluster
            and now - self.launched < MAX_CLUSTER_LIFETIME
            and self.available(now)
        )

    def status(self, now: datetime) -> str | None:
        """WarmPoolStatus.Status now; None while a job that did not reuse a pool runs (it has none yet)."""
        if self.reused_by is not None:
            return PoolStatus.REUSED.value
        if not self.ended:
            return PoolStatus.IN_USE.value if self.reused else None
        if self.released_at is not None or self.retained_since is None:
            return PoolStatus.TERMINATED.value
        return PoolStatus.AVAILABLE.value if now < self._expiry() else PoolStatus.TERMINATED.value

    def retained_seconds(self, now: datetime) -> int:
        """ResourceRetainedBillableTimeInSeconds: how long the pool waited after the job, until now or its end."""
        if self.retained_since is None:
            return 0
        end = min(moment for moment in (now, self.released_at, self._expiry()) if moment is not None)
        return max(0, round((end - self.retained_since).total_seconds()))

    def describe(self, now: datetime) -> dict[str, Any] | None:
        """DescribeTrainingJob's WarmPoolStatus, or None when the job has none to show."""
        status = self.status(now)
        if status is None:
            return None
        described: dict[str, Any] = {"Status": status}
        if status != PoolStatus.IN_USE.value:
            described["ResourceRetainedBillableTimeInSeconds"] = self.retained_seconds(now)
        if self.reused_by is not None:
            described["ReusedByJob"] = self.reused_by
        return described

    def _expiry(self) -> datetime:
        assert self.retained_since is not None
        return self.retained_since + timedelta(seconds=self.keep_alive)


def pool_for_new_job(
    job_name: str, request: Mapping[str, Any], pools: Iterable[WarmPool], now: datetime
) -> WarmPool | None:
    """The pool of a job being created: taken over from a matching Available pool (the oldest), else its own
    if it asks for one, else None."""
    cluster = Cluster.of(request)
    found = [pool for pool in pools if pool.matches(cluster, now)]
    if found:
        oldest = min(found, key=lambda pool: pool.retained_since or now)
        return oldest.take_over(job_name, request, now)
    return WarmPool.for_request(request, now)


__all__ = ["MAX_CLUSTER_LIFETIME", "Cluster", "PoolStatus", "WarmPool", "keep_alive_of", "pool_for_new_job"]
