"""The EventBridge rules that start trainings: which events they let through, and nothing more they may do."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from event_stacks import (
    STATE_MACHINE_ARN,
    EventStack,
    build_event_app,
    sample_event,
    synthesize_event_stack,
)
from moto.events.models import EventPattern

from platform_contract import result_key
from stacks.triggers import TrainingTriggers
from training_events import TriggerConfig, TriggerKind, recognise_event


def rule(stack: EventStack, name: str) -> dict:
    return stack.one("AWS::Events::Rule", name)["Properties"]


def matches(rule_properties: dict, event: dict) -> bool:
    """Whether the deployed pattern lets the event through (moto's implementation of EventBridge matching)."""
    return EventPattern.load(json.dumps(rule_properties["EventPattern"])).matches_event(event)


def s3_event(key: str) -> dict:
    event = sample_event("s3-object-created")
    event["detail"]["object"]["key"] = key
    return event


def ecr_event(**detail: str) -> dict:
    event = sample_event("ecr-image-action")
    event["detail"].update(detail)
    return event


def test_the_trigger_and_monitoring_constructs_pass_cdk_nag_awssolutions() -> None:
    # Every setting on (request files, image pushes, a schedule, e-mail notifications): all of their resources.
    assert synthesize_event_stack().validation_report["pluginReports"] == []


def test_cdk_nag_checks_the_event_stack(tmp_path: Path) -> None:
    # So the test above would see a finding in these constructs: one added beside them fails the synthesis.
    app, triggers = build_event_app(tmp_path)
    s3.Bucket(Stack.of(triggers), "CarelessBucket")  # no TLS enforcement, no access logs

    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


@pytest.mark.parametrize(
    ("key", "starts"),
    [
        ("requests/gan-run.json", True),
        ("requests/team/gan-run.json", True),
        ("requests/gan-run.txt", False),
        ("data/train/requests/x.json", False),
        ("requestsX/gan-run.json", False),
    ],
)
def test_request_rule_starts_for_json_files_under_the_prefix(key: str, starts: bool) -> None:
    assert matches(rule(synthesize_event_stack(), "RequestFileRule"), s3_event(key)) is starts


def test_request_rule_watches_only_the_data_bucket() -> None:
    event = sample_event("s3-object-created")
    event["detail"]["bucket"]["name"] = "someone-elses-bucket"

    assert not matches(rule(synthesize_event_stack(), "RequestFileRule"), event)


@pytest.mark.parametrize(
    "result_key",
    ["results/gan-run.json", "results/team/gan-run.json", "results/requests/gan-run.json"],
)
def test_result_files_start_no_execution_and_prepare_would_ignore_them(result_key: str) -> None:
    stack = synthesize_event_stack()
    event = s3_event(result_key)

    assert not matches(rule(stack, "RequestFileRule"), event)
    # Should such an event reach the workflow anyway (sent by hand), it trains nothing.
    with pytest.raises(Exception, match="is a result file"):
        recognise_event(event, TriggerConfig.from_environment(stack.prepare_environment))


def test_a_request_s_result_key_is_not_matched_by_the_rule_and_is_its_path_under_the_result_prefix() -> None:
    stack = synthesize_event_stack(request_prefix="inbox/ml/", result_prefix="outbox/")
    config = TriggerConfig.from_environment(stack.prepare_environment)
    request_key = "inbox/ml/team/gan.json"

    key = result_key(request_key, request_prefix=config.request_prefix, result_prefix=config.result_prefix)

    assert key == "outbox/team/gan.json"
    assert matches(rule(stack, "RequestFileRule"), s3_event(request_key))
    assert not matches(rule(stack, "RequestFileRule"), s3_event(key))


@pytest.mark.parametrize(
    ("request_prefix", "result_prefix"),
    [("requests/", "requests/results/"), ("data/requests/", "data/"), ("requests/", "requests/")],
)
def test_prefixes_that_contain_one_another_are_refused(request_prefix: str, result_prefix: str) -> None:
    with pytest.raises(ValueError, match="must not contain one another"):
        synthesize_event_stack(request_prefix=request_prefix, result_prefix=result_prefix)


def test_a_star_in_the_request_prefix_is_literal() -> None:
    stack = synthesize_event_stack(request_prefix="in*box/", image_tag_pattern=None, schedule_expression=None)

    assert matches(rule(stack, "RequestFileRule"), s3_event("in*box/a.json"))
    assert not matches(rule(stack, "RequestFileRule"), s3_event("inbound-box/a.json"))


@pytest.mark.parametrize(
    ("detail", "starts"),
    [
        ({}, True),
        ({"image-tag": "release-2"}, True),
        ({"image-tag": "latest"}, False),
        ({"result": "FAILURE"}, False),
        ({"action-type": "DELETE"}, False),
        ({"repository-name": "another-repository"}, False),
    ],
)
def test_image_rule_starts_for_successful_pushes_of_matching_tags(detail: dict, starts: bool) -> None:
    assert matches(rule(synthesize_event_stack(), "ImagePushRule"), ecr_event(**detail)) is starts


def test_schedule_rule_uses_the_configured_expression() -> None:
    assert rule(synthesize_event_stack(), "ScheduleRule")["ScheduleExpression"] == "cron(0 2 * * ? *)"


def test_image_and_schedule_triggers_are_off_unless_configured() -> None:
    stack = synthesize_event_stack(request_prefix="in*box/", image_tag_pattern=None, schedule_expression=None)

    trigger_rules = [k for k in stack.resources("AWS::Events::Rule") if k.startswith("Triggers")]
    assert len(trigger_rules) == 1 and "RequestFileRule" in trigger_rules[0]
    assert stack.prepare_environment == {"REQUEST_PREFIX": "in*box/", "RESULT_PREFIX": "results/"}


def test_every_rule_starts_the_workflow_with_the_event_unchanged() -> None:
    stack = synthesize_event_stack()
    for name in ("RequestFileRule", "ImagePushRule", "ScheduleRule"):
        (target,) = rule(stack, name)["Targets"]
        assert target["Arn"] == STATE_MACHINE_ARN
        # No Input/InputPath/InputTransformer: Prepare recognises the event itself.
        assert not {"Input", "InputPath", "InputTransformer"} & target.keys()
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


def test_the_rules_role_may_only_start_the_workflow() -> None:
    stack = synthesize_event_stack()
    (policy,) = [p for k, p in stack.resources("AWS::IAM::Policy").items() if "Workflow" in k]

    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "states:StartExecution", "Effect": "Allow", "Resource": STATE_MACHINE_ARN}
    ]


