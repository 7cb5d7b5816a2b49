"""CloudFormation: `cdk deploy`'s change sets, redeploys, and the resources this platform's stacks hold."""

from __future__ import annotations

import copy
import json
from typing import Any


def rebuild_stack_outputs_after_change_sets() -> None:
    """`cdk deploy` (which deploys with change sets) sees outputs and exports, and can redeploy.

    moto's ExecuteChangeSet updates the resources but keeps the outputs of the template the stack
    had before (none, for a new stack), never registers exports, and gives stacks made by
    CreateChangeSet no view of other stacks' exports (Fn::ImportValue fails).
    """
    from moto.cloudformation.models import CloudFormationBackend

    original_create = CloudFormationBackend.create_change_set
    original_execute = CloudFormationBackend.execute_change_set

    def create_change_set(self: CloudFormationBackend, *args: Any, **kwargs: Any) -> tuple[str, str]:
        change_set_id, stack_id = original_create(self, *args, **kwargs)
        stack = self.stacks[stack_id]
        stack.cross_stack_resources = self.exports
        stack.resource_map.cross_stack_resources = self.exports
        return change_set_id, stack_id

    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        original_execute(self, change_set_name, stack_name)
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        for export in stack.exports:
            self.exports.pop(export.name, None)
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()
        for export in stack.exports:
            self.exports[export.name] = export

    CloudFormationBackend.create_change_set = create_change_set
    CloudFormationBackend.execute_change_set = execute_change_set


def keep_previous_ssm_parameter_values_on_update() -> None:
    """A stack update that reuses an SSM-typed parameter's previous value (CDK's BootstrapVersion) works.

    For UsePreviousValue moto passes the previous *resolved* value ("30") where it expects the
    SSM parameter's name, looks "30" up in SSM and crashes on None. A value that names no SSM
    parameter is taken as that already-resolved value.
    """
    from moto.cloudformation.parsing import ResourceMap
    from moto.ssm.models import ssm_backends

    original_parse = ResourceMap.parse_ssm_parameter

    def parse_ssm_parameter(self: ResourceMap, value: str, value_type: str) -> Any:
        if ssm_backends[self._account_id][self._region_name].get_parameter(value) is None:
            return value
        return original_parse(self, value, value_type)

    ResourceMap.parse_ssm_parameter = parse_ssm_parameter


def find_change_sets_by_stack_and_name() -> None:
    """A change set named with its stack is that stack's change set (CDK reuses one name for all).

    moto looks change sets up by name alone, ignoring StackName: with two stacks deployed, the CDK
    CLI's `cdk-deploy-change-set` of one stack is described, executed or deleted in place of the
    other's, and the second deploy fails with "Stack with id cdk-deploy-change-set does not exist".
    """
    from moto.cloudformation.exceptions import CloudFormationError
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import EmptyResult

    def scoped(method_name: str) -> None:
        original = getattr(CloudFormationResponse, method_name)

        def method(self: CloudFormationResponse) -> Any:
            name, stack = self._get_param("ChangeSetName"), self._get_param("StackName")
            if name and stack and not str(name).startswith("arn:"):
                change_set_id = _stack_change_set_id(self.cloudformation_backend, name, stack)
                if change_set_id is None:
                    if method_name == "delete_change_set":
                        return EmptyResult()  # the CLI deletes "if it exists"
                    raise CloudFormationError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist")
                unscoped_get_param = self._get_param
                self._get_param = lambda key, if_none=None: (
                    change_set_id if key == "ChangeSetName" else unscoped_get_param(key, if_none)
                )
            return original(self)

        setattr(CloudFormationResponse, method_name, method)

    for method_name in ("describe_change_set", "execute_change_set", "delete_change_set"):
        scoped(method_name)


def _stack_change_set_id(backend: Any, name: str, stack: str) -> str | None:
    """The id of the newest change set called `name` of the stack named (or with the id) `stack`."""
    candidates = [
        cs
        for cs in backend.change_sets.values()
        if cs.change_set_name == name and stack in (cs.stack_name, cs.stack_id)
    ]
    return max(candidates, key=lambda cs: cs.creation_time).change_set_id if candidates else None


def name_unnamed_ecr_repositories_in_lowercase() -> None:
    """An ECR repository without RepositoryName deploys: its generated name is lowercase.

    moto names unnamed resources `<stack>-<LogicalId>-<suffix>`, keeping the logical ID's capitals,
    which ECR's name rule rejects. CloudFormation generates lowercase repository names.
    """
    from moto.cloudformation import parsing

    original = parsing.generate_resource_name

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = original(resource_type, stack_name, logical_id)
        return name.lower() if resource_type == "AWS::ECR::Repository" else name

    parsing.generate_resource_name = generate_resource_name


def accept_tagged_kms_keys_from_cloudformation() -> None:
    """A KMS key with Tags in its template deploys (every resource here carries CER=1).

    CloudFormation writes tags as Key/Value; moto hands them to the KMS API, which spells them
    TagKey/TagValue, and fails with KeyError. The key policy, a JSON object in the template, is
    stored as the JSON string the API returns.
    """
    from moto.kms.models import Key

    original_create = Key.create_from_cloudformation_json.__func__

    def create(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
        template = copy.deepcopy(cloudformation_json)
        properties = template["Properties"]
        properties["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])]
        if not isinstance(properties.get("KeyPolicy"), str):
            properties["KeyPolicy"] = json.dumps(properties.get("KeyPolicy"))
        return original_create(cls, resource_name, template, *args, **kwargs)

    Key.create_from_cloudformation_json = classmethod(create)


def create_alarms_and_metric_filters_from_cloudformation() -> None:
    """CloudWatch alarms and CloudWatch Logs metric filters declared in a template are created,
    updated and deleted with their stack (emulator/adapters/cloudformation_monitoring.py).

    moto's template parser knows neither type: it skipped both with a warning, so the platform's
    failed-execution and failed-job alarms and its failed-jobs metric filter did not exist.
    """
    from moto.cloudformation import parsing

    from emulator.adapters import cloudformation_monitoring  # noqa: F401  (defining the models registers them)

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()  # built once, possibly before the models above existed
