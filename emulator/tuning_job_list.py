"""ListHyperParameterTuningJobs and ListTrainingJobsForHyperParameterTuningJob as SageMaker answers them:
filters, SortBy and SortOrder (Name, Ascending by default, as both operations document), MaxResults
(1 to 100, default 10) and NextToken.

Unlike ListTrainingJobs, the filters here select before the page is cut: every page is full while
matches remain. The token names the last item of the page by its sort key (which ends with the unique
name), so an item created meanwhile neither repeats nor hides another on the next page. Sorted by
FinalObjectiveMetricValue, training jobs without an objective value are not listed, as the API
reference says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from emulator.training_job_list import (
    DEFAULT_MAX_RESULTS,
    SORT_ORDERS,
    InvalidListRequest,
    check_list_request,
    page_token,
    request_timestamp,
    token_key,
)

TUNING_JOB_SORT_KEYS = ("Name", "Status", "CreationTime")
TUNING_JOB_STATUSES = ("Completed", "InProgress", "Failed", "Stopped", "Stopping", "Deleting", "DeleteFailed")
TRAINING_JOB_SORT_KEYS = ("Name", "CreationTime", "Status", "FinalObjectiveMetricValue")
TRAINING_JOB_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting")

Summary = Mapping[str, Any]
SortKey = Callable[[Summary], list[Any]]


def _time(summary: Summary) -> float:
    return float(summary["CreationTime"].timestamp())


TUNING_JOB_ORDERS: dict[str, SortKey] = {
    "Name": lambda s: [s["HyperParameterTuningJobName"]],
    "CreationTime": lambda s: [_time(s), s["HyperParameterTuningJobName"]],
    "Status": lambda s: [s["HyperParameterTuningJobStatus"], _time(s), s["HyperParameterTuningJobName"]],
}
TRAINING_JOB_ORDERS: dict[str, SortKey] = {
    "Name": lambda s: [s["TrainingJobName"]],
    "CreationTime": lambda s: [_time(s), s["TrainingJobName"]],
    "Status": lambda s: [s["TrainingJobStatus"], _time(s), s["TrainingJobName"]],
    "FinalObjectiveMetricValue": lambda s: [
        float(s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]),
        s["TrainingJobName"],
    ],
}


def list_tuning_jobs(summaries: Sequence[Summary], request: Mapping[str, Any]) -> dict[str, Any]:
    """The ListHyperParameterTuningJobs response for `summaries` (HyperParameterTuningJobSummary each)."""
    _check(request, TUNING_JOB_SORT_KEYS, TUNING_JOB_STATUSES)
    name_contains = request.get("NameContains")
    status = request.get("StatusEquals")
    selected = [
        s
        for s in summaries
        if (name_contains is None or name_contains in s["HyperParameterTuningJobName"])
        and (status is None or s["HyperParameterTuningJobStatus"] == status)
        and _in_time_range(s, request)
    ]
    return _page(selected, TUNING_JOB_ORDERS, request, "HyperParameterTuningJobSummaries")


def list_training_jobs(summaries: Sequence[Summary], request: Mapping[str, Any]) -> dict[str, Any]:
    """The ListTrainingJobsForHyperParameterTuningJob response (HyperParameterTrainingJobSummary each)."""
    _check(request, TRAINING_JOB_SORT_KEYS, TRAINING_JOB_STATUSES)
    status = request.get("StatusEquals")
    by_objective = request.get("SortBy") == "FinalObjectiveMetricValue"
    selected = [
        s
        for s in summaries
        if (status is None or s["TrainingJobStatus"] == status)
        and (not by_objective or "FinalHyperParameterTuningJobObjectiveMetric" in s)
    ]
    return _page(selected, TRAINING_JOB_ORDERS, request, "TrainingJobSummaries")


def _check(request: Mapping[str, Any], sort_keys: Sequence[str], statuses: Sequence[str]) -> None:
    check_list_request(
        request,
        (
            ("SortBy", "sortBy", sort_keys),
            ("SortOrder", "sortOrder", SORT_ORDERS),
            ("StatusEquals", "statusEquals", statuses),
        ),
    )


def _page(
    selected: list[Summary], orders: Mapping[str, SortKey], request: Mapping[str, Any], member: str
) -> dict[str, Any]:
    sort_key = orders[request.get("SortBy") or "Name"]
    descending = (request.get("SortOrder") or "Ascending") == "Descending"
    ordered = sorted(selected, key=sort_key, reverse=descending)
    token = request.get("NextToken")
    if token:
        after = token_key(token, [type(part) for part in sort_key(ordered[0])] if ordered else None)
        ordered = [s for s in ordered if (sort_key(s) < after if descending else sort_key(s) > after)]
    max_results = int(request.get("MaxResults", DEFAULT_MAX_RESULTS))
    page, rest = ordered[:max_results], ordered[max_results:]
    response: dict[str, Any] = {member: [dict(s) for s in page]}
    if rest:
        response["NextToken"] = page_token(sort_key(page[-1]))
    return response


def _in_time_range(summary: Summary, request: Mapping[str, Any]) -> bool:
    checks = (
        ("CreationTimeAfter", "CreationTime", 1),
        ("CreationTimeBefore", "CreationTime", -1),
        ("LastModifiedTimeAfter", "LastModifiedTime", 1),
        ("LastModifiedTimeBefore", "LastModifiedTime", -1),
    )
    for member, field_name, sign in checks:
        bound = request_timestamp(request.get(member))
        moment = summary.get(field_name)
        if bound is not None and moment is not None and (moment - bound).total_seconds() * sign <= 0:
            return False
    return True


__all__ = ["InvalidListRequest", "list_training_jobs", "list_tuning_jobs"]
