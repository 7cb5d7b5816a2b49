"""list_training_jobs_as_sagemaker_does (emulator/adapters/sagemaker.py): ListTrainingJobs with
SageMaker's time filters, order (CreationTime, newest first, unless SortBy/SortOrder say otherwise),
pages and summaries, through boto3 and the AWS CLI. Like SageMaker, NameContains and StatusEquals filter
a page once it is cut: a short (even empty) page can carry a NextToken, and the tokens reach every job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from adapter_resources import final_job, training_request, unique
from botocore.exceptions import ClientError

AWS_CLI = str(Path(sys.executable).with_name("aws"))
SUMMARY_MEMBERS = {
    "TrainingJobName",
    "TrainingJobArn",
    "CreationTime",
    "TrainingEndTime",
    "LastModifiedTime",
    "TrainingJobStatus",
    "SecondaryStatus",
}


@pytest.fixture(scope="module")
def listed(emulator: Any, output_bucket: str) -> dict[str, Any]:
    """Four ended jobs created one after the other, in `window` (created after `since`, before `until`):
    two whose name holds `marker` (the first and the last), two that failed in between."""
    sagemaker = emulator.client("sagemaker")
    since = clock_past_a_whole_second(datetime.now(UTC))
    marker = unique("mark")
    names = [f"{marker}-1", unique("other"), unique("other"), f"{marker}-2"]
    for position, name in enumerate(names):
        outcome = "failed" if position in (1, 2) else "completed"
        sagemaker.create_training_job(
            **training_request(name, output_bucket, emulator_seconds="0.5", emulator_outcome=outcome)
        )
    ended = [final_job(sagemaker, name) for name in names]
    until = clock_past_a_whole_second(max(job["LastModifiedTime"] for job in ended))
    window = {"CreationTimeAfter": since, "CreationTimeBefore": until}
    return {"since": since, "until": until, "window": window, "marker": marker, "names": names, "jobs": ended}


def clock_past_a_whole_second(moment: datetime) -> datetime:
    """The first whole second after `moment`, once the clock has passed it. botocore sends these
    timestamps in whole seconds, so a bound with a fraction would be cut back into the second before
    it, where other tests' jobs were created; waiting makes the bound a boundary between jobs."""
    boundary = moment.replace(microsecond=0) + timedelta(seconds=1)
    deadline = time.monotonic() + 2
    while datetime.now(UTC) <= boundary and time.monotonic() < deadline:
        time.sleep(0.05)
    assert datetime.now(UTC) > boundary, "the clock did not pass a whole second within 2 s"
    return boundary


def pages(sagemaker: Any, **request: Any) -> Iterator[dict[str, Any]]:
    while True:
        page = sagemaker.list_training_jobs(**request)
        yield page
        if "NextToken" not in page:
            return
        request["NextToken"] = page["NextToken"]


def names_of(page: dict[str, Any]) -> list[str]:
    return [summary["TrainingJobName"] for summary in page["TrainingJobSummaries"]]


# list_training_jobs_as_sagemaker_does ----------------------------------------------------------
def test_jobs_are_listed_newest_first_with_sagemaker_s_summary(emulator: Any, listed: dict[str, Any]) -> None:
    page = emulator.client("sagemaker").list_training_jobs(**listed["window"])
    assert names_of(page) == listed["names"][::-1]
    assert "NextToken" not in page
    for summary, job in zip(page["TrainingJobSummaries"], listed["jobs"][::-1], strict=True):
        assert set(summary) == SUMMARY_MEMBERS
        assert summary == {member: job[member] for member in SUMMARY_MEMBERS}


@pytest.mark.parametrize(
    ("sort_by", "sort_order", "expected"),
    [
        ("CreationTime", "Ascending", lambda names: names),
        ("Name", "Ascending", sorted),
        ("Name", "Descending", lambda names: sorted(names, reverse=True)),
        ("Status", "Ascending", lambda names: [names[0], names[3], names[1], names[2]]),  # Completed < Failed
    ],
)
def test_sort_by_and_sort_order_order_the_jobs(
    emulator: Any, listed: dict[str, Any], sort_by: str, sort_order: str, expected: Any
) -> None:
    page = emulator.client("sagemaker").list_training_jobs(**listed["window"], SortBy=sort_by, SortOrder=sort_order)
    assert names_of(page) == expected(listed["names"])


