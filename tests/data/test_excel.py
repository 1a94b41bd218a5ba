"""workbench.data.excel: .xlsx sources give the canonical frame of the CSV of the same data; problems name
the sheet's own row numbers; sheets chosen by name or index; Excel date cells and serial day numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from kit import TAIWAN_COLUMNS
from kit import taiwan_export as _taiwan_export

from workbench.data import DataParams, DataValidationError, load_transactions

xlsxwriter = pytest.importorskip("xlsxwriter")


def _write_sheet(path, frame: pd.DataFrame, *, sheet="交易明細", start_row=0, blank_rows=(), others=()):
    """``frame`` as a sheet, every value a text cell (as a back office exports), header on ``start_row``."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    for name in others:
        wb.add_worksheet(name).write_string(0, 0, "notes")
    ws.write_row(start_row, 0, list(frame.columns))
    r = start_row + 1
    for row in frame.itertuples(index=False):
        while r in blank_rows:
            r += 1
        for c, v in enumerate(row):
            if v is not None and v == v:
                ws.write_string(r, c, str(v))
        r += 1
    wb.close()
    return path


def test_xlsx_and_csv_of_the_same_export_give_equal_frames(demo, tmp_path):
    export = _taiwan_export(demo.transactions.iloc[:2500].reset_index(drop=True))
    export.to_csv(tmp_path / "tx.csv", index=False, encoding="cp950")
    _write_sheet(tmp_path / "tx.xlsx", export, others=("說明",))
    from_csv = load_transactions(tmp_path / "tx.csv", TAIWAN_COLUMNS, currency="TWD")
    from_xlsx = load_transactions(tmp_path / "tx.xlsx", TAIWAN_COLUMNS, currency="TWD")
    pd.testing.assert_frame_equal(from_xlsx, from_csv)
    expected = demo.transactions.iloc[:2500].reset_index(drop=True)
    pd.testing.assert_frame_equal(from_xlsx, expected, check_categorical=False)
    by_name = load_transactions(tmp_path / "tx.xlsx", TAIWAN_COLUMNS, sheet="交易明細")
    pd.testing.assert_frame_equal(by_name, from_xlsx)


def test_typed_cells_and_serial_days_read_as_the_csv_text(tmp_path):
    """Excel date cells, numbers and serial day numbers (45356.5 = 2024-03-05 12:00) give the same frame as a
    CSV of the text; leading zeros of text ids are kept."""
    wb = xlsxwriter.Workbook(str(tmp_path / "typed.xlsx"))
    ws = wb.add_worksheet()
    stamp = wb.add_format({"num_format": "yyyy/mm/dd hh:mm"})
    ws.write_row(0, 0, ["會員編號", "交易日期", "金額"])
    ws.write_string(1, 0, "00012")
    ws.write_datetime(1, 1, dt.datetime(2024, 3, 5, 14, 30), stamp)
    ws.write_number(1, 2, 1200.5)
    ws.write_string(2, 0, "00013")
    ws.write_number(2, 1, 45356.5)
    ws.write_number(2, 2, -300)
    ws.write_string(3, 0, "00014")
    ws.write_string(3, 1, "113/03/06")
    ws.write_string(3, 2, "NT$1,200")
    wb.close()
    (tmp_path / "typed.csv").write_text(
        '會員編號,交易日期,金額\n00012,2024-03-05 14:30,1200.5\n00013,2024-03-05 12:00,-300\n00014,113/03/06,"NT$1,200"\n',
        encoding="utf-8",
    )
    cols = {"member_id": "會員編號", "ordered_at": "交易日期", "amount": "金額"}
    from_xlsx = load_transactions(tmp_path / "typed.xlsx", cols)
    pd.testing.assert_frame_equal(from_xlsx, load_transactions(tmp_path / "typed.csv", cols))
    assert list(from_xlsx["ordered_at"]) == [
        pd.Timestamp("2024-03-05 14:30"),
        pd.Timestamp("2024-03-05 12:00"),
        pd.Timestamp("2024-03-06"),
    ]
    # a serial day number is a date in a sheet only: in a CSV it is no date format
    (tmp_path / "serial.csv").write_text("會員編號,交易日期,金額\n00013,45356.5,1\n", encoding="utf-8")
    with pytest.raises(
        DataValidationError, match=r"1 row with dates that cannot be parsed \(row 1: '45356\.5'\)"
    ):
        load_transactions(tmp_path / "serial.csv", cols)


def test_a_bad_cell_is_reported_with_its_sheet_row(tmp_path):
    """Row numbers as Excel shows them: a title row and a blank row above the header, a blank row in the
    data, and the bad cells named by the rows Excel shows."""
    frame = pd.DataFrame(
        {
            "會員編號": ["00012", "00013", "00014", "00015"],
            "交易日期": ["113/03/05", "113/02/30", "113/03/07", "113/03/08"],
            "金額": ["100", "200", "abc", "400"],
        }
    )
    path = _write_sheet(tmp_path / "bad.xlsx", frame, start_row=2, blank_rows=(5,))
    cols = {"member_id": "會員編號", "ordered_at": "交易日期", "amount": "金額"}
    # header on sheet row 3, data on rows 4 and 5, row 6 blank, then rows 7 and 8
    with pytest.raises(
        DataValidationError,
        match=r"bad\.xlsx \[sheet '交易明細'\]: 2 problems found in the transactions \(row numbers as Excel shows "
        r"them: header = row 3, first data row = row 4\):\n"
        r"  - column 'ordered_at' \(source '交易日期'\): 1 row with dates that cannot be parsed \(row 5: '113/02/30'\).*\n"
        r"  - column 'amount' \(source '金額'\): 1 row with amounts that cannot be parsed \(row 7: 'abc'\)",
    ):
        load_transactions(path, cols)
    good = _write_sheet(tmp_path / "good.xlsx", frame.iloc[[0, 3]], start_row=2, blank_rows=(4,))
    assert list(load_transactions(good, cols)["amount"]) == [100.0, 400.0]


def test_sheet_problems_are_messages(tmp_path):
    frame = pd.DataFrame({"member_id": ["01"], "ordered_at": ["2024-01-01"], "amount": ["5"]})
    path = _write_sheet(tmp_path / "book.xlsx", frame, sheet="POS", others=("說明",))
    with pytest.raises(
        DataValidationError,
        match=r"book\.xlsx: 1 problem.*\n  - the workbook has no sheet 'Sales'; its sheets: 'POS', '說明' \(set data\.sheet\)",
    ):
        load_transactions(path, sheet="Sales")
    with pytest.raises(
        DataValidationError, match=r"the workbook has 2 sheet\(s\), so no sheet 2 \(0-based\)"
    ):
        load_transactions(path, sheet=2)
    with pytest.raises(
        DataValidationError, match=r"(?s)book\.xlsx \[sheet '說明'\]: .*no data rows: the source is empty"
    ):
        load_transactions(path, sheet=1)
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(
        DataValidationError, match=r"(?s)broken\.xlsx: .*not a readable Excel workbook \(.*\): save it again"
    ):
        load_transactions(tmp_path / "broken.xlsx")
    assert DataParams.from_dict({"transactions": str(path), "sheet": "POS"}).load()["amount"].tolist() == [
        5.0
    ]
    assert np.isclose(
        DataParams.from_dict({"transactions": str(path), "sheet": 0}).load()["amount"].sum(), 5.0
    )
