"""fit(inputs=...) and model_uri: the InputDataConfig channels, as sagemaker.job._Job builds them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from .errors import Problems
from .fields import ObjectReader, join, json_type
from .locations import Reachability, check_s3_uri
from .validation import check

TRAINING_INPUT_KEYS = (
    "s3_data",
    "distribution",
    "compression",
    "content_type",
    "record_wrapping",
    "s3_data_type",
    "input_mode",
    "attribute_names",
    "target_attribute_name",
    "instance_groups",
    "shuffle_config",
)
FILE_SYSTEM_INPUT_KEYS = (
    "file_system_id",
    "file_system_type",
    "directory_path",
    "file_system_access_mode",
    "content_type",
)
# sagemaker.inputs.FILE_SYSTEM_TYPES / FILE_SYSTEM_ACCESS_MODES: the SDK accepts only these.
FILE_SYSTEM_TYPES = ("FSxLustre", "EFS")
FILE_SYSTEM_ACCESS_MODES = ("ro", "rw")
# The channel name fit() gives a single input (sagemaker.job._Job._format_inputs_to_input_config).
DEFAULT_CHANNEL = "training"
MODEL_CONTENT_TYPE = "application/x-sagemaker-model"

_CHANNEL = "InputDataConfig[]"
_S3_SOURCE = "InputDataConfig[].DataSource.S3DataSource"
_FS_SOURCE = "InputDataConfig[].DataSource.FileSystemDataSource"
_INPUT_FORMS = "an S3 URI string, a TrainingInput object (with s3_data), a FileSystemInput object (with file_system_id)"


@dataclass
class Channels:
    """The channels read from `inputs` (and model_uri), in the SDK's order."""

    config: list[dict[str, object]] | None = None
    uses_file_system: bool = False
    # fit() with one TrainingInput that sets input_mode makes it the job's TrainingInputMode too.
    training_input_mode: str | None = None
    names: list[str] = dataclass_field(default_factory=list)
    # (field, names) for each TrainingInput that sets instance_groups: checked against the job's groups.
    instance_groups: list[tuple[str, list[str]]] = dataclass_field(default_factory=list)


def read_inputs(value: object, problems: Problems, reach: Reachability) -> Channels:
    channels = Channels()
    if value is None:
        return channels
    if isinstance(value, str) or _is_single_input(value):
        named: Mapping[str, object] = {DEFAULT_CHANNEL: value}
        single = True
    elif isinstance(value, dict):
        named = value
        single = False
    else:
        problems.add(
            "inputs",
            value,
            f"must be {_INPUT_FORMS}, or an object mapping channel names to those; not {json_type(value)}",
        )
        return channels
    channels.config = []
    for name, item in named.items():
        field = "inputs" if single else join("inputs", name)
        if not single:
            check(problems, field, name, f"{_CHANNEL}.ChannelName")
        channel = _read_channel(item, field, problems, reach, channels)
        if channel is not None:
            channel["ChannelName"] = name
            channels.config.append(channel)
            channels.names.append(name)
    if single and isinstance(value, dict) and channels.config:
        mode = channels.config[0].get("InputMode")
        channels.training_input_mode = mode if isinstance(mode, str) else None
    return channels


def add_model_channel(
    channels: Channels, model_uri: str | None, channel_name: str, problems: Problems, reach: Reachability
) -> None:
    """sagemaker.job._Job._prepare_channel for model_uri: a File-mode channel after the inputs."""
    if model_uri is None:
        return
    check(problems, "model_channel_name", channel_name, f"{_CHANNEL}.ChannelName")
    if channel_name in channels.names:
        problems.add("model_channel_name", channel_name, "must differ from the input channel names (duplicate channel)")
    if not check_s3_uri(problems, "model_uri", model_uri):
        return
    check(problems, "model_uri", model_uri, f"{_S3_SOURCE}.S3Uri")
    reach.reads("model_uri", model_uri)
    channel = _s3_channel(model_uri, distribution="FullyReplicated")
    channel["ContentType"] = MODEL_CONTENT_TYPE
    channel["InputMode"] = "File"
    channel["ChannelName"] = channel_name
    channels.config = (channels.config or []) + [channel]
    channels.names.append(channel_name)


def _is_single_input(value: object) -> bool:
    return isinstance(value, dict) and ("s3_data" in value or "file_system_id" in value)


def _s3_channel(uri: str, *, distribution: str | None, s3_data_type: str = "S3Prefix") -> dict[str, object]:
    source: dict[str, object] = {"S3DataType": s3_data_type, "S3Uri": uri}
    if distribution is not None:
        source["S3DataDistributionType"] = distribution
    return {"DataSource": {"S3DataSource": source}}


def _read_channel(
    item: object, field: str, problems: Problems, reach: Reachability, channels: Channels
) -> dict[str, object] | None:
    if isinstance(item, str):
        if not check_s3_uri(problems, field, item):
            return None
        check(problems, field, item, f"{_S3_SOURCE}.S3Uri")
        reach.reads(field, item)
        return _s3_channel(item, distribution="FullyReplicated")
    if isinstance(item, dict) and "file_system_id" in item and "s3_data" not in item:
        channels.uses_file_system = True
        return _read_file_system_input(item, field, problems)
    if isinstance(item, dict) and "s3_data" in item:
        config = _read_training_input(item, field, problems, reach)
        groups = config["DataSource"]["S3DataSource"].get("InstanceGroupNames") if config else None  # type: ignore[index]
        if groups is not None:
            channels.instance_groups.append((join(field, "instance_groups"), groups))
        return config
    if item is None:
        problems.add(field, item, "must not be null")
    else:
        problems.add(field, item, f"must be {_INPUT_FORMS}")
    return None


