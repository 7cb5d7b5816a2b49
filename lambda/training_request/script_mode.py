"""Script mode: entry_point and source_dir (with dependencies, git_config, code_location and
container_log_level), as sagemaker.estimator.EstimatorBase._prepare_for_training and
Estimator.set_hyperparameters turn them into hyperparameters (and, with network isolation, a code channel).

The platform starts jobs from the console and from events, where no local file can be read and no git
runs: the code must already be a tar.gz in S3 (`source_dir`), as the SDK takes it. Every local form is an
error that says what to do instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .errors import Problems
from .fields import ObjectReader, json_type
from .locations import Reachability, check_s3_uri
from .validation import check

SCRIPT_MODE_KEYS = ("entry_point", "source_dir", "dependencies", "git_config", "code_location", "container_log_level")
# The SDK's hyperparameter names (sagemaker.model) and its default container log level (logging.INFO).
SUBMIT_DIRECTORY = "sagemaker_submit_directory"
PROGRAM = "sagemaker_program"
CONTAINER_LOG_LEVEL = "sagemaker_container_log_level"
JOB_NAME = "sagemaker_job_name"
REGION = "sagemaker_region"
DEFAULT_LOG_LEVEL = 20
# Python's logging levels (NOTSET, DEBUG, INFO, WARNING, ERROR, CRITICAL): the values the SDK documents.
LOG_LEVELS = (0, 10, 20, 30, 40, 50)
# With network isolation the SDK hands the code over as a channel and points the container at its copy.
CODE_CHANNEL = "code"
ISOLATED_SOURCE_ARCHIVE = "/opt/ml/input/data/code/sourcedir.tar.gz"
ARCHIVE_SUFFIX = ".tar.gz"
_UPLOAD_IT = (
    "the platform starts jobs where your files are not: package the code as a tar.gz "
    "(tar -czf sourcedir.tar.gz -C <directory> .), upload it to S3 and give its s3:// URI as source_dir"
)


@dataclass(frozen=True)
class ScriptMode:
    entry_point: str
    source_dir: str  # the s3:// URI of the code archive
    log_level: int

    @staticmethod
    def hyperparameter_text(value: object) -> str | None:
        """With a source_dir the SDK JSON-encodes every hyperparameter value: "a" -> '"a"', true -> "true"."""
        try:
            return json.dumps(value)
        except (RecursionError, ValueError):
            return None

    def hyperparameters(self, job_name: str, region: str, *, network_isolation: bool) -> dict[str, str]:
        """The five the SDK adds after the user's, JSON-encoded too (strings keep their quotes)."""
        directory = ISOLATED_SOURCE_ARCHIVE if network_isolation else self.source_dir
        added: dict[str, object] = {
            SUBMIT_DIRECTORY: directory,
            PROGRAM: self.entry_point,
            CONTAINER_LOG_LEVEL: self.log_level,
            JOB_NAME: job_name,
            REGION: region,
        }
        return {key: json.dumps(value) for key, value in added.items()}

    def code_channel(self) -> dict[str, object]:
        """sagemaker.job._Job._prepare_channel for the code, after the inputs and the model channel."""
        source = {"S3DataType": "S3Prefix", "S3Uri": self.source_dir, "S3DataDistributionType": "FullyReplicated"}
        return {"DataSource": {"S3DataSource": source}, "ChannelName": CODE_CHANNEL}


def read_script_mode(reader: ObjectReader, problems: Problems, reach: Reachability) -> ScriptMode | None:
    """The script-mode settings, or None when the input has no entry_point and no source_dir."""
    _refuse_git_config(reader, problems)
    log_level = _log_level(reader, problems)
    _code_location(reader, problems)
    source_dir = _source_dir(reader, problems, reach)
    entry_point = _entry_point(reader, problems, has_source_dir=reader.present("source_dir"))
    _refuse_dependencies(reader, problems)
    if source_dir is None or entry_point is None:
        return None
    return ScriptMode(entry_point=entry_point, source_dir=source_dir, log_level=log_level)


