"""What a deployed stack supplies when an input leaves something out: the execution role, the training image,
the output and checkpoint locations, the key that encrypts outputs and volumes, and the buckets its role can
reach."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from platform_contract import PrepareEnvironment, partition_of

from .errors import Problems
from .fields import ObjectReader
from .guardrails import Guardrails

_LIST_FIELDS = ("readable_buckets", "writable_buckets", "image_repositories")
# The stand-ins' account: AWS's documentation account, so a stand-in is never mistaken for a real resource.
_STAND_IN_ACCOUNT = "123456789012"
_URI_FIELDS = ("role_arn", "image_uri", "output_path", "checkpoint_s3_uri", "kms_key_arn")
_ENVIRONMENT = {
    "role_arn": PrepareEnvironment.DEFAULT_ROLE_ARN.value,
    "image_uri": PrepareEnvironment.DEFAULT_IMAGE_URI.value,
    "output_path": PrepareEnvironment.DEFAULT_OUTPUT_PATH.value,
    "checkpoint_s3_uri": PrepareEnvironment.DEFAULT_CHECKPOINT_S3_URI.value,
    "kms_key_arn": PrepareEnvironment.DEFAULT_KMS_KEY_ARN.value,
    "readable_buckets": PrepareEnvironment.READABLE_BUCKETS.value,
    "writable_buckets": PrepareEnvironment.WRITABLE_BUCKETS.value,
    "image_repositories": PrepareEnvironment.IMAGE_REPOSITORIES.value,
}


@dataclass(frozen=True)
class PlatformDefaults:
    role_arn: str | None = None
    image_uri: str | None = None
    output_path: str | None = None
    checkpoint_s3_uri: str | None = None  # base URI for spot checkpoints: <checkpoint_s3_uri>/<job name>
    readable_buckets: tuple[str, ...] | None = None  # None = no reachability check
    writable_buckets: tuple[str, ...] | None = None
    # Encrypts model artifacts, checkpoints' volumes and training volumes when the input names no key
    # (output_kms_key, volume_kms_key); None leaves SageMaker's defaults (the account's aws/s3 key for outputs).
    kms_key_arn: str | None = None
    # The repositories (<registry>/<name>) the execution role may pull images from; None = no check.
    image_repositories: tuple[str, ...] | None = None
    # What the deployment lets a request ask for (its guardrail and capability settings); the default checks nothing.
    guardrails: Guardrails = field(default_factory=Guardrails)

    @classmethod
    def from_mapping(cls, data: object) -> PlatformDefaults:
        """DEFAULTS.json; a bad shape raises InvalidTrainingInput naming the field."""
        problems = Problems()
        if not isinstance(data, dict):
            problems.add("defaults", data, "must be an object with keys " + ", ".join(_ENVIRONMENT))
            problems.raise_if_any()
        assert isinstance(data, dict)  # for the type checker: raise_if_any raised otherwise
        reader = ObjectReader(data, "defaults", problems, _ENVIRONMENT)
        values: dict[str, object] = {key: reader.string(key) for key in _URI_FIELDS}
        for key in _LIST_FIELDS:
            items = reader.string_list(key)
            values[key] = tuple(items) if items is not None else None
        problems.raise_if_any()
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> PlatformDefaults:
        """The Lambda's environment; bucket and repository lists are comma-separated, unset means no check; the
        guardrails as training_request.guardrails reads them."""
        values: dict[str, object] = {key: environ.get(_ENVIRONMENT[key]) or None for key in _URI_FIELDS}
        for key in _LIST_FIELDS:
            text = environ.get(_ENVIRONMENT[key])
            values[key] = None if text is None else tuple(name.strip() for name in text.split(",") if name.strip())
        values["guardrails"] = Guardrails.from_environment(environ)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def stand_ins(cls, region: str) -> PlatformDefaults:
        """Stand-ins for what a deployed stack supplies, where no stack is known (`trainctl render` and
        `validate` without --defaults, the synth-time check of trigger requests): an input that leaves the
        role, image or output path to the stack is judged on its own fields. Bucket reach is not checked:
        the stack's bucket names are not known."""
        return cls(
            role_arn=f"arn:{partition_of(region)}:iam::{_STAND_IN_ACCOUNT}:role/stack-execution-role",
            image_uri=f"{_STAND_IN_ACCOUNT}.dkr.ecr.{region}.amazonaws.com/stack-training-image:latest",
            output_path="s3://stack-artifacts-bucket/",
            checkpoint_s3_uri="s3://stack-checkpoints-bucket/",
        )
