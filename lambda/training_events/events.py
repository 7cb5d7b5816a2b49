"""Recognise what started an execution: a request file in S3, an image pushed to ECR, a schedule, or a console input.

Each EventBridge event shape becomes a `TrainingTrigger`: the execution input (or, for a request file, where to
read it), the job name derived from the event (None for a console input: the builder then generates one), and a
description of the source for people. Anything that is not one of these events is a console input, unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from platform_contract import REQUEST_SUFFIX, TUNER_KEY, JobNameOrigin, PrepareEnvironment
from training_request.tuning import NAME_MAX_LENGTH as TUNING_NAME_MAX_LENGTH

from .names import capacity_retry_job_name, event_job_name, shortened_event_job_name


class TriggerKind(str, Enum):
    REQUEST_FILE = "request-file"
    IMAGE_PUSH = "image-push"
    SCHEDULE = "schedule"
    CONSOLE = "console"


class IgnoredEvent(Exception):
    """A recognised event that must not start a training (a key outside the request prefix or under the result
    prefix, a failed push, a tag that does not match).

    The reason says which; the workflow ends successfully with it instead of training.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class MalformedEvent(ValueError):
    """An event of a known type that lacks a field this platform needs."""


class InvalidRequestFile(ValueError):
    """A request file whose content is not a JSON document; the message says where and why."""


@dataclass(frozen=True)
class TriggerConfig:
    """What a deployment configures for its triggers (the Lambda's environment, from the stack's settings)."""

    request_prefix: str = "requests/"
    # Results are written here (never under the request prefix): an event for a key under it is not a request.
    result_prefix: str = "results/"
    # EventBridge wildcard syntax: `*` matches any run of characters, everything else itself.
    image_tag_pattern: str = "*"
    image_push_request: Mapping[str, object] = field(default_factory=dict)
    scheduled_request: Mapping[str, object] | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> TriggerConfig:
        """REQUEST_PREFIX, RESULT_PREFIX, IMAGE_TAG_PATTERN, IMAGE_PUSH_REQUEST (JSON object), SCHEDULED_REQUEST
        (JSON object or unset)."""
        image_push_request = _json_object(environ, PrepareEnvironment.IMAGE_PUSH_REQUEST.value)
        return cls(
            request_prefix=environ.get(PrepareEnvironment.REQUEST_PREFIX.value, cls.request_prefix),
            result_prefix=environ.get(PrepareEnvironment.RESULT_PREFIX.value, cls.result_prefix),
            image_tag_pattern=environ.get(PrepareEnvironment.IMAGE_TAG_PATTERN.value, cls.image_tag_pattern),
            image_push_request=image_push_request if image_push_request is not None else {},
            scheduled_request=_json_object(environ, PrepareEnvironment.SCHEDULED_REQUEST.value),
        )


@dataclass(frozen=True)
class RequestFile:
    """The S3 object a request-file event names; read by version when the bucket keeps versions."""

    bucket: str
    key: str
    version_id: str | None
    etag: str | None

    def to_mapping(self) -> dict[str, str | None]:
        """As the workflow carries it between states (JSON)."""
        return {"bucket": self.bucket, "key": self.key, "version_id": self.version_id, "etag": self.etag}

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> RequestFile:
        bucket, key = data.get("bucket"), data.get("key")
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise MalformedEvent(f"a request file needs a bucket and a key (got {dict(data)!r})")
        return cls(bucket, key, _optional_text(data.get("version_id")), _optional_text(data.get("etag")))

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class TrainingTrigger:
    kind: TriggerKind
    source: str
    job_name: str | None
    # The execution input; None for a request file until its content is read (`with_request_body`).
    execution_input: object
    request_file: RequestFile | None = None

    def training_input(self, request_body: bytes | None = None) -> object:
        """The input for the request builder, with the event's job name in it.

        An event-triggered training is always named after its event (a `job_name` in the request is replaced),
        so that a duplicate delivery meets the first job's name. Input that is not an object is passed on
        unchanged: the builder reports it.
        """
        if self.kind is TriggerKind.REQUEST_FILE:
            if request_body is None:
                raise ValueError("a request-file trigger needs the file's content")
            execution_input: object = _parse_request(request_body, self.source)
        else:
            execution_input = self.execution_input
        if self.job_name is None or not isinstance(execution_input, dict):
            return execution_input
        if TUNER_KEY in execution_input:
            return {**execution_input, "job_name": shortened_event_job_name(self.job_name, TUNING_NAME_MAX_LENGTH)}
        return {**execution_input, "job_name": self.job_name}

    def for_capacity_retry(self, attempt: int) -> TrainingTrigger:
        """The trigger of the `attempt`-th capacity retry: a job named after an event needs a fresh name, still
        derived from the event; a console input's job is named as its input says, or generated afresh."""
        if self.job_name is None or attempt <= 0:
            return self
        return replace(self, job_name=capacity_retry_job_name(self.job_name, attempt))

    @property
    def job_name_origin(self) -> JobNameOrigin:
        if self.job_name is not None:
            return JobNameOrigin.EVENT
        given = isinstance(self.execution_input, Mapping) and self.execution_input.get("job_name") is not None
        return JobNameOrigin.INPUT if given else JobNameOrigin.GENERATED

    def to_mapping(self) -> dict[str, str]:
        """What started the execution, for people: {"kind", "source"}."""
        return {"kind": self.kind.value, "source": self.source}


