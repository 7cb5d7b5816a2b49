"""build_tuning_job: a tuning request (a training request plus a `tuner` object of HyperparameterTuner's keyword
arguments) becomes the CreateHyperParameterTuningJob request the SageMaker Python SDK 2.x sends for
`HyperparameterTuner(Estimator(...), **tuner).fit(inputs, job_name=...)`, plus the platform's deliberate
differences (the stack's defaults, the cost tag, unique generated names).

The training job definition is the training request's CreateTrainingJob request, built by the same builder,
reduced to what a tuning job's training jobs take (sagemaker.tuner._TuningJob._prepare_training_config and
sagemaker.session.Session._map_training_config).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from platform_contract import TUNER_KEY

from .builder import TrainingJob, build_training_job, read_metric_definitions
from .defaults import PlatformDefaults
from .errors import InvalidTrainingInput, Problems
from .fields import ObjectReader, json_type
from .job_name import BASE_NAME_PATTERN, base_name_from_image
from .tags import read_user_tags, tagged_for_cost
from .tuning_definition import training_job_definition
from .tuning_ranges import TUNING, ParameterRanges, read_parameter_ranges
from .tuning_settings import GRID, tuning_job_config, warm_start_config
from .validation import check, check_request

TUNER_KEYS = (
    "objective_metric_name", "hyperparameter_ranges", "metric_definitions", "strategy", "objective_type",
    "max_jobs", "max_parallel_jobs", "max_runtime_in_seconds", "tags", "base_tuning_job_name",
    "warm_start_config", "early_stopping_type", "strategy_config", "completion_criteria_config", "random_seed",
    "autotune", "hyperparameters_to_keep_static",
)  # fmt: skip
# fit()'s argument of HyperparameterTuner that Estimator.fit() lacks.
TUNING_FIT_KEYS = ("include_cls_metadata",)
# Estimator arguments a tuning job's training jobs cannot take: CreateHyperParameterTuningJob has no member for
# them, and the SDK drops them without a word. Here each is an error saying what to do instead; the values that
# ask for what a tuning job does anyway are accepted.
NOT_FOR_TUNING = {
    "metric_definitions": "a tuning job's training jobs use tuner.metric_definitions: move them there",
    "base_job_name": "a tuning job names its training jobs after itself: use tuner.base_tuning_job_name",
    "rules": "a tuning job's training jobs take no Debugger or profiler rules",
    "debugger_hook_config": "a tuning job's training jobs take no Debugger hook (false is accepted)",
    "profiler_config": "a tuning job's training jobs take no profiler configuration",
    "disable_profiler": "a tuning job's training jobs are never profiled (true is accepted)",
    "tensorboard_output_config": "a tuning job's training jobs take no TensorBoard output configuration",
    "enable_sagemaker_metrics": "a tuning job's training jobs take no metrics time-series setting",
    "experiment_config": "a tuning job's training jobs take no experiment configuration",
}
_HARMLESS = {"debugger_hook_config": False, "disable_profiler": True}
# sagemaker.tuner.HyperparameterTuner.TUNING_JOB_NAME_MAX_LENGTH and the hyperparameters of include_cls_metadata.
NAME_MAX_LENGTH = 32
CLASS_METADATA = {
    "sagemaker_estimator_class_name": '"Estimator"',
    "sagemaker_estimator_module": '"sagemaker.estimator"',
}


@dataclass(frozen=True)
class TuningJob:
    request: dict[str, object]  # CreateHyperParameterTuningJob parameters, as boto3 takes them
    job_name: str  # == request["HyperParameterTuningJobName"]
    wait: bool  # fit(wait=...)


def is_tuning_request(execution_input: object) -> bool:
    """A request with a `tuner` asks for a tuning job (a `tuner` that is not an object is its first problem)."""
    return isinstance(execution_input, Mapping) and TUNER_KEY in execution_input


def build_job(
    execution_input: object, *, region: str, defaults: PlatformDefaults = PlatformDefaults()
) -> TrainingJob | TuningJob:
    """The request an input asks for: a tuning job's with a `tuner`, else a training job's."""
    if is_tuning_request(execution_input):
        return build_tuning_job(execution_input, region=region, defaults=defaults)
    return build_training_job(execution_input, region=region, defaults=defaults)


def build_tuning_job(
    execution_input: object,
    *,
    region: str,
    defaults: PlatformDefaults = PlatformDefaults(),
    now: datetime | None = None,
) -> TuningJob:
    """The CreateHyperParameterTuningJob request for a tuning request; raises InvalidTrainingInput listing every
    problem, those of the training part included."""
    problems = Problems()
    if not isinstance(execution_input, dict) or not isinstance(execution_input.get(TUNER_KEY), dict):
        value = execution_input.get(TUNER_KEY) if isinstance(execution_input, dict) else execution_input
        problems.add(TUNER_KEY, value, f"must be an object of HyperparameterTuner arguments, not {json_type(value)}")
        problems.raise_if_any()
    assert isinstance(execution_input, dict)  # for the type checker: raise_if_any raised otherwise
    job: TuningJob | None = None
    try:
        job = _build(execution_input, region, defaults, now or datetime.now(UTC), problems)
    except RecursionError:
        problems.add(TUNER_KEY, "<nested too deeply>", "must not nest this deeply")
    problems.raise_if_any()
    assert job is not None  # the only path without a job records a problem
    return job


def _build(
    data: dict[str, object], region: str, defaults: PlatformDefaults, now: datetime, problems: Problems
) -> TuningJob:
    tuner = ObjectReader(data[TUNER_KEY], TUNER_KEY, problems, TUNER_KEYS)  # type: ignore[arg-type]
    _reject_not_for_tuning(data, problems)
    fit_extras = ObjectReader({key: data.get(key) for key in TUNING_FIT_KEYS}, "", problems, TUNING_FIT_KEYS)
    job_name = _tuning_job_name(tuner, data, defaults, now, problems)
    training_job = _training_job(data, job_name, region, defaults, now, problems)
    training = training_job.request if training_job is not None else None
    ranges = _ranges(tuner)
    config = tuning_job_config(tuner)
    metric_definitions = read_metric_definitions(tuner, problems)
    _check_objective(tuner, metric_definitions, config)
    _check_grid(tuner, config, ranges)
    static, auto_parameters = _static_hyperparameters(
        training, ranges, tuner, fit_extras.boolean("include_cls_metadata") or False
    )
    parameter_ranges = _parameter_ranges(ranges, auto_parameters)
    if parameter_ranges is not None:
        config["ParameterRanges"] = parameter_ranges
    request: dict[str, object] = {"HyperParameterTuningJobName": job_name, "HyperParameterTuningJobConfig": config}
    if tuner.boolean("autotune"):
        request["Autotune"] = {"Mode": "Enabled"}
    if training is not None:
        request["TrainingJobDefinition"] = training_job_definition(training, static, metric_definitions, problems)
    warm_start = warm_start_config(tuner)
    if warm_start is not None:
        request["WarmStartConfig"] = warm_start
    request["Tags"] = _tags(tuner, data, problems)
    if not problems:
        check_request(problems, request, TUNING)
    return TuningJob(request=request, job_name=job_name, wait=training_job.wait if training_job is not None else True)


def _reject_not_for_tuning(data: Mapping[str, object], problems: Problems) -> None:
    for key, hint in NOT_FOR_TUNING.items():
        value = data.get(key)
        if value is not None and not (key in _HARMLESS and value is _HARMLESS[key]):
            problems.add(key, value, f"does not apply to a tuning request: {hint}")


def _training_job(
    data: Mapping[str, object],
    job_name: str,
    region: str,
    defaults: PlatformDefaults,
    now: datetime,
    problems: Problems,
) -> TrainingJob | None:
    """The training job of the training part, named after the tuning job; None when it is invalid (its problems
    are added)."""
    training_input = {
        key: value for key, value in data.items() if key not in (TUNER_KEY, *TUNING_FIT_KEYS, *NOT_FOR_TUNING)
    }
    training_input["job_name"] = job_name
    try:
        job = build_training_job(training_input, region=region, defaults=defaults, now=now)
    except InvalidTrainingInput as invalid:
        for problem in invalid.problems:
            problems.add(problem.field, problem.value, problem.rule)
        return None
    if data.get("checkpoint_s3_uri") is None:
        # The training jobs of one tuning job would share a default checkpoint location, and a resumed trial could
        # load another trial's checkpoints: a tuning job checkpoints only where the user says, as with the SDK.
        job.request.pop("CheckpointConfig", None)
    return job


# -- Names ----------------------------------------------------------------------------------------------------


def tuning_timestamp(now: datetime) -> str:
    """The SDK's short timestamp (sagemaker_short_timestamp, `%y%m%d-%H%M`, local time) in UTC, with seconds and
    milliseconds added so that two executions in the same minute get different names."""
    moment = now.astimezone(UTC) if now.tzinfo else now
    return moment.strftime("%y%m%d-%H%M%S-") + f"{moment.microsecond // 1000:03d}"


def _tuning_job_name(
    tuner: ObjectReader,
    data: Mapping[str, object],
    defaults: PlatformDefaults,
    now: datetime,
    problems: Problems,
) -> str:
    """fit(job_name=...) names the tuning job; else `<base>-<timestamp>` in 32 characters, the base being
    tuner.base_tuning_job_name or the image's repository name (as the SDK's _prepare_job_name_for_tuning)."""
    given = data.get("job_name")
    if given is not None:
        if not isinstance(given, str) or not given:
            problems.add("job_name", given, f"must be a non-empty string, not {json_type(given)}")
        elif check(problems, "job_name", given, "HyperParameterTuningJobName", TUNING):
            return given
        return "invalid-job-name"  # a stand-in the training part accepts; the problem is reported
    base = tuner.string("base_tuning_job_name")
    if base is not None and not BASE_NAME_PATTERN.match(base):
        problems.add(
            tuner.field("base_tuning_job_name"),
            base,
            "must start with a letter or digit and hold only letters, digits and '-'",
        )
        base = None
    image_uri = data.get("image_uri") if isinstance(data.get("image_uri"), str) else defaults.image_uri
    stamp = tuning_timestamp(now)
    base = base or base_name_from_image(str(image_uri or ""))
    return f"{base[: NAME_MAX_LENGTH - len(stamp) - 1]}-{stamp}"


# -- Hyperparameters: ranges, static and automatic ---------------------------------------------------------------


def _ranges(tuner: ObjectReader) -> ParameterRanges | None:
    """The tuner's ranges; None when it gives none (then only autotune may choose them)."""
    value = tuner.obj("hyperparameter_ranges")
    if not value and not tuner.boolean("autotune"):
        tuner.problems.add(
            tuner.field("hyperparameter_ranges"), value, "is required: at least one range, unless autotune is true"
        )
    return None if value is None else read_parameter_ranges(value, tuner.field("hyperparameter_ranges"), tuner.problems)


