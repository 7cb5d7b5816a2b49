"""The SageMaker execution role: exactly what a training job needs, nothing more."""

from __future__ import annotations

from stacks.nag import flatten_reference
from training_request.rule_catalog import RULE_EVALUATOR_ACCOUNTS

P = "arn:<AWS::Partition>"
REGION_ACCOUNT = "<AWS::Region>:<AWS::AccountId>"


def execution_role_resource(app, resource_type: str) -> dict:
    """The execution role's own resource of that type (the training stack holds other roles too)."""
    [resource] = [
        r
        for r in app.resources("training", resource_type).values()
        if r["Metadata"]["aws:cdk:path"].split("/")[1:3] == ["ExecutionRole", "Role"]
    ]
    return resource


def role_statements(app) -> dict[str, dict]:
    """The role's policy statements by Sid, actions as sets and resources flattened as cdk-nag shows them."""
    policy = execution_role_resource(app, "AWS::IAM::Policy")
    statements = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        statements[statement["Sid"]] = {
            "actions": set(actions),
            "resources": {flatten_reference(r) for r in resources},
            "condition": statement.get("Condition"),
        }
    return statements


def bucket(stack: str, name: str, objects: bool = False) -> str:
    return f"{P}:s3:::{stack}-stateful-{name}BucketName" + ("/*" if objects else "")


def expected_statements(stack: str, extra_buckets: tuple[str, ...] = ()) -> dict[str, dict]:
    written = [bucket(stack, name) for name in ("Artifacts", "Checkpoints", "TensorBoard")]
    read = [bucket(stack, "Data"), *written, *(f"{P}:s3:::{name}" for name in extra_buckets)]
    return {
        "ListTrainingBuckets": {
            "actions": {"s3:ListBucket", "s3:GetBucketLocation"},
            "resources": set(read),
            "condition": None,
        },
        "ReadTrainingData": {
            "actions": {"s3:GetObject", "s3:GetObjectVersion"},
            "resources": {f"{arn}/*" for arn in read},
            "condition": None,
        },
        "WriteTrainingOutputs": {
            "actions": {"s3:PutObject", "s3:AbortMultipartUpload"},
            "resources": {f"{arn}/*" for arn in written},
            "condition": None,
        },
        "PullTrainingImage": {
            "actions": {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"},
            "resources": {f"{P}:ecr:{REGION_ACCOUNT}:repository/{stack}-stateful-RepositoryName"},
            "condition": None,
        },
        # Rule evaluation jobs pull SageMaker's rule image of the region the stack is deployed to (any, here).
        "PullRuleEvaluatorImages": {
            "actions": {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"},
            "resources": {
                f"{P}:ecr:{region}:{account}:repository/sagemaker-debugger-rules"
                for region, account in RULE_EVALUATOR_ACCOUNTS.items()
            },
            "condition": None,
        },
        "AuthenticateToRegistry": {"actions": {"ecr:GetAuthorizationToken"}, "resources": {"*"}, "condition": None},
        "WriteTrainingLogs": {
            "actions": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
            "resources": {
                f"{P}:logs:{REGION_ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs",
                f"{P}:logs:{REGION_ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs:*",
            },
            "condition": None,
        },
        "PublishTrainingMetrics": {
            "actions": {"cloudwatch:PutMetricData"},
            "resources": {"*"},
            "condition": {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}},
        },
        "UseProjectKey": {
            "actions": {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"},
            "resources": {f"{stack}-stateful-KeyArn"},
            "condition": None,
        },
        "GrantProjectKeyToEbs": {
            "actions": {"kms:CreateGrant"},
            "resources": {f"{stack}-stateful-KeyArn"},
            "condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    }


# Where Resource "*" is allowed: actions without resource-level permissions (commented in execution_role.py).
STAR_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
}


def test_only_sagemaker_can_assume_the_role(synthesized_app) -> None:
    role = execution_role_resource(synthesized_app, "AWS::IAM::Role")
    # SageMaker acting for this account only (confused deputy); by account, not by training-job ARN, because
    # Debugger and profiler rule evaluation jobs assume the role too.
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
        }
    ]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]


def test_the_role_has_exactly_the_least_privilege_statements(synthesized_app) -> None:
    assert role_statements(synthesized_app) == expected_statements("mltrain-dev")


def test_no_policy_anywhere_has_a_wildcard_action(synthesized_app, customised_app) -> None:
    for app in (synthesized_app, customised_app):
        for stack, logical_id, resource in app.all_resources():
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                    assert not any("*" in action for action in actions), (stack, logical_id, statement)


def test_star_resources_only_for_actions_without_resource_level_permissions(customised_app) -> None:
    for sid, statement in role_statements(customised_app).items():
        if "*" in statement["resources"]:
            assert statement["resources"] == {"*"}, sid
            assert statement["actions"] <= STAR_RESOURCE_ACTIONS, sid


def test_without_a_vpc_there_are_no_network_interface_permissions(synthesized_app) -> None:
    actions = set().union(*(s["actions"] for s in role_statements(synthesized_app).values()))
    assert not any(action.startswith("ec2:") for action in actions)


def test_with_a_vpc_the_role_manages_network_interfaces_in_the_given_subnets_and_groups(customised_app) -> None:
    statements = role_statements(customised_app)
    network_interfaces = f"{P}:ec2:{REGION_ACCOUNT}:network-interface/*"
    assert statements["CreateTrainingNetworkInterfaces"] == {
        "actions": {"ec2:CreateNetworkInterface"},
        "resources": {
            network_interfaces,
            f"{P}:ec2:{REGION_ACCOUNT}:subnet/subnet-0123abcd",
            f"{P}:ec2:{REGION_ACCOUNT}:subnet/subnet-4567ef01",
            f"{P}:ec2:{REGION_ACCOUNT}:security-group/sg-0123abcd",
        },
        "condition": None,
    }
    assert statements["ManageTrainingNetworkInterfaces"] == {
        "actions": {
            "ec2:CreateNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface",
            "ec2:DeleteNetworkInterfacePermission",
        },
        "resources": {network_interfaces},
        "condition": None,
    }
    assert statements["DescribeTrainingNetwork"]["resources"] == {"*"}


def test_extra_buckets_are_readable_but_not_writable_and_an_imported_key_is_used(customised_app) -> None:
    statements = role_statements(customised_app)
    expected = expected_statements("team-prod", extra_buckets=("shared-datasets", "reference-models"))
    key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    expected["UseProjectKey"]["resources"] = expected["GrantProjectKeyToEbs"]["resources"] = {key_arn}
    # The extra buckets' own key, only through S3; the extra image repository (given as a URI), as an ARN.
    expected["DecryptExtraBuckets"] = {
        "actions": {"kms:Decrypt"},
        "resources": {"arn:aws:kms:eu-west-1:210987654321:key/0000aaaa-11bb-22cc-33dd-444455556666"},
        "condition": {
            "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}
        },
    }
    expected["PullExtraTrainingImages"] = {
        "actions": {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"},
        "resources": {"arn:aws:ecr:eu-west-1:210987654321:repository/shared/base"},
        "condition": None,
    }
    vpc_sids = {"CreateTrainingNetworkInterfaces", "ManageTrainingNetworkInterfaces", "DescribeTrainingNetwork"}
    assert {sid: s for sid, s in statements.items() if sid not in vpc_sids} == expected
