"""build_training_job: an execution input (Estimator(...) + fit() keyword arguments as JSON) becomes the
CreateTrainingJob request the SageMaker Python SDK 2.x sends, plus the platform's deliberate differences (the
stack's defaults, the cost tag, generated job names, checkpoints for spot training).

Field order and presence follow sagemaker.session.Session._get_train_request."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from .cluster import CLUSTER_KEYS, Cluster, check_channel_groups, check_single_type_arguments, read_cluster
from .container import CONTAINER_KEYS, PRIVATE_REGISTRY_MODE, container_settings
from .debugger import debugger_settings, read_rules
from .defaults import PlatformDefaults
from .errors import InvalidTrainingInput, Problems
from .fields import ObjectReader, join, json_type, text_of
from .guardrails import check_guardrails
from .image_repositories import repository_of_image
from .inputs import Channels, add_model_channel, read_inputs
from .instance_storage import has_local_storage
from .job_features import FEATURE_KEYS, JobFeatures, read_job_features
from .job_name import BASE_NAME_PATTERN, base_name_from_image, name_from_base
from .locations import Reachability, check_s3_uri, s3_join
from .script_mode import SCRIPT_MODE_KEYS, ScriptMode, add_code_channel, read_script_mode
from .tags import read_tags
from .validation import check, check_map, check_request

ESTIMATOR_KEYS = (
    "image_uri", "role", "instance_count", "instance_type", "volume_size", "volume_kms_key", "max_run",
    "input_mode", "output_path", "output_kms_key", "base_job_name", "hyperparameters", "tags", "subnets",
    "security_group_ids", "model_uri", "model_channel_name", "metric_definitions",
    "encrypt_inter_container_traffic", "use_spot_instances", "max_wait", "checkpoint_s3_uri",
    "checkpoint_local_path", "enable_network_isolation", "rules", "debugger_hook_config",
    "tensorboard_output_config", "enable_sagemaker_metrics", "profiler_config", "disable_profiler",
    "environment", "max_retry_attempts",
    *CONTAINER_KEYS, *FEATURE_KEYS, *CLUSTER_KEYS, *SCRIPT_MODE_KEYS,
)  # fmt: skip
FIT_KEYS = ("inputs", "job_name", "experiment_config", "wait", "logs")
KNOWN_KEYS = ESTIMATOR_KEYS + FIT_KEYS

EXPERIMENT_KEYS = ("ExperimentName", "TrialName", "TrialComponentDisplayName", "RunName")
METRIC_KEYS = ("Name", "Regex")
LOG_CHOICES = ("All", "None", "Training", "Rules")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ROLE_ACCOUNT = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/")


@dataclass(frozen=True)
class TrainingJob:
    request: dict[str, object]  # CreateTrainingJob parameters, as boto3's create_training_job(**request) takes
    job_name: str  # == request["TrainingJobName"]
    wait: bool  # fit(wait=...)


def build_training_job(
    execution_input: object,
    *,
    region: str,
    defaults: PlatformDefaults = PlatformDefaults(),
    now: datetime | None = None,
) -> TrainingJob:
    """The CreateTrainingJob request for an execution input; raises InvalidTrainingInput listing every problem."""
    problems = Problems()
    try:
        job = _build(execution_input, region, defaults, now or datetime.now(UTC), problems)
    except RecursionError:
        problems.add("input", "<nested too deeply>", "must not nest this deeply")
        job = None
    problems.raise_if_any()
    if job is None:  # pragma: no cover - every path to None records a problem
        raise InvalidTrainingInput([])
    return job


def _build(
    data: object, region: str, defaults: PlatformDefaults, now: datetime, problems: Problems
) -> TrainingJob | None:
    if not isinstance(region, str) or not _REGION.match(region):
        problems.add("region", region, "must be an AWS region name such as eu-west-1")
        return None
    if not isinstance(data, dict):
        problems.add("input", data, f"must be a JSON object of Estimator and fit() arguments, not {json_type(data)}")
        return None
    reader = ObjectReader(data, "", problems, KNOWN_KEYS)
    reach = Reachability(defaults)
    request = _request(reader, region, defaults, now, problems, reach)
    wait = reader.boolean("wait")
    _logs(reader, problems)
    reach.check(problems)
    check_guardrails(request, defaults.guardrails, problems)
    if not problems:
        check_request(problems, request)
    job_name = request["TrainingJobName"]
    assert isinstance(job_name, str)  # _job_name always gives one
    return TrainingJob(request=request, job_name=job_name, wait=True if wait is None else wait)


def _request(
    reader: ObjectReader,
    region: str,
    defaults: PlatformDefaults,
    now: datetime,
    problems: Problems,
    reach: Reachability,
) -> dict[str, object]:
    """The request's members in the SDK's order; a member whose argument is not given is left out.

    Problems are reported in the order the arguments are read: first what several members use (image, role,
    output path, resources, channels, VPC, job name) and the Debugger settings, then each member in turn.
    """
    image_uri = _image_uri(reader, defaults, problems)
    role = _role(reader, defaults, problems)
    output_path = _output_path(reader, defaults, problems, reach)
    resources = _resources(reader, defaults, problems)
    channels = _channels(reader, problems, reach)
    check_channel_groups(channels.instance_groups, resources.cluster, problems)
    features = read_job_features(reader)
    script = read_script_mode(reader, problems, reach)
    isolated = bool(reader.boolean("enable_network_isolation"))
    if script is not None and isolated:
        channels.config = add_code_channel(channels.config, script, problems)
    vpc = _vpc(reader, problems, file_system_channels=channels.uses_file_system)
    job_name = _job_name(reader, image_uri, now, problems)
    debugging = _debugging(reader, region, resources.instance_type, output_path, problems, reach)
    input_mode = channels.training_input_mode or resources.input_mode
    return _given(
        {
            "AlgorithmSpecification": _algorithm_specification(reader, image_uri, input_mode, problems),
            "OutputDataConfig": resources.output_data_config(output_path, features),
            "TrainingJobName": job_name,
            "StoppingCondition": resources.stopping_condition(),
            "ResourceConfig": resources.resource_config(),
            "RoleArn": role,
            "InfraCheckConfig": features.infra_check_config(),
            "InputDataConfig": channels.config,
            "HyperParameters": _hyperparameters(reader, problems, script, job_name, region, isolated) or None,
            "Environment": _environment(reader, problems),
            "Tags": read_tags(reader.raw("tags"), problems),
            "VpcConfig": vpc,
            "ExperimentConfig": _experiment_config(reader, problems) or None,
            "EnableNetworkIsolation": _flag(reader, "enable_network_isolation"),
            "EnableInterContainerTrafficEncryption": _flag(reader, "encrypt_inter_container_traffic"),
            "EnableManagedSpotTraining": True if resources.use_spot else None,
            "CheckpointConfig": _checkpoint(
                reader, _spot_checkpoints(resources.use_spot, defaults, output_path, job_name), problems, reach
            ),
            **debugging,
            "RemoteDebugConfig": features.remote_debug_config(),
            "SessionChainingConfig": features.session_chaining_config(),
            "RetryStrategy": _retry_strategy(reader),
        }
    )


def _given(members: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in members.items() if value is not None}


# -- Where the job comes from and where it goes: image, role, output ----------------------------------------


def _image_uri(reader: ObjectReader, defaults: PlatformDefaults, problems: Problems) -> str | None:
    image_uri = reader.string("image_uri") or defaults.image_uri
    if image_uri is None:
        problems.add("image_uri", None, "is required: no default image is configured")
    elif check(problems, "image_uri", image_uri, "AlgorithmSpecification.TrainingImage") and (
        # An image in a private Docker registry is pulled from the job's VPC, not by the role from ECR.
        reader.raw("training_repository_access_mode") != PRIVATE_REGISTRY_MODE
    ):
        _check_pullable(image_uri, defaults, problems)
    return image_uri


def _check_pullable(image_uri: str, defaults: PlatformDefaults, problems: Problems) -> None:
    """The execution role pulls only from the platform's repository and the extra_image_repositories setting's:
    another image would fail minutes into the job, with an access error."""
    pullable = defaults.image_repositories
    if pullable is not None and repository_of_image(image_uri) not in pullable:
        problems.add(
            "image_uri",
            image_uri,
            "the execution role cannot pull from this repository; it may pull from "
            f"{', '.join(pullable) or 'none'} (add the repository to the extra_image_repositories setting)",
        )


def _role(reader: ObjectReader, defaults: PlatformDefaults, problems: Problems) -> str | None:
    role = reader.string("role") or defaults.role_arn
    if role is None:
        problems.add("role", None, "is required: no default execution role is configured")
        return None
    if "/" not in role:
        # The SDK looks a bare role name up in IAM; here the account comes from the stack's own role.
        account = _ROLE_ACCOUNT.match(defaults.role_arn or "")
        if account is None:
            problems.add("role", role, "must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)")
            return None
        role = f"arn:{account.group(1)}:iam::{account.group(2)}:role/{role}"
    check(problems, "role", role, "RoleArn")
    return role


def _output_path(reader: ObjectReader, defaults: PlatformDefaults, problems: Problems, reach: Reachability) -> str:
    """The user's output path or the stack's; "" when neither is given (a problem is reported)."""
    output_path = reader.string("output_path") or defaults.output_path
    if output_path is None:
        problems.add("output_path", None, "is required: no default output path is configured")
        return ""
    if check_s3_uri(problems, "output_path", output_path):
        check(problems, "output_path", output_path, "OutputDataConfig.S3OutputPath")
        if reader.present("output_path"):
            reach.writes("output_path", output_path)
    return output_path


# -- What the job runs on and for how long: resources, stopping condition, spot ----------------------------


@dataclass(frozen=True)
class _Resources:
    """The Estimator's instance, volume, time-limit, input-mode, encryption-key and spot arguments, checked."""

    instance_type: str | None
    instance_count: int | None
    volume_size: int | None
    max_run: int | None
    max_wait: int | None
    input_mode: str
    volume_kms_key: str | None
    output_kms_key: str | None
    use_spot: bool
    cluster: Cluster

    def resource_config(self) -> dict[str, object]:
        return self.cluster.resource_config(
            self.volume_size, self.volume_kms_key, self.instance_count, self.instance_type
        )

    def stopping_condition(self) -> dict[str, object]:
        condition: dict[str, object] = {"MaxRuntimeInSeconds": self.max_run}
        if self.max_wait:
            condition["MaxWaitTimeInSeconds"] = self.max_wait
        return condition

    def output_data_config(self, output_path: str, features: JobFeatures) -> dict[str, object]:
        config: dict[str, object] = {"S3OutputPath": output_path}
        if self.output_kms_key is not None:
            config["KmsKeyId"] = self.output_kms_key
        if features.output_compression is not None:
            config["CompressionType"] = features.output_compression
        return config