def _static_hyperparameters(
    training: Mapping[str, object] | None,
    ranges: ParameterRanges | None,
    tuner: ObjectReader,
    include_cls_metadata: bool,
) -> tuple[dict[str, str], dict[str, str] | None]:
    """StaticHyperParameters and, with autotune, AutoParameters' hints (HyperparameterTuner.
    _prepare_static_hyperparameters and _prepare_auto_parameters): the Estimator's hyperparameters less the
    tuned ones, the class metadata when asked for; with autotune every one not kept static is left to it."""
    given = training.get("HyperParameters", {}) if training is not None else {}
    tuned = set(ranges.names) if ranges is not None else set()
    static = {name: value for name, value in dict(given).items() if name not in tuned}  # type: ignore[call-overload]
    if include_cls_metadata:
        static.update(CLASS_METADATA)
    keep = tuner.string_list("hyperparameters_to_keep_static")
    if not tuner.boolean("autotune"):
        if keep is not None:
            tuner.problems.add(
                tuner.field("hyperparameters_to_keep_static"), keep, "applies only with autotune set to true"
            )
        return static, None
    keep = keep or []
    for name in sorted({name for name in keep if keep.count(name) > 1}):
        tuner.problems.add(tuner.field("hyperparameters_to_keep_static"), name, "must not repeat a name")
    for name in keep:
        if name not in static and training is not None:
            tuner.problems.add(
                tuner.field("hyperparameters_to_keep_static"),
                name,
                "must name one of the hyperparameters (not a tuned one)",
            )
    auto = {name: value for name, value in static.items() if name not in keep}
    for name, value in auto.items():
        check(
            tuner.problems,
            f"hyperparameters.{name}",
            value,
            "HyperParameterTuningJobConfig.ParameterRanges.AutoParameters[].ValueHint",
            TUNING,
        )
    return {name: value for name, value in static.items() if name in keep}, auto


