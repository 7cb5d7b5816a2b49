"""A configured SageMaker SDK v2 `Estimator` as the platform's execution input (the input contract: docs/input-reference.md).

    from trainctl.notebook import from_estimator
    from trainctl.platform import Platform

    estimator = Estimator(image_uri=..., role=..., instance_type="ml.g5.xlarge", ...)  # unchanged
    execution_input = from_estimator(estimator, inputs={"nome_modello": "s3://bucket/data"})
    Platform.connect().start(execution_input).wait(logs=True)          # instead of estimator.fit(...)

The SDK objects are read back into their JSON forms (TrainingInput, FileSystemInput,
TensorBoardOutputConfig, DebuggerHookConfig, ProfilerConfig, Rule/ProfilerRule). Script mode is
carried as the Estimator holds it (entry_point, source_dir, dependencies, git_config, code_location,
container_log_level): `Platform.start` packages and uploads local code as fit() would, paths relative
to the current directory as in the SDK. Settings the platform cannot express (custom rules, pipeline
variables...) are an error naming them, never silently dropped. The SDK is needed only by whoever has an Estimator:
this module imports nothing from it at import time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from training_request.rule_catalog import DEBUGGER_RULES, PROFILER_RULES

# The Estimator keyword arguments the input takes, in its order, and the attribute holding each.
_ESTIMATOR_ATTRIBUTES = (
    ("image_uri", "image_uri"),
    ("role", "role"),
    ("instance_count", "instance_count"),
    ("instance_type", "instance_type"),
    ("volume_size", "volume_size"),
    ("volume_kms_key", "volume_kms_key"),
    ("max_run", "max_run"),
    ("input_mode", "input_mode"),
    ("output_path", "output_path"),
    ("output_kms_key", "output_kms_key"),
    ("base_job_name", "base_job_name"),
    ("tags", "tags"),
    ("subnets", "subnets"),
    ("security_group_ids", "security_group_ids"),
    ("model_uri", "model_uri"),
    ("model_channel_name", "model_channel_name"),
    ("metric_definitions", "metric_definitions"),
    ("encrypt_inter_container_traffic", "encrypt_inter_container_traffic"),
    ("use_spot_instances", "use_spot_instances"),
    ("max_wait", "max_wait"),
    ("checkpoint_s3_uri", "checkpoint_s3_uri"),
    ("checkpoint_local_path", "checkpoint_local_path"),
    ("enable_network_isolation", "_enable_network_isolation"),
    ("enable_sagemaker_metrics", "enable_sagemaker_metrics"),
    ("disable_profiler", "disable_profiler"),
    ("environment", "environment"),
    ("max_retry_attempts", "max_retry_attempts"),
    ("keep_alive_period_in_seconds", "keep_alive_period_in_seconds"),
    ("container_entry_point", "container_entry_point"),
    ("container_arguments", "container_arguments"),
    ("training_repository_access_mode", "training_repository_access_mode"),
    ("training_repository_credentials_provider_arn", "training_repository_credentials_provider_arn"),
    ("disable_output_compression", "disable_output_compression"),
    ("enable_infra_check", "enable_infra_check"),
    ("enable_remote_debug", "_enable_remote_debug"),
    ("enable_session_tag_chaining", "_enable_session_tag_chaining"),
    ("training_plan", "training_plan"),
    ("instance_placement_config", "instance_placement_config"),
    ("entry_point", "entry_point"),
    ("source_dir", "source_dir"),
    ("git_config", "git_config"),
    ("dependencies", "dependencies"),
    ("code_location", "code_location"),
    ("container_log_level", "container_log_level"),
)
# The Estimator's documented defaults (its signature says None for some and resolves them later).
_SDK_DEFAULTS: dict[str, object] = {
    "volume_size": 30,
    "max_run": 86400,
    "input_mode": "File",
    "model_channel_name": "model",
    "encrypt_inter_container_traffic": False,
    "use_spot_instances": False,
    "enable_network_isolation": False,
    "disable_profiler": False,
    "disable_output_compression": False,
    "dependencies": [],
    "container_log_level": 20,  # logging.INFO
}
_DEFAULT_RULE_IMAGE = "DEFAULT_RULE_EVALUATOR_IMAGE"  # what Rule.sagemaker / ProfilerRule.sagemaker set
_JSON_SCALARS = (str, int, float, bool, type(None))


class UnsupportedEstimator(ValueError):
    """The Estimator uses something the platform's input cannot express; the message names it."""


