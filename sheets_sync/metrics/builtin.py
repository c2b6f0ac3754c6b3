"""The built-in metrics, declared as data over the generic shapes.

Every definition string is the exact rule the formula implements; docs/metrics.md repeats them.
"""

from __future__ import annotations

from sheets_sync.document import Fmt
from sheets_sync.metrics.catalogue import MetricDef
from sheets_sync.metrics.shapes import (
    Agg,
    Complement,
    InRange,
    Lifecycle,
    LifecycleMode,
    Node,
    PerMonth,
    Ratio,
    Value,
    Where,
)

WON = Where("status", values=("won",))
LOST = Where("status", values=("lost",))
CLOSED = Where("status", values=("won", "lost"))
NEW_BUSINESS = Where("deal_type", values=("new",), include_missing=True)


def _deal_life(mode: LifecycleMode = "active_at_end") -> Lifecycle:
    # Without stage history, "open at t" is reconstructed from the current row: created before
    # t and either still open now or closed (won/lost) on or after t.
    return Lifecycle("created_at", "close_date", mode, still_open=Where("status", values=("open",)))


def _customer(mode: LifecycleMode) -> Lifecycle:
    return Lifecycle("customer_since", "churned_at", mode)


def _open_ticket() -> Lifecycle:
    return Lifecycle("opened_at", "resolved_at", "active_at_end")


def _count(table: str, field: str, *where: Where) -> Agg:
    return Agg(table, "count", InRange(field), tuple(where))


def _sum(table: str, field: str, value: Value, *where: Where) -> Agg:
    return Agg(table, "sum", InRange(field), tuple(where), value)


def _mean(table: str, field: str, value: Value, *where: Where) -> Agg:
    return Agg(table, "mean", InRange(field), tuple(where), value)


AMOUNT = Value("amount", money=True)
NEW_LEADS = _count("leads", "created_at")
NEW_DEALS = _count("deals", "created_at")
WON_DEALS = _count("deals", "close_date", WON)
WON_REVENUE = _sum("deals", "close_date", AMOUNT, WON)
NEW_CUSTOMERS = _count("deals", "close_date", WON, NEW_BUSINESS)
SPEND = _sum("spend", "date", Value("cost", money=True))
ACTIVITIES = _count("activities", "occurred_at")
CHURN_RATE = Ratio(
    Agg("accounts", "count", _customer("ended")),
    Agg("accounts", "count", _customer("active_at_start")),
)
CAC = Ratio(SPEND, NEW_CUSTOMERS)
LTV = Ratio(
    Agg("accounts", "mean", _customer("active_at_end"), value=Value("mrr", money=True)),
    PerMonth(CHURN_RATE),
)


def _m(
    metric_id: str,
    label: str,
    family: str,
    fmt: Fmt,
    up_is_good: bool,
    table: str,
    date_field: str | None,
    formula: Node,
    definition: str,
) -> MetricDef:
    return MetricDef(
        metric_id, label, family, definition, fmt, up_is_good, table, date_field, formula
    )


INT, N, C, P, D = Fmt.INTEGER, Fmt.NUMBER, Fmt.CURRENCY, Fmt.PERCENT, Fmt.DAYS

