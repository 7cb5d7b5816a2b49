"""Switches for the job's own features: enable_infra_check, enable_remote_debug, enable_session_tag_chaining
and disable_output_compression, as sagemaker.estimator._TrainingJob._get_train_args and
sagemaker.job._Job._prepare_output_config send them."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import ObjectReader

FEATURE_KEYS = (
    "enable_infra_check",
    "enable_remote_debug",
    "enable_session_tag_chaining",
    "disable_output_compression",
)
# OutputDataConfig.CompressionType the SDK sends for disable_output_compression=True.
UNCOMPRESSED_OUTPUT = "NONE"


@dataclass(frozen=True)
class JobFeatures:
    infra_check: bool | None
    remote_debug: bool | None
    session_tag_chaining: bool | None
    output_compression: str | None  # OutputDataConfig.CompressionType, or None to leave it out

    def infra_check_config(self) -> dict[str, object] | None:
        return None if self.infra_check is None else {"EnableInfraCheck": self.infra_check}

    def remote_debug_config(self) -> dict[str, object] | None:
        return None if self.remote_debug is None else {"EnableRemoteDebug": self.remote_debug}

    def session_chaining_config(self) -> dict[str, object] | None:
        if self.session_tag_chaining is None:
            return None
        return {"EnableSessionTagChaining": self.session_tag_chaining}


def read_job_features(reader: ObjectReader) -> JobFeatures:
    """The three enable_* switches are sent whenever given, false included (the SDK tests `is not None`);
    disable_output_compression only when true (the SDK tests its truth)."""
    return JobFeatures(
        infra_check=reader.boolean("enable_infra_check"),
        remote_debug=reader.boolean("enable_remote_debug"),
        session_tag_chaining=reader.boolean("enable_session_tag_chaining"),
        output_compression=UNCOMPRESSED_OUTPUT if reader.boolean("disable_output_compression") else None,
    )