def test_time_filters_select_the_jobs_created_or_modified_in_range(emulator: Any, listed: dict[str, Any]) -> None:
    sagemaker = emulator.client("sagemaker")
    first, *_, last = listed["jobs"]
    between = {"CreationTimeAfter": first["CreationTime"], "CreationTimeBefore": last["CreationTime"]}
    assert names_of(sagemaker.list_training_jobs(**between)) == listed["names"][2:0:-1]  # both bounds excluded
    modified_later = sagemaker.list_training_jobs(**listed["window"], LastModifiedTimeAfter=listed["until"])
    assert names_of(modified_later) == []
    modified_before = sagemaker.list_training_jobs(**listed["window"], LastModifiedTimeBefore=listed["until"])
    assert names_of(modified_before) == listed["names"][::-1]


def test_pages_follow_one_another_and_a_job_created_meanwhile_neither_repeats_nor_hides_one(
    emulator: Any, output_bucket: str, listed: dict[str, Any]
) -> None:
    sagemaker = emulator.client("sagemaker")
    request = {"CreationTimeAfter": listed["since"], "SortOrder": "Ascending", "MaxResults": 1}
    walk = pages(sagemaker, **request)
    seen = names_of(next(walk))
    late = unique("late")
    sagemaker.create_training_job(**training_request(late, output_bucket, emulator_seconds="0.5"))
    seen += [name for page in walk for name in names_of(page)]
    assert seen == [*listed["names"], late]
    final_job(sagemaker, late)


def test_name_and_status_filters_apply_to_the_page_once_it_is_cut(emulator: Any, listed: dict[str, Any]) -> None:
    sagemaker = emulator.client("sagemaker")
    one_by_one = {**listed["window"], "SortOrder": "Ascending", "MaxResults": 1}
    by_name = list(pages(sagemaker, NameContains=listed["marker"], **one_by_one))
    assert [names_of(page) for page in by_name] == [[listed["names"][0]], [], [], [listed["names"][3]]]
    assert ["NextToken" in page for page in by_name] == [True, True, True, False]  # an empty page goes on
    by_status = list(pages(sagemaker, StatusEquals="Failed", **{**one_by_one, "MaxResults": 2}))
    assert [names_of(page) for page in by_status] == [[listed["names"][1]], [listed["names"][2]]]


@pytest.mark.parametrize(
    ("request_members", "message"),
    [
        ({"NextToken": "not-a-token"}, "Invalid pagination token"),
        ({"MaxResults": 101}, "maxResults"),
        ({"SortBy": "Size"}, "sortBy"),
        ({"SortOrder": "Up"}, "sortOrder"),
    ],
)
def test_a_request_sagemaker_refuses_is_a_validation_error(
    emulator: Any, request_members: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError) as refused:
        emulator.client("sagemaker").list_training_jobs(**request_members)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert message in refused.value.response["Error"]["Message"]


def test_the_aws_cli_lists_with_time_filters_sort_order_and_pages(emulator: Any, listed: dict[str, Any]) -> None:
    def cli(*arguments: str) -> dict[str, Any]:
        result = subprocess.run(
            [AWS_CLI, "sagemaker", "list-training-jobs", *arguments, "--output", "json"],
            env={**emulator.environment(), "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return dict(json.loads(result.stdout))

    since = (
        "--creation-time-after",
        listed["since"].isoformat(),
        "--creation-time-before",
        listed["until"].isoformat(),
    )
    assert names_of(cli(*since)) == listed["names"][::-1]  # the CLI follows every page itself
    assert names_of(cli(*since, "--sort-order", "Ascending")) == listed["names"]
    assert names_of(cli(*since, "--sort-by", "Name", "--page-size", "1")) == sorted(listed["names"], reverse=True)
    # --max-results asks for one page only: SageMaker's, cut before the name filter applies.
    one_page = cli(*since, "--sort-order", "Ascending", "--name-contains", listed["marker"], "--max-results", "2")
    assert names_of(one_page) == [listed["names"][0]] and "NextToken" in one_page
