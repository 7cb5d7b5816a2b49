"""Proof that a real account allows every call the platform makes and refuses what it must, judged by an
independent IAM evaluator against the synthesized templates."""