def add_code_channel(
    config: list[dict[str, object]] | None, script: ScriptMode, problems: Problems
) -> list[dict[str, object]]:
    """The channels with the code channel network isolation needs; an input channel named `code` clashes."""
    channels = list(config or [])
    if any(channel.get("ChannelName") == CODE_CHANNEL for channel in channels):
        problems.add(
            "source_dir",
            script.source_dir,
            f"with enable_network_isolation the code reaches the container as a channel named {CODE_CHANNEL!r}, "
            "which inputs already has: rename that channel",
        )
    return [*channels, script.code_channel()]


def _source_dir(reader: ObjectReader, problems: Problems, reach: Reachability) -> str | None:
    source_dir = reader.string("source_dir")
    if source_dir is None:
        return None
    if not source_dir.lower().startswith("s3://"):
        problems.add(
            "source_dir",
            source_dir,
            f"is a local directory; {_UPLOAD_IT} (or start it with trainctl start, which packages and uploads it as the SDK does)",
        )
        return None
    if not check_s3_uri(problems, "source_dir", source_dir):
        return None
    if not source_dir.endswith(ARCHIVE_SUFFIX):
        problems.add(
            "source_dir",
            source_dir,
            "must be the s3:// URI of a tar.gz archive of the code (the SDK uploads one named sourcedir.tar.gz), "
            "not a prefix or another file",
        )
        return None
    # Where the SDK puts it: the value of the sagemaker_submit_directory hyperparameter.
    check(problems, "source_dir", json.dumps(source_dir), "HyperParameters{value}")
    reach.reads("source_dir", source_dir)
    return source_dir


def _entry_point(reader: ObjectReader, problems: Problems, *, has_source_dir: bool) -> str | None:
    entry_point = reader.string("entry_point")
    if entry_point is None:
        if has_source_dir:
            problems.add(
                "entry_point",
                None,
                "is required with source_dir: the script to run, at the archive's root (the SDK would send "
                'sagemaker_program "null" and the job would fail in the container)',
            )
        return None
    if not has_source_dir:
        problems.add(
            "entry_point",
            entry_point,
            f"without source_dir names a file on your machine, which the SDK uploads; {_UPLOAD_IT}, "
            "and give the script's name inside it as entry_point",
        )
        return None
    if "/" in entry_point or "\\" in entry_point or entry_point in (".", ".."):
        problems.add(
            "entry_point",
            entry_point,
            "must be the name of a file at the root of the source_dir archive (the SDK's rule), not a path: "
            "package the archive from the script's directory",
        )
        return None
    return entry_point


def _log_level(reader: ObjectReader, problems: Problems) -> int:
    """container_log_level: one of Python's logging levels, sent only in script mode (the SDK ignores it
    otherwise)."""
    level = reader.integer("container_log_level")
    if level is None:
        return DEFAULT_LOG_LEVEL
    if level not in LOG_LEVELS:
        problems.add(
            "container_log_level",
            level,
            "must be one of Python's logging levels: 0 (NOTSET), 10 (DEBUG), 20 (INFO), 30 (WARNING), "
            "40 (ERROR), 50 (CRITICAL)",
        )
        return DEFAULT_LOG_LEVEL
    return level


def _code_location(reader: ObjectReader, problems: Problems) -> None:
    """code_location is where the SDK uploads a local source_dir; with an s3:// source_dir (the only kind the
    platform takes) the SDK uploads nothing and the request does not change. It must still be an S3 URI."""
    code_location = reader.string("code_location")
    if code_location is not None:
        check_s3_uri(problems, "code_location", code_location)


def _refuse_dependencies(reader: ObjectReader, problems: Problems) -> None:
    value = reader.raw("dependencies")
    if value is None or value == []:
        return
    if not isinstance(value, list):
        problems.add("dependencies", value, f"must be a list of directories, not {json_type(value)}")
        return
    problems.add(
        "dependencies",
        value,
        "are local directories the SDK copies into the code archive (and ignores with an s3:// source_dir): "
        "put them into the source_dir archive instead",
    )


def _refuse_git_config(reader: ObjectReader, problems: Problems) -> None:
    value = reader.raw("git_config")
    if value is None:
        return
    # The value is not shown: a git_config may hold a password or a token.
    problems.add(
        "git_config",
        None,
        "the platform clones no repository (jobs start in AWS, where no git runs): make a tar.gz of the code "
        "(git archive --format=tar.gz -o sourcedir.tar.gz <commit>:<source_dir>), upload it to S3 and give its "
        "s3:// URI as source_dir",
    )