def _resources(reader: ObjectReader, defaults: PlatformDefaults, problems: Problems) -> _Resources:
    cluster = read_cluster(reader, problems)
    one_type = cluster.instance_groups is None  # else the groups give the types and counts
    check_single_type_arguments(reader, cluster, problems)
    instance_type = reader.string("instance_type", required=one_type)
    if instance_type is not None:
        check(problems, "instance_type", instance_type, "ResourceConfig.InstanceType")
    instance_count = _instance_count(reader, problems, required=one_type)
    volume_size = _integer(reader, "volume_size", 30, "ResourceConfig.VolumeSizeInGB")
    # Without max_run: the SDK's day, or the deployment's max_run_seconds when that is shorter.
    max_run = _integer(reader, "max_run", defaults.guardrails.default_max_run, "StoppingCondition.MaxRuntimeInSeconds")
    max_wait = _integer(reader, "max_wait", None, "StoppingCondition.MaxWaitTimeInSeconds")
    input_mode = reader.string("input_mode") or "File"
    check(problems, "input_mode", input_mode, "AlgorithmSpecification.TrainingInputMode")
    return _Resources(
        instance_type=instance_type,
        instance_count=instance_count,
        volume_size=volume_size,
        max_run=max_run,
        max_wait=max_wait,
        input_mode=input_mode,
        volume_kms_key=_volume_kms_key(reader, _instance_types(instance_type, cluster), defaults, problems),
        # Without a key SageMaker encrypts outputs (and checkpoints) with the account's aws/s3 key, not the
        # bucket's default: the stack's key unless the input names another (a deliberate difference).
        output_kms_key=_checked_string(reader, "output_kms_key", "OutputDataConfig.KmsKeyId") or defaults.kms_key_arn,
        use_spot=_use_spot(reader, max_run, max_wait, problems),
        cluster=cluster,
    )


