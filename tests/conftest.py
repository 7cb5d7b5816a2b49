"""Test-wide environment: the same offline settings the Makefile exports, for `pytest` run directly."""

import os

for _name, _value in {
    "CDK_DISABLE_CLI_TELEMETRY": "1",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "AWS_EC2_METADATA_DISABLED": "true",
    "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
}.items():
    os.environ.setdefault(_name, _value)