def _parameter_ranges(
    ranges: ParameterRanges | None, auto_parameters: dict[str, str] | None
) -> dict[str, object] | None:
    parameter_ranges: dict[str, object] | None = dict(ranges.by_member) if ranges is not None else None
    if auto_parameters is not None:
        parameter_ranges = parameter_ranges or {}
        parameter_ranges["AutoParameters"] = [
            {"Name": name, "ValueHint": hint} for name, hint in auto_parameters.items()
        ]
    return parameter_ranges


# -- Rules between the tuner's arguments ---------------------------------------------------------------------------


def _check_objective(
    tuner: ObjectReader, metric_definitions: list[dict[str, str]] | None, config: Mapping[str, object]
) -> None:
    """The objective metric must be one the training jobs report: the platform trains its own containers, whose
    metrics exist only through the tuner's metric definitions."""
    objective = config.get("HyperParameterTuningJobObjective")
    name = objective.get("MetricName") if isinstance(objective, dict) else None
    if name is None:
        return
    if metric_definitions is None:
        tuner.problems.add(
            tuner.field("metric_definitions"),
            None,
            f'is required: the objective metric {name!r} needs a definition ({{"Name", "Regex"}}) to be read from the job\'s logs',
        )
    elif name not in {definition["Name"] for definition in metric_definitions}:
        names = ", ".join(repr(definition["Name"]) for definition in metric_definitions)
        tuner.problems.add(
            tuner.field("objective_metric_name"), name, f"must be one of the tuner's metric_definitions ({names})"
        )


def _check_grid(tuner: ObjectReader, config: Mapping[str, object], ranges: ParameterRanges | None) -> None:
    """The Grid strategy searches categorical values only: no continuous range."""
    if config.get("Strategy") != GRID or ranges is None:
        return
    for name in ranges.continuous_names:
        tuner.problems.add(
            f"{tuner.field('hyperparameter_ranges')}.{name}",
            "Continuous",
            "must not be a Continuous range with the Grid strategy",
        )


def _tags(tuner: ObjectReader, data: Mapping[str, object], problems: Problems) -> list[dict[str, str]]:
    """The tuner's tags, then the Estimator's that are not already there (HyperparameterTuner.
    _prepare_tags_for_tuning), then the cost tag: SageMaker gives a tuning job's tags to every training job it
    launches."""
    tags = read_user_tags(tuner.raw("tags"), problems, tuner.field("tags"))
    for tag, field in read_user_tags(data.get("tags"), problems, "tags"):
        if tag not in [known for known, _ in tags]:
            tags.append((tag, field))
    return tagged_for_cost(tags, problems, "tags")
