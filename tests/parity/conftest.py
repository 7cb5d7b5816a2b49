"""One SageMaker SDK import and one offline SDK session per region for the whole test session."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from .sdk_oracle import DefaultsLike, isolated_sdk, offline_session, sdk_request, sdk_tuning_request

SdkRequest = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def sdk_sessions() -> dict[str, Any]:
    """One offline SDK session per region, shared by the session's oracle calls."""
    return {}


def _oracle(oracle: Callable[..., dict[str, Any]], sessions: dict[str, Any]) -> SdkRequest:
    def request(
        execution_input: Mapping[str, Any],
        *,
        region: str = "eu-west-1",
        defaults: DefaultsLike | None = None,
    ) -> dict[str, Any]:
        if region not in sessions:
            with isolated_sdk():
                sessions[region] = offline_session(region)
        return oracle(execution_input, region=region, defaults=defaults, session=sessions[region])

    return request


@pytest.fixture(scope="session")
def sdk(sdk_sessions: dict[str, Any]) -> SdkRequest:
    """`sdk(execution_input, region=..., defaults=None)`: the SDK's CreateTrainingJob request."""
    return _oracle(sdk_request, sdk_sessions)


@pytest.fixture(scope="session")
def sdk_tuning(sdk_sessions: dict[str, Any]) -> SdkRequest:
    """`sdk_tuning(tuning_request, region=..., defaults=None)`: the SDK's CreateHyperParameterTuningJob request."""
    return _oracle(sdk_tuning_request, sdk_sessions)
