"""`trainctl doctor`: a preflight of the deployed platform on a real account.

- command: the command, its order of checks, its output and exit code;
- checks: the caller, the stacks' states, and whether they match this checkout (templates);
- permissions: IAM's simulator on every role, with the calls of the catalogue;
- resources: the key policy, the rules, the data bucket's events, the default image;
- smoke: `--smoke`, one minimal training followed to its end;
- catalogue: every AWS call the platform makes, by role (plain data);
- deployment: what the doctor reads of the stacks and the settings, and the facts the catalogue names;
- results: a check's result and its lines.
"""
