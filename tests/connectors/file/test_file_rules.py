"""The less common column rules: coalesce, derive, when variants, lookup miss severities."""

from __future__ import annotations

import pandas as pd

from connectors.base import ReadContext
from connectors.file import FileSource


def test_coalesce_derive_and_conditions(tmp_path):
    (tmp_path / "a.csv").write_text(
        "Id,Plan,Age,Since,Left,Flag,Tier\n"
        "1,Pro,10,,2024-02-01,Yes,gold\n"
        "2,,x,2023-05-01,,No,\n"
        "3,Basic,0,,,Yes,silver\n"
    )
    (tmp_path / "tiers.csv").write_text("tier,band\ngold,A\n")
    mapping = {
        "as_of": "2024-03-31",
        "files": {"a": {"path": "a.csv"}, "tiers": {"path": "tiers.csv"}},
        "tables": {
            "accounts": {
                "from": "a",
                "columns": {
                    "account_id": "Id",
                    "segment": {"coalesce": ["Plan", {"constant": "unknown"}]},
                    "customer_since": {
                        "coalesce": ["Since", {"derive": "days_before_as_of", "column": "Age"}]
                    },
                    "churned_at": {"column": "Left", "when": {"column": "Flag", "in": ["Yes"]}},
                    "region": {"constant": "EU", "when": {"column": "Tier", "not_blank": True}},
                },
                "custom": {
                    "band": {
                        "lookup": "tiers",
                        "on": "Tier",
                        "key": "tier",
                        "column": "band",
                        "misses": "info",
                    },
                },
            }
        },
    }
    result = FileSource("x", {"mapping": mapping, "base_dir": str(tmp_path)}).read(ReadContext())
    accounts = result.tables["accounts"]
    assert accounts["segment"].astype(str).tolist() == ["Pro", "unknown", "Basic"]
    assert accounts["customer_since"].tolist() == [
        pd.Timestamp("2024-03-21", tz="UTC"),
        pd.Timestamp("2023-05-01", tz="UTC"),
        pd.Timestamp("2024-03-31", tz="UTC"),
    ]
    assert accounts["churned_at"].notna().tolist() == [True, False, False]
    assert accounts["region"].isna().tolist() == [False, True, False]
    assert set(accounts["region"].dropna()) == {"EU"}
    assert accounts["band"].fillna("-").tolist() == ["A", "-", "-"]
    by_column = {i.column: i for i in result.issues if i.rows}
    assert by_column["band"].severity == "info" and by_column["band"].rows == (4,)
    assert "'Age' value(s) are not whole numbers" in by_column["customer_since"].message
    assert by_column["customer_since"].rows == (3,)


def test_percent_type_and_custom_types(tmp_path):
    (tmp_path / "d.csv").write_text(
        "Id,Created,Prob,Seats,Renew,Signed\n"
        '1,2024-01-01,45%,"1,200",yes,05/01/2024\n'
        "2,2024-01-02,60,3,no,\n"
    )
    mapping = {
        "files": {"d": {"path": "d.csv", "dayfirst": True}},
        "tables": {
            "deals": {
                "from": "d",
                "columns": {
                    "deal_id": "Id",
                    "status": {"constant": "open"},
                    "created_at": "Created",
                    "probability": {"column": "Prob", "type": "percent"},
                },
                "custom": {
                    "seats": {"column": "Seats", "type": "integer"},
                    "renews": {"column": "Renew", "type": "bool"},
                    "signed_at": {"column": "Signed", "type": "date"},
                },
            }
        },
    }
    result = FileSource("x", {"mapping": mapping, "base_dir": str(tmp_path)}).read(ReadContext())
    deals = result.tables["deals"]
    assert deals["probability"].tolist() == [0.45, 0.6]
    assert deals["seats"].tolist() == [1200, 3]
    assert deals["renews"].tolist() == [True, False]
    assert deals.loc[0, "signed_at"] == pd.Timestamp("2024-01-05", tz="UTC")
    assert pd.isna(deals.loc[1, "signed_at"])
