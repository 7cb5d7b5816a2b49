"""What the job's cluster is beyond one instance type: instance_groups (a heterogeneous cluster),
keep_alive_period_in_seconds (a warm pool), training_plan and instance_placement_config; the ResourceConfig
members sagemaker.job._Job._prepare_resource_config builds from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import Problems
from .fields import ObjectReader
from .validation import check

CLUSTER_KEYS = ("instance_groups", "keep_alive_period_in_seconds", "training_plan", "instance_placement_config")
INSTANCE_GROUP_KEYS = ("instance_group_name", "instance_type", "instance_count")
PLACEMENT_KEYS = ("EnableMultipleJobs", "PlacementSpecifications")
PLACEMENT_SPECIFICATION_KEYS = ("UltraServerId", "InstanceCount")
_GROUP_SHAPE = '{"instance_group_name", "instance_type", "instance_count"}'
_RESOURCES = "ResourceConfig"
_GROUP = f"{_RESOURCES}.InstanceGroups[]"
_PLACEMENT = f"{_RESOURCES}.InstancePlacementConfig"


@dataclass(frozen=True)
class Cluster:
    instance_groups: list[dict[str, object]] | None  # ResourceConfig.InstanceGroups, or None for one type
    keep_alive: int | None
    training_plan: str | None
    placement: dict[str, object] | None

    @property
    def group_names(self) -> list[str]:
        return [str(group["InstanceGroupName"]) for group in self.instance_groups or ()]

    def resource_config(
        self,
        volume_size: int | None,
        volume_kms_key: str | None,
        instance_count: int | None,
        instance_type: str | None,
    ) -> dict[str, object]:
        """ResourceConfig in the SDK's order: volume, keep-alive, the groups or the one type, plan, placement."""
        config: dict[str, object] = {"VolumeSizeInGB": volume_size}
        if volume_kms_key is not None:
            config["VolumeKmsKeyId"] = volume_kms_key
        if self.keep_alive is not None:
            config["KeepAlivePeriodInSeconds"] = self.keep_alive
        if self.instance_groups is not None:
            config["InstanceGroups"] = self.instance_groups
        else:
            config["InstanceCount"] = instance_count
            config["InstanceType"] = instance_type
        if self.training_plan is not None:
            config["TrainingPlanArn"] = self.training_plan
        if self.placement is not None:
            config["InstancePlacementConfig"] = self.placement
        return config


def read_cluster(reader: ObjectReader, problems: Problems) -> Cluster:
    keep_alive = reader.integer("keep_alive_period_in_seconds")
    if keep_alive is not None and not check(
        problems, "keep_alive_period_in_seconds", keep_alive, f"{_RESOURCES}.KeepAlivePeriodInSeconds"
    ):
        keep_alive = None
    training_plan = reader.string("training_plan")
    if training_plan is not None:
        check(problems, "training_plan", training_plan, f"{_RESOURCES}.TrainingPlanArn")
    return Cluster(
        instance_groups=_instance_groups(reader, problems),
        keep_alive=keep_alive,
        training_plan=training_plan,
        placement=_placement(reader, problems),
    )


def _instance_groups(reader: ObjectReader, problems: Problems) -> list[dict[str, object]] | None:
    """sagemaker.instance_group.InstanceGroup(**group)._to_request_dict() for each group; names are unique."""
    groups = reader.object_list("instance_groups", INSTANCE_GROUP_KEYS, _GROUP_SHAPE)
    if groups is None:
        return None
    result: list[dict[str, object]] = []
    seen: set[str] = set()
    for group in groups:
        name = group.string("instance_group_name", required=True)
        instance_type = group.string("instance_type", required=True)
        count = group.integer("instance_count", required=True)
        if name is not None and check(
            problems, group.field("instance_group_name"), name, f"{_GROUP}.InstanceGroupName"
        ):
            if name in seen:
                problems.add(group.field("instance_group_name"), name, "must differ from the other groups' names")
            seen.add(name)
        if instance_type is not None:
            check(problems, group.field("instance_type"), instance_type, f"{_GROUP}.InstanceType")
        if count is not None:
            check(problems, group.field("instance_count"), count, f"{_GROUP}.InstanceCount")
        result.append({"InstanceGroupName": name, "InstanceType": instance_type, "InstanceCount": count})
    if not result:
        problems.add("instance_groups", [], "must list at least one instance group (or leave it out)")
    check(problems, "instance_groups", result, f"{_RESOURCES}.InstanceGroups")
    return result


def check_single_type_arguments(reader: ObjectReader, cluster: Cluster, problems: Problems) -> None:
    """instance_type and instance_count describe a one-type cluster: with instance_groups they are an error
    (the SDK raises ValueError at fit())."""
    if cluster.instance_groups is None:
        return
    for key in ("instance_type", "instance_count"):
        if reader.present(key):
            problems.add(
                key,
                reader.raw(key),
                "cannot be set with instance_groups: each group gives its own instance_type and instance_count",
            )


def check_channel_groups(channel_groups: Iterable[tuple[str, list[str]]], cluster: Cluster, problems: Problems) -> None:
    """A channel's instance_groups must name groups of the job's instance_groups."""
    known = cluster.group_names
    for field, names in channel_groups:
        for index, name in enumerate(names):
            if name in known:
                continue
            rule = (
                f"must name one of the job's instance_groups ({', '.join(known)})"
                if known
                else "names an instance group, but the job has no instance_groups"
            )
            problems.add(f"{field}[{index}]", name, rule)


def _placement(reader: ObjectReader, problems: Problems) -> dict[str, object] | None:
    """instance_placement_config is API-cased and passed as it is, as the SDK does; its members are checked."""
    value = reader.obj("instance_placement_config")
    if value is None:
        return None
    placement = ObjectReader(value, "instance_placement_config", problems, PLACEMENT_KEYS)
    placement.boolean("EnableMultipleJobs")
    specifications = placement.object_list(
        "PlacementSpecifications", PLACEMENT_SPECIFICATION_KEYS, '{"UltraServerId", "InstanceCount"}'
    )
    for specification in specifications or ():
        server = specification.string("UltraServerId")
        if server is not None:
            check(
                problems,
                specification.field("UltraServerId"),
                server,
                f"{_PLACEMENT}.PlacementSpecifications[].UltraServerId",
            )
        count = specification.integer("InstanceCount", required=True)
        if count is not None:
            check(
                problems,
                specification.field("InstanceCount"),
                count,
                f"{_PLACEMENT}.PlacementSpecifications[].InstanceCount",
            )
    if specifications is not None:
        check(
            problems,
            placement.field("PlacementSpecifications"),
            value["PlacementSpecifications"],
            f"{_PLACEMENT}.PlacementSpecifications",
        )
    return dict(placement.data)
