"""What the functions need of the Lambda runtime's botocore, which AWS ships with the runtime (its version
depends on the runtime and the region) and the asset does not bundle.

- The request builder checks every request against botocore's SageMaker model (ranges, patterns, enums,
  botocore's ParamValidator). The newest CreateTrainingJob member it sends, RetryStrategy, is in the model
  since botocore 1.20.64: an older model would refuse valid requests or fail looking a member up, so the
  builder stops with OutdatedBotocore, naming both versions. (Newer instance types also need a newer model:
  the runtime's model decides which ones the workflow accepts.)
- WriteResult writes a Duplicate's note only where no result exists, with S3's conditional write
  (PutObject's IfNoneMatch, in botocore since 1.35.2). With an older botocore it sends the same
  `If-None-Match: *` header itself, and logs once that it does.

MIN_BOTOCORE_VERSION is the release with both; docs/deploy.md states it.
"""

from __future__ import annotations

SAGEMAKER_MODEL_VERSION = (1, 20, 64)  # CreateTrainingJob's RetryStrategy in the SageMaker model
S3_CONDITIONAL_WRITES_VERSION = (1, 35, 2)  # PutObject's IfNoneMatch in the S3 model
MIN_BOTOCORE_VERSION = max(SAGEMAKER_MODEL_VERSION, S3_CONDITIONAL_WRITES_VERSION)


class OutdatedBotocore(RuntimeError):
    """The runtime's botocore lacks what a feature needs: the message names both versions."""


def botocore_version() -> tuple[int, ...]:
    """The installed botocore's release, as numbers (pre-release suffixes ignored)."""
    import botocore

    numbers = []
    for part in botocore.__version__.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        numbers.append(int(digits or 0))
    return tuple(numbers)


def version_text(version: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in version)


def require_botocore(minimum: tuple[int, ...], feature: str) -> None:
    """Raise OutdatedBotocore when the installed botocore is older than `minimum`, which `feature` needs."""
    installed = botocore_version()
    if installed < minimum:
        raise OutdatedBotocore(
            f"{feature} needs botocore {version_text(minimum)} or newer; the Lambda runtime has "
            f"{version_text(installed)} (the platform needs {version_text(MIN_BOTOCORE_VERSION)})"
        )