def _instance_types(instance_type: str | None, cluster: Cluster) -> list[str]:
    """The job's instance types: the one type, or each instance group's."""
    if instance_type is not None:
        return [instance_type]
    return [str(group["InstanceType"]) for group in cluster.instance_groups or [] if group.get("InstanceType")]


def _volume_kms_key(
    reader: ObjectReader, instance_types: list[str], defaults: PlatformDefaults, problems: Problems
) -> str | None:
    """The input's volume key, else the stack's; none on local NVMe storage, where SageMaker refuses one."""
    given = _checked_string(reader, "volume_kms_key", "ResourceConfig.VolumeKmsKeyId")
    local = [instance_type for instance_type in instance_types if has_local_storage(instance_type)]
    if not local:
        return given or defaults.kms_key_arn
    if given is not None:
        problems.add(
            "volume_kms_key",
            given,
            f"must be omitted with instance_type {local[0]}: its storage is local NVMe, encrypted by the "
            "instance itself, and SageMaker refuses a volume key for it",
        )
    return None


def _instance_count(reader: ObjectReader, problems: Problems, *, required: bool) -> int | None:
    instance_count = reader.integer("instance_count", required=required)
    if instance_count is not None and instance_count < 1:
        problems.add("instance_count", instance_count, "must be at least 1")
    elif instance_count is not None:
        check(problems, "instance_count", instance_count, "ResourceConfig.InstanceCount")
    return instance_count


