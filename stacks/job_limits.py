"""The deployment's guardrails as IAM conditions, so that IAM refuses a job outside them even to a caller who
bypasses the workflow's request builder with the state machine's role.

SageMaker's condition keys (Service Authorization Reference, "Actions, resources, and condition keys for Amazon
SageMaker"): CreateTrainingJob supports sagemaker:InstanceTypes (every instance type of the request, its
instance groups' included), sagemaker:MaxRuntimeInSeconds, sagemaker:KeepAlivePeriod and
sagemaker:EnableRemoteDebug; CreateHyperParameterTuningJob supports sagemaker:InstanceTypes and
sagemaker:MaxRuntimeInSeconds (neither keep-alive nor remote debug: a tuning job takes neither). No key carries an
instance count: max_instance_count is held by the request builder alone.
"""

from __future__ import annotations

from training_request.guardrails import Guardrails

Conditions = dict[str, dict[str, object]]

CREATE_TRAINING_JOB = "sagemaker:CreateTrainingJob"
CREATE_TUNING_JOB = "sagemaker:CreateHyperParameterTuningJob"
# The keys each create action supports, of those the guardrails use.
SUPPORTED_KEYS = {
    CREATE_TRAINING_JOB: {
        "sagemaker:InstanceTypes",
        "sagemaker:MaxRuntimeInSeconds",
        "sagemaker:KeepAlivePeriod",
        "sagemaker:EnableRemoteDebug",
    },
    CREATE_TUNING_JOB: {"sagemaker:InstanceTypes", "sagemaker:MaxRuntimeInSeconds"},
}
# The keys the grants use. A tuning grant leaves sagemaker:MaxRuntimeInSeconds out: AWS does not say whether it
# carries the tuning job's own limit (ResourceLimits) or its training jobs' (StoppingCondition), and the first
# would refuse every tuning job meant to run longer than one training job may. The request builder holds a tuning
# request's training jobs to max_run_seconds.
APPLIED_KEYS = {
    CREATE_TRAINING_JOB: SUPPORTED_KEYS[CREATE_TRAINING_JOB],
    CREATE_TUNING_JOB: {"sagemaker:InstanceTypes"},
}


def job_limit_conditions(guardrails: Guardrails, action: str = CREATE_TRAINING_JOB) -> Conditions:
    """The conditions of a grant of `action` (CreateTrainingJob or CreateHyperParameterTuningJob) that hold a job
    to the guardrails; merge them with the grant's other conditions (merge_conditions)."""
    conditions: Conditions = {}
    if guardrails.allowed_instance_types:
        # ForAllValues is true of a request without the key: Null makes the key required.
        conditions["ForAllValues:StringEquals"] = {"sagemaker:InstanceTypes": list(guardrails.allowed_instance_types)}
        conditions["Null"] = {"sagemaker:InstanceTypes": "false"}
    if guardrails.max_run_seconds is not None:
        conditions["NumericLessThanEquals"] = {"sagemaker:MaxRuntimeInSeconds": str(guardrails.max_run_seconds)}
    if guardrails.max_keep_alive_seconds is not None:
        # A job without a warm pool has no keep-alive period: only one it asks for is limited.
        conditions["NumericLessThanEqualsIfExists"] = {
            "sagemaker:KeepAlivePeriod": str(guardrails.max_keep_alive_seconds)
        }
    if not guardrails.allow_remote_debug:
        conditions["BoolIfExists"] = {"sagemaker:EnableRemoteDebug": "false"}
    supported = APPLIED_KEYS[action]
    limited = {
        operator: {key: value for key, value in keys.items() if key in supported}
        for operator, keys in conditions.items()
    }
    return {operator: keys for operator, keys in limited.items() if keys}


def merge_conditions(*parts: Conditions) -> Conditions:
    """One Condition block from several (each operator's keys together)."""
    merged: Conditions = {}
    for part in parts:
        for operator, keys in part.items():
            merged.setdefault(operator, {}).update(keys)
    return merged
