"""Mapping validation: every error names the mapping file and the key path."""

from __future__ import annotations

import pytest

from connectors.file.mapping import load_mapping
from sheets_sync.errors import ConfigError


def _mapping(**deal_columns):
    columns = {"deal_id": "Id", "status": "Status", "created_at": "Created"} | deal_columns
    return {
        "files": {"deals": {"path": "deals.csv"}},
        "tables": {"deals": {"from": "deals", "columns": columns}},
    }


def _error(tmp_path, data: str) -> str:
    path = tmp_path / "maven_crm.yaml"
    path.write_text(data, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_mapping(path)
    return str(err.value)


def test_unknown_rule_names_file_and_key_path(tmp_path):
    message = _error(
        tmp_path,
        """
files: {pipeline: {path: p.csv}}
tables:
  deals:
    from: pipeline
    columns:
      deal_id: opportunity_id
      created_at: engage_date
      status: {column: deal_stage, valuez: {Won: won}}
""",
    )
    assert message.startswith("maven_crm.yaml: tables.deals.columns.status: unknown rule 'valuez'")
    assert "did you mean 'values'" in message


def test_unknown_table_column_and_file_reference():
    with pytest.raises(
        ConfigError, match=r"inline mapping: tables.dealz: unknown table; did you mean 'deals'"
    ):
        load_mapping(
            {"files": {"d": {"path": "d.csv"}}, "tables": {"dealz": {"from": "d", "columns": {}}}}
        )
    with pytest.raises(
        ConfigError,
        match=r"tables.deals.columns.amout: not a column of deals; did you mean 'amount'",
    ):
        load_mapping(_mapping(amout="Amount"))
    bad_lookup = _mapping(product={"lookup": "products", "on": "Product", "column": "name"})
    with pytest.raises(
        ConfigError, match=r"tables.deals.columns.product.lookup: unknown file 'products'"
    ):
        load_mapping(bad_lookup)


def test_required_columns_must_be_mapped():
    data = _mapping()
    del data["tables"]["deals"]["columns"]["created_at"]
    with pytest.raises(
        ConfigError, match=r"tables.deals.columns: required column\(s\) not mapped: created_at"
    ):
        load_mapping(data)


def test_rule_shape_errors():
    with pytest.raises(ConfigError, match=r"columns.amount: give only one of constant, lookup"):
        load_mapping(_mapping(amount={"constant": 1, "lookup": "deals", "on": "a", "column": "b"}))
    with pytest.raises(ConfigError, match=r"columns.amount: a lookup needs 'on'"):
        load_mapping(_mapping(amount={"lookup": "deals", "column": "b"}))
    with pytest.raises(
        ConfigError, match=r"columns.close_date.derive: as_of needs a top-level 'as_of"
    ):
        load_mapping(_mapping(close_date={"derive": "as_of"}))
    with pytest.raises(ConfigError, match=r"custom.amount: 'amount' is a canonical column"):
        data = _mapping()
        data["tables"]["deals"]["custom"] = {"amount": "Amount"}
        load_mapping(data)
    with pytest.raises(ConfigError, match=r"files.deals: unknown key 'encodng'"):
        data = _mapping()
        data["files"]["deals"]["encodng"] = "cp1252"
        load_mapping(data)
    with pytest.raises(ConfigError, match=r"timezone: unknown time zone 'Mars/Base'"):
        load_mapping(_mapping() | {"timezone": "Mars/Base"})


def test_yaml_on_key_and_defaults_merge(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        """
defaults: {dayfirst: true, decimal: ","}
files:
  deals: {path: d.csv, decimal: "."}
  products: {path: p.csv}
tables:
  deals:
    from: deals
    columns:
      deal_id: Id
      status: {constant: open}
      created_at: Created
      product: {lookup: products, on: Product, column: name}
""",
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    assert mapping.tables["deals"].columns["product"].on == "Product"  # YAML read on: as True
    assert mapping.file_options("deals").dayfirst is True
    assert mapping.file_options("deals").decimal == "."
    assert mapping.file_options("products").decimal == ","


def test_invalid_yaml_and_missing_file(tmp_path):
    assert "bad.yaml: invalid YAML at line" in _error_file(tmp_path / "bad.yaml", "a: [1,\n")
    with pytest.raises(ConfigError, match="does not exist"):
        load_mapping(tmp_path / "nope.yaml")


def _error_file(path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_mapping(path)
    return str(err.value)


@pytest.mark.parametrize(
    "name", ["maven_crm.yaml", "olist_funnel.yaml", "telco_churn.yaml", "generic_crm.yaml"]
)
def test_example_mappings_validate(name):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[3] / "examples" / "mappings"
    mapping = load_mapping(folder / name)
    assert mapping.tables and mapping.files