def _use_spot(reader: ObjectReader, max_run: int | None, max_wait: int | None, problems: Problems) -> bool:
    """use_spot_instances, with the max_wait that spot training needs (and only spot training takes)."""
    use_spot = reader.boolean("use_spot_instances") or False
    if use_spot and max_wait is None:
        problems.add(
            "max_wait",
            None,
            "is required with use_spot_instances: how long to wait for spot capacity, at least max_run",
        )
    if max_wait is not None and max_run is not None and max_wait < max_run:
        problems.add("max_wait", max_wait, f"must be at least max_run ({max_run})")
    if max_wait is not None and not use_spot:
        problems.add(
            "max_wait", max_wait, "applies only to spot training: set use_spot_instances to true or omit max_wait"
        )
    return use_spot


def _spot_checkpoints(use_spot: bool, defaults: PlatformDefaults, output_path: str, job_name: str) -> str | None:
    """Where a spot job checkpoints when the input names no place: an interrupted job then resumes from its
    checkpoints instead of starting over. The stack's checkpoint location, else beside the job's output."""
    if not use_spot or not output_path:
        return None
    if defaults.checkpoint_s3_uri:
        return s3_join(defaults.checkpoint_s3_uri, job_name)
    return s3_join(output_path, job_name, "checkpoints")


def _checkpoint(
    reader: ObjectReader, spot_checkpoints: str | None, problems: Problems, reach: Reachability
) -> dict[str, object] | None:
    uri = reader.string("checkpoint_s3_uri")
    local_path = reader.string("checkpoint_local_path")
    if uri is not None:
        if not check_s3_uri(problems, "checkpoint_s3_uri", uri):
            return None
        check(problems, "checkpoint_s3_uri", uri, "CheckpointConfig.S3Uri")
        reach.writes("checkpoint_s3_uri", uri)
    else:
        uri = spot_checkpoints
    if uri is None:
        return None
    config: dict[str, object] = {"S3Uri": uri}
    if local_path is not None:
        check(problems, "checkpoint_local_path", local_path, "CheckpointConfig.LocalPath")
        config["LocalPath"] = local_path
    return config


def _retry_strategy(reader: ObjectReader) -> dict[str, object] | None:
    attempts = _integer(reader, "max_retry_attempts", None, "RetryStrategy.MaximumRetryAttempts")
    return None if attempts is None else {"MaximumRetryAttempts": attempts}


# -- What the container is given: data, algorithm settings, hyperparameters, environment -------------------


