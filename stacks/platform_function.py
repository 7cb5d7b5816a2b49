"""The platform's Python Lambda functions (Prepare, WriteResult, Notify): one setup for all of them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

LAMBDA_SOURCE = Path(__file__).resolve().parent.parent / "lambda"
# The handlers' own tests, bytecode and any tool's hidden cache (.pytest_cache, .mypy_cache, ...) are not
# part of the deployed code.
ASSET_EXCLUDE = ("tests", "**/.*", "**/__pycache__", "**/*.pyc")


def platform_function(
    scope: Construct,
    construct_id: str,
    *,
    handler: str,
    description: str,
    role_description: str,
    log_retention: logs.RetentionDays,
    environment: Mapping[str, str],
) -> lambda_.Function:
    """A handler of lambda/ (Python 3.13, ARM) with its own role, its own log group `<id>Logs` and X-Ray tracing.

    The role may write the log group and traces only; callers grant the rest on `function.role`.
    """
    log_group = logs.LogGroup(scope, f"{construct_id}Logs", retention=log_retention)
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=role_description,
    )
    log_group.grant_write(role)
    function = lambda_.Function(
        scope,
        construct_id,
        description=description,
        runtime=lambda_.Runtime.PYTHON_3_13,
        architecture=lambda_.Architecture.ARM_64,
        handler=handler,
        code=lambda_.Code.from_asset(str(LAMBDA_SOURCE), exclude=list(ASSET_EXCLUDE)),
        role=role,
        log_group=log_group,
        tracing=lambda_.Tracing.ACTIVE,
        memory_size=256,
        timeout=Duration.seconds(30),
        environment=dict(environment),
        # No reserved concurrency: reserving any in an account at the default limit of 10 fails the
        # deployment, and each function runs once per execution or job event (plus retries).
    )
    Validations.of(role).acknowledge(
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason="X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions: AWS requires Resource '*'.",
        )
    )
    Validations.of(function).acknowledge(
        Acknowledgment(
            id="AwsSolutions-L1",
            reason="Python 3.13 is the runtime the team pinned for the handlers (stdlib + boto3 only); move to the "
            "newest runtime in a deliberate upgrade, not on every CDK release.",
        )
    )
    return function
