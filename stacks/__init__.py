"""CDK stacks and the constructs they wire together (one construct per module)."""
