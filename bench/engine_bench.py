"""Benchmark the KPI engine against DuckDB running equivalent SQL on the same pandas frames.

Usage: ``python bench/engine_bench.py [--sizes 100000,1000000] [--repeat 3] [--seed 7]``

For each size (number of deals; leads and activities are as many, accounts a tenth, tickets a
fifth), it generates a dataset, then for one query per KPI family times
``sheets_sync.metrics.engine.run_query`` and DuckDB (``duckdb.connect().register`` of the very
same DataFrames), checks both give the same numbers (relative tolerance 1e-9), and prints
engine_s, duckdb_s and their ratio (median of ``--repeat`` runs), plus the one-off time the
engine spends preparing dimension codes and joins for a dataset and the peak RSS. Data comes from
``connectors.demo.generate_universe`` when that exists and returns canonical tables, else from
the small generator below.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sheets_sync.dataset import Dataset
from sheets_sync.metrics.engine import run_query
from sheets_sync.metrics.periods import buckets, previous_range, resolve_range
from sheets_sync.metrics.query import DateRange, Query
from sheets_sync.model import STRING, TABLES

NOW = pd.Timestamp("2026-11-28T12:00:00Z")
RATES = {"EUR": 1.0, "USD": 0.9, "GBP": 1.15}
CHANNELS = ["Paid Search", "Organic", "Referral", "Events", "Outbound", "Partners", "Social"]


def _cat(rng: np.random.Generator, values: list[str], n: int, missing: float = 0.0) -> pd.Series:
    codes = rng.integers(0, len(values), n)
    if missing:
        codes[rng.random(n) < missing] = -1
    return pd.Series(pd.Categorical.from_codes(codes, categories=sorted(values)))


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.array([f"demo:{prefix}{i}" for i in range(n)], dtype=object)


def _stamps(rng: np.random.Generator, n: int, days_back: float) -> pd.Series:
    offsets = pd.to_timedelta(rng.random(n) * days_back, unit="D")
    return pd.Series(NOW - offsets).dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def _pick(rng: np.random.Generator, ids: np.ndarray, n: int, missing: float) -> np.ndarray:
    out = ids[rng.integers(0, len(ids), n)].copy()
    out[rng.random(n) < missing] = None
    return out


def generate(size: int, seed: int) -> Dataset:
    """A canonical dataset with ``size`` deals and proportionate other tables."""
    rng = np.random.default_rng(seed)
    n_owner, n_acc, n_tix = 200, max(size // 10, 10), max(size // 5, 10)
    owners = pd.DataFrame(
        {
            "owner_id": _ids("o", n_owner),
            "source": pd.Categorical(["demo"] * n_owner),
            "name": np.array([f"Rep {i:03d}" for i in range(n_owner)], dtype=object),
            "team": _cat(rng, ["Team A", "Team B", "Team C", "Team D"], n_owner),
            "manager": _cat(rng, ["M1", "M2", "M3"], n_owner),
            "region": _cat(rng, ["EMEA", "NA", "APAC"], n_owner, missing=0.3),
        }
    )
    since = _stamps(rng, n_acc, 1500)
    churn = since + pd.to_timedelta(rng.random(n_acc) * 900, unit="D")
    churn = churn.where((rng.random(n_acc) < 0.35) & (churn < NOW))
    accounts = pd.DataFrame(
        {
            "account_id": _ids("a", n_acc),
            "source": pd.Categorical(["demo"] * n_acc),
            "segment": _cat(rng, ["SMB", "Mid-market", "Enterprise"], n_acc, missing=0.05),
            "region": _cat(rng, ["EMEA", "NA", "APAC", "LATAM"], n_acc, missing=0.1),
            "customer_since": since.where(rng.random(n_acc) < 0.8),
            "churned_at": churn,
            "mrr": np.round(rng.gamma(2.0, 400.0, n_acc), 2),
            "currency": _cat(rng, ["EUR", "USD", "GBP"], n_acc),
        }
    )
    created = _stamps(rng, size, 800)
    status = _cat(rng, ["open", "won", "lost"], size)
    close = created + pd.to_timedelta(rng.gamma(2.0, 30.0, size), unit="D")
    deals = pd.DataFrame(
        {
            "deal_id": _ids("d", size),
            "source": pd.Categorical(["demo"] * size),
            "stage": _cat(rng, ["Prospect", "Qualify", "Propose", "Negotiate", "Closed"], size),
            "status": status,
            "amount": np.where(rng.random(size) < 0.03, np.nan, np.round(rng.gamma(2, 5000, size))),
            "currency": _cat(rng, ["EUR", "USD", "GBP", "JPY"], size),
            "created_at": created,
            "close_date": close.where(rng.random(size) < 0.97),
            "probability": rng.random(size),
            "lead_source": _cat(rng, CHANNELS, size, missing=0.05),
            "deal_type": _cat(rng, ["new", "renewal", "expansion"], size, missing=0.1),
            "owner_id": _pick(rng, owners["owner_id"].to_numpy(), size, 0.02),
            "account_id": _pick(rng, accounts["account_id"].to_numpy(), size, 0.05),
        }
    )
    lead_created = _stamps(rng, size, 800)
    leads = pd.DataFrame(
        {
            "lead_id": _ids("l", size),
            "source": pd.Categorical(["demo"] * size),
            "channel": _cat(rng, CHANNELS, size, missing=0.05),
            "created_at": lead_created,
            "converted_at": (lead_created + pd.Timedelta(days=20)).where(rng.random(size) < 0.2),
            "owner_id": _pick(rng, owners["owner_id"].to_numpy(), size, 0.1),
            "region": _cat(rng, ["EMEA", "NA", "APAC"], size, missing=0.2),
        }
    )
    activities = pd.DataFrame(
        {
            "activity_id": _ids("x", size),
            "source": pd.Categorical(["demo"] * size),
            "type": _cat(rng, ["call", "email", "meeting", "task"], size),
            "occurred_at": _stamps(rng, size, 800),
            "owner_id": _pick(rng, owners["owner_id"].to_numpy(), size, 0.05),
            "account_id": _pick(rng, accounts["account_id"].to_numpy(), size, 0.2),
        }
    )
    opened = _stamps(rng, n_tix, 800)
    tickets = pd.DataFrame(
        {
            "ticket_id": _ids("t", n_tix),
            "source": pd.Categorical(["demo"] * n_tix),
            "account_id": _pick(rng, accounts["account_id"].to_numpy(), n_tix, 0.05),
            "opened_at": opened,
            "resolved_at": (opened + pd.to_timedelta(rng.gamma(1.5, 20, n_tix), unit="h")).where(
                rng.random(n_tix) < 0.9
            ),
            "priority": _cat(rng, ["low", "normal", "high", "urgent"], n_tix),
        }
    )
    days = pd.date_range(NOW.normalize() - pd.Timedelta(days=800), NOW.normalize(), freq="D")
    grid = pd.MultiIndex.from_product([days, CHANNELS], names=["date", "channel"]).to_frame(
        index=False
    )
    spend = pd.DataFrame(
        {
            "spend_id": _ids("s", len(grid)),
            "source": pd.Categorical(["demo"] * len(grid)),
            "date": grid["date"].astype("datetime64[ns, UTC]"),
            "channel": pd.Categorical(grid["channel"]),
            "cost": np.round(rng.gamma(2.0, 150.0, len(grid)), 2),
            "currency": _cat(rng, ["EUR", "USD"], len(grid)),
        }
    )
    tables = {
        "owners": owners,
        "accounts": accounts,
        "deals": deals,
        "leads": leads,
        "activities": activities,
        "tickets": tickets,
        "spend": spend,
    }
    return Dataset(tables)


def load_dataset(size: int, seed: int, data: str) -> tuple[Dataset, str]:
    """The demo source's company, read and blended like a refresh does, or the bench generator.

    ``data`` is ``demo`` (three demo sources, one per part, as a two-CRM refresh config declares;
    falls back to the generator when ``connectors.demo`` is missing), ``demo-all`` (one demo
    source showing every part, as ``make demo`` reads it) or ``bench``.
    """
    if data in ("demo", "demo-all"):
        try:
            from connectors.base import ReadContext
            from connectors.demo import DemoSource
            from sheets_sync.blend import blend
            from sheets_sync.memory import release_free_memory
        except ImportError:
            pass
        else:
            context = ReadContext(started_at=NOW.to_pydatetime())
            options = {"size": size, "seed": seed, "as_of": NOW.date()}
            if data == "demo-all":
                source = DemoSource("demo", options)
                parts = source.parts(source.read(context), release_input=True)
                dataset = blend(parts, release_inputs=True)
                del parts
                release_free_memory()
                return dataset, "one demo source (every part), blended"
            # One source per part of the demo company, as a two-CRM refresh config declares.
            names = (("sfdc", "salesforce"), ("hubspot", "hubspot"), ("ads", "spend"))
            # The sources live until all three are read, so they share one generated company;
            # it is freed with them, as a refresh frees it, before anything is measured.
            sources = [DemoSource(name, {**options, "flavor": flavor}) for name, flavor in names]
            results = [(source.name, source.read(context)) for source in sources]
            del sources
            dataset = blend(results, release_inputs=True)
            del results
            release_free_memory()
            return dataset, "the demo source (3 parts), blended"
    return generate(size, seed), "the bench generator"


@dataclass(frozen=True)
class Case:
    """One benchmark query: the engine's Query and a function giving DuckDB's SQL."""

    name: str
    query: Query
    sql: Callable[[pd.Timestamp, pd.Timestamp], str]
    keys: tuple[str, ...]


def _t(stamp: pd.Timestamp) -> str:
    return f"TIMESTAMPTZ '{stamp.isoformat()}'"


DEAL_JOIN = """
  FROM deals d
  LEFT JOIN owners o ON d.owner_id = o.owner_id
  LEFT JOIN accounts a ON d.account_id = a.account_id
  LEFT JOIN rates r ON upper(CAST(d.currency AS VARCHAR)) = r.currency
