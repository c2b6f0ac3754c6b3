"""Same options give the same company; other seeds another; size scales rows linearly."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from connectors.base import ReadContext
from connectors.demo import (
    DemoSource,
    canonical_tables,
    generate_universe,
    iter_canonical_tables,
    universe,
)
from connectors.demo.ids import source_ids, vendor_ids
from sheets_sync.model import namespaced

from .conftest import read_demo


def test_same_options_give_identical_tables(demo_all):
    assert not universe._shared  # nobody holds the company any more: this read regenerates it
    again = read_demo()
    for name, frame in demo_all.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name], check_exact=True)


def test_generate_universe_is_pure():
    first = generate_universe(300, 5, date(2024, 2, 29))
    second = generate_universe(300, 5, date(2024, 2, 29))
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])


def test_another_seed_gives_another_company(demo_all):
    other = read_demo(seed=8)
    assert len(other.tables["deals"]) == len(demo_all.tables["deals"])
    assert not other.tables["deals"]["amount"].equals(demo_all.tables["deals"]["amount"])
    assert set(other.tables["accounts"]["name"]) != set(demo_all.tables["accounts"]["name"])


def test_rows_scale_linearly_with_size():
    small = {k: len(v) for k, v in generate_universe(400, 1, date(2025, 1, 31)).items()}
    large = {k: len(v) for k, v in generate_universe(1600, 1, date(2025, 1, 31)).items()}
    for name in ("deals", "leads", "activities", "tickets", "deal_stage_history", "accounts"):
        assert large[name] / small[name] == pytest.approx(4, rel=0.15), name
    assert large["spend"] == small["spend"]  # one row per day and campaign, whatever the size


@pytest.mark.parametrize("system", ["salesforce", "hubspot"])
def test_fast_ids_equal_namespaced_vendor_ids(system):
    keys = np.r_[np.arange(500), 9_999_999]
    events = keys % 3 == 0
    expected = namespaced("demo-x", vendor_ids(system, "activities", keys, events))
    actual = source_ids("demo-x", system, "activities", keys, events)
    assert actual.to_pylist() == expected.tolist()


def test_sources_of_one_refresh_share_the_company_and_free_it_after():
    first = DemoSource(
        "sf", {"size": 300, "seed": 5, "as_of": "2024-02-29", "flavor": "salesforce"}
    )
    second = DemoSource("hs", {"size": 300, "seed": 5, "as_of": "2024-02-29", "flavor": "hubspot"})
    context = ReadContext(started_at=datetime(2024, 3, 1, tzinfo=UTC))
    first.read(context)
    second.read(context)
    assert first.company is second.company  # generated once for both
    freed = weakref.ref(first.company)
    del first, second
    gc.collect()
    assert freed() is None


def test_consuming_the_company_gives_the_same_tables_and_empties_it():
    company = generate_universe(400, 3, date(2024, 2, 29))
    labels = {"salesforce": "d-salesforce", "hubspot": "d-hubspot", "spend": "d-spend"}
    expected = canonical_tables(company, labels)
    consumed = dict(company)
    for table, frame in iter_canonical_tables(consumed, labels, consume=True):
        assert table not in consumed  # let go as soon as its canonical table exists
        pd.testing.assert_frame_equal(frame, expected[table])
    assert consumed == {}
    assert len(company) == len(expected)  # the caller's own mapping is untouched


def test_a_read_of_every_part_keeps_no_company_and_hands_its_tables_over():
    options = {"size": 300, "seed": 5, "as_of": "2024-02-29"}
    context = ReadContext(started_at=datetime(2024, 3, 1, tzinfo=UTC))
    source = DemoSource("demo", options)
    result = source.read(context)
    assert source.company is None  # generated for this read alone and consumed by it
    kept = source.parts(result)
    again = DemoSource("demo", options).read(context)
    handed = source.parts(again, release_input=True)
    assert again.tables == {}  # each table went to the parts as it was split
    assert [label for label, _ in handed] == [label for label, _ in kept]
    for (_, a), (_, b) in zip(kept, handed, strict=True):
        for table in a.tables:
            pd.testing.assert_frame_equal(a.tables[table], b.tables[table])
    assert len(result.tables) == 8  # without release_input the read keeps its tables


def test_each_source_lets_go_of_the_part_it_read():
    options = {"size": 400, "seed": 5, "as_of": "2024-02-29"}
    context = ReadContext(started_at=datetime(2024, 3, 1, tzinfo=UTC))
    names = (("sf", "salesforce"), ("hs", "hubspot"), ("ads", "spend"))
    sources = [DemoSource(name, {**options, "flavor": flavor}) for name, flavor in names]
    first = sources[0].read(context)
    company = sources[0].company
    assert company.read_parts == {"salesforce"}
    assert set(company.tables["deals"]["system"].astype(str)) == {"hubspot"}
    results = [first] + [source.read(context) for source in sources[1:]]
    assert all(source.company is company for source in sources)  # generated once
    assert all(len(frame) == 0 for frame in company.tables.values())
    # Each part equals the same part read from the whole company.
    whole = generate_universe(400, 5, date(2024, 2, 29))
    for (name, flavor), result in zip(names, results, strict=True):
        expected = canonical_tables(whole, {flavor: name})
        for table, frame in expected.items():
            got = result.tables[table]
            assert len(got) == len(frame), (name, table)
            for column in frame.columns:
                left = got[column].astype(object).where(got[column].notna(), None)
                right = frame[column].astype(object).where(frame[column].notna(), None)
                assert left.tolist() == right.tolist(), (name, table, column)
    # A part already let go comes from a company of its own.
    again = DemoSource("sf2", {**options, "flavor": "salesforce"})
    again.read(context)
    assert again.company is not company
    assert len(again.read(context).tables["deals"]) == len(first.tables["deals"])
