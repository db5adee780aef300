"""Benchmarks behind `newsbot bench …`: each prints numbers next to a same-run baseline."""
