"""Benchmarks: `manage.py bench` runs the registered ones and prints their figures.

A benchmark is a function in a module of `engage.bench.benchmarks`, registered by name, that takes
a `BenchContext` and returns {metric name: number}:

    @benchmark("roster")
    def roster(context: BenchContext) -> dict[str, float]:
        data = context.data  # the seeded "bench" district, built once per run
        ...
        return {"roster_ms": 12.5}

Adding one is adding that module: the registry imports every module of the package.
"""

from engage.bench.registry import BenchContext, BenchError, benchmark

__all__ = ["BenchContext", "BenchError", "benchmark"]
