"""The real SageMaker Python SDK v2 as the test oracle, run offline.

`sdk_request` turns an execution input into the SDK's own objects, runs
`Estimator(...).fit(wait=False)` and returns the CreateTrainingJob parameters the SDK hands to
boto3, captured before botocore validates or sends anything. `sdk_tuning_request` does the same for a
tuning request: `HyperparameterTuner(Estimator(...), **tuner).fit(wait=False)` and its
CreateHyperParameterTuningJob parameters. Every other AWS call the SDK makes
(STS for the account id, S3 for its default bucket) is answered here from canned responses; any
call we do not expect fails loudly instead of reaching the network.

Things outside the arguments that change the SDK's request are shut out: its defaults config files
(`SAGEMAKER_ADMIN_CONFIG_OVERRIDE` / `SAGEMAKER_USER_CONFIG_OVERRIDE` point at an empty file), a
`.sagemaker-code-config` above the working directory (the SDK runs in an empty temp directory) and
usage telemetry (its sender is replaced by a recorder, so nothing leaves the process).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

import boto3
from botocore.awsrequest import AWSResponse

ACCOUNT_ID = "123456789012"
# The SDK's own default bucket name for ACCOUNT_ID, `sagemaker-<region>-<account>`.
DEFAULT_BUCKET_FORMAT = "sagemaker-{region}-" + ACCOUNT_ID

ESTIMATOR_KEYS = frozenset(
    {
        "image_uri",
        "role",
        "instance_count",
        "instance_type",
        "volume_size",
        "volume_kms_key",
        "max_run",
        "input_mode",
        "output_path",
        "output_kms_key",
        "base_job_name",
        "hyperparameters",
        "tags",
        "subnets",
        "security_group_ids",
        "model_uri",
        "model_channel_name",
        "metric_definitions",
        "encrypt_inter_container_traffic",
        "use_spot_instances",
        "max_wait",
        "checkpoint_s3_uri",
        "checkpoint_local_path",
        "enable_network_isolation",
        "rules",
        "debugger_hook_config",
        "tensorboard_output_config",
        "enable_sagemaker_metrics",
        "profiler_config",
        "disable_profiler",
        "environment",
        "max_retry_attempts",
        "keep_alive_period_in_seconds",
        "container_entry_point",
        "container_arguments",
        "training_repository_access_mode",
        "training_repository_credentials_provider_arn",
        "disable_output_compression",
        "enable_infra_check",
        "enable_remote_debug",
        "enable_session_tag_chaining",
        "training_plan",
        "instance_placement_config",
        "instance_groups",
        "entry_point",
        "source_dir",
        "dependencies",
        "git_config",
        "code_location",
        "container_log_level",
    }
)
FIT_KEYS = frozenset({"inputs", "job_name", "experiment_config", "wait", "logs"})
TUNER_KEYS = frozenset(
    {
        "objective_metric_name",
        "hyperparameter_ranges",
        "metric_definitions",
        "strategy",
        "objective_type",
        "max_jobs",
        "max_parallel_jobs",
        "max_runtime_in_seconds",
        "tags",
        "base_tuning_job_name",
        "warm_start_config",
        "early_stopping_type",
        "strategy_config",
        "completion_criteria_config",
        "random_seed",
        "autotune",
        "hyperparameters_to_keep_static",
    }
)
TUNING_FIT_KEYS = frozenset({"include_cls_metadata"})


class DefaultsLike(Protocol):
    role_arn: str | None
    image_uri: str | None
    output_path: str | None


class UnexpectedAwsCall(AssertionError):
    """The SDK tried an AWS call the oracle does not answer."""


class _CapturedRequest(Exception):
    """Raised from inside boto3 to stop the call once its parameters are recorded."""

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__("request captured")
        self.params = params


class _Body:
    """The raw stream botocore reads an HTTP response body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._data


