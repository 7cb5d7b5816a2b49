"""Who makes the calls: the state machine's service integrations sign with its role's key, and the
roles AWS services assume for the platform are recorded (sts:AssumeRole by the service principal).

Lambda functions' keys are given by lambda_functions.py, training jobs' by sagemaker.py; the keys and
the call log are emulator/call_log.py's.
"""

from __future__ import annotations

import sys
from typing import Any

from emulator.call_log import PRINCIPALS, SECRET_ACCESS_KEY, Authorization, Principal, record, role, service


def assumed_role(service_name: str, role_arn: str, by: str, source_arn: str) -> list[Authorization]:
    """sts:AssumeRole by `service_name`.amazonaws.com on `role_arn`, judged by the role's trust policy."""
    account = source_arn.split(":")[4] or role_arn.split(":")[4]
    context = {"aws:SourceAccount": account, "aws:SourceArn": source_arn}
    return [Authorization("sts:AssumeRole", role_arn, context, principal=service(service_name, by))]


def state_machine_principal(role_arn: str) -> Principal:
    """The state machine role, named by the state machines that use it."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    names = sorted(
        machine.name
        for account in list(stepfunctions_parser_backends.values())
        for backend in list(account.values())
        for machine in list(backend.state_machines)
        if machine.roleArn == role_arn
    )
    return role(role_arn, f"state machine {', '.join(names) or '(unknown)'}")


def sign_state_machine_calls_with_their_role() -> None:
    """Step Functions' service integrations (lambda:invoke, sagemaker:*, aws-sdk:*, sns:publish...) call
    with the state machine's role (or a task's Credentials role): the interpreter's clients sign with
    that role's key, so the call log names it. Each execution records sts:AssumeRole of the role by
    states.amazonaws.com (aws:SourceArn the state machine).

    moto's interpreter signs every call with the same dummy key.
    """
    import boto3
    from moto.stepfunctions.parser.asl.utils import boto_client
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = boto_client.boto_client_for

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        client = original(region=region, service=service, state_credentials=state_credentials)
        role_arn = getattr(state_credentials, "role_arn", None)
        if not role_arn:
            return client
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=client.meta.endpoint_url,
            aws_access_key_id=PRINCIPALS.key_for(state_machine_principal(role_arn)),
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=client.meta.config,
        )

    for module in list(sys.modules.values()):
        if getattr(module, "boto_client_for", None) is original:
            setattr(module, "boto_client_for", boto_client_for)  # noqa: B010 (a module imported at run time)

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        execution = original_start(self, state_machine_arn, *args, **kwargs)
        machine = self.describe_state_machine(state_machine_arn)
        by = f"state machine {machine.name}"
        record(service("states", by), assumed_role("states", machine.roleArn, by, state_machine_arn))
        return execution

    StepFunctionsParserBackend.start_execution = start_execution
