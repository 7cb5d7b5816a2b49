"""The training stack's Lambda functions share one setup, each runs the handler module named after it and
gets the environment the contract names, and its log groups (the audit trail) outlive a destroy."""

from __future__ import annotations

import ast
import re
from typing import Any

from platform_contract import NotifyEnvironment, PrepareEnvironment, WriteResultEnvironment
from stacks.platform_function import LAMBDA_SOURCE


def construct_name(resource: dict[str, Any]) -> str:
    return resource["Metadata"]["aws:cdk:path"].split("/")[-2]


def functions_by_name(synthesized_app: Any) -> dict[str, dict[str, Any]]:
    functions = synthesized_app.resources("training", "AWS::Lambda::Function")
    return {construct_name(function): function["Properties"] for function in functions.values()}


def imported_modules(path: Any) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    return modules


def test_every_function_is_a_traced_python_handler_of_the_lambda_asset_with_its_own_log_group(
    synthesized_app: Any,
) -> None:
    functions = synthesized_app.resources("training", "AWS::Lambda::Function")
    log_groups = synthesized_app.resources("training", "AWS::Logs::LogGroup")

    assert sorted(construct_name(f) for f in functions.values()) == ["Notify", "Prepare", "WriteResult"]
    assets = set()
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.13", logical_id
        assert properties["Architectures"] == ["arm64"], logical_id
        assert properties["TracingConfig"] == {"Mode": "Active"}, logical_id
        assert properties["MemorySize"] == 256 and properties["Timeout"] == 30, logical_id
        log_group = properties["LoggingConfig"]["LogGroup"]["Ref"]
        assert construct_name(log_groups[log_group]) == f"{construct_name(function)}Logs"
        assets.add(function["Metadata"]["aws:asset:path"])
    assert len(assets) == 1, assets  # one asset: the same lambda/ directory, packaged once


def test_every_log_group_survives_destroy_as_the_readme_says(synthesized_app: Any) -> None:
    log_groups = synthesized_app.resources("training", "AWS::Logs::LogGroup")

    assert sorted(construct_name(g) for g in log_groups.values()) == [
        "ExecutionLogs",
        "NotifyLogs",
        "PrepareLogs",
        "WriteResultLogs",
    ]
    for logical_id, log_group in log_groups.items():
        assert log_group["DeletionPolicy"] == "Retain", logical_id
        assert log_group["UpdateReplacePolicy"] == "Retain", logical_id
        assert log_group["Properties"]["RetentionInDays"] > 0, logical_id  # retained, yet they expire


def test_every_function_runs_the_handler_module_named_after_it(synthesized_app: Any) -> None:
    for name, properties in functions_by_name(synthesized_app).items():
        module, _, function = properties["Handler"].partition(".")
        # Prepare -> prepare.handler, WriteResult -> write_result.handler, Notify -> notify.handler
        assert module == re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(), name
        tree = ast.parse((LAMBDA_SOURCE / f"{module}.py").read_text())
        assert function in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}, name


def test_no_handler_imports_another(synthesized_app: Any) -> None:
    handler_modules = {
        properties["Handler"].partition(".")[0] for properties in functions_by_name(synthesized_app).values()
    }

    assert len(handler_modules) == 3
    for module in handler_modules:
        assert not imported_modules(LAMBDA_SOURCE / f"{module}.py") & handler_modules, module


def test_every_function_gets_only_environment_variables_the_contract_names(synthesized_app: Any) -> None:
    variables = {
        name: set(properties.get("Environment", {}).get("Variables", {}))
        for name, properties in functions_by_name(synthesized_app).items()
    }

    assert variables["Prepare"] <= {variable.value for variable in PrepareEnvironment}
    # The defaults and the request prefix always; the trigger settings when their trigger is on.
    assert {
        PrepareEnvironment.DEFAULT_ROLE_ARN.value,
        PrepareEnvironment.DEFAULT_IMAGE_URI.value,
        PrepareEnvironment.DEFAULT_OUTPUT_PATH.value,
        PrepareEnvironment.DEFAULT_CHECKPOINT_S3_URI.value,
        PrepareEnvironment.DEFAULT_KMS_KEY_ARN.value,
        PrepareEnvironment.READABLE_BUCKETS.value,
        PrepareEnvironment.WRITABLE_BUCKETS.value,
        PrepareEnvironment.REQUEST_PREFIX.value,
    } <= variables["Prepare"]
    assert variables["Notify"] == {variable.value for variable in NotifyEnvironment}
    assert variables["WriteResult"] == {variable.value for variable in WriteResultEnvironment}
