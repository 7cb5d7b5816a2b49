"""CloudFormation resources moto skips that the platform's monitoring declares: AWS::CloudWatch::Alarm and
AWS::Logs::MetricFilter, created, updated and deleted through the CloudWatch and CloudWatch Logs
backends as their APIs would.

Imported by create_alarms_and_metric_filters_from_cloudformation when it is installed (it imports
moto): defining a CloudFormationModel subclass is what makes moto's template parser know the type."""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.logs.models import logs_backends


class CloudWatchAlarmResource(CloudFormationModel):
    """An AWS::CloudWatch::Alarm on one metric; Ref is its name, Fn::GetAtt Arn its ARN."""

    def __init__(self, account_id: str, region: str, name: str, arn: str) -> None:
        self.account_id, self.region, self.name, self.arn = account_id, region, name, arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> CloudWatchAlarmResource:
        properties = cloudformation_json["Properties"]
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=properties.get("Namespace"),
            metric_name=properties.get("MetricName"),
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            period=int(properties.get("Period", 60)),
            threshold=float(properties.get("Threshold", 0)),
            statistic=properties.get("Statistic"),
            extended_statistic=properties.get("ExtendedStatistic"),
            description=properties.get("AlarmDescription", ""),
            dimensions=properties.get("Dimensions", []),
            alarm_actions=properties.get("AlarmActions", []),
            ok_actions=properties.get("OKActions", []),
            insufficient_data_actions=properties.get("InsufficientDataActions", []),
            datapoints_to_alarm=properties.get("DatapointsToAlarm"),
            unit=properties.get("Unit"),
            actions_enabled=str(properties.get("ActionsEnabled", True)).lower() != "false",
            treat_missing_data=properties.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=properties.get("EvaluateLowSampleCountPercentile"),
            threshold_metric_id=properties.get("ThresholdMetricId"),
            metric_data_queries=[_UnevaluatedQuery(q) for q in properties.get("Metrics", [])] or None,
            tags=properties.get("Tags", []),
        )
        return cls(account_id, region_name, resource_name, alarm.alarm_arn)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: CloudWatchAlarmResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> CloudWatchAlarmResource:
        name = cloudformation_json["Properties"].get("AlarmName") or original_resource.name
        if name != original_resource.name:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.name])

    def is_created(self) -> bool:
        return True


class _UnevaluatedQuery:
    """A metric math query of an alarm's template: kept for DescribeAlarms, not evaluated."""

    def __init__(self, query: dict[str, Any]) -> None:
        self.id = query.get("Id")
        self.label = query.get("Label")
        self.period = query.get("Period")
        self.return_data = query.get("ReturnData")
        self.expression = query.get("Expression")
        self.metric_stat = None


class LogsMetricFilterResource(CloudFormationModel):
    """An AWS::Logs::MetricFilter; Ref is its name."""

    def __init__(self, account_id: str, region: str, name: str, log_group_name: str) -> None:
        self.account_id, self.region, self.name, self.log_group_name = account_id, region, name, log_group_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Logs::MetricFilter"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "FilterName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> LogsMetricFilterResource:
        properties = cloudformation_json["Properties"]
        transformations = [
            {
                "metricName": t["MetricName"],
                "metricNamespace": t["MetricNamespace"],
                "metricValue": str(t["MetricValue"]),
                **({"defaultValue": float(t["DefaultValue"])} if "DefaultValue" in t else {}),
                **({"dimensions": {d["Key"]: d["Value"] for d in t["Dimensions"]}} if t.get("Dimensions") else {}),
                **({"unit": t["Unit"]} if t.get("Unit") else {}),
            }
            for t in properties["MetricTransformations"]
        ]
        logs_backends[account_id][region_name].put_metric_filter(
            resource_name, properties["FilterPattern"], properties["LogGroupName"], transformations
        )
        return cls(account_id, region_name, resource_name, properties["LogGroupName"])

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: LogsMetricFilterResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> LogsMetricFilterResource:
        original_resource.delete(account_id, region_name)
        name = cloudformation_json["Properties"].get("FilterName") or original_resource.name
        return cls.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        log_group = cloudformation_json["Properties"]["LogGroupName"]
        logs_backends[account_id][region_name].delete_metric_filter(resource_name, log_group)

    def delete(self, account_id: str, region_name: str) -> None:
        logs_backends[account_id][region_name].delete_metric_filter(self.name, self.log_group_name)

    def is_created(self) -> bool:
        return True
