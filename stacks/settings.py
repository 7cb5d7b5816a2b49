"""The platform's settings: read once from CDK context (cdk.json, `-c key=value`), validated, typed.

Values given with `-c` arrive as strings, so every reader also accepts the string form of its type:
numbers as digits, lists as comma-separated text or a JSON array, an empty string as "not set".
The trigger requests (`image_push_request`, `scheduled_request`) are judged by the request builder itself, as
training or tuning requests (a request with a `tuner` starts a tuning job).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from platform_contract import stateful_stack_name, training_stack_name
from stacks.lambda_environment import prepare_environment_problems, prepare_environment_settings
from training_request import InvalidTrainingInput, PlatformDefaults, build_job
from training_request.image_repositories import ImageRepository

T = TypeVar("T")

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
# S3 bucket naming rules (general purpose buckets): 3-63 chars, lowercase, digits, dots, hyphens.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$")
_TAG_MUTABILITY = ("MUTABLE", "IMMUTABLE")
# An EventBridge wildcard over ECR tag characters: `*` matches any run of them.
_IMAGE_TAG_PATTERN = re.compile(r"^[A-Za-z0-9_.*-]{1,128}$")
_SCHEDULE = re.compile(r"^(cron|rate)\(.+\)$")
# Context keys that look like settings (snake_case) but belong to the CDK itself.
_SETTING_LIKE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class SettingsError(ValueError):
    """One or more settings are invalid. The message has one line per problem, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "invalid settings (cdk.json context or -c key=value):\n" + "\n".join(f"  {p}" for p in problems)
        )


@dataclass(frozen=True)
class PlatformSettings:
    """Everything a deployment can choose. Defaults live in cdk.json; see the README's configuration table."""

    prefix: str
    environment: str
    default_image_tag: str
    checkpoint_retention_days: int
    tensorboard_retention_days: int
    kms_key_arn: str | None
    vpc_subnet_ids: tuple[str, ...]
    vpc_security_group_ids: tuple[str, ...]
    extra_readable_buckets: tuple[str, ...]
    extra_kms_key_arns: tuple[str, ...]  # keys of the extra readable buckets: the execution role may decrypt via S3
    extra_image_repositories: tuple[str, ...]  # repository ARNs (URIs given are turned into ARNs)
    notification_email: str | None
    ecr_tag_mutability: str
    request_prefix: str
    result_prefix: str
    max_capacity_retries: int
    job_poll_seconds: int
    image_tag_pattern: str | None
    image_push_request: dict[str, object]
    training_schedule: str | None
    scheduled_request: dict[str, object]

    @property
    def triggered_scheduled_request(self) -> dict[str, object] | None:
        """The request the schedule starts: none without a schedule (the request alone starts nothing)."""
        return self.scheduled_request if self.training_schedule else None

    @property
    def vpc_enabled(self) -> bool:
        return bool(self.vpc_subnet_ids)

    @property
    def stack_name_prefix(self) -> str:
        return f"{self.prefix}-{self.environment}"

    @property
    def stateful_stack_name(self) -> str:
        return stateful_stack_name(self.prefix, self.environment)

    @property
    def training_stack_name(self) -> str:
        return training_stack_name(self.prefix, self.environment)

    @property
    def state_machine_name(self) -> str:
        """Fixed, so that console users find the workflow by name; unique per account and region as the stack name is."""
        return self.training_stack_name

    @classmethod
    def from_context(cls, context: Mapping[str, object]) -> PlatformSettings:
        """Validate every key and report all problems at once (SettingsError), or return the settings."""
        reader = _Reader(context)
        settings = cls(
            prefix=reader.read(
                "prefix", _pattern(_NAME, "a lowercase name: a letter, then up to 19 letters, digits or '-'")
            ),
            environment=reader.read(
                "environment", _pattern(_NAME, "a lowercase name: a letter, then up to 19 letters, digits or '-'")
            ),
            default_image_tag=reader.read(
                "default_image_tag", _pattern(_IMAGE_TAG, "an image tag: up to 128 letters, digits, '_', '.' or '-'")
            ),
            checkpoint_retention_days=reader.read("checkpoint_retention_days", _integer(1, 3650)),
            tensorboard_retention_days=reader.read("tensorboard_retention_days", _integer(1, 3650)),
            kms_key_arn=reader.read(
                "kms_key_arn",
                _optional(
                    _pattern(
                        _KMS_KEY_ARN,
                        "empty (create a key) or a KMS key ARN arn:<partition>:kms:<region>:<account>:key/<id>",
                    )
                ),
            ),
            vpc_subnet_ids=reader.read("vpc_subnet_ids", _list_of(_SUBNET_ID, "subnet ids (subnet-0123abcd...)")),
            vpc_security_group_ids=reader.read(
                "vpc_security_group_ids", _list_of(_SECURITY_GROUP_ID, "security group ids (sg-0123abcd...)")
            ),
            extra_readable_buckets=reader.read(
                "extra_readable_buckets", _list_of(_BUCKET_NAME, "S3 bucket names (not ARNs or URIs)")
            ),
            extra_kms_key_arns=reader.read(
                "extra_kms_key_arns",
                _list_of(_KMS_KEY_ARN, "KMS key ARNs (arn:<partition>:kms:<region>:<account>:key/<id>)"),
            ),
            extra_image_repositories=reader.read("extra_image_repositories", _repository_arns),
            notification_email=reader.read(
                "notification_email", _optional(_pattern(_EMAIL, "empty or an e-mail address"))
            ),
            ecr_tag_mutability=reader.read("ecr_tag_mutability", _choice(_TAG_MUTABILITY)),
            request_prefix=reader.read(
                "request_prefix",
                _pattern(_KEY_PREFIX, "an S3 key prefix ending in '/', e.g. requests/ (no leading '/')"),
            ),
            result_prefix=reader.read(
                "result_prefix",
                _pattern(_KEY_PREFIX, "an S3 key prefix ending in '/', e.g. results/ (no leading '/')"),
            ),
            max_capacity_retries=reader.read("max_capacity_retries", _integer(0, 10)),
            job_poll_seconds=reader.read("job_poll_seconds", _integer(1, 3600)),
            image_tag_pattern=reader.read(
                "image_tag_pattern",
                _optional(
                    _pattern(
                        _IMAGE_TAG_PATTERN,
                        "empty (no image trigger) or an image tag pattern such as train-* ('*' = any characters)",
                    )
                ),
            ),
            image_push_request=reader.read("image_push_request", _json_object),
            training_schedule=reader.read(
                "training_schedule",
                _optional(
                    _pattern(
                        _SCHEDULE, "empty (no schedule) or an EventBridge schedule: cron(0 2 * * ? *) or rate(1 day)"
                    )
                ),
            ),
            scheduled_request=reader.read("scheduled_request", _json_object),
        )
        if settings.training_schedule and not settings.scheduled_request:
            reader.problems.append("training_schedule, scheduled_request: a schedule needs the request it trains")
        elif settings.training_schedule and settings.scheduled_request is not None:
            reader.problems.extend(trigger_request_problems("scheduled_request", settings.scheduled_request))
        # A request is judged when its trigger is on: only then does it train.
        if settings.image_tag_pattern and settings.image_push_request is not None:
            reader.problems.extend(
                trigger_request_problems("image_push_request", settings.image_push_request, image_uri=_PUSHED_IMAGE)
            )
        reader.problems.extend(_prefix_problems(settings.request_prefix, settings.result_prefix))
        if not reader.problems:  # measured once every value is known to be valid
            reader.problems.extend(_environment_problems(settings))
        if bool(settings.vpc_subnet_ids) != bool(settings.vpc_security_group_ids):
            reader.problems.append("vpc_subnet_ids, vpc_security_group_ids: give both (training in a VPC) or neither")
        reader.problems.extend(
            f"{key}: unknown setting; known settings are {', '.join(_KEYS)}" for key in reader.unknown_keys()
        )
        if reader.problems:
            raise SettingsError(reader.problems)
        return settings


