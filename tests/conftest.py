"""Test-wide environment: the same offline settings the Makefile exports, for `pytest` run directly."""

import os

from emulator.deployment import OFFLINE_CDK_ENVIRONMENT

for _name, _value in {**OFFLINE_CDK_ENVIRONMENT, "SAGEMAKER_SUPPRESS_V2_WARNING": "1"}.items():
    os.environ.setdefault(_name, _value)
