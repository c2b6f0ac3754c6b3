"""The generic example mapping on a small XLSX + cp1252 CSV export written by the test."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from connectors.base import ReadContext
from connectors.file import FileSource

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "mappings" / "generic_crm.yaml"
HEADER = [
    "Opportunity ID", "Opportunity Name", "Stage", "Amount", "Created Date", "Close Date",
    "Probability (%)", "Owner", "Lead Source", "Region Code", "Next Step",
]  # fmt: skip


@pytest.fixture
def export(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Opportunities"
    sheet.append(HEADER)
    sheet.append([7001, " Renewal ", "Closed Won", "$1,234.50", "03/04/2024", datetime(2024, 5, 2),
                  "100%", "jdupont", "Web", "FR", None])  # fmt: skip
    sheet.append([7002, "Expansion", "Negotiation", "(1.200,00) EUR", "2024-04-05", None, 40,
                  "mmartin", None, "DE", "call back"])  # fmt: skip
    sheet.append([7003, "Lost one", "Closed Lost", "abc", "31/02/2024", None, 0, "jdupont", "Web",
                  "FR", None])  # fmt: skip
    book.save(tmp_path / "deals.xlsx")
    users = (
        "Login;Full Name;Team;Manager;Office;Active\njdupont;Jérôme Dupont;Ventes;Zoé;Paris;oui\n"
    )
    users += "mmartin;Maëlle Martin;Ventes;Zoé;Lyon;Yes\n"
    (tmp_path / "users.csv").write_bytes(users.encode("cp1252"))
    (tmp_path / "stages.csv").write_text("name,order\nNegotiation,2\nClosed Won,3\nClosed Lost,3\n")
    return tmp_path


def test_generic_example_reads_a_messy_export(export):
    source = FileSource("crm", {"mapping": str(EXAMPLE), "data_dir": str(export)})
    result = source.read(ReadContext())
    deals, owners = result.tables["deals"], result.tables["owners"]
    assert list(deals["deal_id"]) == ["crm:7001", "crm:7002"]  # 7003: impossible date
    assert deals["name"].tolist() == ["Renewal", "Expansion"]
    assert deals["status"].astype(str).tolist() == ["won", "open"]
    assert deals["stage_order"].tolist() == [3, 2]
    assert deals["amount"].tolist() == [1234.5, -1200.0]
    assert deals["currency"].astype(str).tolist() == ["USD", "EUR"]
    assert deals["probability"].tolist() == [1.0, 0.4]
    # 3 April (dayfirst) at midnight Paris time is 22:00 UTC the day before
    assert deals.loc[0, "created_at"] == pd.Timestamp("2024-04-02 22:00", tz="UTC")
    assert list(deals.columns[-2:]) == ["region_code", "next_step"]
    assert owners["name"].tolist() == ["Jérôme Dupont", "Maëlle Martin"]
    assert owners["manager"].astype(str).tolist() == ["Zoé", "Zoé"]
    assert owners["active"].isna().tolist() == [True, False]  # "oui" is not read as yes/no
    described = [i.describe() for i in result.issues]
    assert any("excluded because created_at" in d and "(rows 4)" in d for d in described)
    assert any("1 row(s) with blank 'Lead Source' (rows 3)" in d for d in described)
    assert any("'Active' could not be read as bool, e.g. 'oui'" in d for d in described)
    stats = result.stats["files"]["users.csv"]
    assert (stats["encoding"], stats["delimiter"]) == ("cp1252", ";")
    assert source.check().ok
    assert [s.table for s in source.streams()] == ["deals", "owners"]
    assert source.streams()[0].mapping["deal_id"] == "Opportunity ID"


def test_currency_conflict_is_reported(tmp_path):
    (tmp_path / "d.csv").write_text("Id,Amount,Created\n1,100 EUR,2024-01-01\n2,50,2024-01-02\n")
    mapping = {
        "files": {"d": {"path": "d.csv"}},
        "tables": {
            "deals": {
                "from": "d",
                "columns": {
                    "deal_id": "Id",
                    "status": {"constant": "open"},
                    "created_at": "Created",
                    "amount": "Amount",
                    "currency": {"constant": "USD"},
                },
            }
        },
    }
    result = FileSource("crm", {"mapping": mapping, "base_dir": str(tmp_path)}).read(ReadContext())
    assert result.tables["deals"]["currency"].astype(str).tolist() == ["EUR", "USD"]
    conflict = [i for i in result.issues if i.column == "currency"]
    assert conflict[0].rows == (2,) and "USD -> EUR" in conflict[0].message


def test_header_row_and_blank_rows_keep_file_row_numbers(tmp_path):
    (tmp_path / "d.csv").write_text(
        "Export of 2024-06-01\n\nId,Created\n1,2024-01-01\n\n2,not a date\n3,2024-01-03\n\n"
    )
    mapping = {
        "files": {"d": {"path": "d.csv", "header_row": 3}},
        "tables": {
            "deals": {
                "from": "d",
                "columns": {
                    "deal_id": "Id",
                    "status": {"constant": "open"},
                    "created_at": "Created",
                },
            }
        },
    }
    result = FileSource("crm", {"mapping": mapping, "base_dir": str(tmp_path)}).read(ReadContext())
    assert result.tables["deals"]["deal_id"].tolist() == ["crm:1", "crm:3"]
    rows = {i.column: i.rows for i in result.issues if i.rows}
    assert rows["created_at"] == (6,)
    assert rows[""] == (5,)  # the empty row inside the data (the trailing one is ignored)
