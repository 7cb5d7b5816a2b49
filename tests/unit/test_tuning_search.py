"""What an emulated tuning job decides (emulator/tuning_search.py): the values it tries, the early stopping
rule, the best training job and the counters; and how its lists are ordered and paged
(emulator/tuning_job_list.py)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emulator import tuning_job_list, tuning_search
from emulator.training_metrics import distance_from_optimum, metric_value
from emulator.tuning_search import TrialState


def config(strategy: str = "Random", **ranges: Any) -> dict[str, Any]:
    return {"Strategy": strategy, "ParameterRanges": ranges, "RandomSeed": 7}


LOG_RATE = {"Name": "learning_rate", "MinValue": "0.0001", "MaxValue": "0.1", "ScalingType": "Logarithmic"}


def draws(job_config: dict[str, Any], count: int, name: str = "tune") -> list[dict[str, str]]:
    return list(itertools.islice(tuning_search.candidates(job_config, name), count))


def test_random_draws_are_within_their_ranges_and_the_same_for_the_same_seed() -> None:
    job_config = config(
        ContinuousParameterRanges=[LOG_RATE],
        IntegerParameterRanges=[{"Name": "batch", "MinValue": "16", "MaxValue": "128", "ScalingType": "Linear"}],
        CategoricalParameterRanges=[{"Name": "optimizer", "Values": ["sgd", "adam"]}],
    )
    values = draws(job_config, 200)
    assert all(0.0001 <= float(v["learning_rate"]) <= 0.1 for v in values)
    assert all(v["batch"].isdigit() and 16 <= int(v["batch"]) <= 128 for v in values)
    assert {v["optimizer"] for v in values} == {"sgd", "adam"}
    assert values == draws(job_config, 200)
    assert values != draws({**job_config, "RandomSeed": 8}, 200)


def test_without_a_seed_the_tuning_job_s_name_fixes_the_draws() -> None:
    job_config = {"Strategy": "Bayesian", "ParameterRanges": {"ContinuousParameterRanges": [LOG_RATE]}}
    assert draws(job_config, 5, "a") == draws(job_config, 5, "a") != draws(job_config, 5, "b")


@pytest.mark.parametrize(("scaling", "low_decade_share"), [("Logarithmic", (0.2, 0.45)), ("Linear", (0.0, 0.05))])
def test_scaling_types_decide_how_values_spread(scaling: str, low_decade_share: tuple[float, float]) -> None:
    """Logarithmic: each of the three decades gets about a third; Linear: the lowest decade about 1 %."""
    values = draws(config(ContinuousParameterRanges=[{**LOG_RATE, "ScalingType": scaling}]), 1000)
    share = sum(float(v["learning_rate"]) < 0.001 for v in values) / len(values)
    assert low_decade_share[0] <= share <= low_decade_share[1]


def test_reverse_logarithmic_crowds_values_near_one() -> None:
    rate = {"Name": "momentum", "MinValue": "0.5", "MaxValue": "0.999", "ScalingType": "ReverseLogarithmic"}
    values = [float(v["momentum"]) for v in draws(config(ContinuousParameterRanges=[rate]), 1000)]
    assert all(0.5 <= v <= 0.999 for v in values)
    assert sum(v > 0.95 for v in values) / len(values) > 0.4  # uniform would give 10 %


def test_grid_enumerates_every_combination_once_in_order() -> None:
    job_config = config(
        "Grid",
        CategoricalParameterRanges=[
            {"Name": "optimizer", "Values": ["sgd", "adam"]},
            {"Name": "batch", "Values": ["32", "64", "128"]},
        ],
    )
    assert tuning_search.grid_size(job_config) == 6
    assert draws(job_config, 100) == [
        {"optimizer": o, "batch": b} for o, b in itertools.product(["sgd", "adam"], ["32", "64", "128"])
    ]


def test_a_job_worse_than_the_median_of_the_earlier_running_averages_is_stopped() -> None:
    earlier = [[1.0, 0.5, 0.3], [2.0, 1.0, 0.6], [1.2, 0.8]]
    # At the 2nd report the running averages are 0.75, 1.5, 1.0: median 1.0.
    assert tuning_search.stops_early(1.1, 2, earlier, "Minimize")
    assert not tuning_search.stops_early(0.9, 2, earlier, "Minimize")
    assert tuning_search.stops_early(0.9, 2, earlier, "Maximize")
    # At the 3rd report only two earlier jobs have one: averages 0.6 and 1.2, median 0.9.
    assert tuning_search.stops_early(0.95, 3, earlier, "Minimize")
    assert not tuning_search.stops_early(5.0, 4, earlier, "Minimize")  # nobody to compare with
    assert not tuning_search.stops_early(5.0, 1, [], "Minimize")


def test_early_stopping_spares_a_job_as_good_as_the_earlier_one_on_the_emulated_curves() -> None:
    """On the metric curves the emulator prints, a job at the same distance from the optimum is never
    stopped (its value beats the earlier job's running average), one three decades away is at once."""
    reports = [0.2, 0.4, 0.6, 0.8, 1.0]

    def curve(rate: str) -> list[float]:
        distance = distance_from_optimum({"learning_rate": rate})
        return [metric_value("loss", progress, distance) for progress in reports]

    first = curve("0.001")
    same = curve("0.001")
    assert not any(tuning_search.stops_early(same[i], i + 1, [first], "Minimize") for i in range(5))
    assert tuning_search.stops_early(curve("1.0")[0], 1, [first], "Minimize")


def trial(name: str, status: str, objective: float | None = None, reason: str | None = None) -> TrialState:
    return TrialState(name, status, reason, objective)


@pytest.mark.parametrize(("objective_type", "best"), [("Minimize", "b"), ("Maximize", "c")])
def test_the_best_job_is_the_best_completed_objective(objective_type: str, best: str) -> None:
    trials = [
        trial("a", "Completed", 0.5),
        trial("b", "Completed", 0.2),
        trial("c", "Completed", 0.9),
        trial("d", "Stopped", 0.1),  # stopped early: not a candidate
        trial("e", "Failed", 0.05, "AlgorithmError: x"),
        trial("f", "InProgress"),
    ]
    chosen = tuning_search.best_trial(trials, objective_type)
    assert chosen is not None and chosen.name == best


def test_ties_go_to_the_earlier_job_and_nothing_completed_is_no_best() -> None:
    assert tuning_search.best_trial([trial("a", "Completed", 0.5), trial("b", "Completed", 0.5)], "Minimize") == trial(
        "a", "Completed", 0.5
    )
    assert tuning_search.best_trial([trial("a", "Failed", None, "AlgorithmError: x")], "Minimize") is None


def test_counters_count_each_training_job_once() -> None:
    trials = [
        trial("a", "Completed", 0.5),
        trial("b", "InProgress"),
        trial("c", "Stopping"),
        trial("d", "Stopped", 0.7),
        trial("e", "Failed", None, "AlgorithmError: exited with code 1"),
        trial("f", "Failed", None, "CapacityError: Unable to provision requested ML compute capacity."),
        trial("g", "Completed"),  # no objective value printed
    ]
    assert tuning_search.training_job_counters(trials) == {
        "Completed": 2,
        "InProgress": 2,
        "RetryableError": 1,
        "NonRetryableError": 1,
        "Stopped": 1,
    }
    assert tuning_search.objective_counters(trials) == {"Succeeded": 2, "Pending": 2, "Failed": 3}


# tuning_job_list --------------------------------------------------------------------------------------
START = datetime(2026, 12, 1, tzinfo=UTC)


def training_summary(index: int, status: str, value: float | None) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "TrainingJobName": f"tune-{index:03d}-0000000{index}",
        "CreationTime": START + timedelta(seconds=index),
        "TrainingJobStatus": status,
    }
    if value is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {"MetricName": "loss", "Value": value}
    return summary


