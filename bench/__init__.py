"""Benchmarks: each bench/bench_*.py has `main() -> None` printing its figures as ratios against a
baseline measured in the same run. `python -m bench` runs them all; `python -m bench.bench_synth` one."""