def _channels(reader: ObjectReader, problems: Problems, reach: Reachability) -> Channels:
    """fit(inputs=...) and the model channel (model_uri): InputDataConfig."""
    inputs = reader.raw("inputs")
    channels = read_inputs(inputs, problems, reach)
    model_channel_name = reader.string("model_channel_name") or "model"
    model_uri = reader.string("model_uri")
    add_model_channel(channels, model_uri, model_channel_name, problems, reach)
    if inputs == {} and not channels.config:
        problems.add("inputs", inputs, "must name at least one channel")
    elif channels.config:
        check(problems, "inputs", channels.config, "InputDataConfig")
    return channels


def _algorithm_specification(
    reader: ObjectReader, image_uri: str | None, input_mode: str, problems: Problems
) -> dict[str, object]:
    algorithm: dict[str, object] = {"TrainingInputMode": input_mode}
    if image_uri is not None:
        algorithm["TrainingImage"] = image_uri
    algorithm.update(container_settings(reader, problems))
    metric_definitions = read_metric_definitions(reader, problems)
    if metric_definitions is not None:
        algorithm["MetricDefinitions"] = metric_definitions
    enable_metrics = reader.boolean("enable_sagemaker_metrics")
    if enable_metrics is not None:
        algorithm["EnableSageMakerMetricsTimeSeries"] = enable_metrics
    return algorithm


def _debugging(
    reader: ObjectReader,
    region: str,
    instance_type: str | None,
    output_path: str,
    problems: Problems,
    reach: Reachability,
) -> dict[str, object]:
    """Debugger rules, hook and TensorBoard output, and the profiler: the request's Debugger members."""
    rules = read_rules(reader.raw("rules"), region, problems, reach)
    disable_profiler = reader.boolean("disable_profiler") or False
    return debugger_settings(
        hook_value=reader.raw("debugger_hook_config"),
        profiler_value=reader.raw("profiler_config"),
        tensorboard_value=reader.raw("tensorboard_output_config"),
        disable_profiler=disable_profiler,
        rules=rules,
        region=region,
        instance_type=instance_type,
        output_path=output_path,
        problems=problems,
        reach=reach,
    )


def _environment(reader: ObjectReader, problems: Problems) -> dict[str, str] | None:
    environment = reader.string_map("environment")
    if environment is not None:
        check_map(problems, "environment", environment, "Environment")
    return environment


def _flag(reader: ObjectReader, key: str) -> bool | None:
    """An Enable... member: the SDK sends it only when true."""
    return True if reader.boolean(key) else None


def read_metric_definitions(reader: ObjectReader, problems: Problems) -> list[dict[str, str]] | None:
    """The reader's `metric_definitions` (the Estimator's, or a tuner's: both are lists of {"Name", "Regex"})."""
    metrics = reader.object_list("metric_definitions", METRIC_KEYS, '{"Name", "Regex"}')
    if metrics is None:
        return None
    definitions: list[dict[str, str]] = []
    for metric in metrics:
        name = metric.string("Name", required=True)
        regex = metric.string("Regex", required=True)
        if name is None or regex is None:
            continue
        check(problems, metric.field("Name"), name, "AlgorithmSpecification.MetricDefinitions[].Name")
        if check(problems, metric.field("Regex"), regex, "AlgorithmSpecification.MetricDefinitions[].Regex"):
            try:
                re.compile(regex)
            except re.error as error:
                problems.add(metric.field("Regex"), regex, f"must be a regular expression that compiles ({error})")
        definitions.append({"Name": name, "Regex": regex})
    check(problems, reader.field("metric_definitions"), definitions, "AlgorithmSpecification.MetricDefinitions")
    return definitions


def _hyperparameters(
    reader: ObjectReader,
    problems: Problems,
    script: ScriptMode | None,
    job_name: str,
    region: str,
    isolated: bool,
) -> dict[str, str] | None:
    """The SDK sends {str(key): str(value)}: 0.1 -> "0.1", true -> "True", [1, 2] -> "[1, 2]"; in script mode
    it JSON-encodes each value instead ("a" -> '"a"', true -> "true") and adds its own after them."""
    values = reader.obj("hyperparameters") or {}
    check(problems, "hyperparameters", values, "HyperParameters")
    result = _user_hyperparameters(values, ScriptMode.hyperparameter_text if script else text_of, problems)
    if script is not None:
        result.update(script.hyperparameters(job_name, region, network_isolation=isolated))
        check(problems, "hyperparameters", result, "HyperParameters")
    return result if values or script is not None else None


