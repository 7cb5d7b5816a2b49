"""Training job names: the SDK's `<base>-<YYYY-MM-DD-HH-MM-SS-mmm>` form, always a valid name."""

from __future__ import annotations

import re
from datetime import UTC, datetime

MAX_LENGTH = 63
JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
BASE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*$")
# sagemaker.estimator.EstimatorBase.JOB_CLASS_NAME, the SDK's base when the image gives none.
DEFAULT_BASE_NAME = "training-job"
# sagemaker.utils.base_name_from_image
_IMAGE_NAME = re.compile(r"^(.+/)?([^:/]+)(:[^:]+)?$")


def timestamp(now: datetime) -> str:
    """sagemaker.utils.sagemaker_timestamp for a given UTC moment."""
    moment = now.astimezone(UTC) if now.tzinfo else now
    return moment.strftime("%Y-%m-%d-%H-%M-%S-") + f"{moment.microsecond // 1000:03d}"


def base_name_from_image(image_uri: str) -> str:
    """The repository name, as the SDK takes it, minus a digest; made a valid job name prefix.

    The SDK turns `repo@sha256:...` into the invalid base `repo@sha256`, and keeps `_` and `.` that
    ECR repository names may hold; here those become `-` so a generated name is always valid.
    """
    without_digest = image_uri.split("@", 1)[0]
    match = _IMAGE_NAME.match(without_digest)
    base = match.group(2) if match else without_digest
    base = re.sub(r"[^a-zA-Z0-9-]", "-", base).lstrip("-")
    return base or DEFAULT_BASE_NAME


def name_from_base(base: str, now: datetime) -> str:
    """sagemaker.utils.name_from_base: the base trimmed so that base-timestamp fits in 63 characters."""
    stamp = timestamp(now)
    return f"{base[: MAX_LENGTH - len(stamp) - 1]}-{stamp}"