def _sts_caller_identity(_: str) -> bytes:
    return (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<GetCallerIdentityResult>"
        f"<Arn>arn:aws:iam::{ACCOUNT_ID}:user/oracle</Arn><UserId>AIDAORACLE</UserId>"
        f"<Account>{ACCOUNT_ID}</Account>"
        "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    ).encode()


def _s3_list_buckets(region: str) -> bytes:
    # The default bucket already exists, so the SDK does not try to create it.
    return (
        '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        "<Owner><ID>oracle</ID></Owner><Buckets><Bucket>"
        f"<Name>{DEFAULT_BUCKET_FORMAT.format(region=region)}</Name>"
        "<CreationDate>2024-01-01T00:00:00.000Z</CreationDate>"
        "</Bucket></Buckets></ListAllMyBucketsResult>"
    ).encode()


def _empty(_: str) -> bytes:
    return b""


_CANNED_RESPONSES = {
    "sts.GetCallerIdentity": _sts_caller_identity,
    "s3.ListBuckets": _s3_list_buckets,
    "s3.HeadBucket": _empty,
}


class _LocalAws:
    """botocore event handlers: capture CreateTrainingJob, answer the rest, send nothing."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.answered: list[str] = []

    def capture(self, params: dict[str, Any], **_: object) -> None:
        raise _CapturedRequest(copy.deepcopy(params))

    def answer(self, request: Any, event_name: str, **_: object) -> AWSResponse:
        operation = event_name.removeprefix("before-send.")
        respond = _CANNED_RESPONSES.get(operation)
        if respond is None:
            raise UnexpectedAwsCall(f"the SDK called {operation} ({request.url}); not answered")
        self.answered.append(operation)
        return AWSResponse(request.url, 200, {}, _Body(respond(self.region)))


def _not_about_the_capture(record: logging.LogRecord) -> bool:
    """The SDK logs an error for any exception out of CreateTrainingJob, ours included: drop that."""
    return sys.exc_info()[0] is not _CapturedRequest


class _TelemetryRecorder:
    """Stands in for the SDK's telemetry sender: records, sends nothing."""

    def __init__(self) -> None:
        self.suppressed = 0

    def __call__(self, *_: object, **__: object) -> None:
        self.suppressed += 1


@contextlib.contextmanager
def isolated_sdk() -> Iterator[None]:
    """No config files, no project tags from the working directory, no telemetry."""
    from sagemaker import _studio
    from sagemaker.telemetry import telemetry_logging

    with tempfile.TemporaryDirectory(prefix="sdk-oracle-") as workdir:
        empty_config = os.path.join(workdir, "empty-config.yaml")
        open(empty_config, "w").close()
        saved_env = {k: os.environ.get(k) for k in _CONFIG_OVERRIDES}
        saved_cwd = os.getcwd()
        saved_sender = telemetry_logging._send_telemetry_request
        sdk_logger = logging.getLogger("sagemaker")
        sdk_logger.addFilter(_not_about_the_capture)
        try:
            for key in _CONFIG_OVERRIDES:
                os.environ[key] = empty_config
            os.chdir(workdir)
            found = _studio._find_config()
            if found is not None:
                raise AssertionError(f"{found} would add project tags to the SDK's request")
            telemetry_logging._send_telemetry_request = _TelemetryRecorder()
            yield
        finally:
            sdk_logger.removeFilter(_not_about_the_capture)
            telemetry_logging._send_telemetry_request = saved_sender
            os.chdir(saved_cwd)
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


_CONFIG_OVERRIDES = ("SAGEMAKER_ADMIN_CONFIG_OVERRIDE", "SAGEMAKER_USER_CONFIG_OVERRIDE")


def offline_session(region: str) -> Any:
    """A sagemaker.session.Session whose AWS calls never leave the process.

    Call inside `isolated_sdk()`: the session reads the defaults config when it is created.
    """
    import sagemaker

    boto_session = boto3.Session(
        aws_access_key_id="AKIAORACLEORACLE",
        aws_secret_access_key="oracle-secret",
        region_name=region,
    )
    local_aws = _LocalAws(region)
    botocore_session = boto_session._session
    botocore_session.register("before-send", local_aws.answer)
    botocore_session.register("before-parameter-build.sagemaker.CreateTrainingJob", local_aws.capture)
    botocore_session.register("before-parameter-build.sagemaker.CreateHyperParameterTuningJob", local_aws.capture)
    session = sagemaker.session.Session(boto_session=boto_session)
    if session.sagemaker_config:
        raise AssertionError(f"SDK defaults config leaked in: {session.sagemaker_config}")
    return session


def _training_input(spec: Mapping[str, Any]) -> Any:
    from sagemaker.inputs import ShuffleConfig, TrainingInput

    kwargs = dict(spec)
    if kwargs.get("shuffle_config") is not None:
        kwargs["shuffle_config"] = ShuffleConfig(**kwargs["shuffle_config"])
    return TrainingInput(**kwargs)


def _file_system_input(spec: Mapping[str, Any]) -> Any:
    from sagemaker.inputs import FileSystemInput

    return FileSystemInput(**spec)


def _channel(value: Any) -> Any:
    if isinstance(value, Mapping) and "s3_data" in value:
        return _training_input(value)
    if isinstance(value, Mapping) and "file_system_id" in value:
        return _file_system_input(value)
    return value


def sdk_inputs(inputs: Any) -> Any:
    """fit()'s `inputs`: a string, a TrainingInput, a FileSystemInput or a mapping of them."""
    if isinstance(inputs, Mapping) and not ("s3_data" in inputs or "file_system_id" in inputs):
        return {name: _channel(value) for name, value in inputs.items()}
    return _channel(inputs)


def _rule(spec: Mapping[str, Any]) -> Any:
    from sagemaker.debugger import ProfilerRule, Rule, rule_configs

    if "profiler_rule" in spec:
        return ProfilerRule.sagemaker(getattr(rule_configs, spec["profiler_rule"])())
    return Rule.sagemaker(getattr(rule_configs, spec["rule"])(), rule_parameters=spec.get("rule_parameters"))


def _debugger_hook_config(spec: Any) -> Any:
    from sagemaker.debugger import CollectionConfig, DebuggerHookConfig

    if spec is False:
        return False
    kwargs = dict(spec)
    if kwargs.get("collection_configs") is not None:
        kwargs["collection_configs"] = [CollectionConfig(**collection) for collection in kwargs["collection_configs"]]
    return DebuggerHookConfig(**kwargs)


def _instance_group(spec: Mapping[str, Any]) -> Any:
    from sagemaker.instance_group import InstanceGroup

    return InstanceGroup(**spec)


def estimator_kwargs(execution_input: Mapping[str, Any]) -> dict[str, Any]:
    """The Estimator keyword arguments, helper objects made into the SDK's classes."""
    from sagemaker.debugger import ProfilerConfig, TensorBoardOutputConfig

    kwargs = {k: copy.deepcopy(v) for k, v in execution_input.items() if k in ESTIMATOR_KEYS}
    if kwargs.get("rules") is not None:
        kwargs["rules"] = [_rule(rule) for rule in kwargs["rules"]]
    if "debugger_hook_config" in kwargs and kwargs["debugger_hook_config"] is not None:
        kwargs["debugger_hook_config"] = _debugger_hook_config(kwargs["debugger_hook_config"])
    if kwargs.get("tensorboard_output_config") is not None:
        kwargs["tensorboard_output_config"] = TensorBoardOutputConfig(**kwargs["tensorboard_output_config"])
    if kwargs.get("profiler_config") is not None:
        kwargs["profiler_config"] = ProfilerConfig(**kwargs["profiler_config"])
    if kwargs.get("instance_groups") is not None:
        kwargs["instance_groups"] = [_instance_group(group) for group in kwargs["instance_groups"]]
    return kwargs


def _with_defaults(execution_input: Mapping[str, Any], defaults: DefaultsLike | None) -> dict:
    """What a notebook user of the platform would type: its role, image and output path."""
    filled = dict(execution_input)
    if defaults is not None:
        for key, value in (
            ("role", defaults.role_arn),
            ("image_uri", defaults.image_uri),
            ("output_path", defaults.output_path),
        ):
            if key not in filled and value is not None:
                filled[key] = value
    return filled


def fit_and_capture(execution_input: Mapping[str, Any], session: Any) -> dict[str, Any]:
    """`Estimator(...).fit(wait=False)` on `session`, returning the CreateTrainingJob parameters.

    The bare SDK path, for timing; call it inside `isolated_sdk()` (or use `sdk_request`).
    """
    from sagemaker.estimator import Estimator

    estimator = Estimator(sagemaker_session=session, **estimator_kwargs(execution_input))
    try:
        estimator.fit(
            inputs=sdk_inputs(execution_input.get("inputs")),
            wait=False,  # waiting changes nothing in the request
            logs=execution_input.get("logs", "All"),
            job_name=execution_input.get("job_name"),
            experiment_config=copy.deepcopy(execution_input.get("experiment_config")),
        )
    except _CapturedRequest as captured:
        return captured.params
    raise AssertionError("fit() returned without calling CreateTrainingJob")


def sdk_request(
    execution_input: Mapping[str, Any],
    *,
    region: str,
    defaults: DefaultsLike | None = None,
    session: Any = None,
) -> dict[str, Any]:
    """The CreateTrainingJob parameters SageMaker SDK v2 sends for this execution input.

    `defaults` stands in for what the user would pass explicitly (role, image_uri, output_path)
    when the input omits them; with None the SDK's own behaviour applies. Pass `session` (from
    `offline_session`, created under `isolated_sdk`) to reuse one across calls.
    """
    unknown = set(execution_input) - ESTIMATOR_KEYS - FIT_KEYS
    if unknown:
        raise KeyError(f"not an Estimator or fit() argument: {sorted(unknown)}")
    filled = _with_defaults(execution_input, defaults)
    with isolated_sdk():
        sdk_session = session if session is not None else offline_session(region)
        if sdk_session.boto_region_name != region:
            raise ValueError(f"session is for {sdk_session.boto_region_name}, not {region}")
        return fit_and_capture(filled, sdk_session)


# -- Tuning ------------------------------------------------------------------------------------------


def _parameter_range(spec: Mapping[str, Any]) -> Any:
    from sagemaker.parameter import CategoricalParameter, ContinuousParameter, IntegerParameter

    kwargs = {key: value for key, value in spec.items() if key != "type"}
    kinds = {"Continuous": ContinuousParameter, "Integer": IntegerParameter, "Categorical": CategoricalParameter}
    return kinds[spec["type"]](**kwargs)


def tuner_kwargs(tuner: Mapping[str, Any]) -> dict[str, Any]:
    """HyperparameterTuner's keyword arguments, the JSON forms made into the SDK's classes."""
    from sagemaker.tuner import (
        HyperbandStrategyConfig,
        StrategyConfig,
        TuningJobCompletionCriteriaConfig,
        WarmStartConfig,
        WarmStartTypes,
    )

    kwargs = {key: copy.deepcopy(value) for key, value in tuner.items()}
    ranges = kwargs.get("hyperparameter_ranges")
    if ranges is not None:
        kwargs["hyperparameter_ranges"] = {name: _parameter_range(spec) for name, spec in ranges.items()}
    else:
        kwargs["hyperparameter_ranges"] = None
    warm_start = kwargs.get("warm_start_config")
    if warm_start is not None:
        kwargs["warm_start_config"] = WarmStartConfig(
            WarmStartTypes(warm_start["warm_start_type"]), warm_start["parents"]
        )
    strategy_config = kwargs.get("strategy_config")
    if strategy_config is not None:
        hyperband = HyperbandStrategyConfig(**strategy_config["hyperband_strategy_config"])
        kwargs["strategy_config"] = StrategyConfig(hyperband_strategy_config=hyperband)
    criteria = kwargs.get("completion_criteria_config")
    if criteria is not None:
        kwargs["completion_criteria_config"] = TuningJobCompletionCriteriaConfig(**criteria)
    return kwargs


def tune_and_capture(execution_input: Mapping[str, Any], session: Any) -> dict[str, Any]:
    """`HyperparameterTuner(Estimator(...), **tuner).fit(wait=False)` on `session`, returning the
    CreateHyperParameterTuningJob parameters. Call it inside `isolated_sdk()`."""
    from sagemaker.estimator import Estimator
    from sagemaker.tuner import HyperparameterTuner

    estimator = Estimator(sagemaker_session=session, **estimator_kwargs(execution_input))
    tuner = HyperparameterTuner(estimator, **tuner_kwargs(execution_input["tuner"]))
    try:
        tuner.fit(
            inputs=sdk_inputs(execution_input.get("inputs")),
            job_name=execution_input.get("job_name"),
            include_cls_metadata=execution_input.get("include_cls_metadata", False),
            wait=False,
        )
    except _CapturedRequest as captured:
        return captured.params
    raise AssertionError("fit() returned without calling CreateHyperParameterTuningJob")


def sdk_tuning_request(
    execution_input: Mapping[str, Any],
    *,
    region: str,
    defaults: DefaultsLike | None = None,
    session: Any = None,
) -> dict[str, Any]:
    """The CreateHyperParameterTuningJob parameters SageMaker SDK v2 sends for this tuning request (see
    `sdk_request` for `defaults` and `session`)."""
    unknown = set(execution_input) - ESTIMATOR_KEYS - FIT_KEYS - TUNING_FIT_KEYS - {"tuner"}
    unknown |= {f"tuner.{key}" for key in set(execution_input["tuner"]) - TUNER_KEYS}
    if unknown:
        raise KeyError(f"not an Estimator, HyperparameterTuner or fit() argument: {sorted(unknown)}")
    filled = _with_defaults(execution_input, defaults)
    with isolated_sdk():
        sdk_session = session if session is not None else offline_session(region)
        if sdk_session.boto_region_name != region:
            raise ValueError(f"session is for {sdk_session.boto_region_name}, not {region}")
        return tune_and_capture(filled, sdk_session)
