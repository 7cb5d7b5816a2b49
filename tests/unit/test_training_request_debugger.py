"""Debugger rules, hook, profiler and TensorBoard: the SDK's silent defaults, regions and instance families."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from training_request import build_training_job
from training_request.debugger import RULE_EVALUATOR_ACCOUNTS, rule_evaluator_image
from training_request.rule_catalog import DEBUGGER_RULES, PROFILER_RULES

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
BASE = {
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan:latest",
    "role": "arn:aws:iam::123456789012:role/r",
    "instance_count": 1,
    "instance_type": "ml.p3.2xlarge",
    "output_path": "s3://artifacts/out",
}
EU_IMAGE = "929884845733.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-debugger-rules:latest"


def build(region: str = "eu-west-1", **extra: object) -> dict:
    return build_training_job({**BASE, **extra}, region=region, now=NOW).request


def test_default_hook_and_profiler_write_to_the_output_path() -> None:
    request = build()
    assert request["DebugHookConfig"] == {"S3OutputPath": "s3://artifacts/out", "CollectionConfigurations": []}
    assert request["ProfilerConfig"] == {"S3OutputPath": "s3://artifacts/out", "DisableProfiler": False}
    assert "DebugRuleConfigurations" not in request and "ProfilerRuleConfigurations" not in request


def test_hook_false_turns_the_hook_off() -> None:
    assert "DebugHookConfig" not in build(debugger_hook_config=False)


def test_hook_object_with_every_keyword() -> None:
    hook = build(
        debugger_hook_config={
            "s3_output_path": "s3://artifacts/dbg",
            "container_local_output_path": "/opt/ml/dbg",
            "hook_parameters": {"save_interval": "100"},
            "collection_configs": [{"name": "losses"}, {"name": "weights", "parameters": {"save_interval": "50"}}],
        }
    )["DebugHookConfig"]
    assert hook == {
        "S3OutputPath": "s3://artifacts/dbg",
        "LocalPath": "/opt/ml/dbg",
        "HookParameters": {"save_interval": "100"},
        "CollectionConfigurations": [
            {"CollectionName": "losses"},
            {"CollectionName": "weights", "CollectionParameters": {"save_interval": "50"}},
        ],
    }


def test_builtin_rule_with_the_regional_image_and_its_collections_in_the_hook() -> None:
    request = build(rules=[{"rule": "loss_not_decreasing"}])
    assert request["DebugRuleConfigurations"] == [
        {
            "RuleConfigurationName": "LossNotDecreasing",
            "RuleEvaluatorImage": EU_IMAGE,
            "RuleParameters": {"rule_to_invoke": "LossNotDecreasing"},
        }
    ]
    assert request["DebugHookConfig"]["CollectionConfigurations"] == [
        {"CollectionName": "losses", "CollectionParameters": {"save_interval": "500"}}
    ]


def test_rule_keywords_and_parameters_merge_like_the_sdk() -> None:
    rule = build(
        rules=[
            {
                "rule": "similar_across_runs",
                "name": "similar",
                "rule_parameters": {"threshold": "0.5"},
                "other_trials_s3_input_paths": ["s3://artifacts/other"],
                "s3_output_path": "s3://artifacts/rules",
                "container_local_output_path": "/opt/ml/rules",
                "collections_to_save": [{"name": "gradients"}],
            }
        ]
    )
    assert rule["DebugRuleConfigurations"][0] == {
        "RuleConfigurationName": "similar",
        "RuleEvaluatorImage": EU_IMAGE,
        "LocalPath": "/opt/ml/rules",
        "S3OutputPath": "s3://artifacts/rules",
        "RuleParameters": {
            "other_trial_0": "s3://artifacts/other",
            "rule_to_invoke": "SimilarAcrossRuns",
            "threshold": "0.5",
        },
    }
    assert rule["DebugHookConfig"]["CollectionConfigurations"] == [{"CollectionName": "gradients"}]


def test_shared_collections_are_deduplicated() -> None:
    hook = build(
        rules=[{"rule": "loss_not_decreasing"}, {"rule": "overtraining"}],
        debugger_hook_config={"collection_configs": [{"name": "losses", "parameters": {"save_interval": "500"}}]},
    )["DebugHookConfig"]
    names = [entry["CollectionName"] for entry in hook["CollectionConfigurations"]]
    assert len(names) == len(set(json.dumps(entry, sort_keys=True) for entry in hook["CollectionConfigurations"]))
    assert "losses" in names


def test_profiler_rules_send_string_parameters() -> None:
    request = build(
        rules=[
            {"profiler_rule": "ProfilerReport"},
            {"profiler_rule": "CPUBottleneck", "rule_parameters": {"threshold": 30}},
        ]
    )
    assert request["ProfilerRuleConfigurations"] == [
        {
            "RuleConfigurationName": "ProfilerReport",
            "RuleEvaluatorImage": EU_IMAGE,
            "RuleParameters": {"rule_to_invoke": "ProfilerReport"},
        },
        {
            "RuleConfigurationName": "CPUBottleneck",
            "RuleEvaluatorImage": EU_IMAGE,
            "RuleParameters": {
                "threshold": "30",
                "gpu_threshold": "10",
                "cpu_threshold": "90",
                "patience": "1000",
                "scan_interval_us": "60000000",
                "rule_to_invoke": "CPUBottleneck",
            },
        },
    ]
    assert "DebugRuleConfigurations" not in request


def test_profiler_report_takes_rule_prefixed_parameters() -> None:
    rule = build(rules=[{"profiler_rule": "ProfilerReport", "rule_parameters": {"CPUBottleneck_threshold": 20}}])[
        "ProfilerRuleConfigurations"
    ][0]
    assert rule["RuleParameters"] == {"CPUBottleneck_threshold": "20", "rule_to_invoke": "ProfilerReport"}


def test_profiler_config_keywords() -> None:
    assert build(profiler_config={"s3_output_path": "s3://artifacts/prof", "system_monitor_interval_millis": 500})[
        "ProfilerConfig"
    ] == {"S3OutputPath": "s3://artifacts/prof", "DisableProfiler": False, "ProfilingIntervalInMilliseconds": 500}


def test_disable_profiler() -> None:
    assert build(disable_profiler=True)["ProfilerConfig"] == {"DisableProfiler": True}
    assert build(
        disable_profiler=True, profiler_config={"disable_profiler": True, "s3_output_path": "s3://artifacts/p"}
    )["ProfilerConfig"] == {"DisableProfiler": True}


def test_trainium_turns_the_profiler_off_like_the_sdk() -> None:
    assert build(instance_type="ml.trn1.32xlarge")["ProfilerConfig"] == {"DisableProfiler": True}


@pytest.mark.parametrize("region", ["ap-southeast-3", "eu-central-2", "us-gov-east-1", "me-central-1"])
def test_regions_without_debugger_turn_hook_and_profiler_off(region: str) -> None:
    request = build(region=region)
    assert "DebugHookConfig" not in request and request["ProfilerConfig"] == {"DisableProfiler": True}


def test_tensorboard_output_config() -> None:
    assert build(
        tensorboard_output_config={"s3_output_path": "s3://artifacts/tb", "container_local_output_path": "/opt/ml/tb"}
    )["TensorBoardOutputConfig"] == {"S3OutputPath": "s3://artifacts/tb", "LocalPath": "/opt/ml/tb"}


@pytest.mark.parametrize(
    ("region", "image"),
    [
        ("cn-north-1", "618459771430.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-debugger-rules:latest"),
        ("us-gov-west-1", "515509971035.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-debugger-rules:latest"),
        ("il-central-1", None),
    ],
)
def test_rule_evaluator_images(region: str, image: str | None) -> None:
    assert rule_evaluator_image(region) == image


def test_every_rule_region_renders() -> None:
    for region in RULE_EVALUATOR_ACCOUNTS:
        rule = build(region=region, rules=[{"rule": "overfit"}])["DebugRuleConfigurations"][0]
        assert rule["RuleEvaluatorImage"].startswith(RULE_EVALUATOR_ACCOUNTS[region] + ".dkr.ecr." + region)


def test_catalog_matches_smdebug_rulesconfig_files() -> None:
    import smdebug_rulesconfig  # test dependency of the SDK, read as data only

    configs = json.loads(
        (Path(smdebug_rulesconfig.__file__).parent / "debugger_rules/rule_config_jsons/ruleConfigs.json").read_text()
    )
    assert sorted(rule["name"] for rule in DEBUGGER_RULES.values()) == sorted(configs)
    from smdebug_rulesconfig.profiler_rules.rules import ProfilerRuleBase

    exported = {
        name
        for name in dir(smdebug_rulesconfig)
        if isinstance(getattr(smdebug_rulesconfig, name), type)
        and issubclass(getattr(smdebug_rulesconfig, name), ProfilerRuleBase)
    }
    assert set(PROFILER_RULES) == exported
