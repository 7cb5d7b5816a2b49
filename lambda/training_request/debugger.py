"""Debugger rules, profiler rules, the debugger hook, the profiler and TensorBoard, with the SDK's
silent defaults (sagemaker.estimator.EstimatorBase._prepare_debugger_for_training and
_prepare_profiler_for_training) and its regional rule evaluator images."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TypeVar

from .errors import Problems
from .fields import ObjectReader, join, json_type, suggestion_hint, text_of
from .locations import Reachability, check_s3_uri
from .rule_catalog import (
    DEBUGGER_RULES,
    DEBUGGER_UNSUPPORTED_REGIONS,
    PROFILER_REPORT_RULE_PARAMETERS,
    PROFILER_RULES,
    PROFILER_UNSUPPORTED_REGIONS,
    RULE_EVALUATOR_ACCOUNTS,
    RULE_EVALUATOR_REPOSITORY,
)
from .validation import check, check_map

T = TypeVar("T")

__all__ = ["RULE_EVALUATOR_ACCOUNTS", "Rules", "debugger_settings", "read_rules", "rule_evaluator_image"]

DEBUG_RULE_KEYS = (
    "rule",
    "name",
    "rule_parameters",
    "container_local_output_path",
    "s3_output_path",
    "other_trials_s3_input_paths",
    "collections_to_save",
)
PROFILER_RULE_KEYS = ("profiler_rule", "name", "rule_parameters", "container_local_output_path", "s3_output_path")
HOOK_KEYS = ("s3_output_path", "container_local_output_path", "hook_parameters", "collection_configs")
PROFILER_CONFIG_KEYS = ("s3_output_path", "system_monitor_interval_millis", "disable_profiler")
TENSORBOARD_KEYS = ("s3_output_path", "container_local_output_path")
COLLECTION_KEYS = ("name", "parameters")
# sagemaker.fw_utils._instance_type_supports_profiler: the SDK turns the profiler off on these (Trainium).
_PROFILER_OFF_INSTANCES = re.compile(r"^ml[._]trn[a-z\d\-]*\.?\w*$")
_DEBUG_RULE = "DebugRuleConfigurations[]"
_PROFILER_RULE = "ProfilerRuleConfigurations[]"


def rule_evaluator_image(region: str) -> str | None:
    """sagemaker.image_uris.retrieve("debugger", region); None where the SDK knows no image."""
    account = RULE_EVALUATOR_ACCOUNTS.get(region)
    if account is None:
        return None
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{domain}/{RULE_EVALUATOR_REPOSITORY}:latest"


Collection = tuple[str, Mapping[str, str] | None]


@dataclass
class Rules:
    given: bool = False
    debugger: list[dict[str, object]] = dataclass_field(default_factory=list)
    profiler: list[dict[str, object]] = dataclass_field(default_factory=list)
    collections: list[Collection] = dataclass_field(default_factory=list)


def read_rules(value: object, region: str, problems: Problems, reach: Reachability) -> Rules:
    rules = Rules(given=value is not None)
    if value is None:
        return rules
    if not isinstance(value, list):
        problems.add("rules", value, f"must be a list of rule objects, not {json_type(value)}")
        return rules
    image = rule_evaluator_image(region)
    if value and image is None:
        problems.add(
            "rules",
            [item.get("rule") or item.get("profiler_rule") for item in value if isinstance(item, dict)],
            f"the SDK has no Debugger rule evaluator image in region {region}; "
            f"regions with one: {', '.join(sorted(RULE_EVALUATOR_ACCOUNTS))}",
        )
    for index, item in enumerate(value):
        field = f"rules[{index}]"
        if isinstance(item, dict) and "rule" in item:
            _read_debug_rule(item, field, image or "", problems, reach, rules)
        elif isinstance(item, dict) and "profiler_rule" in item:
            _read_profiler_rule(item, field, image or "", problems, reach, rules)
        else:
            problems.add(
                field, item, 'must be {"rule": "<rule_configs function>"} or {"profiler_rule": "<rule_configs class>"}'
            )
    check(problems, "rules", rules.debugger, "DebugRuleConfigurations")
    check(problems, "rules", rules.profiler, "ProfilerRuleConfigurations")
    return rules


def _builtin(reader: ObjectReader, key: str, catalog: Mapping[str, T], what: str) -> tuple[str | None, T | None]:
    """The name under `key` and its catalog entry; a name not in the catalog is a problem, with a hint."""
    name = reader.string(key)
    entry = catalog.get(name) if name is not None else None
    if name is not None and entry is None:
        reader.problems.add(
            reader.field(key), name, f"must be {what}: {', '.join(catalog)}{suggestion_hint(name, catalog)}"
        )
    return name, entry


def _read_debug_rule(
    item: Mapping[str, object], field: str, image: str, problems: Problems, reach: Reachability, rules: Rules
) -> None:
    """Rule.sagemaker(rule_configs.<rule>(), ...).to_debugger_rule_config_dict()"""
    reader = ObjectReader(item, field, problems, DEBUG_RULE_KEYS)
    _, builtin = _builtin(reader, "rule", DEBUGGER_RULES, "a built-in rule_configs function")
    parameters: dict[str, object] = {}
    for position, uri in enumerate(reader.string_list("other_trials_s3_input_paths") or []):
        if check_s3_uri(problems, f"{reader.field('other_trials_s3_input_paths')}[{position}]", uri):
            parameters[f"other_trial_{position}"] = uri
    if builtin is not None:
        parameters.update(builtin["parameters"])
    user_parameters = _rule_parameter_map(reader, problems)
    if user_parameters is not None:
        if "rule_to_invoke" in user_parameters:
            problems.add(
                join(reader.field("rule_parameters"), "rule_to_invoke"),
                user_parameters["rule_to_invoke"],
                "cannot be given for a built-in rule (it names the rule to run)",
            )
        source = user_parameters.get("source_s3_uri")
        if isinstance(source, str):
            # The SDK uploads a local source file; the platform has no local files to upload.
            check_s3_uri(problems, join(reader.field("rule_parameters"), "source_s3_uri"), source)
        parameters.update(user_parameters)
    collections = _read_collections(reader, "collections_to_save", problems)
    if builtin is None:
        return
    name = reader.string("name") or str(builtin["name"])
    config = _rule_config(name, image, reader, problems, reach, _DEBUG_RULE)
    if parameters:
        config["RuleParameters"] = parameters
    rules.debugger.append(config)
    rules.collections.extend(collections if collections else list(builtin["collections"]))


def _read_profiler_rule(
    item: Mapping[str, object], field: str, image: str, problems: Problems, reach: Reachability, rules: Rules
) -> None:
    """ProfilerRule.sagemaker(rule_configs.<Cls>(**rule_parameters), ...).to_profiler_rule_config_dict()"""
    reader = ObjectReader(item, field, problems, PROFILER_RULE_KEYS)
    class_name, defaults = _builtin(reader, "profiler_rule", PROFILER_RULES, "a built-in rule_configs profiler rule")
    arguments = reader.obj("rule_parameters") or {}
    if defaults is None or class_name is None:
        return
    accepted = _profiler_rule_parameter_names(class_name)
    parameters = {key: value for key, value in defaults.items() if key != "rule_to_invoke"}
    for key, value in arguments.items():
        argument_field = join(reader.field("rule_parameters"), key)
        if key.lower() not in {name.lower() for name in accepted}:
            hint = suggestion_hint(key, accepted) or f"; parameters: {', '.join(accepted) or 'none'}"
            problems.add(argument_field, value, f"is not a parameter of {class_name}{hint}")
        elif isinstance(value, bool) or not isinstance(value, (int, float, str)) or text_of(value) is None:
            problems.add(argument_field, value, f"must be a number or a string, not {json_type(value)}")
        else:
            parameters[key] = value
    parameters["rule_to_invoke"] = class_name
    name = reader.string("name") or class_name
    config = _rule_config(name, image, reader, problems, reach, _PROFILER_RULE)
    # ProfilerRule.to_profiler_rule_config_dict sends every parameter as str(value).
    config["RuleParameters"] = {key: str(value) for key, value in parameters.items()}
    rules.profiler.append(config)


def _profiler_rule_parameter_names(class_name: str) -> tuple[str, ...]:
    """The keyword arguments of a profiler rule class; ProfilerReport takes `<rule>_<parameter>`."""
    if class_name == "ProfilerReport":
        return tuple(
            f"{rule}_{parameter}" for rule, names in PROFILER_REPORT_RULE_PARAMETERS.items() for parameter in names
        )
    return tuple(key for key in PROFILER_RULES[class_name] if key != "rule_to_invoke")


def _rule_parameter_map(reader: ObjectReader, problems: Problems) -> dict[str, object] | None:
    parameters = reader.string_map("rule_parameters")
    if parameters is not None:
        for key, value in parameters.items():
            check(problems, join(reader.field("rule_parameters"), key), key, f"{_DEBUG_RULE}.RuleParameters{{key}}")
            check(problems, join(reader.field("rule_parameters"), key), value, f"{_DEBUG_RULE}.RuleParameters{{value}}")
    return dict(parameters) if parameters is not None else None


def _rule_config(
    name: str, image: str, reader: ObjectReader, problems: Problems, reach: Reachability, path: str
) -> dict[str, object]:
    check(problems, reader.field("name"), name, f"{path}.RuleConfigurationName")
    config: dict[str, object] = {"RuleConfigurationName": name, "RuleEvaluatorImage": image}
    local_path = reader.string("container_local_output_path")
    if local_path:
        check(problems, reader.field("container_local_output_path"), local_path, f"{path}.LocalPath")
        config["LocalPath"] = local_path
    s3_output_path = reader.string("s3_output_path")
    if s3_output_path and check_s3_uri(problems, reader.field("s3_output_path"), s3_output_path):
        check(problems, reader.field("s3_output_path"), s3_output_path, f"{path}.S3OutputPath")
        reach.writes(reader.field("s3_output_path"), s3_output_path)
        config["S3OutputPath"] = s3_output_path
    return config


def _read_collections(reader: ObjectReader, key: str, problems: Problems) -> list[Collection]:
    collections: list[Collection] = []
    for collection in reader.object_list(key, COLLECTION_KEYS, '{"name", "parameters"}') or []:
        name = collection.string("name", required=True)
        parameters = collection.string_map("parameters")
        if name is not None:
            check(problems, collection.field("name"), name, "DebugHookConfig.CollectionConfigurations[].CollectionName")
            if parameters is not None:
                path = "DebugHookConfig.CollectionConfigurations[].CollectionParameters"
                check_map(problems, collection.field("parameters"), parameters, path)
            collections.append((name, parameters))
    return collections


def debugger_settings(
    *,
    hook_value: object,
    profiler_value: object,
    tensorboard_value: object,
    disable_profiler: bool,
    rules: Rules,
    region: str,
    instance_type: str | None,
    output_path: str,
    problems: Problems,
    reach: Reachability,
) -> dict[str, object]:
    members: dict[str, object] = {}
    if rules.debugger:
        members["DebugRuleConfigurations"] = rules.debugger
    hook = _debugger_hook(hook_value, rules, region, output_path, problems, reach)
    if hook is not None:
        members["DebugHookConfig"] = hook
    tensorboard = _tensorboard(tensorboard_value, problems, reach)
    if tensorboard is not None:
        members["TensorBoardOutputConfig"] = tensorboard
    profiler_rules, profiler = _profiler(
        profiler_value, disable_profiler, rules, region, instance_type, output_path, problems, reach
    )
    if profiler_rules:
        members["ProfilerRuleConfigurations"] = profiler_rules
    members["ProfilerConfig"] = profiler
    return members


def _debugger_hook(
    value: object, rules: Rules, region: str, output_path: str, problems: Problems, reach: Reachability
) -> dict[str, object] | None:
    """EstimatorBase._prepare_debugger_for_training then _validate_and_set_debugger_configs."""
    if value is not None and not isinstance(value, (bool, dict)):
        problems.add(
            "debugger_hook_config", value, f"must be an object, or false to turn the hook off; not {json_type(value)}"
        )
        return None
    hook: dict[str, object] | None = None
    collections: list[Collection] = list(rules.collections)
    if isinstance(value, dict):
        reader = ObjectReader(value, "debugger_hook_config", problems, HOOK_KEYS)
        hook = _read_hook(reader, output_path, problems, reach)
        collections.extend(_read_collections(reader, "collection_configs", problems))
    elif value is None and rules.debugger:
        hook = {"S3OutputPath": output_path}
    if region.lower() in DEBUGGER_UNSUPPORTED_REGIONS:
        if hook is not None:
            problems.add(
                "debugger_hook_config", value, f"must be omitted or false: the SDK has no Debugger in region {region}"
            )
        return None
    if value is False:
        return None
    hook = hook or {"S3OutputPath": output_path}
    hook["CollectionConfigurations"] = _collection_configurations(collections)
    check(
        problems,
        "debugger_hook_config.collection_configs",
        hook["CollectionConfigurations"],
        "DebugHookConfig.CollectionConfigurations",
    )
    return hook


def _read_hook(reader: ObjectReader, output_path: str, problems: Problems, reach: Reachability) -> dict[str, object]:
    """A DebuggerHookConfig object's S3OutputPath (the output path unless given), LocalPath, HookParameters."""
    hook: dict[str, object] = {"S3OutputPath": output_path}
    s3_output_path = reader.string("s3_output_path")
    if s3_output_path and check_s3_uri(problems, reader.field("s3_output_path"), s3_output_path):
        check(problems, reader.field("s3_output_path"), s3_output_path, "DebugHookConfig.S3OutputPath")
        reach.writes(reader.field("s3_output_path"), s3_output_path)
        hook["S3OutputPath"] = s3_output_path
    local_path = reader.string("container_local_output_path", non_empty=False)
    if local_path is not None:
        check(problems, reader.field("container_local_output_path"), local_path, "DebugHookConfig.LocalPath")
        hook["LocalPath"] = local_path
    hook_parameters = reader.string_map("hook_parameters")
    if hook_parameters is not None:
        field = reader.field("hook_parameters")
        check(problems, field, hook_parameters, "DebugHookConfig.HookParameters")
        for key, text in hook_parameters.items():
            check(problems, join(field, key), key, "DebugHookConfig.HookParameters{key}")
            check(problems, join(field, key), text, "DebugHookConfig.HookParameters{value}")
        hook["HookParameters"] = hook_parameters
    return hook


