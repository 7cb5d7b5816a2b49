"""An execution's history, read for the training job the execution runs.

The workflow names its job in two fixed places (platform_contract.WorkflowState):

- the output of the state Prepare, whose JOB_NAME_FIELD is the name Prepare chose: known a moment
  before SageMaker has the job, and after a capacity retry the fresh name;
- the TrainingJobName parameter of the SageMaker task that RunTrainingJob (or StartTrainingJob, for
  `"wait": false`) schedules: the job actually asked for.

Step Functions records, for every state, a `...StateEntered` event (`stateEnteredEventDetails.name`)
before the events of its task, among them `TaskScheduled` (`taskScheduledEventDetails.parameters`,
the resolved task arguments as JSON), and a `...StateExited` event (`stateExitedEventDetails.name`
and `.output`, the state's output as JSON). The workflow has no Parallel or Map state, so its events
follow one another: a TaskScheduled belongs to the state entered last before it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from platform_contract import JOB_NAME_FIELD, WorkflowState

_SAGEMAKER_TASK_STATES = frozenset({WorkflowState.RUN_TRAINING_JOB.value, WorkflowState.START_TRAINING_JOB.value})
# CreateTrainingJob's parameter naming the job.
_TRAINING_JOB_NAME = "TrainingJobName"


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


def _string_field(document: object, field: str) -> str | None:
    """`field` of a JSON object given as text, when it is a string."""
    try:
        value = json.loads(document) if isinstance(document, str) else None
    except ValueError:
        return None
    named = value.get(field) if isinstance(value, dict) else None
    return named if isinstance(named, str) and named else None


def job_name_in_history(events: Sequence[Mapping[str, Any]]) -> str | None:
    """The job the execution named last (None while Prepare runs, or when it named none)."""
    named: str | None = None
    state: str | None = None  # the state whose events these are
    for event in sorted(events, key=lambda event: event["id"]):
        kind = event["type"]
        if kind.endswith("StateEntered"):
            state = event["stateEnteredEventDetails"]["name"]
        elif kind.endswith("StateExited"):
            exited = event["stateExitedEventDetails"]
            if exited["name"] == WorkflowState.PREPARE.value:
                named = _string_field(exited.get("output"), JOB_NAME_FIELD) or named
        elif kind == "TaskScheduled" and state in _SAGEMAKER_TASK_STATES:
            named = _string_field(event["taskScheduledEventDetails"].get("parameters"), _TRAINING_JOB_NAME) or named
    return named
