"""All or nothing: a failed write leaves the previous workbook byte-for-byte intact."""

from __future__ import annotations

import os

import openpyxl
import pytest
from openpyxl.worksheet import _writer as openpyxl_writer

from sheets_sync.destinations import xlsx, xlsx_tabs
from sheets_sync.destinations.xlsx import XlsxDestination
from sheets_sync.errors import DestinationError
from tests.destinations.xlsx_samples import sample_workbook


@pytest.fixture
def previous(tmp_path):
    path = tmp_path / "reports" / "report.xlsx"
    XlsxDestination(path).write(sample_workbook())
    return path, path.read_bytes()


def _assert_untouched(path, before):
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_parent_folders_are_created(previous):
    path, _ = previous
    assert openpyxl.load_workbook(path).sheetnames == ["Pipeline", "Raw data"]


def test_failed_save_keeps_the_old_file_and_no_temp_file(previous, monkeypatch):
    path, before = previous
    streams_before = list(openpyxl_writer.ALL_TEMP_FILES)

    def broken_save(book, target):
        target.write_bytes(b"half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsx, "save_book", broken_save)
    with pytest.raises(DestinationError, match=r"No space left on device.*left unchanged"):
        XlsxDestination(path).write(sample_workbook())
    _assert_untouched(path, before)
    assert streams_before == openpyxl_writer.ALL_TEMP_FILES


def test_exception_mid_render_keeps_the_old_file(previous, monkeypatch):
    path, before = previous

    def explode(ws, layout, ctx):
        raise RuntimeError("boom on the second tab")

    streams_before = list(openpyxl_writer.ALL_TEMP_FILES)
    monkeypatch.setattr(xlsx_tabs, "render_data_tab", explode)
    with pytest.raises(RuntimeError, match="boom"):
        XlsxDestination(path).write(sample_workbook())
    _assert_untouched(path, before)
    assert streams_before == openpyxl_writer.ALL_TEMP_FILES  # the first tab's stream is gone


def test_invalid_chart_spec_keeps_the_old_file(previous):
    path, before = previous
    workbook = sample_workbook()
    workbook.tabs[0].charts[0].series = ["not a column"]
    with pytest.raises(DestinationError):
        XlsxDestination(path).write(workbook)
    _assert_untouched(path, before)


def test_folder_that_is_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with pytest.raises(DestinationError, match="cannot create folder"):
        XlsxDestination(blocker / "report.xlsx").write(sample_workbook())


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_keeps_the_old_file(previous):
    path, before = previous
    path.parent.chmod(0o555)
    try:
        with pytest.raises(DestinationError, match="cannot write in folder"):
            XlsxDestination(path).write(sample_workbook())
    finally:
        path.parent.chmod(0o755)
    _assert_untouched(path, before)


def test_existing_file_that_is_not_a_workbook_is_left_alone(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_text("name,amount\nBob,1\n")
    with pytest.raises(DestinationError, match=r"not a readable .xlsx workbook"):
        XlsxDestination(path).write(sample_workbook())
    _assert_untouched(path, b"name,amount\nBob,1\n")


def test_second_write_is_idempotent(previous):
    path, _ = previous
    first = openpyxl.load_workbook(path)
    XlsxDestination(path).write(sample_workbook())
    second = openpyxl.load_workbook(path)
    assert second.sheetnames == first.sheetnames
    for name in first.sheetnames:
        before = [[c.value for c in row] for row in first[name].iter_rows()]
        after = [[c.value for c in row] for row in second[name].iter_rows()]
        assert after == before
        assert len(second[name]._charts) == len(first[name]._charts)
    assert [p.name for p in second.custom_doc_props] == [p.name for p in first.custom_doc_props]


def test_new_file_gets_normal_permissions(tmp_path):
    path = tmp_path / "report.xlsx"
    XlsxDestination(path).write(sample_workbook())
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_overwritten_file_keeps_its_permissions(previous):
    path, _ = previous
    path.chmod(0o640)
    XlsxDestination(path).write(sample_workbook())
    assert path.stat().st_mode & 0o777 == 0o640


def test_any_file_name_can_be_written_twice(tmp_path):
    path = tmp_path / "report.backup"
    XlsxDestination(path).write(sample_workbook())
    XlsxDestination(path).write(sample_workbook())
    with open(path, "rb") as handle:
        assert openpyxl.load_workbook(handle).sheetnames == ["Pipeline", "Raw data"]
