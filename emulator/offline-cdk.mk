# The CDK CLI, offline: no telemetry, no check for a newer CLI (it asks npm whenever the output is a
# terminal), no Node 20 end-of-life banner, no instance-metadata lookup for credentials.
#
# The one list of these settings: the Makefile includes this file, and emulator/deployment.py reads it
# for every run of the CLI that does not come through make (the emulator's CDK runner, the tests, the
# synth benchmark). Lines are `export NAME := value`, comments on lines of their own (make would keep
# the spaces before a trailing comment in the value).
export CDK_DISABLE_CLI_TELEMETRY := 1
export CDK_DISABLE_VERSION_CHECK := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_EC2_METADATA_DISABLED := true