# Each entry: id, label, family, format, up_is_good, base table, date field (None for state at
# the end of the range), formula, exact definition.
BUILTIN_METRICS: tuple[MetricDef, ...] = (
    # acquisition
    _m(
        "new_leads",
        "New leads",
        "acquisition",
        INT,
        True,
        "leads",
        "created_at",
        NEW_LEADS,
        "Number of leads whose created_at is in the range.",
    ),
    _m(
        "mqls",
        "MQLs",
        "acquisition",
        INT,
        True,
        "leads",
        "mql_at",
        _count("leads", "mql_at"),
        "Number of leads whose mql_at (became marketing-qualified) is in the range.",
    ),
    _m(
        "sqls",
        "SQLs",
        "acquisition",
        INT,
        True,
        "leads",
        "sql_at",
        _count("leads", "sql_at"),
        "Number of leads whose sql_at (became sales-qualified) is in the range.",
    ),
    _m(
        "converted_leads",
        "Converted leads",
        "acquisition",
        INT,
        True,
        "leads",
        "converted_at",
        _count("leads", "converted_at"),
        "Number of leads whose converted_at is in the range.",
    ),
    _m(
        "lead_conversion_rate",
        "Lead conversion rate",
        "acquisition",
        P,
        True,
        "leads",
        "created_at",
        Ratio(_count("leads", "created_at", Where("converted_at", "set")), NEW_LEADS),
        "Of the leads created in the range, the share whose converted_at is set (at any time).",
    ),
    _m(
        "new_customers",
        "New customers",
        "acquisition",
        INT,
        True,
        "deals",
        "close_date",
        NEW_CUSTOMERS,
        "Number of won deals closed in the range whose deal_type is 'new' or missing.",
    ),
    _m(
        "cost_per_lead",
        "Cost per lead",
        "acquisition",
        C,
        False,
        "spend",
        "date",
        Ratio(SPEND, NEW_LEADS),
        "spend / new_leads over the same range; missing when there are no new leads.",
    ),
    # engagement
    _m(
        "activities",
        "Activities",
        "engagement",
        INT,
        True,
        "activities",
        "occurred_at",
        ACTIVITIES,
        "Number of activities (any type) whose occurred_at is in the range.",
    ),
    _m(
        "calls",
        "Calls",
        "engagement",
        INT,
        True,
        "activities",
        "occurred_at",
        _count("activities", "occurred_at", Where("type", values=("call",))),
        "Number of activities of type 'call' whose occurred_at is in the range.",
    ),
    _m(
        "emails",
        "E-mails",
        "engagement",
        INT,
        True,
        "activities",
        "occurred_at",
        _count("activities", "occurred_at", Where("type", values=("email",))),
        "Number of activities of type 'email' whose occurred_at is in the range.",
    ),
    _m(
        "meetings",
        "Meetings",
        "engagement",
        INT,
        True,
        "activities",
        "occurred_at",
        _count("activities", "occurred_at", Where("type", values=("meeting",))),
        "Number of activities of type 'meeting' whose occurred_at is in the range.",
    ),
    _m(
        "tasks",
        "Tasks",
        "engagement",
        INT,
        True,
        "activities",
        "occurred_at",
        _count("activities", "occurred_at", Where("type", values=("task",))),
        "Number of activities of type 'task' whose occurred_at is in the range.",
    ),
    _m(
        "activities_per_rep",
        "Activities per rep",
        "engagement",
        N,
        True,
        "activities",
        "occurred_at",
        Ratio(ACTIVITIES, Agg("activities", "distinct", InRange("occurred_at"), column="owner_id")),
        "activities / number of distinct owner_id among the activities in the range "
        "(activities without an owner count in the numerator only).",
    ),
    _m(
        "activities_per_account",
        "Activities per account",
        "engagement",
        N,
        True,
        "activities",
        "occurred_at",
        Ratio(
            ACTIVITIES, Agg("activities", "distinct", InRange("occurred_at"), column="account_id")
        ),
        "activities / number of distinct account_id among the activities in the range.",
    ),
    _m(
        "avg_first_response_hours",
        "Avg. first response (hours)",
        "engagement",
        N,
        False,
        "leads",
        "created_at",
        _mean("leads", "created_at", Value("first_response_at", since="created_at", unit="hours")),
        "Mean of first_response_at - created_at in hours, over leads created in the range that "
        "have a first_response_at.",
    ),
    # retention
    _m(
        "active_customers",
        "Active customers",
        "retention",
        INT,
        True,
        "accounts",
        None,
        Agg("accounts", "count", _customer("active_at_end")),
        "Accounts that are customers at the end of the range: customer_since before the end and "
        "churned_at missing or on/after the end.",
    ),
    _m(
        "churned_customers",
        "Churned customers",
        "retention",
        INT,
        False,
        "accounts",
        "churned_at",
        _count("accounts", "churned_at"),
        "Number of accounts whose churned_at is in the range.",
    ),
    _m(
        "churn_rate",
        "Churn rate",
        "retention",
        P,
        False,
        "accounts",
        "churned_at",
        CHURN_RATE,
        "Of the accounts that were customers at the start of the range (customer_since before the "
        "start, churned_at missing or on/after the start), the share whose churned_at is before "
        "the end of the range.",
    ),
    _m(
        "retention_rate",
        "Retention rate",
        "retention",
        P,
        True,
        "accounts",
        "churned_at",
        Complement(CHURN_RATE),
        "1 - churn_rate: the share of the start-of-range customers still customers at the end.",
    ),
    _m(
        "gross_revenue_retention",
        "Gross revenue retention",
        "retention",
        P,
        True,
        "accounts",
        "churned_at",
        Ratio(
            Agg("accounts", "sum", _customer("survived"), value=Value("mrr", money=True)),
            Agg("accounts", "sum", _customer("active_at_start"), value=Value("mrr", money=True)),
        ),
        "Sum of mrr of the start-of-range customers still customers at the end / sum of mrr of "
        "all start-of-range customers. Uses each account's current mrr (no mrr history), so it "
        "reflects churn, not downgrades.",
    ),
    _m(
        "avg_customer_lifetime_days",
        "Avg. customer lifetime",
        "retention",
        D,
        True,
        "accounts",
        "churned_at",
        _mean("accounts", "churned_at", Value("churned_at", since="customer_since")),
        "Mean of churned_at - customer_since in days over accounts whose churned_at is in the "
        "range.",
    ),
    # efficiency
    _m(
        "cac",
        "Customer acquisition cost",
        "efficiency",
        C,
        False,
        "spend",
        "date",
        CAC,
        "spend / new_customers over the same range.",
    ),
    _m(
        "cost_per_opportunity",
        "Cost per opportunity",
        "efficiency",
        C,
        False,
        "spend",
        "date",
        Ratio(SPEND, NEW_DEALS),
        "spend / new_deals over the same range.",
    ),
    _m(
        "revenue_per_rep",
        "Revenue per rep",
        "efficiency",
        C,
        True,
        "deals",
        "close_date",
        Ratio(
            WON_REVENUE, Agg("deals", "distinct", InRange("close_date"), (WON,), column="owner_id")
        ),
        "won_revenue / number of distinct owner_id among the won deals closed in the range.",
    ),
    _m(
        "sales_cycle_days",
        "Sales cycle",
        "efficiency",
        D,
        False,
        "deals",
        "close_date",
        _mean("deals", "close_date", Value("close_date", since="created_at"), WON),
        "Mean of close_date - created_at in days over won deals closed in the range.",
    ),
    # effectiveness
    _m(
        "win_rate",
        "Win rate",
        "effectiveness",
        P,
        True,
        "deals",
        "close_date",
        Ratio(WON_DEALS, _count("deals", "close_date", CLOSED)),
        "won / (won + lost) over deals whose close_date is in the range.",
    ),
    _m(
        "lead_to_opportunity_rate",
        "Lead to opportunity rate",
        "effectiveness",
        P,
        True,
        "leads",
        "created_at",
        Ratio(_count("leads", "created_at", Where("converted_deal_id", "set")), NEW_LEADS),
        "Of the leads created in the range, the share with a converted_deal_id (turned into a "
        "deal).",
    ),
    _m(
        "mql_to_sql_rate",
        "MQL to SQL rate",
        "effectiveness",
        P,
        True,
        "leads",
        "mql_at",
        Ratio(_count("leads", "mql_at", Where("sql_at", "set")), _count("leads", "mql_at")),
        "Of the leads whose mql_at is in the range, the share with an sql_at set.",
    ),
    # sales
    _m(
        "new_deals",
        "New deals",
        "sales",
        INT,
        True,
        "deals",
        "created_at",
        NEW_DEALS,
        "Number of deals whose created_at is in the range.",
    ),
    _m(
        "won_deals",
        "Won deals",
        "sales",
        INT,
        True,
        "deals",
        "close_date",
        WON_DEALS,
        "Number of deals with status 'won' whose close_date is in the range.",
    ),
    _m(
        "lost_deals",
        "Lost deals",
        "sales",
        INT,
        False,
        "deals",
        "close_date",
        _count("deals", "close_date", LOST),
        "Number of deals with status 'lost' whose close_date is in the range.",
    ),
    _m(
        "won_revenue",
        "Won revenue",
        "sales",
        C,
        True,
        "deals",
        "close_date",
        WON_REVENUE,
        "Sum of amount (in the report currency) of won deals whose close_date is in the range.",
    ),
    _m(
        "avg_deal_size",
        "Avg. deal size",
        "sales",
        C,
        True,
        "deals",
        "close_date",
        _mean("deals", "close_date", AMOUNT, WON),
        "won_revenue / number of won deals closed in the range that have an amount in a "
        "convertible currency.",
    ),
    _m(
        "pipeline_created",
        "Pipeline created",
        "sales",
        C,
        True,
        "deals",
        "created_at",
        _sum("deals", "created_at", AMOUNT),
        "Sum of amount (in the report currency) of deals whose created_at is in the range.",
    ),
    _m(
        "open_deals",
        "Open deals",
        "sales",
        INT,
        True,
        "deals",
        None,
        Agg("deals", "count", _deal_life()),
        "Deals open at the end of the range: created before the end and either status 'open' or "
        "won/lost with a close_date on/after the end.",
    ),
    _m(
        "open_pipeline",
        "Open pipeline",
        "sales",
        C,
        True,
        "deals",
        None,
        Agg("deals", "sum", _deal_life(), value=AMOUNT),
        "Sum of amount (report currency) of the deals open at the end of the range "
        "(as open_deals). Amounts are current values: there is no amount history.",
    ),
    _m(
        "weighted_pipeline",
        "Weighted pipeline",
        "sales",
        C,
        True,
        "deals",
        None,
        Agg("deals", "sum", _deal_life(), value=Value("amount", money=True, times="probability")),
        "Sum of amount x probability (report currency) of the deals open at the end of the range; "
        "deals without a probability add nothing.",
    ),
    _m(
        "mrr",
        "MRR",
        "sales",
        C,
        True,
        "accounts",
        None,
        Agg("accounts", "sum", _customer("active_at_end"), value=Value("mrr", money=True)),
        "Sum of mrr (report currency) of the accounts that are customers at the end of the range.",
    ),
    _m(
        "ltv",
        "Customer lifetime value",
        "sales",
        C,
        True,
        "accounts",
        None,
        LTV,
        "Mean mrr of the customers at the end of the range / monthly churn rate, where the "
        "monthly churn rate is churn_rate x 30.4375 / days in the range (or period).",
    ),
    _m(
        "ltv_cac_ratio",
        "LTV:CAC",
        "sales",
        N,
        True,
        "accounts",
        None,
        Ratio(LTV, CAC),
        "ltv / cac over the same range.",
    ),
    # cost
    _m(
        "spend",
        "Spend",
        "cost",
        C,
        False,
        "spend",
        "date",
        SPEND,
        "Sum of cost (report currency) of spend lines whose date is in the range.",
    ),
    # support
    _m(
        "tickets_opened",
        "Tickets opened",
        "support",
        INT,
        False,
        "tickets",
        "opened_at",
        _count("tickets", "opened_at"),
        "Number of tickets whose opened_at is in the range.",
    ),
    _m(
        "tickets_resolved",
        "Tickets resolved",
        "support",
        INT,
        True,
        "tickets",
        "resolved_at",
        _count("tickets", "resolved_at"),
        "Number of tickets whose resolved_at is in the range.",
    ),
    _m(
        "open_tickets",
        "Open tickets",
        "support",
        INT,
        False,
        "tickets",
        None,
        Agg("tickets", "count", _open_ticket()),
        "Tickets opened before the end of the range and not resolved before it (resolved_at "
        "missing or on/after the end).",
    ),
    _m(
        "avg_resolution_hours",
        "Avg. resolution time (hours)",
        "support",
        N,
        False,
        "tickets",
        "resolved_at",
        _mean("tickets", "resolved_at", Value("resolved_at", since="opened_at", unit="hours")),
        "Mean of resolved_at - opened_at in hours over tickets whose resolved_at is in the range.",
    ),
    _m(
        "avg_ticket_first_response_hours",
        "Avg. ticket first response (hours)",
        "support",
        N,
        False,
        "tickets",
        "opened_at",
        _mean("tickets", "opened_at", Value("first_response_at", since="opened_at", unit="hours")),
        "Mean of first_response_at - opened_at in hours over tickets opened in the range that "
        "have a first response.",
    ),
    _m(
        "csat",
        "CSAT",
        "support",
        N,
        True,
        "tickets",
        "resolved_at",
        _mean("tickets", "resolved_at", Value("satisfaction")),
        "Mean satisfaction score (1 to 5) of tickets whose resolved_at is in the range and that "
        "have a score.",
    ),
)
