"""A small stack holding only the trigger and monitoring constructs, synthesized with cdk-nag as the app does.

Its collaborators (state machine, bucket, repository, execution role) are imported with the concrete names the
sample events in tests/events use, so the synthesized event patterns can be matched against those events.
"""

from __future__ import annotations

import functools
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import App, Stack, Tags, Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import AwsSolutionsChecks

from platform_contract import COST_TAG_KEY, COST_TAG_VALUE
from stacks.monitoring import TrainingMonitoring
from stacks.triggers import TrainingTriggers

EVENTS = Path(__file__).resolve().parents[1] / "events"
STATE_MACHINE_ARN = "arn:aws:states:eu-west-1:111122223333:stateMachine:mltrain-dev-training"
EXECUTION_ROLE_ARN = "arn:aws:iam::111122223333:role/mltrain-dev-execution"
DATA_BUCKET = "mltrain-data"
REPOSITORY = "mltrain-training"
EVENT_STACK = "EventStack"


def sample_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


@dataclass(frozen=True)
class EventStack:
    template: dict
    prepare_environment: dict[str, str]
    validation_report: dict  # validation-report.json: what the synthesis's checks (cdk-nag) reported

    def resources(self, resource_type: str) -> dict[str, dict]:
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == resource_type}

    def one(self, resource_type: str, logical_id_part: str = "") -> dict:
        matches = [r for k, r in self.resources(resource_type).items() if logical_id_part in k]
        assert len(matches) == 1, f"expected one {resource_type} *{logical_id_part}*, found {len(matches)}"
        return matches[0]


@functools.cache
def synthesize_event_stack(**options: str | None) -> EventStack:
    """Synthesize the app `build_event_app(**options)` (cdk-nag findings make `synth` raise, listing them);
    cached per set of options."""
    outdir = Path(tempfile.mkdtemp(prefix="cdk-event-stack-"))
    app, triggers = build_event_app(outdir, **options)
    template = app.synth().get_stack_by_name(EVENT_STACK).template
    report = json.loads((outdir / "validation-report.json").read_text())
    return EventStack(template, dict(triggers.prepare_environment), report)


def build_event_app(
    outdir: Path,
    *,
    request_prefix: str = "requests/",
    result_prefix: str = "results/",
    image_tag_pattern: str | None = "release-*",
    schedule_expression: str | None = "cron(0 2 * * ? *)",
    notification_email: str | None = "ml-team@example.com",
) -> tuple[App, TrainingTriggers]:
    """The app, not yet synthesized, with cdk-nag's AwsSolutions checks on and the cost tag on everything."""
    app = App(outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = Stack(app, EVENT_STACK)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    triggers = TrainingTriggers(
        stack,
        "Triggers",
        state_machine=sfn.StateMachine.from_state_machine_arn(stack, "Workflow", STATE_MACHINE_ARN),
        data_bucket=s3.Bucket.from_bucket_attributes(stack, "Data", bucket_name=DATA_BUCKET, encryption_key=key),
        request_prefix=request_prefix,
        result_prefix=result_prefix,
        repository=ecr.Repository.from_repository_name(stack, "Repository", REPOSITORY),
        image_tag_pattern=image_tag_pattern,
        image_push_request={"instance_type": "ml.m5.xlarge"},
        schedule_expression=schedule_expression,
        scheduled_request={"instance_type": "ml.g5.xlarge"} if schedule_expression else None,
    )
    TrainingMonitoring(
        stack,
        "Monitoring",
        key=key,
        state_machine=sfn.StateMachine.from_state_machine_arn(stack, "MonitoredWorkflow", STATE_MACHINE_ARN),
        execution_role=iam.Role.from_role_arn(stack, "ExecutionRole", EXECUTION_ROLE_ARN, mutable=False),
        metrics_namespace="mltrain/dev",
        notification_email=notification_email,
    )
    Tags.of(app).add(COST_TAG_KEY, COST_TAG_VALUE)
    return app, triggers
