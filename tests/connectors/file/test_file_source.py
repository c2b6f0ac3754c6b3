"""FileSource end to end on small files written by the tests (CSV and XLSX)."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from connectors.base import ReadContext
from connectors.file import FileSource
from connectors.file.reading import detect_encoding, sniff_delimiter
from connectors.registry import build_source
from sheets_sync.errors import ConfigError, SourceError

DEALS = {
    "deal_id": "Id",
    "name": "Name",
    "status": {"column": "Stage", "values": {"Won": "won", "Lost": "lost"}, "default": "open"},
    "amount": "Amount",
    "created_at": {"column": "Created", "format": ["%d/%m/%Y", "%Y-%m-%d"]},
    "owner_id": "Owner",
}


def _source(tmp_path, path: str, columns=None, **file_options):
    mapping = {
        "files": {"deals": {"path": path, **file_options}},
        "tables": {"deals": {"from": "deals", "columns": columns or DEALS}},
    }
    return FileSource("crm", {"mapping": mapping, "base_dir": str(tmp_path)})


def _read(source):
    return source.read(ReadContext())


def test_registry_builds_file_source(tmp_path):
    source = build_source("file", "crm", {"mapping": {"files": {}, "tables": {}}})
    assert isinstance(source, FileSource) and source.type == "file"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "latin-1"])
def test_encodings_are_detected(tmp_path, encoding):
    text = "Id;Name;Stage;Amount;Created;Owner\n1;Société Générale;Won;1.234,50 €;03/04/2024;José\n"
    if encoding == "latin-1":
        text = text.replace("€", "EUR")  # latin-1 has no euro sign
    (tmp_path / "deals.csv").write_bytes(text.encode(encoding))
    result = _read(_source(tmp_path, "deals.csv"))
    deals = result.tables["deals"]
    assert deals.loc[0, "name"] == "Société Générale"
    assert deals.loc[0, "owner_id"] == "crm:José"
    assert deals.loc[0, "amount"] == 1234.5
    assert deals.loc[0, "currency"] == "EUR"
    assert deals.loc[0, "created_at"] == pd.Timestamp("2024-04-03", tz="UTC")
    detected = next(iter(result.stats["files"].values()))
    assert detected["delimiter"] == ";"
    assert detected["encoding"] == ("cp1252" if encoding != "utf-8-sig" else "utf-8-sig")


def test_detect_encoding_and_sniff():
    assert detect_encoding("é".encode()) == "utf-8"
    assert detect_encoding(b"\x81\x8d") == "latin-1"  # bytes cp1252 leaves undefined
    assert sniff_delimiter("a\tb\tc\n1\t2\t3\n") == "\t"


def test_csv_round_trip_types_ids_and_custom_fields(tmp_path):
    (tmp_path / "deals.csv").write_text(
        "Id,Name,Stage,Amount,Created,Owner,Region\n"
        ' A1 ,  Big deal ,Won,"$1,234.50",2024-01-05,ann,EMEA\n'
        "A2,Small,Lost,(200),05/02/2024,bob,\n"
        "A3,Open one,Negotiation,,2024-03-01,,APAC\n",
        encoding="utf-8",
    )
    columns = DEALS | {"currency": {"constant": "USD"}}
    mapping_source = _source(tmp_path, "deals.csv", columns)
    mapping_source.options["mapping"]["tables"]["deals"]["custom"] = {"region_code": "Region"}
    source = FileSource("crm", mapping_source.options)
    deals = _read(source).tables["deals"]
    assert list(deals["deal_id"]) == ["crm:A1", "crm:A2", "crm:A3"]
    assert list(deals["status"].astype(str)) == ["won", "lost", "open"]
    assert deals["amount"].tolist()[:2] == [1234.5, -200.0]
    assert pd.isna(deals.loc[2, "amount"])
    assert deals.loc[1, "created_at"] == pd.Timestamp("2024-02-05", tz="UTC")
    assert deals.loc[0, "name"] == "Big deal"
    assert pd.isna(deals.loc[2, "owner_id"])
    assert list(deals["source"].astype(str)) == ["crm"] * 3
    assert deals.columns[-1] == "region_code" and pd.isna(deals.loc[1, "region_code"])
    assert str(deals["created_at"].dtype) == "datetime64[ns, UTC]"


def test_xlsx_round_trip_with_sheet_and_native_cells(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Opportunities")
    sheet.append(["Id", "Name", "Stage", "Amount", "Created", "Owner"])
    sheet.append([1001, "Alpha", "Won", 2500, pd.Timestamp("2024-05-01").to_pydatetime(), "ann"])
    sheet.append([1002, "Beta", "Lost", "1.234,50 EUR", "02/05/2024", "bob"])
    sheet.append([None, "No id", "Won", 10, "2024-05-03", "ann"])
    book.save(tmp_path / "deals.xlsx")
    result = _read(_source(tmp_path, "deals.xlsx", sheet="Opportunities"))
    deals = result.tables["deals"]
    assert list(deals["deal_id"]) == ["crm:1001", "crm:1002"]
    assert deals["amount"].tolist() == [2500.0, 1234.5]
    assert deals.loc[1, "created_at"] == pd.Timestamp("2024-05-02", tz="UTC")
    excluded = [i for i in result.issues if "excluded" in i.message]
    assert excluded[0].rows == (4,) and "deals.xlsx[Opportunities]" in excluded[0].message


def test_xlsx_missing_sheet_lists_sheets(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Data"
    book.save(tmp_path / "deals.xlsx")
    with pytest.raises(SourceError, match=r"sheet 'Deals' not found; sheets are: Data"):
        _read(_source(tmp_path, "deals.xlsx", sheet="Deals"))


def test_bad_rows_reported_with_file_row_numbers(tmp_path):
    (tmp_path / "deals.csv").write_text(
        "Id,Name,Stage,Amount,Created,Owner\n"
        "1,ok,Won,10,2024-01-01,a\n"  # row 2
        "2,bad date,Won,10,31/02/2024,a\n"  # row 3: impossible date, required -> excluded
        "3,bad amount,Won,ten,2024-01-03,a\n"  # row 4: amount unreadable -> blank
        ",no id,Won,5,2024-01-04,a\n"  # row 5: blank id -> excluded
        "6,too,many,fields,2024-01-05,a,b,c\n"  # row 6: ragged -> skipped
        "1,dup,Lost,1,2024-01-06,a\n",  # row 7: duplicate id -> excluded
        encoding="utf-8",
    )
    result = _read(_source(tmp_path, "deals.csv"))
    assert result.tables["deals"]["deal_id"].tolist() == ["crm:1", "crm:3"]
    by_column = {(i.column, i.rows) for i in result.issues if i.severity == "warning"}
    assert ("created_at", (3,)) in by_column
    assert ("amount", (4,)) in by_column
    assert ("deal_id", (5,)) in by_column
    assert ("", (6,)) in by_column
    assert ("deal_id", (7,)) in by_column
    text = " | ".join(i.describe() for i in result.issues)
    assert "deals.csv: 1 value(s) of 'Amount' could not be read as money, e.g. 'ten'" in text
    assert "deals.csv: 1 row(s) excluded because created_at ('Created') is blank or invalid" in text


def test_missing_column_lists_available_columns(tmp_path):
    (tmp_path / "deals.csv").write_text("Id,Title,Stage,Created\n1,x,Won,2024-01-01\n")
    with pytest.raises(SourceError) as err:
        _read(_source(tmp_path, "deals.csv"))
    assert str(err.value) == (
        "deals.csv: column 'Name' (needed for deals.name) not found; "
        "columns are: Id, Title, Stage, Created"
    )


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(
        SourceError, match=r"file 'deals.csv' not found in .* \(declared as files.deals\)"
    ):
        _read(_source(tmp_path, "deals.csv"))
    assert _source(tmp_path, "deals.csv").check().missing == ("deals.csv",)


def test_lookup_miss_fallback_and_when_are_reported(tmp_path):
    (tmp_path / "deals.csv").write_text(
        "Id,Stage,Engaged,Product\n1,Won,2024-01-01,GTX Pro\n2,Won,2024-01-02,GTXPro\n"
        "3,Prospecting,,GTXPro\n"
    )
    (tmp_path / "products.csv").write_text("product,series\nGTX Pro,GTX\n")
    mapping = {
        "as_of": "2024-06-30",
        "files": {"deals": {"path": "deals.csv"}, "products": {"path": "products.csv"}},
        "tables": {
            "deals": {
                "from": "deals",
                "columns": {
                    "deal_id": "Id",
                    "status": {
                        "constant": "won",
                        "when": {"column": "Stage", "equals": "Won"},
                        "default": "open",
                    },
                    "created_at": {"column": "Engaged", "fallback": {"derive": "as_of"}},
                },
                "custom": {
                    "series": {
                        "lookup": "products",
                        "on": "Product",
                        "key": "product",
                        "column": "series",
                    }
                },
            }
        },
    }
    result = _read(FileSource("crm", {"mapping": mapping, "base_dir": str(tmp_path)}))
    deals = result.tables["deals"]
    assert deals["status"].astype(str).tolist() == ["won", "won", "open"]
    assert deals.loc[2, "created_at"] == pd.Timestamp("2024-06-30", tz="UTC")
    assert deals["series"].fillna("-").tolist() == ["GTX", "-", "-"]
    messages = [i.describe() for i in result.issues]
    assert any(
        "2 row(s) of deals.csv with Product 'GTXPro' not found in products.csv" in m
        for m in messages
    )
    assert any("1 row(s) with blank 'Engaged' took the declared fallback" in m for m in messages)


def test_union_of_files_and_options_validation(tmp_path):
    (tmp_path / "a.csv").write_text("Id,Created\n1,2024-01-01\n")
    (tmp_path / "b.csv").write_text("Id,Created\n2,2024-01-02\n")
    mapping = {
        "files": {"a": {"path": "a.csv"}, "b": {"path": "b.csv"}},
        "tables": {
            "deals": {
                "from": ["a", "b"],
                "columns": {
                    "deal_id": "Id",
                    "status": {"constant": "open"},
                    "created_at": "Created",
                },
            }
        },
    }
    result = _read(FileSource("crm", {"mapping": mapping, "base_dir": str(tmp_path)}))
    assert result.tables["deals"]["deal_id"].tolist() == ["crm:1", "crm:2"]
    with pytest.raises(ConfigError, match="unknown option"):
        FileSource("crm", {"mapping": mapping, "mappnig": 1})
    with pytest.raises(ConfigError, match="set 'mapping'"):
        FileSource("crm", {})


def test_header_case_and_close_match_hint(tmp_path):
    (tmp_path / "deals.csv").write_text(
        "ID,NAME,Stage,Amount,Created,Ownr\n1,x,Won,5,2024-01-01,ann\n", encoding="utf-8"
    )
    with pytest.raises(SourceError, match=r"column 'Owner' .* not found; did you mean 'Ownr'\?"):
        _read(_source(tmp_path, "deals.csv"))
    columns = {k: v for k, v in DEALS.items() if k != "owner_id"}
    deals = _read(_source(tmp_path, "deals.csv", columns)).tables["deals"]
    assert deals.loc[0, "deal_id"] == "crm:1" and deals.loc[0, "name"] == "x"


def test_old_excel_and_unknown_encoding_are_clear_errors(tmp_path):
    (tmp_path / "deals.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SourceError, match=r"deals.xls: .xls workbooks are not read; save"):
        _read(_source(tmp_path, "deals.xls"))
    with pytest.raises(ConfigError, match=r"files.deals.encoding: unknown encoding 'latin-9x'"):
        _source(tmp_path, "deals.csv", encoding="latin-9x")


def test_value_mapping_matches_xlsx_numbers(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Id", "Stage", "Created"])
    book.active.append([1, 2, "2024-01-01"])
    book.active.append([2, 9, "2024-01-02"])
    book.save(tmp_path / "deals.xlsx")
    columns = {
        "deal_id": "Id",
        "status": {"column": "Stage", "values": {1: "lost", 2: "won"}},
        "created_at": "Created",
    }
    result = _read(_source(tmp_path, "deals.xlsx", columns))
    assert result.tables["deals"]["status"].astype(str).tolist() == ["won"]
    miss = [i for i in result.issues if i.column == "status"]
    assert "'9' not in the values mapping" in miss[0].message and miss[0].rows == (3,)


def test_relative_mapping_resolves_against_the_config_folder(tmp_path):
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "m.yaml").write_text(
        "files: {d: {path: d.csv}}\n"
        "tables: {deals: {from: d, columns: {deal_id: Id, status: {constant: open},"
        " created_at: Created}}}\n"
    )
    (tmp_path / "maps" / "d.csv").write_text("Id,Created\n1,2024-01-01\n")
    source = build_source("file", "crm", {"mapping": "maps/m.yaml"}, str(tmp_path))
    assert source.data_dir == tmp_path / "maps"
    assert _read(source).row_counts() == {"deals": 1}