def _collection_configurations(collections: list[Collection]) -> list[dict[str, object]]:
    """Each collection once, in the order first named (the rules' own collections first)."""
    unique: list[dict[str, object]] = []
    for name, parameters in collections:
        entry: dict[str, object] = {"CollectionName": name}
        if parameters is not None:
            entry["CollectionParameters"] = dict(parameters)
        if entry not in unique:
            unique.append(entry)
    return unique


def _tensorboard(value: object, problems: Problems, reach: Reachability) -> dict[str, object] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add("tensorboard_output_config", value, f"must be an object, not {json_type(value)}")
        return None
    reader = ObjectReader(value, "tensorboard_output_config", problems, TENSORBOARD_KEYS)
    s3_output_path = reader.string("s3_output_path", required=True)
    config: dict[str, object] = {}
    if s3_output_path is not None and check_s3_uri(problems, reader.field("s3_output_path"), s3_output_path):
        check(problems, reader.field("s3_output_path"), s3_output_path, "TensorBoardOutputConfig.S3OutputPath")
        reach.writes(reader.field("s3_output_path"), s3_output_path)
        config["S3OutputPath"] = s3_output_path
    local_path = reader.string("container_local_output_path", non_empty=False)
    if local_path is not None:
        check(problems, reader.field("container_local_output_path"), local_path, "TensorBoardOutputConfig.LocalPath")
        config["LocalPath"] = local_path
    return config if "S3OutputPath" in config else None