def test_prepare_environment_turns_each_sample_event_into_its_training() -> None:
    config = TriggerConfig.from_environment(synthesize_event_stack().prepare_environment)

    assert recognise_event(sample_event("s3-object-created"), config).kind is TriggerKind.REQUEST_FILE
    image = recognise_event(sample_event("ecr-image-action"), config)
    assert image.kind is TriggerKind.IMAGE_PUSH
    assert image.execution_input["instance_type"] == "ml.m5.xlarge"
    schedule = recognise_event(sample_event("scheduled-event"), config)
    assert schedule.kind is TriggerKind.SCHEDULE
    assert schedule.execution_input == {"instance_type": "ml.g5.xlarge"}


def test_the_rule_and_prepare_agree_on_tags() -> None:
    stack = synthesize_event_stack()
    config = TriggerConfig.from_environment(stack.prepare_environment)
    for tag in ("release-1", "release-", "latest", "pre-release-1"):
        event = ecr_event(**{"image-tag": tag})
        recognised = True
        try:
            recognise_event(copy.deepcopy(event), config)
        except Exception:
            recognised = False
        assert matches(rule(stack, "ImagePushRule"), event) is recognised, tag


def test_a_schedule_needs_both_expression_and_request() -> None:
    stack = Stack(App(), "Incomplete")
    with pytest.raises(ValueError, match="both a schedule expression and a scheduled request"):
        TrainingTriggers(
            stack,
            "Triggers",
            state_machine=sfn.StateMachine.from_state_machine_arn(stack, "Workflow", STATE_MACHINE_ARN),
            data_bucket=s3.Bucket.from_bucket_name(stack, "Data", "mltrain-data"),
            request_prefix="requests/",
            result_prefix="results/",
            repository=ecr.Repository.from_repository_name(stack, "Repository", "mltrain-training"),
            image_tag_pattern=None,
            image_push_request={},
            schedule_expression="rate(1 day)",
        )


