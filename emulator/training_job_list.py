"""ListTrainingJobs as SageMaker answers it: filters, order, pages.

- CreationTimeAfter/Before and LastModifiedTimeAfter/Before select the jobs (strictly after, strictly
  before); SortBy (Name, CreationTime, Status) and SortOrder order them; the default is CreationTime
  from the newest to the oldest, as AWS's reference describes a request that sets neither.
- MaxResults (1 to 100, default 10) cuts a page from that order and NextToken continues after its
  last job. Like SageMaker, StatusEquals and NameContains filter the page once it is cut: a page can
  hold fewer jobs than MaxResults, even none, and still carry a NextToken; following the tokens
  reaches every matching job (AWS's reference documents this for StatusEquals; its users meet it
  with NameContains too).
- WarmPoolStatusEquals (Available, Terminated, Reused, InUse) filters the same way, by the job's warm pool
  status now (emulator/warm_pools.py); a summary carries the job's WarmPoolStatus when it has one, as
  DescribeTrainingJob shows it.
- The token names the last job of the page by its sort key, so a job created meanwhile neither
  repeats nor hides a job on the next page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

SORT_KEYS = ("Name", "CreationTime", "Status")
SORT_ORDERS = ("Ascending", "Descending")
STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting")
WARM_POOL_STATUSES = ("Available", "Terminated", "Reused", "InUse")
DEFAULT_MAX_RESULTS = 10
MAX_RESULTS = 100


class InvalidListRequest(ValueError):
    """A request SageMaker refuses with a ValidationException; the message is SageMaker's."""