def recognise_event(event: object, config: TriggerConfig) -> TrainingTrigger:
    """Classify one execution input. Raises IgnoredEvent or MalformedEvent for events that must not train."""
    if isinstance(event, Mapping):
        kind = (event.get("source"), event.get("detail-type"))
        detail = event.get("detail")
        if isinstance(detail, Mapping):
            if kind == ("aws.s3", "Object Created"):
                return _request_file(detail, config)
            if kind == ("aws.ecr", "ECR Image Action"):
                return _image_push(event, detail, config)
            if kind == ("aws.events", "Scheduled Event"):
                return _schedule(event, config)
    return TrainingTrigger(TriggerKind.CONSOLE, "console input", None, event)


def request_file_named_by(event: object) -> RequestFile | None:
    """The request file an S3 "Object Created" event names, however little else it carries (no version, no
    ETag): its execution may have failed before Prepare recognised it, and its result still says why.
    None for any other input."""
    if not isinstance(event, Mapping) or (event.get("source"), event.get("detail-type")) != (
        "aws.s3",
        "Object Created",
    ):
        return None
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return None
    try:
        bucket, key = _text(detail, "bucket", "name"), _text(detail, "object", "key")
    except MalformedEvent:
        return None
    obj = detail["object"]
    assert isinstance(obj, Mapping)  # checked by _text
    return RequestFile(bucket, key, _optional_text(obj.get("version-id")), _optional_text(obj.get("etag")))


def _request_file(detail: Mapping[str, object], config: TriggerConfig) -> TrainingTrigger:
    bucket = _text(detail, "bucket", "name")
    key = _text(detail, "object", "key")
    obj = detail["object"]
    assert isinstance(obj, Mapping)  # checked by _text
    version_id = _optional_text(obj.get("version-id"))
    etag = _optional_text(obj.get("etag"))
    # The request rule never matches a result (the prefixes are disjoint); this guards a hand-sent event or a
    # deployment whose Lambda settings were edited by hand, so that no result can ever start a training.
    if key.startswith(config.result_prefix):
        raise IgnoredEvent(f"s3://{bucket}/{key} is a result file written by the platform ({config.result_prefix}*)")
    if not key.startswith(config.request_prefix) or not key.endswith(REQUEST_SUFFIX):
        raise IgnoredEvent(f"s3://{bucket}/{key} is not a request file ({config.request_prefix}*{REQUEST_SUFFIX})")
    # Version first: a new version of the same file is a new training. Without versioning the ETag changes
    # with the content (and with every upload under SSE-KMS).
    revision = version_id or etag
    if revision is None:
        raise MalformedEvent(f"S3 event for s3://{bucket}/{key} has neither object.version-id nor object.etag")
    request_file = RequestFile(bucket, key, version_id, etag)
    hint = key[len(config.request_prefix) : -len(REQUEST_SUFFIX)]
    source = f"request file {request_file.uri}" + (f" (version {version_id})" if version_id else f" (ETag {etag})")
    return TrainingTrigger(
        TriggerKind.REQUEST_FILE,
        source,
        event_job_name(hint, (bucket, key, revision), fallback_hint="request"),
        None,
        request_file,
    )


def _image_push(event: Mapping[str, object], detail: Mapping[str, object], config: TriggerConfig) -> TrainingTrigger:
    action, result = detail.get("action-type"), detail.get("result")
    repository = _text(detail, "repository-name")
    if action != "PUSH" or result != "SUCCESS":
        raise IgnoredEvent(f"ECR {action} of {repository} with result {result} is not a successful push")
    tag = detail.get("image-tag")
    if not isinstance(tag, str) or not wildcard_match(config.image_tag_pattern, tag):
        raise IgnoredEvent(f"image tag {tag!r} of {repository} does not match {config.image_tag_pattern!r}")
    digest = _text(detail, "image-digest")
    account, region = _text(event, "account"), _text(event, "region")
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    # By digest: the job trains exactly the image that was pushed, even if the tag moves on.
    image_uri = f"{account}.dkr.ecr.{region}.{domain}/{repository}@{digest}"
    return TrainingTrigger(
        TriggerKind.IMAGE_PUSH,
        f"image push {repository}:{tag} ({digest})",
        event_job_name(repository, (account, region, repository, digest), fallback_hint="image"),
        {**config.image_push_request, "image_uri": image_uri},
    )


def _schedule(event: Mapping[str, object], config: TriggerConfig) -> TrainingTrigger:
    resources = event.get("resources")
    if not isinstance(resources, list) or not resources or not isinstance(resources[0], str):
        raise MalformedEvent("Scheduled Event has no resources[0] (the rule ARN)")
    rule_arn = resources[0]
    time = _text(event, "time")
    if config.scheduled_request is None:
        raise IgnoredEvent(f"schedule {rule_arn} fired but no scheduled request is configured")
    rule_name = rule_arn.rsplit("/", 1)[-1]
    return TrainingTrigger(
        TriggerKind.SCHEDULE,
        f"schedule {rule_name} at {time}",
        event_job_name(rule_name, (rule_arn, time), fallback_hint="scheduled"),
        dict(config.scheduled_request),
    )


def wildcard_match(pattern: str, value: str) -> bool:
    """EventBridge's `wildcard` operator: `*` matches any run of characters (including none)."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _parse_request(body: bytes, source: str) -> object:
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InvalidRequestFile(f"{source}: not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise InvalidRequestFile(
            f"{source}: not a JSON document: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def _text(data: Mapping[str, object], *path: str) -> str:
    value: object = data
    for name in path:
        if not isinstance(value, Mapping) or name not in value:
            raise MalformedEvent(f"event has no {'.'.join(path)}")
        value = value[name]
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"event's {'.'.join(path)} is not a non-empty string (got {value!r})")
    return value


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _json_object(environ: Mapping[str, str], name: str) -> dict[str, object] | None:
    text = environ.get(name, "").strip()
    if not text:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"{name} must hold a JSON object (got {type(value).__name__})")
    return value