def _user_hyperparameters(
    values: Mapping[str, object], text_of_value: Callable[[object], str | None], problems: Problems
) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in values.items():
        field = join("hyperparameters", str(key))
        if value is None:
            problems.add(field, None, "must not be null (the SDK would send the text 'None')")
            continue
        text = text_of_value(value)
        if text is None:
            problems.add(field, value, "must be a value whose text fits in 2500 characters")
            continue
        check(problems, field, str(key), "HyperParameters{key}")
        check(problems, field, text, "HyperParameters{value}")
        result[str(key)] = text
    return result


# -- What names, tags, places and tracks the job: name, tags, VPC, experiment ----------------------------------


def _job_name(reader: ObjectReader, image_uri: str | None, now: datetime, problems: Problems) -> str:
    given = reader.string("job_name")
    if given is not None:
        check(problems, "job_name", given, "TrainingJobName")
        return given
    base = reader.string("base_job_name")
    if base is not None and not BASE_NAME_PATTERN.match(base):
        problems.add("base_job_name", base, "must start with a letter or digit and hold only letters, digits and '-'")
        base = None
    return name_from_base(base or base_name_from_image(image_uri or ""), now)


def _vpc(reader: ObjectReader, problems: Problems, *, file_system_channels: bool) -> dict[str, object] | None:
    """subnets and security_group_ids: VpcConfig, which file-system channels need."""
    vpc = _vpc_config(reader, problems)
    if file_system_channels and vpc is None:
        problems.add(
            "inputs",
            "FileSystemInput",
            "file-system channels (EFS, FSx for Lustre) need a VPC: set subnets and security_group_ids",
        )
    return vpc


def _vpc_config(reader: ObjectReader, problems: Problems) -> dict[str, object] | None:
    subnets = reader.string_list("subnets")
    security_group_ids = reader.string_list("security_group_ids")
    if reader.present("subnets") != reader.present("security_group_ids"):
        missing = "security_group_ids" if reader.present("subnets") else "subnets"
        problems.add(
            missing,
            None,
            "is required with " + ("subnets" if missing != "subnets" else "security_group_ids") + ": a VPC needs both",
        )
        return None
    if subnets is None or security_group_ids is None:
        return None
    for field, values, path in (
        ("subnets", subnets, "VpcConfig.Subnets"),
        ("security_group_ids", security_group_ids, "VpcConfig.SecurityGroupIds"),
    ):
        check(problems, field, values, path)
        for index, item in enumerate(values):
            check(problems, f"{field}[{index}]", item, path + "[]")
    return {"Subnets": subnets, "SecurityGroupIds": security_group_ids}


def _experiment_config(reader: ObjectReader, problems: Problems) -> dict[str, str] | None:
    value = reader.obj("experiment_config")
    if value is None:
        return None
    config = ObjectReader(value, "experiment_config", problems, EXPERIMENT_KEYS)
    result: dict[str, str] = {}
    for key in EXPERIMENT_KEYS:
        text = config.string(key)
        if text is not None:
            check(problems, config.field(key), text, f"ExperimentConfig.{key}")
            result[key] = text
    return result


# -- Readers ------------------------------------------------------------------------------------------------


def _integer(reader: ObjectReader, key: str, default: int | None, path: str) -> int | None:
    value = reader.integer(key)
    if value is None:
        return default
    return value if check(reader.problems, key, value, path) else default


def _checked_string(reader: ObjectReader, key: str, path: str) -> str | None:
    value = reader.string(key)
    if value is not None and check(reader.problems, key, value, path):
        return value
    return None


def _logs(reader: ObjectReader, problems: Problems) -> None:
    """fit(logs=...) is accepted for compatibility; the job's logs go to CloudWatch either way."""
    value = reader.raw("logs")
    if value is not None and not isinstance(value, bool) and value not in LOG_CHOICES:
        problems.add("logs", value, f"must be one of {', '.join(LOG_CHOICES)} (or true/false)")