_KEYS = (
    "prefix",
    "environment",
    "default_image_tag",
    "checkpoint_retention_days",
    "tensorboard_retention_days",
    "kms_key_arn",
    "vpc_subnet_ids",
    "vpc_security_group_ids",
    "extra_readable_buckets",
    "extra_kms_key_arns",
    "extra_image_repositories",
    "notification_email",
    "ecr_tag_mutability",
    "request_prefix",
    "result_prefix",
    "max_capacity_retries",
    "job_poll_seconds",
    "image_tag_pattern",
    "image_push_request",
    "training_schedule",
    "scheduled_request",
)

Parser = Callable[[object], T]

# What an image push supplies (the pushed image, by digest) and the name an event gives its job, as stand-ins.
_PUSHED_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/stack-training-image@sha256:" + "0" * 64
_EVENT_JOB_NAME = "synth-check-000000000000"  # within a tuning job name's 32 characters too


def trigger_request_problems(setting: str, request: Mapping[str, object], *, image_uri: str | None = None) -> list[str]:
    """The request builder's problems with a trigger's request, each named `<setting>.<field>`.

    Judged as the trigger builds it (training_events): the event names the job, replacing any `job_name`, and
    an image push supplies `image_uri` (the pushed image, by digest).
    """
    execution_input = {**request, "job_name": _EVENT_JOB_NAME}
    if image_uri is not None:
        execution_input["image_uri"] = image_uri
    # The stacks are region-agnostic: judge region-specific rules (Debugger rule images) for the region the
    # CDK CLI deploys to when it knows one.
    region = os.environ.get("CDK_DEFAULT_REGION") or "eu-west-1"
    try:
        # Only the request's own fields are judged: the stack's role, image and output path are stand-ins.
        build_job(execution_input, region=region, defaults=PlatformDefaults.stand_ins(region))
    except InvalidTrainingInput as invalid:
        return [f"{setting}.{problem}" for problem in invalid.problems]
    return []


