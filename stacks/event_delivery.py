"""How EventBridge delivers the platform's events to their targets: the role it assumes to start the
workflow, limited to this account."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from constructs import Construct

# The role the CDK creates for EventBridge to start a state machine (aws_events_targets.SfnStateMachine), as a
# child of the state machine, shared by every rule that targets it.
_STATE_MACHINE_EVENTS_ROLE = "EventsRole"


def limit_events_role_to_account(state_machine: Construct) -> None:
    """Confused-deputy protection on the trust policy of the role EventBridge assumes to start the workflow:
    only EventBridge acting for this account (the rules are this account's)."""
    role = state_machine.node.try_find_child(_STATE_MACHINE_EVENTS_ROLE)
    if not isinstance(role, iam.Role):
        raise ValueError("no EventBridge role on the state machine: add the rules' targets first")
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole)
    # The CDK's trust policy has one statement (events.amazonaws.com may sts:AssumeRole); its constructor offers no
    # condition, so the synthesized statement gets it.
    cfn_role.add_property_override(
        "AssumeRolePolicyDocument.Statement.0.Condition", {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
    )