"""

# Rows without a currency code are taken to be in the report currency (rate 1), as the engine does.
RATE = "coalesce(r.rate, CASE WHEN {t}.currency IS NULL THEN 1.0 END)"
DEAL_RATE = RATE.format(t="d")

YEAR = DateRange("last_365_days")


def cases() -> list[Case]:
    """One query per KPI family, with the equivalent SQL."""
    return [
        Case(
            "win_rate by owner x month",
            Query(("win_rate",), ("owner",), date_range=YEAR, granularity="month"),
            lambda s, e: (
                f"""
            SELECT o.name AS owner, date_trunc('month', timezone('UTC', d.close_date)) AS period,
                   count(*) FILTER (WHERE d.status = 'won')::DOUBLE / count(*) AS win_rate
            {DEAL_JOIN}
            WHERE d.close_date >= {_t(s)} AND d.close_date < {_t(e)}
              AND d.status IN ('won', 'lost')
            GROUP BY ALL"""
            ),
            ("owner", "period"),
        ),
        Case(
            "won_revenue by region vs previous period",
            Query(
                ("won_revenue",),
                ("region",),
                date_range=DateRange("last_90_days"),
                comparison="previous_period",
                currency="EUR",
                currency_rates=RATES,
            ),
            lambda s, e: _won_revenue_sql(s, e),
            ("region",),
        ),
        Case(
            "lead_conversion_rate by channel",
            Query(("lead_conversion_rate",), ("channel",), date_range=YEAR),
            lambda s, e: (
                f"""
            SELECT channel, count(converted_at)::DOUBLE / count(*) AS lead_conversion_rate
            FROM leads WHERE created_at >= {_t(s)} AND created_at < {_t(e)} GROUP BY ALL"""
            ),
            ("channel",),
        ),
        Case(
            "churn_rate by segment",
            Query(("churn_rate",), ("segment",), date_range=YEAR),
            lambda s, e: (
                f"""
            SELECT segment,
                   count(*) FILTER (WHERE churned_at < {_t(e)})::DOUBLE / count(*) AS churn_rate
            FROM accounts
            WHERE customer_since < {_t(s)} AND (churned_at IS NULL OR churned_at >= {_t(s)})
            GROUP BY ALL"""
            ),
            ("segment",),
        ),
        Case(
            "cac by channel",
            Query(("cac",), ("channel",), date_range=YEAR, currency="EUR", currency_rates=RATES),
            lambda s, e: (
                f"""
            WITH sp AS (
              SELECT channel, sum(cost * {RATE.format(t="spend")}) AS spend FROM spend
              LEFT JOIN rates r ON upper(CAST(spend.currency AS VARCHAR)) = r.currency
              WHERE date >= {_t(s)} AND date < {_t(e)} GROUP BY ALL),
            nc AS (
              SELECT lead_source AS channel, count(*) AS customers FROM deals
              WHERE status = 'won' AND (deal_type = 'new' OR deal_type IS NULL)
                AND close_date >= {_t(s)} AND close_date < {_t(e)} GROUP BY ALL)
            SELECT coalesce(sp.channel, nc.channel) AS channel,
                   coalesce(spend, 0) / nullif(coalesce(customers, 0), 0) AS cac
            FROM sp FULL OUTER JOIN nc ON sp.channel IS NOT DISTINCT FROM nc.channel"""
            ),
            ("channel",),
        ),
        Case(
            "avg_resolution_hours by priority",
            Query(("avg_resolution_hours",), ("priority",), date_range=YEAR),
            lambda s, e: (
                f"""
            SELECT priority, avg(epoch(resolved_at - opened_at) / 3600.0) AS avg_resolution_hours
            FROM tickets WHERE resolved_at >= {_t(s)} AND resolved_at < {_t(e)} GROUP BY ALL"""
            ),
            ("priority",),
        ),
        Case(
            "open_pipeline by stage (snapshot)",
            Query(
                ("open_pipeline",),
                ("stage",),
                date_range=YEAR,
                currency="EUR",
                currency_rates=RATES,
            ),
            lambda s, e: (
                f"""
            SELECT d.stage, coalesce(sum(d.amount * {DEAL_RATE}), 0) AS open_pipeline
            {DEAL_JOIN}
            WHERE d.created_at < {_t(e)} AND (d.status = 'open' OR d.close_date >= {_t(e)})
            GROUP BY ALL"""
            ),
            ("stage",),
        ),
        Case(
            "activities_per_rep by team x week",
            Query(
                ("activities_per_rep",),
                ("team",),
                date_range=DateRange("last_90_days"),
                granularity="week",
            ),
            lambda s, e: (
                f"""
            SELECT o.team, date_trunc('week', timezone('UTC', x.occurred_at)) AS period,
                   count(*)::DOUBLE / nullif(count(DISTINCT x.owner_id), 0) AS activities_per_rep
            FROM activities x LEFT JOIN owners o ON x.owner_id = o.owner_id
            WHERE x.occurred_at >= {_t(s)} AND x.occurred_at < {_t(e)} GROUP BY ALL"""
            ),
            ("team", "period"),
        ),
        Case(
            "open_deals by team at each month end",
            Query(("open_deals",), ("team",), date_range=YEAR, granularity="month"),
            _open_deals_by_month_sql,
            ("team", "period"),
        ),
    ]


def _open_deals_by_month_sql(start: pd.Timestamp, end: pd.Timestamp) -> str:
    ends = ", ".join(
        f"(TIMESTAMP '{label.isoformat()}', {_t(hi)})"
        for label, _, hi in buckets(start, end, "month", "UTC")
    )
    return f"""
    WITH ends(period, t_end) AS (VALUES {ends})
    SELECT o.team, ends.period, count(*) AS open_deals
    FROM deals d LEFT JOIN owners o ON d.owner_id = o.owner_id CROSS JOIN ends
    WHERE d.created_at < ends.t_end AND (d.status = 'open' OR d.close_date >= ends.t_end)
    GROUP BY ALL"""


def _won_revenue_sql(start: pd.Timestamp, end: pd.Timestamp) -> str:
    before, _ = previous_range(start, end, "previous_period")

    def part(lo: pd.Timestamp, hi: pd.Timestamp) -> str:
        return f"""
          SELECT coalesce(o.region, a.region) AS region, sum(d.amount * {DEAL_RATE}) AS revenue
          {DEAL_JOIN}
          WHERE d.status = 'won' AND d.close_date >= {_t(lo)} AND d.close_date < {_t(hi)}
          GROUP BY ALL"""

    return f"""
    WITH cur AS ({part(start, end)}), prev AS ({part(before, start)})
    SELECT coalesce(cur.region, prev.region) AS region,
           coalesce(cur.revenue, 0) AS won_revenue,
           coalesce(prev.revenue, 0) AS won_revenue__previous
    FROM cur FULL OUTER JOIN prev ON cur.region IS NOT DISTINCT FROM prev.region"""


def _median_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def _agree(case: Case, engine: pd.DataFrame, sql: pd.DataFrame) -> str:
    """Compare every metric column on the SQL result's groups; engine-only groups must be empty."""
    keys = list(case.keys)
    sql = sql.copy()
    for key in keys:
        if key == "period":
            sql[key] = pd.to_datetime(sql[key]).dt.tz_localize(None)
            engine = engine.assign(period=pd.to_datetime(engine["period"]))
        else:
            sql[key] = sql[key].astype(object).where(sql[key].notna(), None)
            engine = engine.assign(
                **{key: engine[key].astype(object).where(engine[key].notna(), None)}
            )
    merged = engine.merge(sql, on=keys, how="outer", suffixes=("", "_sql"), indicator=True)
    metrics = [c for c in sql.columns if c not in keys]
    for metric in metrics:
        ours, theirs = merged[metric].to_numpy(float), merged[f"{metric}_sql"].to_numpy(float)
        only_ours = (merged["_merge"] == "left_only").to_numpy()
        # Groups the engine fills in (empty periods) hold 0 for sums and missing for ratios.
        ok_extra = np.isnan(ours[only_ours]) | (ours[only_ours] == 0)
        both = (merged["_merge"] == "both").to_numpy()
        same = np.isclose(ours[both], theirs[both], rtol=1e-9, atol=0, equal_nan=True)
        if (merged["_merge"] == "right_only").any() or not same.all() or not ok_extra.all():
            return f"MISMATCH in {metric}: {int((~same).sum())} of {int(both.sum())} groups differ"
    return "ok"


