"""An execution's history, read for the job the execution runs: a training job, or for a tuning request
a hyperparameter tuning job.

The workflow names its job in two fixed places (platform_contract.WorkflowState):

- the output of the state Prepare: its REQUEST_KIND_FIELD says which kind of job (training when absent,
  as before tuning requests existed), and JOB_NAME_FIELD (or TUNING_JOB_NAME_FIELD for a tuning job) is
  the name Prepare chose: known a moment before SageMaker has the job, and after a capacity retry the
  fresh name;
- the job's name parameter of the SageMaker task that schedules it: RunTrainingJob (or StartTrainingJob,
  for `"wait": false`) with TrainingJobName, RunTuningJob (or StartTuningJob) with
  HyperParameterTuningJobName: the job actually asked for.

Step Functions records, for every state, a `...StateEntered` event (`stateEnteredEventDetails.name`)
before the events of its task, among them `TaskScheduled` (`taskScheduledEventDetails.parameters`,
the resolved task arguments as JSON), and a `...StateExited` event (`stateExitedEventDetails.name`
and `.output`, the state's output as JSON). The workflow has no Parallel or Map state, so its events
follow one another: a TaskScheduled belongs to the state entered last before it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from platform_contract import JOB_NAME_FIELD, REQUEST_KIND_FIELD, TUNING_JOB_NAME_FIELD, RequestKind, WorkflowState

# Each SageMaker task state, the kind of job it creates and the create call's parameter naming the job.
_SAGEMAKER_TASK_STATES = {
    WorkflowState.RUN_TRAINING_JOB.value: (RequestKind.TRAINING, "TrainingJobName"),
    WorkflowState.START_TRAINING_JOB.value: (RequestKind.TRAINING, "TrainingJobName"),
    WorkflowState.RUN_TUNING_JOB.value: (RequestKind.TUNING, "HyperParameterTuningJobName"),
    WorkflowState.START_TUNING_JOB.value: (RequestKind.TUNING, "HyperParameterTuningJobName"),
}
# The field of Prepare's output naming the job, by kind.
_PREPARED_NAME_FIELD = {RequestKind.TRAINING: JOB_NAME_FIELD, RequestKind.TUNING: TUNING_JOB_NAME_FIELD}


@dataclass(frozen=True)
class NamedJob:
    """A job an execution named: a training job or a hyperparameter tuning job."""

    kind: RequestKind
    name: str

    @property
    def tuning(self) -> bool:
        return self.kind is RequestKind.TUNING


def read_history(stepfunctions: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution, oldest first (all pages of GetExecutionHistory)."""
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = stepfunctions.get_execution_history(**request)
        events.extend(page.get("events", []))
        if not page.get("nextToken"):
            return events
        request["nextToken"] = page["nextToken"]


def _json_object(document: object) -> dict[str, Any]:
    """A JSON object given as text ({} when it is anything else)."""
    try:
        value = json.loads(document) if isinstance(document, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _named(kind: RequestKind, value: object) -> NamedJob | None:
    return NamedJob(kind, value) if isinstance(value, str) and value else None


def _prepared_job(output: object) -> NamedJob | None:
    """The job Prepare's output names (training unless it says tuning)."""
    prepared = _json_object(output)
    kind = RequestKind.TUNING if prepared.get(REQUEST_KIND_FIELD) == RequestKind.TUNING.value else RequestKind.TRAINING
    return _named(kind, prepared.get(_PREPARED_NAME_FIELD[kind]))


def job_in_history(events: Sequence[Mapping[str, Any]]) -> NamedJob | None:
    """The job the execution named last (None while Prepare runs, or when it named none)."""
    named: NamedJob | None = None
    state: str | None = None  # the state whose events these are
    for event in sorted(events, key=lambda event: event["id"]):
        kind = event["type"]
        if kind.endswith("StateEntered"):
            state = event["stateEnteredEventDetails"]["name"]
        elif kind.endswith("StateExited"):
            exited = event["stateExitedEventDetails"]
            if exited["name"] == WorkflowState.PREPARE.value:
                named = _prepared_job(exited.get("output")) or named
        elif kind == "TaskScheduled" and state in _SAGEMAKER_TASK_STATES:
            job_kind, parameter = _SAGEMAKER_TASK_STATES[state]
            parameters = _json_object(event["taskScheduledEventDetails"].get("parameters"))
            named = _named(job_kind, parameters.get(parameter)) or named
    return named