def _environment_problems(settings: PlatformSettings) -> list[str]:
    """The Prepare function's environment holds these settings: over Lambda's 4 KB, stop the synth."""
    return prepare_environment_problems(
        prepare_environment_settings(
            default_image_tag=settings.default_image_tag,
            extra_readable_buckets=settings.extra_readable_buckets,
            request_prefix=settings.request_prefix,
            result_prefix=settings.result_prefix,
            image_tag_pattern=settings.image_tag_pattern,
            image_push_request=settings.image_push_request,
            scheduled_request=settings.triggered_scheduled_request,
        )
    )


def _prefix_problems(request_prefix: str | None, result_prefix: str | None) -> list[str]:
    """A result written under the request prefix would start a training of its own; a request under the
    result prefix would be ignored (Prepare takes it for a result)."""
    if request_prefix is None or result_prefix is None:  # already reported as invalid
        return []
    if request_prefix.startswith(result_prefix) or result_prefix.startswith(request_prefix):
        return [
            f"request_prefix, result_prefix: neither may contain the other (got {request_prefix!r} and "
            f"{result_prefix!r}): results must be written where no request file is watched"
        ]
    return []


class _Problem(Exception):
    def __init__(self, rule: str) -> None:
        self.rule = rule


class _Reader:
    def __init__(self, context: Mapping[str, object]) -> None:
        self.context = context
        self.problems: list[str] = []

    def read(self, key: str, parse: Parser[T]) -> T:
        if key not in self.context:
            self.problems.append(f"{key}: missing (cdk.json's context sets every setting)")
            return None  # type: ignore[return-value]  # never returned to a caller: problems raise
        value = self.context[key]
        try:
            return parse(value)
        except _Problem as problem:
            self.problems.append(f"{key}: must be {problem.rule} (got {value!r})")
            return None  # type: ignore[return-value]

    def unknown_keys(self) -> list[str]:
        # A typo such as `-c prefx=team` would otherwise be ignored silently.
        return sorted(k for k in self.context if _SETTING_LIKE_KEY.match(k) and k not in _KEYS)


def _text(value: object, rule: str) -> str:
    if not isinstance(value, str):
        raise _Problem(rule)
    return value.strip()


def _pattern(pattern: re.Pattern[str], rule: str) -> Parser[str]:
    def parse(value: object) -> str:
        text = _text(value, rule)
        if not pattern.match(text):
            raise _Problem(rule)
        return text

    return parse


def _optional(parse: Parser[str]) -> Parser[str | None]:
    def parse_optional(value: object) -> str | None:
        if value is None or value == "":
            return None
        return parse(value)

    return parse_optional


def _choice(choices: tuple[str, ...]) -> Parser[str]:
    rule = "one of " + ", ".join(choices)

    def parse(value: object) -> str:
        text = _text(value, rule).upper()
        if text not in choices:
            raise _Problem(rule)
        return text

    return parse


def _integer(low: int, high: int) -> Parser[int]:
    rule = f"a whole number from {low} to {high}"

    def parse(value: object) -> int:
        if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _Problem(rule)
        return value

    return parse


def _list_of(pattern: re.Pattern[str], what: str) -> Parser[tuple[str, ...]]:
    rule = f"a list of {what}: a JSON array or comma-separated text"

    def parse(value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except json.JSONDecodeError:
                    raise _Problem(rule) from None
            else:
                value = [item for item in (part.strip() for part in text.split(",")) if item]
        if not isinstance(value, list) or not all(isinstance(item, str) and pattern.match(item) for item in value):
            raise _Problem(rule)
        if len(set(value)) != len(value):
            raise _Problem(rule + ", without repeats")
        return tuple(value)

    return parse


def _repository_arns(value: object) -> tuple[str, ...]:
    """ECR repositories, each an ARN or a URI (<account>.dkr.ecr.<region>.amazonaws.com/<name>), as ARNs."""
    rule = (
        "a list of ECR repository ARNs (arn:<partition>:ecr:<region>:<account>:repository/<name>) or URIs "
        "(<account>.dkr.ecr.<region>.amazonaws.com/<name>, no tag): a JSON array or comma-separated text"
    )
    try:
        items = _list_of(re.compile(r"^\S+$"), "")(value)
    except _Problem:
        raise _Problem(rule) from None
    repositories = [ImageRepository.parse(item) for item in items]
    if not all(repositories):
        raise _Problem(rule)
    return tuple(dict.fromkeys(repository.arn for repository in repositories if repository is not None))


def _json_object(value: object) -> dict[str, object]:
    """A training request (Estimator and fit() arguments): a JSON object, or its text."""
    rule = 'a JSON object (a training request, e.g. {"instance_type": "ml.m5.large"})'
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            raise _Problem(rule) from None
    if not isinstance(value, dict):
        raise _Problem(rule)
    return value