def test_every_resource_carries_the_cost_tag() -> None:
    for logical_id, resource in synthesize_event_stack().template["Resources"].items():
        tags = resource.get("Properties", {}).get("Tags")
        if isinstance(tags, list):
            assert {"Key": "CER", "Value": "1"} in tags, logical_id


# --- Settings ------------------------------------------------------------------------------------


def trigger_settings(**overrides: object):
    from app import cdk_json_context
    from stacks.settings import PlatformSettings

    return PlatformSettings.from_context({**cdk_json_context(), **overrides})


def test_by_default_train_tags_start_trainings_and_there_is_no_schedule() -> None:
    settings = trigger_settings()

    assert settings.image_tag_pattern == "train-*"
    assert settings.image_push_request == {"instance_type": "ml.m5.large", "instance_count": 1}
    assert settings.training_schedule is None


def test_trigger_settings_accept_their_command_line_forms() -> None:
    settings = trigger_settings(
        image_tag_pattern="",
        training_schedule="rate(1 day)",
        scheduled_request='{"instance_type": "ml.g5.xlarge", "instance_count": 1}',
    )

    assert settings.image_tag_pattern is None
    assert settings.training_schedule == "rate(1 day)"
    assert settings.scheduled_request == {"instance_type": "ml.g5.xlarge", "instance_count": 1}


def test_bad_trigger_settings_are_named_together() -> None:
    from stacks.settings import SettingsError

    with pytest.raises(SettingsError) as error:
        trigger_settings(image_tag_pattern="v 1", image_push_request="[1]", training_schedule="every day")
    assert [p.split(":")[0] for p in error.value.problems] == [
        "image_tag_pattern",
        "image_push_request",
        "training_schedule",
    ]

    with pytest.raises(SettingsError, match="a schedule needs the request it trains"):
        trigger_settings(training_schedule="cron(0 2 * * ? *)")


# ---------------------------------------------------------------- wired into the app


def _resources(template: dict, resource_type: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def test_the_training_stack_starts_its_workflow_from_the_triggers_and_reports_to_its_topic(synthesized_app) -> None:
    template = synthesized_app.template("training")
    (state_machine_id,) = _resources(template, "AWS::StepFunctions::StateMachine")
    rules = _resources(template, "AWS::Events::Rule")
    starting = {
        k
        for k, rule in rules.items()
        for target in rule["Properties"].get("Targets", [])
        if target["Arn"] == {"Ref": state_machine_id}
    }
    # cdk.json: request files and train-* pushes on, no schedule.
    assert sorted(k.split("Triggers")[1][:12] for k in starting) == ["ImagePushRul", "RequestFileR"]

    (prepare_id,) = [k for k in _resources(template, "AWS::Lambda::Function") if "Prepare" in k]
    variables = template["Resources"][prepare_id]["Properties"]["Environment"]["Variables"]
    assert variables["REQUEST_PREFIX"] == "requests/"
    assert variables["RESULT_PREFIX"] == "results/"
    assert variables["IMAGE_TAG_PATTERN"] == "train-*"
    assert json.loads(variables["IMAGE_PUSH_REQUEST"]) == {"instance_type": "ml.m5.large", "instance_count": 1}
    assert "SCHEDULED_REQUEST" not in variables

    (topic_id,) = _resources(template, "AWS::SNS::Topic")
    assert {"Ref": topic_id} in [output["Value"] for output in template["Outputs"].values()]
    assert "NotificationTopicArn" in template["Outputs"]


def test_the_project_key_lets_cloudwatch_alarms_publish_to_the_encrypted_topic(synthesized_app) -> None:
    (key,) = _resources(synthesized_app.template("stateful"), "AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]

    (alarms,) = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert set(alarms["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    # Only CloudWatch acting for this account (confused deputy).
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_eventbridge_may_assume_the_rules_role_only_for_this_account(synthesized_app) -> None:
    template = synthesized_app.template("training")
    (role,) = [
        resource
        for logical_id, resource in _resources(template, "AWS::IAM::Role").items()
        if "StateMachineEventsRole" in logical_id
    ]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
        }
    ]
