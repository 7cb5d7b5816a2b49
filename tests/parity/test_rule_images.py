"""Built-in Debugger and Profiler rules, and their regional rule evaluator images, as the SDK has them.

The SDK reads the images from sagemaker/image_uri_config/debugger.json and the rules from
smdebug_rulesconfig; our Lambda carries a copy of both (training_request.rule_catalog), compared
here with the installed SDK so that an SDK upgrade that changes them fails a test.
"""

from __future__ import annotations

import inspect

import pytest

from training_request import PlatformDefaults, build_training_job
from training_request.debugger import RULE_EVALUATOR_ACCOUNTS, rule_evaluator_image

from .cases import ACCOUNT, base_input
from .compare import comparable, expected_from_sdk, field_diff


def _sdk_rule_regions() -> list[str]:
    from sagemaker import image_uris

    config = image_uris.config_for_framework("debugger")
    return sorted(config["versions"]["latest"]["registries"])


def _sdk_rule_names() -> tuple[list[str], list[str]]:
    """The SDK's built-in rules: `rule_configs.<fn>()` (Debugger) and `rule_configs.<Cls>()`."""
    from sagemaker.debugger import rule_configs
    from smdebug_rulesconfig.debugger_rules import builtin_rules
    from smdebug_rulesconfig.profiler_rules.rules import ProfilerRuleBase

    debugger = [
        name
        for name, member in vars(rule_configs).items()
        if inspect.isfunction(member) and member.__module__ == builtin_rules.__name__
    ]
    profiler = [
        name
        for name, member in vars(rule_configs).items()
        if inspect.isclass(member) and issubclass(member, ProfilerRuleBase)
    ]
    return sorted(debugger), sorted(profiler)


SDK_REGIONS = _sdk_rule_regions()
SDK_DEBUGGER_RULES, SDK_PROFILER_RULES = _sdk_rule_names()
STACK = PlatformDefaults(checkpoint_s3_uri="s3://platform-checkpoints-bucket/checkpoints")


def test_the_sdk_knows_rules_and_regions() -> None:
    """Guards the parametrisations below against silently running on empty lists."""
    assert len(SDK_REGIONS) >= 20 and "eu-west-1" in SDK_REGIONS
    assert "loss_not_decreasing" in SDK_DEBUGGER_RULES and "ProfilerReport" in SDK_PROFILER_RULES


def test_rule_image_regions_are_the_sdks() -> None:
    assert sorted(RULE_EVALUATOR_ACCOUNTS) == SDK_REGIONS


@pytest.mark.parametrize("region", SDK_REGIONS)
def test_rule_image_is_the_sdks(region: str) -> None:
    from sagemaker.debugger import get_rule_container_image_uri

    assert rule_evaluator_image(region) == get_rule_container_image_uri("LossNotDecreasing", region)


@pytest.mark.parametrize("region", ["ap-southeast-3", "eu-central-2", "mx-central-1"])
def test_no_rule_image_where_the_sdk_has_none(region: str) -> None:
    from sagemaker.debugger import get_rule_container_image_uri

    with pytest.raises(ValueError, match="Unsupported region"):
        get_rule_container_image_uri("LossNotDecreasing", region)
    assert rule_evaluator_image(region) is None


# A spread of partitions and registries: classic, opt-in, China, GovCloud.
SAMPLE_REGIONS = ["us-east-1", "eu-west-1", "ap-east-1", "me-south-1", "cn-northwest-1", "us-gov-west-1"]
_PARTITIONS = {"cn": "aws-cn", "us-gov": "aws-us-gov"}


def _regional_input(region: str, rules: list[dict[str, object]]) -> dict[str, object]:
    partition = next((p for prefix, p in _PARTITIONS.items() if region.startswith(prefix)), "aws")
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return base_input(
        job_name=f"rules-{region}",
        role=f"arn:{partition}:iam::{ACCOUNT}:role/SageMakerRole",
        image_uri=f"{ACCOUNT}.dkr.ecr.{region}.{domain}/gan-trainer:latest",
        rules=rules,
    )


def _assert_same_as_sdk(execution_input: dict[str, object], region: str, sdk) -> None:
    ours = build_training_job(execution_input, region=region, defaults=STACK).request
    expected = expected_from_sdk(sdk(execution_input, region=region), ours["TrainingJobName"])
    differences = field_diff(expected, comparable(ours))
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("region", SAMPLE_REGIONS)
def test_rule_images_in_requests(region: str, sdk) -> None:
    rules = [{"rule": "loss_not_decreasing"}, {"profiler_rule": "ProfilerReport"}]
    _assert_same_as_sdk(_regional_input(region, rules), region, sdk)


@pytest.mark.parametrize("rule", SDK_DEBUGGER_RULES)
def test_every_builtin_debugger_rule(rule: str, sdk) -> None:
    _assert_same_as_sdk(_regional_input("eu-west-1", [{"rule": rule}]), "eu-west-1", sdk)


@pytest.mark.parametrize("rule", SDK_PROFILER_RULES)
def test_every_builtin_profiler_rule(rule: str, sdk) -> None:
    _assert_same_as_sdk(_regional_input("eu-west-1", [{"profiler_rule": rule}]), "eu-west-1", sdk)