def connect(dataset: Dataset) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that sees the dataset's frames plus the rates.

    Reference columns (``owner_id``, ``account_id``... held as categories over the ids) are
    handed over as plain text: DuckDB would read them as ENUMs with a million values and cast
    them at every join, which slows it down several times. The other columns are the very
    frames, not copied.
    """
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, frame in dataset.tables.items():
        spec = TABLES.get(name)
        references = [c for c in frame.columns if spec is not None and spec.is_reference(c)]
        con.register(name, frame.assign(**{c: frame[c].astype(STRING) for c in references}))
    con.register("rates", pd.DataFrame({"currency": list(RATES), "rate": list(RATES.values())}))
    return con


def check(dataset: Dataset, con: duckdb.DuckDBPyConnection, case: Case) -> str:
    """Run ``case`` once on both sides; ``"ok"`` or what differs."""
    start, end = resolve_range(case.query.date_range, "UTC", NOW)
    return _agree(
        case, run_query(dataset, case.query, now=NOW), con.execute(case.sql(start, end)).df()
    )


def run(sizes: list[int], repeat: int, seed: int, data: str) -> int:
    """Run every case at every size; print the table; return 1 if any result disagrees."""
    failures = 0
    process = psutil.Process()
    for size in sizes:
        built = time.perf_counter()
        dataset, origin = load_dataset(size, seed, data)
        built = time.perf_counter() - built
        con = connect(dataset)
        # The first run of each query prepares its tables (dimension codes, joins, timestamps)
        # once per dataset; it is timed apart so the table shows the steady state of both sides.
        prep = time.perf_counter()
        for case in cases():
            run_query(dataset, case.query, now=NOW)
        prep = time.perf_counter() - prep
        print(
            f"\n{size:,} deals from {origin} (built in {built:.1f}s); engine first run of all "
            f"queries, preparing tables once per dataset: {prep:.2f}s"
        )
        print(f"{'query':44} {'engine_s':>9} {'duckdb_s':>9} {'ratio':>7}  check")
        ratios = []
        for case in cases():
            start, end = resolve_range(case.query.date_range, "UTC", NOW)
            engine_s, engine = _median_time(
                lambda c=case, d=dataset: run_query(d, c.query, now=NOW), repeat
            )
            sql = case.sql(start, end)
            duck_s, theirs = _median_time(lambda q=sql, db=con: db.execute(q).df(), repeat)
            assert isinstance(engine, pd.DataFrame) and isinstance(theirs, pd.DataFrame)
            check = _agree(case, engine, theirs)
            failures += check != "ok"
            ratios.append(engine_s / duck_s)
            print(f"{case.name:44} {engine_s:9.4f} {duck_s:9.4f} {engine_s / duck_s:7.2f}  {check}")
        geo = float(np.exp(np.mean(np.log(ratios))))
        rss = process.memory_info().rss / 2**20
        peak = _peak_rss_mib()
        print(f"geometric mean ratio {geo:.2f}; RSS now {rss:.0f} MiB, peak {peak:.0f} MiB")
        con.close()
    return 1 if failures else 0


def _peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux ru_maxrss is in KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated deal counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (median is shown)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--data",
        choices=("demo", "demo-all", "bench"),
        default="demo",
        help="three demo sources, one demo source of every part, or the bench generator",
    )
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    return run(sizes, args.repeat, args.seed, args.data)


if __name__ == "__main__":
    raise SystemExit(main())
