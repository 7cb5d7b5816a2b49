"""Field-by-field comparison of two CreateTrainingJob requests, and the narrow normalisations allowed: the
platform's deliberate differences and the SDK's set-ordered debugger collections."""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

CER_TAG = {"Key": "CER", "Value": "1"}
# `<base>-<YYYY-MM-DD-HH-MM-SS-mmm>`: sagemaker.utils.name_from_base / sagemaker_timestamp. Ours always has
# three millisecond digits; the SDK's has one to three, as it cuts them from repr(time.time()), which is
# short when the clock reads e.g. ...15.44 (then "-44", not "-440").
GENERATED_NAME = re.compile(r"^(?P<base>.+)-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{3}$")
SDK_GENERATED_NAME = re.compile(r"^(?P<base>.+)-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{1,3}$")
SCRIPT_MODE_JOB_NAME = "sagemaker_job_name"  # script mode's hyperparameter holding the job name, JSON-encoded
JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # CreateTrainingJob API


def generated_name_base(job_name: str, *, by_sdk: bool = False) -> str | None:
    match = (SDK_GENERATED_NAME if by_sdk else GENERATED_NAME).match(job_name)
    return match["base"] if match else None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def comparable(request: dict[str, Any]) -> dict[str, Any]:
    """The request with the SDK's set-ordered CollectionConfigurations put in a fixed order."""
    result = copy.deepcopy(request)
    collections = result.get("DebugHookConfig", {}).get("CollectionConfigurations")
    if collections is not None:
        result["DebugHookConfig"]["CollectionConfigurations"] = sorted(collections, key=_canonical)
    return result


def expected_from_sdk(sdk: dict[str, Any], ours_job_name: str) -> dict[str, Any]:
    """What our request must be, given the SDK's: the deliberate differences applied, nothing else.

    - `Tags`: the SDK's tags, then `CER` = `1` unless the user already gave it.
    - `TrainingJobName`, when the SDK generated one: same `<base>-<timestamp>` form and base; the
      timestamp itself is ours (a different clock reading), so it is taken from our name, and so is
      script mode's copy of the name in the `sagemaker_job_name` hyperparameter.
    """
    expected = comparable(sdk)
    tags = list(expected.get("Tags", []))
    if CER_TAG not in tags:
        tags.append(CER_TAG)
    expected["Tags"] = tags
    sdk_base = generated_name_base(sdk["TrainingJobName"], by_sdk=True)
    if sdk_base is not None and generated_name_base(ours_job_name) == sdk_base:
        expected["TrainingJobName"] = ours_job_name
        hyperparameters = expected.get("HyperParameters", {})
        if hyperparameters.get(SCRIPT_MODE_JOB_NAME) == json.dumps(sdk["TrainingJobName"]):
            hyperparameters[SCRIPT_MODE_JOB_NAME] = json.dumps(ours_job_name)
    return expected


def field_diff(expected: Any, actual: Any, path: str = "") -> list[str]:
    """One line per differing leaf: `path: expected ... / ours ...`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines: list[str] = []
        for key in list(expected) + [k for k in actual if k not in expected]:
            where = f"{path}.{key}" if path else key
            if key not in actual:
                lines.append(f"{where}: SDK sends {expected[key]!r}; ours is missing")
            elif key not in expected:
                lines.append(f"{where}: SDK omits it; ours sends {actual[key]!r}")
            else:
                lines.extend(field_diff(expected[key], actual[key], where))
        return lines
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        lines = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            lines.extend(field_diff(left, right, f"{path}[{index}]"))
        return lines
    if expected != actual or type(expected) is not type(actual):
        return [f"{path}: SDK sends {expected!r}; ours sends {actual!r}"]
    return []


@functools.cache
def _create_training_job_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model("CreateTrainingJob").input_shape


def botocore_problems(request: dict[str, Any]) -> str:
    """botocore's own CreateTrainingJob input validation report ('' when valid)."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(request, _create_training_job_shape())
    return report.generate_report() if report.has_errors() else ""


# -- Tuning --------------------------------------------------------------------------------------------
# The SDK's tuning job name: `<base, cut to 20>-<%y%m%d-%H%M>` (32 characters at most, minute resolution);
# ours: `<base, cut to 14>-<%y%m%d-%H%M%S-mmm>`, unique per execution (a deliberate difference).
SDK_TUNING_NAME = re.compile(r"^(?P<base>.+)-\d{6}-\d{4}$")
TUNING_NAME = re.compile(r"^(?P<base>.+)-\d{6}-\d{6}-\d{3}$")
TUNING_JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")  # CreateHyperParameterTuningJob API
TUNING_BASE_LENGTH = 14


def tuning_name_base(name: str, *, by_sdk: bool = False) -> str | None:
    match = (SDK_TUNING_NAME if by_sdk else TUNING_NAME).match(name)
    return match["base"] if match else None


def comparable_tuning(request: dict[str, Any]) -> dict[str, Any]:
    """The request with the warm-start parents in a fixed order (the SDK keeps them in a set)."""
    result = copy.deepcopy(request)
    parents = result.get("WarmStartConfig", {}).get("ParentHyperParameterTuningJobs")
    if parents is not None:
        result["WarmStartConfig"]["ParentHyperParameterTuningJobs"] = sorted(parents, key=_canonical)
    return result


def expected_tuning_from_sdk(sdk: dict[str, Any], ours_job_name: str) -> dict[str, Any]:
    """What our tuning request must be, given the SDK's: the deliberate differences applied, nothing else.

    - `Tags`: the SDK's tags, then `CER` = `1` unless the user already gave it.
    - `HyperParameterTuningJobName`, when the SDK generated one: ours has the same base cut to 14 characters
      and a finer timestamp, taken from our name.
    - `ResourceLimits.MaxNumberOfTrainingJobs`: the SDK sends null with the Grid strategy (botocore refuses
      it); we leave it out.
    """
    expected = comparable_tuning(sdk)
    tags = list(expected.get("Tags", []))
    if CER_TAG not in tags:
        tags.append(CER_TAG)
    expected["Tags"] = tags
    sdk_base = tuning_name_base(sdk["HyperParameterTuningJobName"], by_sdk=True)
    if sdk_base is not None and tuning_name_base(ours_job_name) == sdk_base[:TUNING_BASE_LENGTH]:
        expected["HyperParameterTuningJobName"] = ours_job_name
    limits = expected["HyperParameterTuningJobConfig"]["ResourceLimits"]
    if limits.get("MaxNumberOfTrainingJobs", 0) is None:
        del limits["MaxNumberOfTrainingJobs"]
    return expected


@functools.cache
def _tuning_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model("CreateHyperParameterTuningJob").input_shape


def botocore_tuning_problems(request: dict[str, Any]) -> str:
    """botocore's own CreateHyperParameterTuningJob input validation report ('' when valid)."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(request, _tuning_shape())
    return report.generate_report() if report.has_errors() else ""