def _is_pipeline_variable(value: object) -> bool:
    return any(cls.__name__ == "PipelineVariable" for cls in type(value).__mro__)


def _json(value: object, where: str) -> object:
    """Plain JSON data; a pipeline variable is an error (the platform runs no SageMaker pipeline)."""
    if _is_pipeline_variable(value):
        raise UnsupportedEstimator(f"{where}: a pipeline variable cannot be sent to the platform; use its value")
    if isinstance(value, Mapping):
        return {str(key): _json(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, _JSON_SCALARS):
        return value
    raise UnsupportedEstimator(f"{where}: {type(value).__name__} is not JSON data")


def _hyperparameter(value: object, where: str) -> object:
    # The SDK sends str(value) (the builder does the same), so anything else becomes that string.
    if _is_pipeline_variable(value) or isinstance(value, _JSON_SCALARS):
        return _json(value, where)
    return str(value)


def _drop_none(mapping: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in mapping.items() if value is not None}


def _training_input(config: Mapping[str, Any], where: str) -> dict[str, object]:
    source = config["DataSource"]["S3DataSource"]
    extra = set(source) - {"S3DataType", "S3Uri", "S3DataDistributionType", "InstanceGroupNames", "AttributeNames"}
    if extra:
        raise UnsupportedEstimator(f"{where}: {', '.join(sorted(extra))} cannot be sent to the platform")
    result: dict[str, object] = {"s3_data": source["S3Uri"]}
    distribution = source.get("S3DataDistributionType")
    # TrainingInput adds FullyReplicated itself unless a target attribute or a distribution is given.
    if distribution is not None and (distribution != "FullyReplicated" or "TargetAttributeName" in config):
        result["distribution"] = distribution
    result.update(
        _drop_none(
            {
                "compression": config.get("CompressionType"),
                "content_type": config.get("ContentType"),
                "record_wrapping": config.get("RecordWrapperType"),
            }
        )
    )
    if source.get("S3DataType", "S3Prefix") != "S3Prefix":
        result["s3_data_type"] = source["S3DataType"]
    result.update(
        _drop_none(
            {
                "input_mode": config.get("InputMode"),
                "attribute_names": source.get("AttributeNames"),
                "target_attribute_name": config.get("TargetAttributeName"),
                "instance_groups": source.get("InstanceGroupNames"),
            }
        )
    )
    if "ShuffleConfig" in config:
        result["shuffle_config"] = {"seed": config["ShuffleConfig"]["Seed"]}
    return result


def _file_system_input(config: Mapping[str, Any]) -> dict[str, object]:
    source = config["DataSource"]["FileSystemDataSource"]
    result: dict[str, object] = {
        "file_system_id": source["FileSystemId"],
        "file_system_type": source["FileSystemType"],
        "directory_path": source["DirectoryPath"],
    }
    if source.get("FileSystemAccessMode", "ro") != "ro":
        result["file_system_access_mode"] = source["FileSystemAccessMode"]
    if config.get("ContentType"):
        result["content_type"] = config["ContentType"]
    return result


def _channel(value: object, where: str) -> object:
    if isinstance(value, str):
        return value
    config = getattr(value, "config", None)
    if isinstance(config, Mapping) and "S3DataSource" in config.get("DataSource", {}):
        return _json(_training_input(config, where), where)
    if isinstance(config, Mapping) and "FileSystemDataSource" in config.get("DataSource", {}):
        return _json(_file_system_input(config), where)
    raise UnsupportedEstimator(
        f"{where}: expected an S3 URI, a TrainingInput or a FileSystemInput, not {type(value).__name__}"
    )


def inputs_json(inputs: object) -> object:
    """fit()'s `inputs` in its JSON form."""
    if inputs is None:
        return None
    if isinstance(inputs, Mapping):
        return {str(name): _channel(value, f"inputs.{name}") for name, value in inputs.items()}
    return _channel(inputs, "inputs")


def _collections(configs: Any, where: str) -> list[dict[str, object]]:
    """The SDK's CollectionConfig objects as {"name", "parameters"}."""
    return [
        _json(_drop_none({"name": c.name, "parameters": c.parameters}), f"{where}[{i}]")  # type: ignore[misc]
        for i, c in enumerate(configs or [])
    ]


def _debug_rule(rule: Any, where: str) -> dict[str, object]:
    parameters = dict(rule.rule_parameters or {})
    invoked = parameters.pop("rule_to_invoke", None)
    function = next((fn for fn, spec in DEBUGGER_RULES.items() if spec["name"] == invoked), None)
    if rule.image_uri != _DEFAULT_RULE_IMAGE or function is None:
        raise UnsupportedEstimator(
            f"{where}: only built-in rules (Rule.sagemaker) run on the platform, not {rule.name!r}"
        )
    if getattr(rule, "actions", None) is not None:
        raise UnsupportedEstimator(f"{where}: rule actions cannot be sent to the platform")
    builtin = DEBUGGER_RULES[function]
    defaults = {k: v for k, v in builtin["parameters"].items() if k != "rule_to_invoke"}
    trials = sorted((k for k in parameters if k.startswith("other_trial_")), key=lambda k: int(k.rsplit("_", 1)[1]))
    result: dict[str, object] = {"rule": function}
    if rule.name != builtin["name"]:
        result["name"] = rule.name
    user_parameters = {k: v for k, v in parameters.items() if k not in trials and defaults.get(k, object()) != v}
    if user_parameters:
        result["rule_parameters"] = user_parameters
    if trials:
        result["other_trials_s3_input_paths"] = [parameters[k] for k in trials]
    result.update(
        _drop_none(
            {"container_local_output_path": rule.container_local_output_path, "s3_output_path": rule.s3_output_path}
        )
    )
    collections = _collections(rule.collection_configs, f"{where}.collections_to_save")
    builtin_collections = [{"name": name, "parameters": params} for name, params in builtin["collections"]]
    if collections and collections != builtin_collections:
        result["collections_to_save"] = collections
    return _json(result, where)  # type: ignore[return-value]


def _profiler_rule(rule: Any, where: str) -> dict[str, object]:
    parameters = dict(rule.rule_parameters or {})
    class_name = parameters.pop("rule_to_invoke", None)
    if rule.image_uri != _DEFAULT_RULE_IMAGE or class_name not in PROFILER_RULES:
        raise UnsupportedEstimator(
            f"{where}: only built-in profiler rules (ProfilerRule.sagemaker) run on the platform, not {rule.name!r}"
        )
    defaults = PROFILER_RULES[class_name]
    result: dict[str, object] = {"profiler_rule": class_name}
    if rule.name != class_name:
        result["name"] = rule.name
    changed = {k: v for k, v in parameters.items() if defaults.get(k, object()) != v}
    if changed:
        result["rule_parameters"] = changed
    result.update(
        _drop_none(
            {"container_local_output_path": rule.container_local_output_path, "s3_output_path": rule.s3_output_path}
        )
    )
    return _json(result, where)  # type: ignore[return-value]


def _rules(rules: Any) -> list[dict[str, object]]:
    converted = []
    for index, rule in enumerate(rules or []):
        where = f"rules[{index}]"
        kind = type(rule).__name__
        if kind == "ProfilerRule":
            converted.append(_profiler_rule(rule, where))
        elif kind == "Rule":
            converted.append(_debug_rule(rule, where))
        else:
            raise UnsupportedEstimator(f"{where}: expected a Rule or a ProfilerRule, not {kind}")
    return converted


def _instance_groups(groups: Any) -> object:
    """The SDK's InstanceGroup objects as {"instance_group_name", "instance_type", "instance_count"}."""
    return [
        _json(
            {
                "instance_group_name": group.instance_group_name,
                "instance_type": group.instance_type,
                "instance_count": group.instance_count,
            },
            f"instance_groups[{index}]",
        )
        for index, group in enumerate(groups)
    ]


def _debugger_hook_config(hook: Any) -> object:
    if hook is False or isinstance(hook, Mapping):
        return _json(hook, "debugger_hook_config")  # False turns the hook off; {} means the default hook
    result = _drop_none(
        {
            "s3_output_path": hook.s3_output_path,
            "container_local_output_path": hook.container_local_output_path,
            "hook_parameters": hook.hook_parameters,
        }
    )
    if hook.collection_configs:
        result["collection_configs"] = _collections(hook.collection_configs, "debugger_hook_config.collection_configs")
    return _json(result, "debugger_hook_config")


def _profiler_config(config: Any) -> object:
    if config.framework_profile_params is not None or getattr(config, "profile_params", None) is not None:
        raise UnsupportedEstimator("profiler_config: framework profiling cannot be sent to the platform")
    result = _drop_none(
        {
            "s3_output_path": config.s3_output_path,
            "system_monitor_interval_millis": config.system_monitor_interval_millis,
        }
    )
    if config.disable_profiler:
        result["disable_profiler"] = config.disable_profiler
    return _json(result, "profiler_config")


def from_estimator(
    estimator: Any,
    inputs: object = None,
    job_name: str | None = None,
    wait: bool = True,
    logs: object = None,
    experiment_config: Mapping[str, object] | None = None,
    *,
    keep_role: bool = True,
) -> dict[str, object]:
    """The execution input equivalent to `estimator.fit(inputs, wait, logs, job_name, experiment_config)`.

    Only what differs from the Estimator's own defaults is written. `keep_role=False` leaves the
    role out so the platform's execution role is used (the workflow may pass only that role).
    """
    return {
        **_estimator_arguments(estimator, keep_role=keep_role),
        **_helper_objects(estimator),
        **_fit_arguments(inputs, job_name, wait, logs, experiment_config),
    }


def _estimator_arguments(estimator: Any, *, keep_role: bool) -> dict[str, object]:
    """The plain keyword arguments that differ from the SDK's defaults, and the hyperparameters."""
    result: dict[str, object] = {}
    for key, attribute in _ESTIMATOR_ATTRIBUTES:
        value = getattr(estimator, attribute, None)
        if value is None or (key == "role" and not keep_role) or _is_sdk_default(key, value):
            continue
        result[key] = _json(value, key)
    hyperparameters = estimator.hyperparameters() if callable(getattr(estimator, "hyperparameters", None)) else None
    if hyperparameters:
        # With a source_dir the Estimator keeps its hyperparameters JSON-encoded; the input holds the values.
        decode = _json_decoded if getattr(estimator, "source_dir", None) else _hyperparameter
        result["hyperparameters"] = {str(k): decode(v, f"hyperparameters.{k}") for k, v in hyperparameters.items()}
    return result


def _json_decoded(value: object, where: str) -> object:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            pass
    return _hyperparameter(value, where)


def _is_sdk_default(key: str, value: object) -> bool:
    return key in _SDK_DEFAULTS and value == _SDK_DEFAULTS[key] and type(value) is type(_SDK_DEFAULTS[key])


def _helper_objects(estimator: Any) -> dict[str, object]:
    """Rules and the Debugger, TensorBoard and profiler configurations, as their JSON forms."""
    result: dict[str, object] = {}
    if getattr(estimator, "instance_groups", None) is not None:
        result["instance_groups"] = _instance_groups(estimator.instance_groups)
    if estimator.rules:
        result["rules"] = _rules(estimator.rules)
    if estimator.debugger_hook_config is not None:
        result["debugger_hook_config"] = _debugger_hook_config(estimator.debugger_hook_config)
    if estimator.tensorboard_output_config is not None:
        tensorboard = estimator.tensorboard_output_config
        result["tensorboard_output_config"] = _json(
            _drop_none(
                {
                    "s3_output_path": tensorboard.s3_output_path,
                    "container_local_output_path": tensorboard.container_local_output_path,
                }
            ),
            "tensorboard_output_config",
        )
    if estimator.profiler_config is not None:
        result["profiler_config"] = _profiler_config(estimator.profiler_config)
    return result


def _fit_arguments(
    inputs: object, job_name: str | None, wait: bool, logs: object, experiment_config: Mapping[str, object] | None
) -> dict[str, object]:
    """fit()'s arguments that differ from its defaults."""
    result: dict[str, object] = {}
    if inputs is not None:
        result["inputs"] = inputs_json(inputs)
    if job_name is not None:
        result["job_name"] = job_name
    if experiment_config is not None:
        result["experiment_config"] = _json(experiment_config, "experiment_config")
    if wait is not True:
        result["wait"] = bool(wait)
    if logs is not None:
        result["logs"] = _json(logs, "logs")
    return result
