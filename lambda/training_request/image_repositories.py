"""ECR repositories as ARNs and as the URIs images are named by, and the repository an image URI is in: the
execution role may pull only from the repositories it is granted (the platform's, the extra_image_repositories
setting's, the regional Debugger rule images'), and the request builder refuses any other image up front."""

from __future__ import annotations

import re
from dataclasses import dataclass

from platform_contract import partition_of

from .rule_catalog import RULE_EVALUATOR_ACCOUNTS, RULE_EVALUATOR_REPOSITORY

_NAME = r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
_ARN = re.compile(rf"^arn:(aws[a-z-]*):ecr:([a-z]{{2}}(?:-[a-z]+)+-\d+):(\d{{12}}):repository/({_NAME})$")
_URI = re.compile(rf"^(\d{{12}})\.dkr\.ecr\.([a-z]{{2}}(?:-[a-z]+)+-\d+)\.(amazonaws\.com(?:\.cn)?)/({_NAME})$")
_CHINA_DOMAIN = "amazonaws.com.cn"


@dataclass(frozen=True)
class ImageRepository:
    partition: str
    region: str
    account: str
    name: str

    @classmethod
    def parse(cls, text: str) -> ImageRepository | None:
        """A repository ARN (arn:<partition>:ecr:<region>:<account>:repository/<name>) or URI
        (<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>); None for anything else."""
        arn = _ARN.match(text)
        if arn is not None:
            return cls(*arn.groups())
        uri = _URI.match(text)
        if uri is not None:
            account, region, _domain, name = uri.groups()
            return cls(partition_of(region), region, account, name)
        return None

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:ecr:{self.region}:{self.account}:repository/{self.name}"

    @property
    def uri(self) -> str:
        domain = _CHINA_DOMAIN if self.partition == "aws-cn" else "amazonaws.com"
        return f"{self.account}.dkr.ecr.{self.region}.{domain}/{self.name}"


def repository_uri(repository: str) -> str:
    """The URI of a repository given by ARN or URI; ValueError for anything else."""
    parsed = ImageRepository.parse(repository)
    if parsed is None:
        raise ValueError(f"not an ECR repository ARN or URI: {repository!r}")
    return parsed.uri


def repository_of_image(image_uri: str) -> str:
    """`<registry>/<name>` of an image URI, without its tag or digest."""
    without_digest = image_uri.split("@", 1)[0]
    registry_and_name, _, tag = without_digest.rpartition(":")
    return registry_and_name if registry_and_name and "/" not in tag else without_digest


def rule_evaluator_repository(partition: str, region: str) -> str:
    """The ARN of SageMaker's Debugger and profiler rule image repository in the region ("" where the SDK knows
    none): rule evaluation jobs pull it with the execution role."""
    account = RULE_EVALUATOR_ACCOUNTS.get(region)
    if account is None:
        return ""
    return ImageRepository(partition, region, account, RULE_EVALUATOR_REPOSITORY).arn
