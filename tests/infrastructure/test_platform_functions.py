"""The training stack's Lambda functions share one setup, and its log groups (the audit trail) outlive a destroy."""

from __future__ import annotations

from typing import Any


def construct_name(resource: dict[str, Any]) -> str:
    return resource["Metadata"]["aws:cdk:path"].split("/")[-2]


def test_every_function_is_a_traced_python_handler_of_the_lambda_asset_with_its_own_log_group(synthesized_app: Any) -> None:
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