def _read_training_input(
    item: Mapping[str, object], field: str, problems: Problems, reach: Reachability
) -> dict[str, object] | None:
    """sagemaker.inputs.TrainingInput(**item).config"""
    reader = ObjectReader(item, field, problems, TRAINING_INPUT_KEYS)
    s3_data = reader.string("s3_data", required=True)
    if s3_data is not None and check_s3_uri(problems, reader.field("s3_data"), s3_data):
        check(problems, reader.field("s3_data"), s3_data, f"{_S3_SOURCE}.S3Uri")
        reach.reads(reader.field("s3_data"), s3_data)
    distribution = _enum(reader, "distribution", f"{_S3_SOURCE}.S3DataDistributionType")
    s3_data_type = _enum(reader, "s3_data_type", f"{_S3_SOURCE}.S3DataType")
    target = _no_target_attribute(reader, problems)
    config = _s3_channel(
        s3_data or "",
        distribution=distribution if (distribution or target) else "FullyReplicated",
        s3_data_type=s3_data_type or "S3Prefix",
    )
    source = config["DataSource"]["S3DataSource"]  # type: ignore[index]
    optional: dict[str, object] = {
        "CompressionType": _enum(reader, "compression", f"{_CHANNEL}.CompressionType"),
        "ContentType": _checked_string(reader, "content_type", f"{_CHANNEL}.ContentType"),
        "RecordWrapperType": _enum(reader, "record_wrapping", f"{_CHANNEL}.RecordWrapperType"),
    }
    instance_groups = _checked_list(reader, "instance_groups", f"{_S3_SOURCE}.InstanceGroupNames")
    optional["InputMode"] = _enum(reader, "input_mode", f"{_CHANNEL}.InputMode")
    attribute_names = _checked_list(reader, "attribute_names", f"{_S3_SOURCE}.AttributeNames")
    optional["ShuffleConfig"] = _shuffle_config(reader)
    source.update(
        {
            k: v
            for k, v in (("InstanceGroupNames", instance_groups), ("AttributeNames", attribute_names))
            if v is not None
        }
    )
    config.update({key: value for key, value in optional.items() if value is not None})
    return config if s3_data is not None else None


def _no_target_attribute(reader: ObjectReader, problems: Problems) -> str | None:
    """The SDK sends TargetAttributeName, which CreateTrainingJob channels do not have: an error here."""
    target = reader.string("target_attribute_name")
    if target is not None:
        problems.add(
            reader.field("target_attribute_name"),
            target,
            "is for AutoML jobs; CreateTrainingJob channels have no target attribute",
        )
    return target


def _checked_string(reader: ObjectReader, key: str, path: str) -> str | None:
    value = reader.string(key)
    if value is not None and check(reader.problems, reader.field(key), value, path):
        return value
    return None


def _checked_list(reader: ObjectReader, key: str, path: str) -> list[str] | None:
    values = reader.string_list(key)
    if values is not None:
        _check_items(reader.problems, reader.field(key), values, path)
    return values


def _shuffle_config(reader: ObjectReader) -> dict[str, object] | None:
    shuffle = reader.obj("shuffle_config")
    if shuffle is None:
        return None
    field = reader.field("shuffle_config")
    seed = ObjectReader(shuffle, field, reader.problems, ("seed",)).integer("seed", required=True)
    if seed is not None and check(reader.problems, join(field, "seed"), seed, f"{_CHANNEL}.ShuffleConfig.Seed"):
        return {"Seed": seed}
    return None


def _read_file_system_input(item: Mapping[str, object], field: str, problems: Problems) -> dict[str, object] | None:
    """sagemaker.inputs.FileSystemInput(**item).config"""
    reader = ObjectReader(item, field, problems, FILE_SYSTEM_INPUT_KEYS)
    file_system_id = reader.string("file_system_id", required=True)
    if file_system_id is not None:
        check(problems, reader.field("file_system_id"), file_system_id, f"{_FS_SOURCE}.FileSystemId")
    # The SDK's FileSystemInput takes file_system_type and directory_path as required arguments.
    file_system_type = reader.string("file_system_type", required=True)
    if file_system_type is not None and file_system_type not in FILE_SYSTEM_TYPES:
        problems.add(
            reader.field("file_system_type"), file_system_type, f"must be one of {', '.join(FILE_SYSTEM_TYPES)}"
        )
    directory_path = reader.string("directory_path", required=True)
    if directory_path is not None:
        check(problems, reader.field("directory_path"), directory_path, f"{_FS_SOURCE}.DirectoryPath")
    access_mode = reader.string("file_system_access_mode")
    if access_mode is not None and access_mode not in FILE_SYSTEM_ACCESS_MODES:
        problems.add(
            reader.field("file_system_access_mode"),
            access_mode,
            f"must be one of {', '.join(FILE_SYSTEM_ACCESS_MODES)}",
        )
    config: dict[str, object] = {
        "DataSource": {
            "FileSystemDataSource": {
                "FileSystemId": file_system_id,
                "FileSystemType": file_system_type,
                "DirectoryPath": directory_path,
                "FileSystemAccessMode": access_mode or "ro",
            }
        }
    }
    content_type = reader.string("content_type")
    if content_type and check(problems, reader.field("content_type"), content_type, f"{_CHANNEL}.ContentType"):
        config["ContentType"] = content_type
    return config


def _enum(reader: ObjectReader, key: str, path: str) -> str | None:
    value = reader.string(key)
    if value is not None and check(reader.problems, reader.field(key), value, path):
        return value
    return None


def _check_items(problems: Problems, field: str, values: list[str], path: str) -> None:
    check(problems, field, values, path)
    for index, value in enumerate(values):
        check(problems, f"{field}[{index}]", value, f"{path}[]")
