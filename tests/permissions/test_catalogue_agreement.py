"""trainctl doctor's catalogue and the independent evaluator agree: every call the catalogue says a role
makes is allowed by this checkout's synthesized policies, and every call it says a role must be refused is
refused (with cdk.json's settings, with a VPC and an extra readable bucket, which add grants, and with every
guardrail set and every capability on, which add conditions and grants)."""

from __future__ import annotations

import pytest

from permissions.evaluator import judge, summary
from permissions.fake_platform import catalogue_calls


@pytest.mark.parametrize("settings", ["platform", "vpc_platform", "guarded_platform"])
def test_every_catalogue_call_is_allowed_and_every_refusal_refused(settings, request, record_property):
    platform = request.getfixturevalue(settings)
    calls = list(catalogue_calls(platform))
    verdicts = judge(platform.policies, [call.request for call in calls])

    record_property("summary", summary(verdicts, f"catalogue calls ({settings})"))
    disagreements = [
        f"catalogue says {'allowed' if call.call.allowed else 'refused'} ({call.principal.role}: {call.call.why})\n"
        + verdict.described()
        for call, verdict in zip(calls, verdicts, strict=True)
        if not (verdict.allowed if call.call.allowed else verdict.refused)
    ]
    assert not disagreements, "\n".join(disagreements)
    assert sum(call.call.allowed for call in calls) > 50
    assert sum(not call.call.allowed for call in calls) >= 10


def test_the_vpc_settings_add_the_network_calls_to_what_is_judged(platform, vpc_platform):
    def actions(fake):
        return {call.request.action for call in catalogue_calls(fake) if call.call.allowed}

    assert {"ec2:CreateNetworkInterface", "ec2:DescribeSubnets"} <= actions(vpc_platform) - actions(platform)


def test_the_guardrail_settings_add_refusals_and_the_capabilities_calls(platform, guarded_platform):
    def calls(fake, allowed):
        return {(call.request.action, call.call.why) for call in catalogue_calls(fake) if call.call.allowed is allowed}

    assert len(calls(guarded_platform, False) - calls(platform, False)) == 3  # type, run time, keep-alive
    added = {action for action, _ in calls(guarded_platform, True) - calls(platform, True)}
    assert {"ssmmessages:CreateControlChannel", "lambda:InvokeFunction", "sagemaker:CreateTrainingJob"} <= added