def _profiler(
    value: object,
    disable_profiler: bool,
    rules: Rules,
    region: str,
    instance_type: str | None,
    output_path: str,
    problems: Problems,
    reach: Reachability,
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """EstimatorBase._prepare_profiler_for_training and ProfilerConfig._to_request_dict."""
    turned_off_by_sdk = _sdk_turns_profiler_off(region, instance_type)
    config = _read_profiler_config(value, problems, reach)
    if turned_off_by_sdk or disable_profiler:
        why = turned_off_by_sdk or "disable_profiler is true"
        if config is not None and not config.disable:
            problems.add("profiler_config.disable_profiler", False, f"must be true: {why}")
        if rules.profiler:
            names = [rule["RuleConfigurationName"] for rule in rules.profiler]
            problems.add("rules", names, f"cannot hold profiler rules: {why}")
        if config is None:
            return rules.profiler, {"DisableProfiler": True}
    config = config or _ProfilerConfig(s3_output_path=output_path, disable=False, interval=None)
    request: dict[str, object] = {}
    if not config.disable:
        request["S3OutputPath"] = config.s3_output_path or output_path
    request["DisableProfiler"] = config.disable
    if config.interval is not None:
        request["ProfilingIntervalInMilliseconds"] = config.interval
    return rules.profiler, request


def _sdk_turns_profiler_off(region: str, instance_type: str | None) -> str | None:
    """Why the SDK sends {"DisableProfiler": true} whatever the input says, if it does."""
    if region.lower() in PROFILER_UNSUPPORTED_REGIONS:
        return f"the SDK turns the profiler off in region {region}"
    if instance_type is not None and _PROFILER_OFF_INSTANCES.match(instance_type):
        return f"the SDK turns the profiler off on {instance_type}"
    return None


@dataclass(frozen=True)
class _ProfilerConfig:
    s3_output_path: str | None
    disable: bool
    interval: int | None


def _read_profiler_config(value: object, problems: Problems, reach: Reachability) -> _ProfilerConfig | None:
    """A ProfilerConfig object, checked; None when not given (or not an object)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add("profiler_config", value, f"must be an object, not {json_type(value)}")
        return None
    reader = ObjectReader(value, "profiler_config", problems, PROFILER_CONFIG_KEYS)
    s3_output_path = reader.string("s3_output_path")
    disable = reader.boolean("disable_profiler") or False
    if s3_output_path and check_s3_uri(problems, reader.field("s3_output_path"), s3_output_path):
        check(problems, reader.field("s3_output_path"), s3_output_path, "ProfilerConfig.S3OutputPath")
        reach.writes(reader.field("s3_output_path"), s3_output_path)
    interval = reader.integer("system_monitor_interval_millis")
    if interval is not None:
        field = reader.field("system_monitor_interval_millis")
        check(problems, field, interval, "ProfilerConfig.ProfilingIntervalInMilliseconds")
    return _ProfilerConfig(s3_output_path, disable, interval)
