"""The baseline of bench_synth: the smallest useful CDK app, one stack with one bucket."""

from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3

app = App()
stack = Stack(app, "Baseline", analytics_reporting=False)
s3.Bucket(stack, "Bucket")
app.synth()
