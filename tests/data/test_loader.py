"""workbench.data.loader: messy exports into the canonical frame (column mapping, dates, amounts, real
Taiwanese and Hong Kong exports), problems named with their rows, canonical input kept without copies."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from kit import CDNOW_COLUMNS, TAIWAN_COLUMNS, UCI_PARAMS, cdnow_pos_export, uci_style_export
from kit import taiwan_export as _taiwan_export
from kit import write_text_file as write

from workbench.data import DataValidationError, load_transactions
from workbench.summary import member_summary

OBS_END = "2026-10-31"


def test_small_csv_canonical(small_csv):
    tx = load_transactions(small_csv)
    assert list(tx["member_id"]) == ["0001", "0002", "0001"]
    assert tx["member_id"].dtype == "str" and tx["ordered_at"].dtype == "datetime64[us]"
    assert list(tx["amount"]) == [100.0, 250.5, -40.0]
    assert list(tx["is_return"]) == [False, False, True]
    assert tx["ordered_at"].iloc[0] == pd.Timestamp("2024-03-05 10:00:00")


def test_multirow_orders_zero_rows_and_returns_kept(tmp_path):
    path = write(
        tmp_path / "lines.csv",
        "member_id,ordered_at,amount,order_id\n"
        "0001,2024-03-05 10:00,100,A1\n"
        "0001,2024-03-05 10:00,50,A1\n"
        "0001,2024-03-05 10:00,0,A1\n"
        "0001,2024-03-09 12:00,-50,A1\n",  # a return line under its order's id, days later: allowed
    )
    tx = load_transactions(path)
    assert len(tx) == 4
    assert list(tx["is_return"]) == [False, False, False, True]
    assert (tx["amount"] == 0).sum() == 1


def test_numeric_member_ids_fixed_by_width(tmp_path):
    pd.DataFrame(
        {"member_id": [1, 23, 4567], "ordered_at": ["2024-01-01"] * 3, "amount": [1.0, 2.0, 3.0]}
    ).to_parquet(tmp_path / "ints.parquet")
    tx = load_transactions(tmp_path / "ints.parquet", member_id_width=7)
    assert list(tx["member_id"]) == ["0000001", "0000023", "0004567"]


def test_missing_required_column(tmp_path):
    path = write(tmp_path / "tx.csv", "member_id,ordered_at\n0001,2024-01-01\n")
    with pytest.raises(
        DataValidationError, match=r"(?s)tx\.csv: 1 problem.*required column 'amount' missing"
    ) as e:
        load_transactions(path)
    assert e.value.problems[0].kind == "missing_column" and e.value.problems[0].column == "amount"
    assert isinstance(e.value, ValueError)
    # the columns that exist are still checked
    path = write(tmp_path / "tx2.csv", "member_id,ordered_at\n0001,2024-01-01\n0002,someday\n")
    with pytest.raises(DataValidationError, match=r"(?s)2 problems.*'amount' missing.*\(row 2: 'someday'\)"):
        load_transactions(path)


def test_params_column_not_in_file(tmp_path):
    path = write(tmp_path / "tx.csv", "會員編號,交易日期,金額\n0001,2024-01-01,5\n")
    cols = {"member_id": "會員編號", "ordered_at": "交易日期", "amount": "消費金額"}
    with pytest.raises(
        DataValidationError,
        match=r"params columns maps amount -> '消費金額', but the source has no column '消費金額'",
    ) as e:
        load_transactions(path, cols)
    assert "'會員編號', '交易日期', '金額'" in str(e.value)  # lists the headers that exist
    with pytest.raises(DataValidationError, match=r"'amout' is not a transaction column"):
        load_transactions(path, {**cols, "amount": "金額", "amout": "金額"})


def test_unparseable_dates_name_rows_and_values(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "mid,day,amt\n0001,2024-01-01,5\n0002,2024-13-01,5\n0003,not a date,5\n0004,2024-01-02,5\n0005,,5\n",
    )
    cols = {"member_id": "mid", "ordered_at": "day", "amount": "amt"}
    with pytest.raises(
        DataValidationError,
        match=r"column 'ordered_at' \(source 'day'\): 2 rows with dates that cannot be parsed "
        r"\(row 2: '2024-13-01', row 3: 'not a date'\)",
    ) as e:
        load_transactions(path, cols)
    msg = str(e.value)
    assert "row numbers count data rows from 1, the header not counted: file line = row + 1" in msg
    assert "1 row without a date (row 5: <empty>)" in msg
    assert {p.kind for p in e.value.problems} == {"bad_date", "missing_date"}
    bad = next(p for p in e.value.problems if p.kind == "bad_date")
    assert bad.count == 2 and bad.rows == (2, 3)


def test_date_format_override_is_named(tmp_path):
    path = write(tmp_path / "tx.csv", "member_id,ordered_at,amount\n0001,2024-01-01,5\n")
    with pytest.raises(DataValidationError, match=r"dates that cannot be parsed with date_format 'roc'"):
        load_transactions(path, date_format="roc")


def test_unparseable_and_missing_amounts(tmp_path):
    lines = ["member_id,ordered_at,amount"] + [
        f"{i:04d},2024-01-01,{v}"
        for i, v in enumerate(["5", "abc", "", '"1,2,3"', "x", "y", "z", "w"], start=1)
    ]
    path = write(tmp_path / "tx.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataValidationError) as e:
        load_transactions(path)
    msg = str(e.value)
    assert re.search(
        r"column 'amount': 6 rows with amounts that cannot be parsed \(row 2: 'abc', row 4: '1,2,3', "
        r"row 5: 'x', row 6: 'y', row 7: 'z', \.\.\.\)",
        msg,
    )
    assert "column 'amount': 1 row without an amount (row 3: <empty>)" in msg


def test_empty_input(tmp_path):
    path = write(tmp_path / "tx.csv", "member_id,ordered_at,amount\n")
    with pytest.raises(
        DataValidationError, match=r"(?s)tx\.csv: 1 problem.*no data rows: the source is empty"
    ):
        load_transactions(path)
    write(tmp_path / "zero.csv", "")
    with pytest.raises(
        DataValidationError, match=r"zero\.csv: 1 problem.*\n.*no data rows: the file is empty"
    ):
        load_transactions(tmp_path / "zero.csv")
    with pytest.raises(DataValidationError, match=r"(?s)DataFrame: .*no data rows"):
        load_transactions(pd.DataFrame({"member_id": [], "ordered_at": [], "amount": []}))


def test_currency_mismatch(tmp_path):
    path = write(
        tmp_path / "tx.csv", 'member_id,ordered_at,amount\n01,2024-01-01,"NT$1,000"\n02,2024-01-01,HK$5\n'
    )
    with pytest.raises(
        DataValidationError,
        match=r"1 row with amounts in another currency than the params currency TWD \(row 2: 'HK\$5'\)",
    ):
        load_transactions(path, currency="TWD")
    assert list(load_transactions(path)["amount"]) == [1000.0, 5.0]  # no currency given: not checked


def test_unknown_option_is_an_error(small_csv):
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['encodnig'\]"):
        load_transactions(small_csv, encodnig="cp950")


# --------------------------------------------------------------------------------------------- real exports


def test_taiwanese_export_matches_clean_original(demo, tmp_path):
    clean = demo.transactions
    path = tmp_path / "銷售明細.csv"
    _taiwan_export(clean).to_csv(path, index=False, encoding="cp950")
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really Big5, not UTF-8
    assert b"NT$1," in raw and b"/" in raw

    tx = load_transactions(path, TAIWAN_COLUMNS, date_format="auto", currency="TWD", observation_end=OBS_END)
    pd.testing.assert_frame_equal(tx, clean, check_categorical=False)
    for freq in ("D", "W"):
        pd.testing.assert_frame_equal(
            member_summary(tx, OBS_END, freq=freq), member_summary(clean, OBS_END, freq=freq)
        )
    # the explicit settings give the same frame
    explicit = load_transactions(path, TAIWAN_COLUMNS, date_format="roc", encoding="cp950")
    pd.testing.assert_frame_equal(explicit, tx)


def test_hong_kong_export_matches_clean_original(demo, tmp_path):
    clean = demo.transactions.iloc[:3000].reset_index(drop=True)
    hk = pd.DataFrame(
        {
            "Member No": clean["member_id"],
            "Txn Date": clean["ordered_at"].dt.strftime("%d/%m/%Y %H:%M:%S"),  # day first, as in Hong Kong
            "Amount (HKD)": [f"HK${a:,.2f}" if a >= 0 else f"(HK${-a:,.2f})" for a in clean["amount"]],
        }
    )
    path = tmp_path / "hk.csv"
    hk.to_csv(path, index=False, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    tx = load_transactions(
        path,
        {"member_id": "Member No", "ordered_at": "Txn Date", "amount": "Amount (HKD)"},
        date_format="%d/%m/%Y %H:%M:%S",
        currency="HKD",
    )
    pd.testing.assert_frame_equal(tx, clean[["member_id", "ordered_at", "amount", "is_return"]])
    end = clean["ordered_at"].max()
    pd.testing.assert_frame_equal(member_summary(tx, end), member_summary(clean, end))


# --------------------------------------------------------------------------------------------- canonical input


def test_canonical_frame_is_kept_without_copies(demo):
    """Columns that already have the canonical dtype are not re-parsed or copied (copy-on-write keeps the
    input safe when the result is changed)."""
    tx = demo.transactions
    out = load_transactions(tx)
    pd.testing.assert_frame_equal(out, tx)
    for c in ("ordered_at", "amount", "discount"):
        assert np.shares_memory(out[c].to_numpy(), tx[c].to_numpy()), c
    before = tx["amount"].iloc[0]
    out.loc[0, "amount"] = before + 1.0
    assert tx["amount"].iloc[0] == before and out["amount"].iloc[0] == before + 1.0


# --------------------------------------------------------------------------------------------- line-level


def test_line_level_export_with_guests_and_two_date_formats(rng, tmp_path):
    """``;``-separated, quantity x unit price (decimal comma), guests, two date formats: loads through
    DataParams alone to the per-member spend of a plain pandas quantity x unit price."""
    from workbench.data import DataParams

    export = uci_style_export(rng)
    path = tmp_path / "Online Retail.csv"
    export.to_csv(path, sep=";", index=False, encoding="utf-8")
    tx = DataParams.from_dict({"transactions": str(path), **UCI_PARAMS}).load()

    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    value = raw["Quantity"].astype(int) * raw["UnitPrice"].str.replace(",", ".").astype(float)
    guest = raw["CustomerID"] == ""
    expected = value[~guest].groupby(raw.loc[~guest, "CustomerID"]).sum()
    got = tx.groupby("member_id")["amount"].sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, rtol=1e-12)
    assert tx.attrs["guests"]["rows"] == int(guest.sum()) > 0
    assert tx.attrs["guests"]["revenue"] == pytest.approx(float(value[guest].sum()), rel=1e-12)
    assert tx["is_return"].sum() == int((raw.loc[~guest, "Quantity"].astype(int) < 0).sum())
    stamps = pd.to_datetime(raw.loc[~guest, "InvoiceDate"], format="mixed", dayfirst=False)
    assert (tx["ordered_at"].to_numpy() == stamps.to_numpy().astype("datetime64[us]")).all()


def test_line_amount_minus_the_line_discount(tmp_path):
    path = write(
        tmp_path / "lines.csv",
        '會員編號,日期,數量,單價,折扣\n00012,2024-03-05,2,"1,200",100\n00013,2024-03-05,-1,350,0\n00014,2024-03-06,3,99,\n',
    )
    cols = {
        "member_id": "會員編號",
        "ordered_at": "日期",
        "quantity": "數量",
        "unit_price": "單價",
        "discount": "折扣",
    }
    tx = load_transactions(path, cols)
    assert list(tx["amount"]) == [2300.0, -350.0, 297.0]
    assert list(tx["discount"]) == [100.0, 0.0, 0.0]


def test_line_columns_bad_variants_are_named(tmp_path):
    path = write(
        tmp_path / "lines.csv",
        "member_id,ordered_at,quantity,unit_price\n01,2024-03-05,two,5\n02,2024-03-05,1,\n",
    )
    with pytest.raises(DataValidationError) as e:
        load_transactions(path)
    msg = str(e.value)
    assert "column 'quantity': 1 row with quantities that cannot be parsed (row 1: 'two')" in msg
    assert "column 'unit_price': 1 row without a unit price (row 2: <empty>)" in msg
    only = write(tmp_path / "only.csv", "member_id,ordered_at,qty\n01,2024-03-05,2\n")
    with pytest.raises(
        DataValidationError,
        match=r"params columns gives quantity but not unit_price: the amount of a line is quantity x unit_price, so "
        r"both are needed",
    ):
        load_transactions(only, {"quantity": "qty"})


# --------------------------------------------------------------------------------------------- CDNOW as a POS export


def cdnow_big5_export(cdnow: pd.DataFrame, rng) -> pd.DataFrame:
    """The real CDNOW log as a Taiwanese POS export (``kit.cdnow_pos_export``, amounts x 31 in NT$: some above
    1,000, with thousands separators) and a few guest sales (非會員, empty)."""
    export = cdnow_pos_export(cdnow, rng, scale=31)
    guests = export.sample(40, random_state=1).assign(
        會員編號=["非會員", ""] * 20, 交易序號=lambda d: d["交易序號"] + "G"
    )
    return pd.concat([export, guests], ignore_index=True)


def test_cdnow_as_a_big5_pos_export_gives_the_spend_of_plain_pandas(cdnow, rng, tmp_path):
    from workbench.data import DataParams

    export = cdnow_big5_export(cdnow, rng)
    path = tmp_path / "銷售明細.csv"
    export.to_csv(path, index=False, encoding="cp950")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    params = DataParams.from_dict(
        {
            "transactions": str(path),
            "columns": CDNOW_COLUMNS,
            "date_format": "roc",
            "currency": "TWD",
            "observation_end": "1998-06-30",
        }
    )
    tx = params.load()
    expected = (cdnow["amount"] * 31).groupby(cdnow["member_id"]).sum()
    got = tx.groupby("member_id")["amount"].sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, rtol=1e-9)
    assert (tx["ordered_at"].to_numpy() == cdnow["ordered_at"].to_numpy()).all()
    assert tx.attrs["guests"]["rows"] == 40
    assert set(tx["channel"].cat.categories) == {"store", "online"}
    assert (tx["channel"] == "online").sum() == (export["通路"].iloc[: len(cdnow)] == "網路商店").sum()
    # without the receipt numbers, CDNOW's 255 same-day repeats would be reported as duplicate lines
    assert int(cdnow.duplicated().sum()) == 255
