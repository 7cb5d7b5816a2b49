"""Lambda's limit on a function's environment (4 KB for all names and values together), checked at synth.

Over the limit, CloudFormation fails the deployment halfway. The Prepare function's environment holds
settings of any length (the trigger requests, the extra buckets), so the settings check stops the synth
instead, naming the settings that fill it. Values the stacks resolve only at deployment (role ARN, image
URI, bucket names) are counted at their longest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from platform_contract import PrepareEnvironment
from training_request.guardrails import (
    ALLOWED_INSTANCE_TYPES,
    CREDENTIALS_PROVIDERS,
    TRAINING_PLANS,
    Guardrails,
)

# Lambda quotas: 4 KB for all of a function's environment variables together.
LAMBDA_ENVIRONMENT_LIMIT = 4096

# The longest a value resolved at deployment can be.
_ROLE_ARN = len("arn:aws-us-gov:iam::123456789012:role/") + 64  # role names: 64 characters
_BUCKET_NAME = 63
_S3_URI = len("s3://") + _BUCKET_NAME + len("/")
_IMAGE_URI_WITHOUT_TAG = len("123456789012.dkr.ecr.ap-southeast-5.amazonaws.com.cn/") + 256 + len(":")  # ECR: 256
_PLATFORM_BUCKETS_READ = 4  # data, artifacts, checkpoints, TensorBoard (stacks/execution_role.py)
_PLATFORM_BUCKETS_WRITTEN = 3
# The guardrails' numbers and switches at their longest: a count, two durations, two "false".
_GUARDRAIL_SCALARS = len("10000") + len(str(28 * 24 * 3600)) + len("21600") + 2 * len("false")


def environment_json(request: Mapping[str, object]) -> str:
    """A trigger's request as the Prepare function's environment holds it (compact JSON)."""
    return json.dumps(dict(request), separators=(",", ":"))


@dataclass(frozen=True)
class SettingInEnvironment:
    setting: str
    size: int  # the bytes its value takes in the environment


def prepare_environment_settings(
    *,
    default_image_tag: str,
    extra_readable_buckets: Sequence[str],
    request_prefix: str,
    result_prefix: str,
    image_tag_pattern: str | None,
    image_push_request: Mapping[str, object],
    scheduled_request: Mapping[str, object] | None,
    guardrails: Guardrails,
) -> list[SettingInEnvironment]:
    """What each setting adds to the Prepare function's environment (stacks/training_workflow.py, triggers.py)."""
    return [
        SettingInEnvironment("default_image_tag", len(default_image_tag)),
        SettingInEnvironment("extra_readable_buckets", sum(len(name) + 1 for name in extra_readable_buckets)),
        SettingInEnvironment("request_prefix", len(request_prefix)),
        SettingInEnvironment("result_prefix", len(result_prefix)),
        SettingInEnvironment("image_tag_pattern", len(image_tag_pattern or "")),
        SettingInEnvironment(
            "image_push_request", len(environment_json(image_push_request)) if image_tag_pattern else 0
        ),
        SettingInEnvironment(
            "scheduled_request", len(environment_json(scheduled_request)) if scheduled_request is not None else 0
        ),
        SettingInEnvironment(ALLOWED_INSTANCE_TYPES, len(",".join(guardrails.allowed_instance_types))),
        SettingInEnvironment(CREDENTIALS_PROVIDERS, len(",".join(guardrails.credentials_providers or ()))),
        SettingInEnvironment(TRAINING_PLANS, len(",".join(guardrails.training_plans or ()))),
    ]


def prepare_environment_problems(settings: Sequence[SettingInEnvironment]) -> list[str]:
    """One problem naming the settings that fill the Prepare function's environment, when it would pass the limit."""
    fixed = (
        sum(len(name.value) for name in PrepareEnvironment)
        + _ROLE_ARN
        + _IMAGE_URI_WITHOUT_TAG
        + 2 * _S3_URI
        + (_PLATFORM_BUCKETS_READ + _PLATFORM_BUCKETS_WRITTEN) * (_BUCKET_NAME + 1)
        + _GUARDRAIL_SCALARS
    )
    total = fixed + sum(setting.size for setting in settings)
    if total <= LAMBDA_ENVIRONMENT_LIMIT:
        return []
    largest = sorted((s for s in settings if s.size), key=lambda s: -s.size)
    # The settings that fill it: each a tenth of the limit or more (else the largest one).
    filling = [s for s in largest if s.size * 10 >= LAMBDA_ENVIRONMENT_LIMIT] or largest[:1]
    return [
        f"{', '.join(s.setting for s in filling)}: the Prepare function's environment would take up to {total} "
        f"bytes ({', '.join(f'{s.setting} {s.size}' for s in filling)}, the stack's own values {fixed}), over "
        f"Lambda's limit of {LAMBDA_ENVIRONMENT_LIMIT} bytes for all its variables: shorten them (a long "
        "request belongs in a request file)"
    ]
