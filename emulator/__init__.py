"""The project's local AWS: moto's server with the adapters this platform needs.

`python -m emulator start|stop|status [--port N]` (default port 5000). Clients reach it with
`client_environment(port)`: AWS_ENDPOINT_URL=http://localhost:PORT (localhost, not 127.0.0.1:
moto treats only localhost URLs as path-style S3), dummy credentials and a region. Schedules do not
fire by themselves: put `scheduled_event_entry(rule_arn)` with EventBridge's PutEvents to fire one now.

The facts the emulator shares with the platform (the training log group, job statuses, stack
outputs) live in <repo>/lambda/platform_contract.py, in the Lambda asset; putting that directory on
sys.path makes `import platform_contract` work here, as it does for stacks/ and trainctl/. The
Lambda functions the emulator runs do not inherit it: they run isolated (adapters/lambda_functions.py).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

DEFAULT_PORT = 5000
DEFAULT_REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"  # moto's default account
# moto takes any credentials; the emulator's clients (and the functions it runs) sign with these.
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = REPOSITORY_ROOT / ".emulator"

_LAMBDA_DIR = str(REPOSITORY_ROOT / "lambda")
if _LAMBDA_DIR not in sys.path:
    sys.path.insert(0, _LAMBDA_DIR)


def endpoint_url(port: int) -> str:
    return f"http://localhost:{port}"


def client_environment(
    port: int, region: str = DEFAULT_REGION, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a process (AWS CLI, CDK CLI, boto3, trainctl) that talks to the emulator."""
    environment = dict(os.environ if base is None else base)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        environment.pop(name, None)
    environment.update(
        AWS_ENDPOINT_URL=endpoint_url(port),
        AWS_ACCESS_KEY_ID=DUMMY_CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=DUMMY_CREDENTIALS["aws_secret_access_key"],
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_EC2_METADATA_DISABLED="true",
        CDK_DEFAULT_ACCOUNT=ACCOUNT_ID,
        CDK_DEFAULT_REGION=region,
    )
    return environment


def shell_exports(port: int, region: str = DEFAULT_REGION) -> str:
    """The shell command that points a terminal's AWS CLI and SDKs at the emulator."""
    return (
        f"export AWS_ENDPOINT_URL={endpoint_url(port)} "
        f"AWS_ACCESS_KEY_ID={DUMMY_CREDENTIALS['aws_access_key_id']} "
        f"AWS_SECRET_ACCESS_KEY={DUMMY_CREDENTIALS['aws_secret_access_key']} AWS_DEFAULT_REGION={region}"
    )


def scheduled_event_entry(rule_arn: str) -> dict[str, object]:
    """The PutEvents entry that fires the scheduled rule `rule_arn` now, as its schedule would.

    Its targets get the "Scheduled Event" EventBridge sends (source aws.events, the rule's ARN in
    `resources`); no other rule matches it (adapters.match_scheduled_rules_only_to_their_own_firings).
    """
    from platform_contract import SCHEDULED_EVENT  # lambda/ is on the path once this package is imported

    source, detail_type = SCHEDULED_EVENT
    return {"Source": source, "DetailType": detail_type, "Resources": [rule_arn], "Detail": json.dumps({})}
