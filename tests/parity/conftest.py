"""One SageMaker SDK import and one offline SDK session per region for the whole test session."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from .sdk_oracle import DefaultsLike, isolated_sdk, offline_session, sdk_request

SdkRequest = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def sdk() -> SdkRequest:
    """`sdk(execution_input, region=..., defaults=None)`: the SDK's CreateTrainingJob request."""
    sessions: dict[str, Any] = {}

    def request(
        execution_input: Mapping[str, Any],
        *,
        region: str = "eu-west-1",
        defaults: DefaultsLike | None = None,
    ) -> dict[str, Any]:
        if region not in sessions:
            with isolated_sdk():
                sessions[region] = offline_session(region)
        return sdk_request(execution_input, region=region, defaults=defaults, session=sessions[region])

    return request
