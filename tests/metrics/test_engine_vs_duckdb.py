"""The benchmark's queries give the same numbers in the engine and in DuckDB's SQL (small data).

This keeps bench/engine_bench.py honest: its SQL is the reference the engine is timed against.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "engine_bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("engine_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine_bench"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small(bench):
    dataset = bench.generate(3000, seed=3)
    return dataset, bench.connect(dataset)


def test_engine_agrees_with_duckdb_on_every_bench_query(bench, small):
    dataset, con = small
    results = {case.name: bench.check(dataset, con, case) for case in bench.cases()}
    assert len(results) >= 8
    assert all(r == "ok" for r in results.values()), results


def test_disagreement_is_detected(bench, small):
    dataset, con = small
    case = bench.cases()[2]  # lead conversion by channel
    wrong = case.sql  # the SQL with a numerator off by one lead per channel
    tampered = bench.Case(
        case.name,
        case.query,
        lambda s, e: wrong(s, e).replace("count(converted_at)", "(count(converted_at) + 1)"),
        case.keys,
    )
    assert bench.check(dataset, con, tampered).startswith("MISMATCH")