class ListedJob(Protocol):
    """What the list reads of a training job."""

    @property
    def name(self) -> str: ...
    @property
    def arn(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def secondary_status(self) -> str: ...
    @property
    def creation_time(self) -> datetime: ...
    @property
    def last_modified_time(self) -> datetime: ...
    @property
    def training_end_time(self) -> datetime | None: ...
    def warm_pool_status(self) -> dict[str, Any] | None:
        """DescribeTrainingJob's WarmPoolStatus now, or None."""
        ...


@dataclass(frozen=True)
class ListQuery:
    creation_time_after: datetime | None = None
    creation_time_before: datetime | None = None
    last_modified_time_after: datetime | None = None
    last_modified_time_before: datetime | None = None
    name_contains: str | None = None
    status_equals: str | None = None
    warm_pool_status_equals: str | None = None
    sort_by: str = "CreationTime"
    sort_order: str = "Descending"
    max_results: int = DEFAULT_MAX_RESULTS
    next_token: str | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> ListQuery:
        """The query of a ListTrainingJobs request body; raises InvalidListRequest as SageMaker refuses it."""
        check_list_request(
            request,
            (
                ("SortBy", "sortBy", SORT_KEYS),
                ("SortOrder", "sortOrder", SORT_ORDERS),
                ("StatusEquals", "statusEquals", STATUSES),
                ("WarmPoolStatusEquals", "warmPoolStatusEquals", WARM_POOL_STATUSES),
            ),
        )
        return cls(
            creation_time_after=request_timestamp(request.get("CreationTimeAfter")),
            creation_time_before=request_timestamp(request.get("CreationTimeBefore")),
            last_modified_time_after=request_timestamp(request.get("LastModifiedTimeAfter")),
            last_modified_time_before=request_timestamp(request.get("LastModifiedTimeBefore")),
            name_contains=request.get("NameContains"),
            status_equals=request.get("StatusEquals"),
            warm_pool_status_equals=request.get("WarmPoolStatusEquals"),
            sort_by=request.get("SortBy") or "CreationTime",
            sort_order=request.get("SortOrder") or "Descending",
            max_results=int(request.get("MaxResults", DEFAULT_MAX_RESULTS)),
            next_token=request.get("NextToken") or None,
        )


def check_list_request(request: Mapping[str, Any], enums: Iterable[tuple[str, str, Sequence[str]]]) -> None:
    """Raises InvalidListRequest as SageMaker refuses a List request: each of `enums`' members (member, its
    name in the message, its values) outside its values, and MaxResults outside 1 to 100, all named at once."""
    errors = [
        f"Value '{value}' at '{field_name}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        for member, field_name, allowed in enums
        if (value := request.get(member)) is not None and value not in allowed
    ]
    max_results = request.get("MaxResults", DEFAULT_MAX_RESULTS)
    if not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS:
        errors.append(
            f"Value '{max_results}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value between 1 and {MAX_RESULTS}"
        )
    if errors:
        plural = "s" if len(errors) > 1 else ""
        raise InvalidListRequest(f"{len(errors)} validation error{plural} detected: " + "; ".join(errors))


def list_jobs(jobs: Iterable[ListedJob], query: ListQuery) -> dict[str, Any]:
    """The ListTrainingJobs response: TrainingJobSummaries, and NextToken while jobs remain."""
    sort_key = _SORT_KEYS[query.sort_by]
    descending = query.sort_order == "Descending"
    ordered = sorted((j for j in jobs if _in_time_range(j, query)), key=sort_key, reverse=descending)
    if query.next_token is not None:
        after = token_key(query.next_token, _KEY_TYPES[query.sort_by])
        ordered = [j for j in ordered if (sort_key(j) < after if descending else sort_key(j) > after)]
    page, rest = ordered[: query.max_results], ordered[query.max_results :]
    summaries = (_summary(job) for job in page)
    response: dict[str, Any] = {"TrainingJobSummaries": [s for s in summaries if _matches(s, query)]}
    if rest:
        response["NextToken"] = page_token(sort_key(page[-1]))
    return response


def _in_time_range(job: ListedJob, query: ListQuery) -> bool:
    bounds: tuple[tuple[datetime | None, datetime, Callable[[datetime, datetime], bool]], ...] = (
        (query.creation_time_after, job.creation_time, lambda bound, time: time > bound),
        (query.creation_time_before, job.creation_time, lambda bound, time: time < bound),
        (query.last_modified_time_after, job.last_modified_time, lambda bound, time: time > bound),
        (query.last_modified_time_before, job.last_modified_time, lambda bound, time: time < bound),
    )
    return all(bound is None or holds(bound, time) for bound, time, holds in bounds)


def _matches(summary: Mapping[str, Any], query: ListQuery) -> bool:
    """The filters SageMaker applies to a page once it is cut, on the jobs' summaries (taken at one moment,
    so a warm pool's status is the one its summary shows)."""
    if query.name_contains is not None and query.name_contains not in summary["TrainingJobName"]:
        return False
    if query.status_equals is not None and summary["TrainingJobStatus"] != query.status_equals:
        return False
    pool_status = summary.get("WarmPoolStatus", {}).get("Status")
    return query.warm_pool_status_equals is None or pool_status == query.warm_pool_status_equals


def _summary(job: ListedJob) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "TrainingJobName": job.name,
        "TrainingJobArn": job.arn,
        "CreationTime": job.creation_time,
        "LastModifiedTime": job.last_modified_time,
        "TrainingJobStatus": job.status,
        "SecondaryStatus": job.secondary_status,
    }
    if job.training_end_time is not None:
        summary["TrainingEndTime"] = job.training_end_time
    pool = job.warm_pool_status()
    if pool is not None:
        summary["WarmPoolStatus"] = pool
    return summary


# Every order ends with the name, which is unique: a total order, so a token names one position.
_SORT_KEYS: dict[str, Callable[[ListedJob], list[Any]]] = {
    "Name": lambda job: [job.name],
    "CreationTime": lambda job: [job.creation_time.timestamp(), job.name],
    "Status": lambda job: [job.status, job.creation_time.timestamp(), job.name],
}
_KEY_TYPES: dict[str, list[type]] = {"Name": [str], "CreationTime": [float, str], "Status": [str, float, str]}


def page_token(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def token_key(token: str, types: list[type] | None) -> list[Any]:
    """The sort key a token names; a token of another order (`types`: its parts' types, None when unknown) or none
    of ours is refused."""
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError):
        key = None
    if not isinstance(key, list) or (types is not None and [type(part) for part in key] != types):
        raise InvalidListRequest(f'Invalid pagination token because "{token}".')
    return key


def request_timestamp(raw: object) -> datetime | None:
    """A request timestamp: epoch seconds (what botocore sends) or ISO 8601; naive means UTC."""
    if raw is None:
        return None
    try:
        moment = datetime.fromtimestamp(float(raw), UTC) if isinstance(raw, int | float) else _iso(str(raw))
    except (ValueError, OverflowError):
        raise InvalidListRequest(f"Value '{raw}' is not a valid timestamp") from None
    return moment


def _iso(text: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = [
    "InvalidListRequest",
    "ListQuery",
    "check_list_request",
    "list_jobs",
    "page_token",
    "request_timestamp",
    "token_key",
]
