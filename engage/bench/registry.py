"""The benchmark registry and the context each benchmark runs with."""

import importlib
import pkgutil
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS

BENCHMARKS_PACKAGE = "engage.bench.benchmarks"

Metrics = dict[str, float | int]


def p95(values: list[float]) -> float:
    """The 95th percentile of timings (statistics.quantiles, exclusive method)."""
    return statistics.quantiles(values, n=20)[-1]


class BenchError(Exception):
    """A benchmark could not produce honest figures; the message says why."""


@dataclass
class BenchContext:
    """What a benchmark gets: the scale, the database alias, a scratch directory, the output.

    `database` is the alias to measure (query counts, transactions); the seed writes through the
    actions, so to the default database. `rounds` and `round_seconds` bound every timed loop, so a
    run always stops by itself. `load_seconds`, `load_sessions` and `load_think_seconds`
    override the load test's duration, concurrency and pause between requests (None: the scale's).
    """

    scale: str
    run_dir: Path
    database: str = DEFAULT_DB_ALIAS
    rounds: int = 5
    round_seconds: float = 2.0
    load_seconds: float | None = None
    load_sessions: int | None = None
    load_think_seconds: float | None = None
    write: Callable[[str], None] = print
    warn: Callable[[str], None] = print

    @cached_property
    def data(self):
        """The seeded bench district (`engage.bench.seed.BenchData`), built or reused once."""
        from engage.bench.seed import get_or_seed_bench_data

        return get_or_seed_bench_data(self.scale, write=self.write)


@dataclass(frozen=True)
class Benchmark:
    name: str
    function: Callable[[BenchContext], Metrics] = field(repr=False)

    @property
    def description(self) -> str:
        """The first line of the function's docstring."""
        return next(iter((self.function.__doc__ or "").strip().splitlines()), "")

    def run(self, context: BenchContext) -> Metrics:
        metrics = self.function(context)
        for metric, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BenchError(f"{self.name}: metric {metric} is not a number: {value!r}")
        return metrics


_REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str):
    """Register the decorated function as the benchmark `name`."""

    def register(function: Callable[[BenchContext], Metrics]):
        if name in _REGISTRY and _REGISTRY[name].function is not function:
            raise BenchError(f"Two benchmarks are named {name!r}.")
        _REGISTRY[name] = Benchmark(name=name, function=function)
        return function

    return register


def list_benchmarks() -> list[Benchmark]:
    """Every benchmark, after importing each module of `engage.bench.benchmarks`, by name."""
    package = importlib.import_module(BENCHMARKS_PACKAGE)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{BENCHMARKS_PACKAGE}.{module.name}")
    return sorted(_REGISTRY.values(), key=lambda b: b.name)


def select_benchmarks(names: list[str] | None) -> list[Benchmark]:
    """The named benchmarks in the order given (all of them for None); unknown names raise."""
    known = {b.name: b for b in list_benchmarks()}
    if not names:
        return list(known.values())
    unknown = [name for name in names if name not in known]
    if unknown:
        raise BenchError(
            f"Unknown benchmark(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}."
        )
    return [known[name] for name in dict.fromkeys(names)]