SUMMARIES = [
    training_summary(1, "Completed", 0.4),
    training_summary(2, "Failed", None),
    training_summary(3, "Completed", 0.1),
    training_summary(4, "Stopped", 0.9),
    training_summary(5, "InProgress", None),
]


def all_pages(request: dict[str, Any]) -> list[list[str]]:
    pages, token = [], None
    while True:
        page = tuning_job_list.list_training_jobs(SUMMARIES, {**request, **({"NextToken": token} if token else {})})
        pages.append([s["TrainingJobName"][:8] for s in page["TrainingJobSummaries"]])
        token = page.get("NextToken")
        if not token:
            return pages


def test_training_jobs_are_listed_by_name_ascending_by_default_ten_a_page() -> None:
    assert all_pages({}) == [["tune-001", "tune-002", "tune-003", "tune-004", "tune-005"]]
    assert all_pages({"MaxResults": 2}) == [["tune-001", "tune-002"], ["tune-003", "tune-004"], ["tune-005"]]


def test_by_objective_value_jobs_without_one_are_left_out() -> None:
    assert all_pages({"SortBy": "FinalObjectiveMetricValue"}) == [["tune-003", "tune-001", "tune-004"]]
    assert all_pages({"SortBy": "FinalObjectiveMetricValue", "SortOrder": "Descending", "MaxResults": 1}) == [
        ["tune-004"],
        ["tune-001"],
        ["tune-003"],
    ]


def test_status_filters_before_the_page_is_cut() -> None:
    assert all_pages({"StatusEquals": "Completed", "MaxResults": 1}) == [["tune-001"], ["tune-003"]]


def test_bad_requests_are_refused_as_sagemaker_words_them() -> None:
    with pytest.raises(
        tuning_job_list.InvalidListRequest, match="2 validation errors detected: Value 'Size' at 'sortBy'"
    ):
        tuning_job_list.list_training_jobs(SUMMARIES, {"SortBy": "Size", "MaxResults": 0})
    with pytest.raises(tuning_job_list.InvalidListRequest, match="Invalid pagination token"):
        tuning_job_list.list_training_jobs(SUMMARIES, {"SortBy": "CreationTime", "NextToken": "bm90LWEta2V5"})


def test_tuning_jobs_filter_by_time_name_and_status() -> None:
    jobs = [
        {
            "HyperParameterTuningJobName": name,
            "HyperParameterTuningJobStatus": status,
            "CreationTime": START + timedelta(minutes=minute),
            "LastModifiedTime": START + timedelta(minutes=minute + 1),
        }
        for name, status, minute in (("gan-a", "Completed", 0), ("gan-b", "InProgress", 5), ("cnn-c", "Completed", 10))
    ]

    def names(request: dict[str, Any]) -> list[str]:
        page = tuning_job_list.list_tuning_jobs(jobs, request)
        return [s["HyperParameterTuningJobName"] for s in page["HyperParameterTuningJobSummaries"]]

    assert names({}) == ["cnn-c", "gan-a", "gan-b"]
    assert names({"NameContains": "gan", "SortBy": "CreationTime", "SortOrder": "Descending"}) == ["gan-b", "gan-a"]
    assert names({"StatusEquals": "Completed", "CreationTimeAfter": (START + timedelta(minutes=1)).timestamp()}) == [
        "cnn-c"
    ]
    assert names({"LastModifiedTimeBefore": (START + timedelta(minutes=6)).isoformat()}) == ["gan-a"]
