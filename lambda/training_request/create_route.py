"""Which Step Functions integration creates a training job: SageMaker's optimised integration
(`sagemaker:createTrainingJob[.sync]`) or the AWS SDK integration (`aws-sdk:sagemaker:createTrainingJob`).

The optimised integration does not pass a request through as it is: Step Functions checks the task's
parameters against its own list of CreateTrainingJob members, and a member it does not know fails the
execution with "The field ... is not supported by Step Functions" (States.Runtime, which no Catch
catches: a request file would get no result). Its list has lagged SageMaker's API (managed spot
training was refused until 2021), and AWS no longer publishes it member by member. The AWS SDK
integration calls the API with whatever the SDK's model holds.

So a request goes the optimised way only when every member it sets is one that AWS has shown to pass
through that integration, listed below with the evidence; any other member sends it the AWS SDK way.
docs/workflow.md gives the sources.
"""

from __future__ import annotations

from collections.abc import Mapping

from platform_contract import CreateRoute

# A member whose value is passed on whole (True), or whose own members are listed (a mapping; for a
# list of objects, the members of each element).
_Members = Mapping[str, "bool | _Members"]

_CHANNEL: _Members = {
    "ChannelName": True,
    "DataSource": {
        "S3DataSource": {"S3DataType": True, "S3Uri": True, "S3DataDistributionType": True, "AttributeNames": True}
    },
    "ContentType": True,
    "CompressionType": True,
    "RecordWrapperType": True,
    "InputMode": True,
    "ShuffleConfig": True,
}

OPTIMISED_INTEGRATION_MEMBERS: _Members = {
    # The developer guide's CreateTrainingJob parameters and its example, and the CDK's
    # SageMakerCreateTrainingJob task (which also renders Environment and EnableNetworkIsolation).
    "TrainingJobName": True,
    "RoleArn": True,
    "AlgorithmSpecification": {
        "TrainingImage": True,
        "AlgorithmName": True,
        "TrainingInputMode": True,
        "MetricDefinitions": True,
    },
    "HyperParameters": True,
    "InputDataConfig": _CHANNEL,
    "OutputDataConfig": {"S3OutputPath": True, "KmsKeyId": True},
    "ResourceConfig": {"InstanceCount": True, "InstanceType": True, "VolumeSizeInGB": True, "VolumeKmsKeyId": True},
    # MaxWaitTimeInSeconds: managed spot training's limit, which Step Functions accepts since it takes spot jobs.
    "StoppingCondition": {"MaxRuntimeInSeconds": True, "MaxWaitTimeInSeconds": True},
    "Tags": True,
    "VpcConfig": {"SecurityGroupIds": True, "Subnets": True},
    "Environment": True,
    "EnableNetworkIsolation": True,
    # Supported since 2021, as AWS answered in the Step Functions Data Science SDK's issue tracker.
    "EnableManagedSpotTraining": True,
    # Sent to the optimised integration by the Step Functions Data Science SDK's TrainingStep (AWS's library
    # for that integration; it drops only the SageMaker SDK's S3Operations, which Step Functions refuses).
    "CheckpointConfig": {"S3Uri": True, "LocalPath": True},
    "DebugHookConfig": True,
    "DebugRuleConfigurations": True,
    "ExperimentConfig": {"ExperimentName": True, "TrialName": True, "TrialComponentDisplayName": True},
    # Not confirmed by any public source. Kept because every request carries it (the SDK sends it on every
    # job), so the default job of `trainctl doctor` smoke exercises it on the real account.
    "ProfilerConfig": True,
}


def members_outside_optimised_integration(request: Mapping[str, object]) -> list[str]:
    """The request's members (paths such as `ResourceConfig.KeepAlivePeriodInSeconds`) that the optimised
    integration is not known to pass, in the request's order; empty when it passes them all."""
    return _outside(request, OPTIMISED_INTEGRATION_MEMBERS, "")


def create_route(request: Mapping[str, object]) -> CreateRoute:
    """The integration that creates this CreateTrainingJob request."""
    return CreateRoute.SDK if members_outside_optimised_integration(request) else CreateRoute.OPTIMISED


def _outside(value: object, known: bool | _Members, path: str) -> list[str]:
    if known is True:
        return []
    assert not isinstance(known, bool)
    if isinstance(value, list):
        return [found for item in value for found in _outside(item, known, f"{path}[]")]
    if not isinstance(value, Mapping):
        return []
    found: list[str] = []
    for member, member_value in value.items():
        member_path = f"{path}.{member}" if path else member
        if member not in known:
            found.append(member_path)
        else:
            found.extend(_outside(member_value, known[member], member_path))
    return list(dict.fromkeys(found))  # a member several channels set is named once
