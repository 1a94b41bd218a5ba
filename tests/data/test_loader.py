"""workbench.data / workbench.data.parsing: loading messy exports into the canonical frame, and validation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main as cli_main
from workbench.data import (
    DataParams,
    DataValidationError,
    describe_transactions,
    load_transactions,
    parse_amounts,
    parse_dates,
)
from workbench.summary import member_summary

OBS_END = "2026-10-31"


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def small_csv(tmp_path):
    return write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount,order_id\n"
        "0001,2024-03-05 10:00:00,100,A1\n"
        "0002,2024-03-06,250.5,A2\n"
        "0001,2024-03-07,-40,A3\n",
    )


# --------------------------------------------------------------------------------------------- parsers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", "2024-03-05 00:00:00"),
        ("2024-03-05T14:30:15", "2024-03-05 14:30:15"),
        ("2024/03/05", "2024-03-05 00:00:00"),
        ("2024/3/5 9:05", "2024-03-05 09:05:00"),
        ("20240305", "2024-03-05 00:00:00"),
        ("113/03/05", "2024-03-05 00:00:00"),
        ("113/03/05 14:30:00", "2024-03-05 14:30:00"),
        ("1130305", "2024-03-05 00:00:00"),
        ("99/12/31", "2010-12-31 00:00:00"),
        ("民國113年3月5日", "2024-03-05 00:00:00"),
        ("2024/03/05 下午 02:30:00", "2024-03-05 14:30:00"),
        ("2024/03/05 上午 12:10:00", "2024-03-05 00:10:00"),
        ("2024-03-05 02:30:00 PM", "2024-03-05 14:30:00"),
        ("２０２４／０３／０５", "2024-03-05 00:00:00"),
        ("2024-03-05 14:30:15.25", "2024-03-05 14:30:15.250000"),
        ("2024-03-05T06:30:00Z", "2024-03-05 14:30:00"),  # UTC -> Asia/Taipei (+08:00)
        ("2024-03-05T14:30:00+08:00", "2024-03-05 14:30:00"),
        ("2024-03-05 06:30:00+00", "2024-03-05 14:30:00"),
        ("2024-03-05 14:30:00-0130", "2024-03-06 00:00:00"),
        (" 2024-02-29 ", "2024-02-29 00:00:00"),
    ],
)
def test_parse_dates_auto(text, expected):
    out, bad, missing = parse_dates(pd.Series([text], dtype="str"), "auto", "Asia/Taipei")
    assert not bad[0] and not missing[0]
    assert out[0] == np.datetime64(pd.Timestamp(expected))


@pytest.mark.parametrize(
    "text", ["2023-02-29", "2024-13-01", "2024-03-05 25:00", "5/3/2024", "abc", "240305", "113/02/30"]
)
def test_parse_dates_rejects(text):
    out, bad, missing = parse_dates(pd.Series([text], dtype="str"))
    assert bad[0] and np.isnat(out[0])


def test_parse_dates_roc_and_pattern_override():
    roc, bad, _ = parse_dates(pd.Series(["113/03/05", "1130305", "2024/03/05"], dtype="str"), "roc")
    assert list(roc[:2]) == [np.datetime64("2024-03-05T00:00:00", "us")] * 2
    assert list(bad) == [False, False, True]  # a 4-digit year is not a 民國 year
    dmy, bad, _ = parse_dates(
        pd.Series(["05/03/2024 14:30", "31/12/2023 09:00"], dtype="str"), "%d/%m/%Y %H:%M"
    )
    assert not bad.any()
    assert list(dmy) == [np.datetime64("2024-03-05T14:30", "us"), np.datetime64("2023-12-31T09:00", "us")]


@pytest.mark.parametrize(
    ("text", "expected", "currency"),
    [
        ("NT$1,200", 1200.0, "TWD"),
        ("$1,200.50", 1200.5, ""),
        ("1,200", 1200.0, ""),
        ("1200", 1200.0, ""),
        ("(300)", -300.0, ""),
        ("(NT$300)", -300.0, "TWD"),
        ("-NT$300", -300.0, "TWD"),
        ("NT$-300", -300.0, "TWD"),
        ("300-", -300.0, ""),
        ("\u22125", -5.0, ""),  # U+2212 MINUS SIGN
        ("１，２００", 1200.0, ""),  # full-width digits and comma
        ("ＮＴ＄１２００", 1200.0, "TWD"),
        ("HK$88.5", 88.5, "HKD"),
        ("hk$ 1,000", 1000.0, "HKD"),
        ("1,200元", 1200.0, "TWD"),
        ("0", 0.0, ""),
        (".5", 0.5, ""),
        ("1.2e3", 1200.0, ""),
    ],
)
def test_parse_amounts(text, expected, currency):
    out, bad, missing, cur = parse_amounts(pd.Series([text], dtype="str"))
    assert not bad[0] and not missing[0]
    assert out[0] == expected
    assert (cur[0].as_py() if cur is not None else "") == currency  # None: plain numbers only


@pytest.mark.parametrize("text", ["abc", "1,20", "1.2.3", "(-300)", "--5", "NT$", "12 34", "(300"])
def test_parse_amounts_rejects(text):
    out, bad, missing, _ = parse_amounts(pd.Series([text], dtype="str"))
    assert bad[0] and np.isnan(out[0]) and not missing[0]


def test_parse_amounts_numeric_and_missing():
    out, bad, missing, cur = parse_amounts(pd.Series([1.5, np.nan, -2.0]))
    assert cur is None and not bad.any()
    assert list(missing) == [False, True, False]
    out, bad, missing, _ = parse_amounts(pd.Series(["", None, "7"], dtype="str"))
    assert list(missing) == [True, True, False] and not bad.any() and out[2] == 7.0


# --------------------------------------------------------------------------------------------- sources


def test_small_csv_canonical(small_csv):
    tx = load_transactions(small_csv)
    assert list(tx["member_id"]) == ["0001", "0002", "0001"]
    assert tx["member_id"].dtype == "str" and tx["ordered_at"].dtype == "datetime64[us]"
    assert list(tx["amount"]) == [100.0, 250.5, -40.0]
    assert list(tx["is_return"]) == [False, False, True]
    assert tx["ordered_at"].iloc[0] == pd.Timestamp("2024-03-05 10:00:00")


def test_parquet_duckdb_dataframe_csv_agree(demo, tmp_path):
    import duckdb

    tx = demo.transactions
    tx.to_parquet(tmp_path / "tx.parquet", index=False)
    tx.to_csv(tmp_path / "tx.csv", index=False)
    with duckdb.connect(str(tmp_path / "shop.duckdb")) as con:
        con.register("src", tx)
        con.execute("CREATE TABLE sales AS SELECT * EXCLUDE (is_return) FROM src")
    pd.testing.assert_frame_equal(load_transactions(tmp_path / "tx.parquet"), tx)
    pd.testing.assert_frame_equal(load_transactions(tx), tx)
    # text sources get sorted categories for stores (the demo orders them by region)
    pd.testing.assert_frame_equal(load_transactions(tmp_path / "tx.csv"), tx, check_categorical=False)
    from_duck = load_transactions(tmp_path / "shop.duckdb", table="sales")
    pd.testing.assert_frame_equal(from_duck, tx, check_categorical=False)


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


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8", ","), ("utf-8-sig", ","), ("cp950", ","), ("big5", ";"), ("utf-16", "\t")],
)
def test_encodings_detected(tmp_path, encoding, sep):
    rows = [
        ["會員編號", "交易日期", "金額", "門市"],
        ["00012", "2024/03/05", '"NT$1,200"', "台北信義店"],
        ["00013", "2024/03/06", "980", "高雄夢時代店"],
    ]
    text = "".join(sep.join(r) + "\n" for r in rows)
    path = write(tmp_path / "tx.csv", text, encoding)
    tx = load_transactions(
        path, {"member_id": "會員編號", "ordered_at": "交易日期", "amount": "金額", "store": "門市"}
    )
    assert list(tx["member_id"]) == ["00012", "00013"]
    assert list(tx["amount"]) == [1200.0, 980.0]
    assert list(tx["store"]) == ["台北信義店", "高雄夢時代店"]


def test_explicit_wrong_encoding_is_reported(tmp_path):
    path = write(tmp_path / "tx.csv", "會員編號,交易日期,金額\n001,2024-01-01,5\n", "cp950")
    with pytest.raises(DataValidationError, match=r"(?s)tx\.csv.*not valid utf-8 text.*set the encoding"):
        load_transactions(path, encoding="utf-8")


def test_numeric_member_ids_fixed_by_width(tmp_path):
    pd.DataFrame(
        {"member_id": [1, 23, 4567], "ordered_at": ["2024-01-01"] * 3, "amount": [1.0, 2.0, 3.0]}
    ).to_parquet(tmp_path / "ints.parquet")
    tx = load_transactions(tmp_path / "ints.parquet", member_id_width=7)
    assert list(tx["member_id"]) == ["0000001", "0000023", "0004567"]


# --------------------------------------------------------------------------------------------- validation


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
        for i, v in enumerate(["5", "abc", "", '"1,20"', "x", "y", "z", "w"], start=1)
    ]
    path = write(tmp_path / "tx.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataValidationError) as e:
        load_transactions(path)
    msg = str(e.value)
    assert re.search(
        r"column 'amount': 6 rows with amounts that cannot be parsed \(row 2: 'abc', row 4: '1,20', "
        r"row 5: 'x', row 6: 'y', row 7: 'z', \.\.\.\)",
        msg,
    )
    assert "column 'amount': 1 row without an amount (row 3: <empty>)" in msg


def test_dates_after_observation_end(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount\n0001,2026-10-31 23:59:59,5\n0002,2026-11-01 00:00:00,5\n0003,2027-01-01,5\n",
    )
    with pytest.raises(
        DataValidationError,
        match=r"2 rows dated after the observation end 2026-10-31 00:00:00 "
        r"\(row 2: '2026-11-01T00:00:00', row 3: '2027-01-01T00:00:00'\)",
    ):
        load_transactions(path, observation_end=OBS_END)
    assert len(load_transactions(path, observation_end="2027-01-01")) == 3


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


def test_order_lines_that_disagree(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount,order_id\n"
        "0001,2024-03-05 10:00,100,A1\n"
        "0002,2024-03-05 10:00,50,A1\n"  # another member on the same order
        "0003,2024-03-05,70,B7\n"
        "0003,2024-03-08,70,B7\n"  # same order, another day (both purchases)
        "0004,2024-03-09,10,C9\n",
    )
    with pytest.raises(DataValidationError) as e:
        load_transactions(path)
    msg = str(e.value)
    assert re.search(
        r"column 'order_id': 2 rows in 1 order id whose rows disagree on member_id "
        r"\(row 1: 'A1' member '0001' on 2024-03-05T10:00:00, row 2: 'A1' member '0002' on 2024-03-05T10:00:00\)",
        msg,
    )
    assert "2 rows in 1 order id whose rows disagree on date (row 3: 'B7'" in msg
    assert [p.kind for p in e.value.problems] == ["order_conflict", "order_conflict"]


def test_numeric_member_ids_lost_zeros(tmp_path):
    frame = pd.DataFrame(
        {
            "member_id": [1, 23, 4567, 1234],
            "ordered_at": pd.to_datetime(["2024-01-01"] * 4),
            "amount": [1.0] * 4,
        }
    )
    frame.to_parquet(tmp_path / "ints.parquet")
    with pytest.raises(
        DataValidationError,
        match=r"(?s)ints\.parquet: 1 problem.*column 'member_id': 2 rows with member ids stored as numbers \(int64\) "
        r"with fewer digits than the longest id \(4\): their leading zeros are lost \(row 1: '1', row 2: '23'\); "
        r"export member ids as text, or set member_id_width",
    ):
        load_transactions(tmp_path / "ints.parquet")
    # the same width everywhere: nothing visibly lost, accepted as text
    same = frame.assign(member_id=[1001, 1002, 1003, 1004])
    assert list(load_transactions(same)["member_id"]) == ["1001", "1002", "1003", "1004"]


def test_text_member_ids_with_stripped_zeros(tmp_path):
    path = write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount\n00012,2024-01-01,1\n12,2024-01-01,1\n00345,2024-01-01,1\n345,2024-01-02,1\n"
        "A-77,2024-01-01,1\n",
    )
    with pytest.raises(
        DataValidationError,
        match=r"2 rows with digit-only member ids shorter than the zero-padded width 5 that other ids use: "
        r"their leading zeros were probably stripped \(e\.g\. by Excel\) \(row 2: '12', row 4: '345'\); "
        r"re-export ids as text, or set member_id_width: 5",
    ):
        load_transactions(path)
    assert list(load_transactions(path, member_id_width=5)["member_id"]) == [
        "00012",
        "00012",
        "00345",
        "00345",
        "A-77",
    ]


def test_decimal_looking_member_ids(tmp_path):
    path = write(tmp_path / "tx.csv", "member_id,ordered_at,amount\n123.0,2024-01-01,1\n124,2024-01-01,1\n")
    with pytest.raises(
        DataValidationError,
        match=r"1 row with member ids that look like converted decimals \(row 1: '123\.0'\)",
    ):
        load_transactions(path)


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


def test_all_problems_reported_together(tmp_path):
    path = write(
        tmp_path / "export.csv",
        "會員,日期,金額,單號\n"
        "0001,2024-01-01,100,A\n"
        "0002,2024-02-30,abc,B\n"
        ",2030-01-01,,C\n"
        "0004,2024-01-03,5,A\n",
    )
    cols = {"member_id": "會員", "ordered_at": "日期", "amount": "金額", "order_id": "單號"}
    with pytest.raises(DataValidationError, match=r"export\.csv: 7 problems found") as e:
        load_transactions(path, cols, observation_end="2026-10-31")
    kinds = [p.kind for p in e.value.problems]
    assert kinds == [
        "missing_member_id",
        "bad_date",
        "bad_amount",
        "missing_amount",
        "after_observation_end",
        "order_conflict",
        "order_conflict",
    ]
    for p in e.value.problems:
        assert p.message in str(e.value)


def test_unknown_option_is_an_error(small_csv):
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['encodnig'\]"):
        load_transactions(small_csv, encodnig="cp950")


# --------------------------------------------------------------------------------------------- real exports


def _taiwan_export(tx: pd.DataFrame) -> pd.DataFrame:
    """The demo log as a Taiwanese POS/Excel export: Chinese headers, ROC dates, NT$ text amounts."""
    when = tx["ordered_at"]
    roc = (when.dt.year - 1911).astype("str") + when.dt.strftime("/%m/%d %H:%M:%S")
    amount = tx["amount"].to_numpy()
    pos = [f"NT${abs(a):,.0f}" for a in amount]
    # returns both ways: accounting parentheses and a leading minus
    money = [
        f"({p})" if a < 0 and i % 2 else (f"-{p}" if a < 0 else p)
        for i, (a, p) in enumerate(zip(amount, pos, strict=True))
    ]
    return pd.DataFrame(
        {
            "訂單編號": tx["order_id"],
            "會員編號": tx["member_id"],
            "交易日期": roc,
            "金額": money,
            "折扣": [f"NT${d:,.0f}" for d in tx["discount"]],
            "通路": tx["channel"].astype("str").map({"store": "門市", "online": "網路商店"}),
            "門市": tx["store"].astype("str"),
        }
    )


TAIWAN_COLUMNS = {
    "member_id": "會員編號",
    "ordered_at": "交易日期",
    "amount": "金額",
    "order_id": "訂單編號",
    "discount": "折扣",
    "channel": "通路",
    "store": "門市",
}


@pytest.mark.parametrize(
    ("label", "channel"),
    [("門市", "store"), ("實體店", "store"), ("POS", "store"), ("網路商店", "online"), ("官網", "online"),
     (" E-Commerce ", "online"), ("網上商店", "online"), ("APP", "online"), ("LINE 禮物", "LINE 禮物")],
)  # fmt: skip
def test_channel_labels_of_real_exports(label, channel):
    """Back-office channel labels read as the canonical store/online; unknown labels are kept as written."""
    frame = pd.DataFrame(
        {"member_id": ["001", "002"], "ordered_at": ["2026-01-01", "2026-01-02"], "amount": ["1", "2"]}
    )
    frame["channel"] = [label, "門市"]
    tx = load_transactions(frame)
    assert tx["channel"].tolist() == [channel, "store"]
    if channel in ("store", "online"):
        assert list(tx["channel"].cat.categories) == ["store", "online"]
    else:
        facts = dict(describe_transactions(tx))
        assert label in facts["note"] and "neither" in facts["note"]


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


# --------------------------------------------------------------------------------------------- params + CLI


def _params(tmp_path, data: str, name: str = "common.yaml"):
    folder = tmp_path / "params"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("month: '2026-10'\nlanguage: zh-TW\n" + data, encoding="utf-8")
    return path


def test_params_resolve_relative_paths(tmp_path):
    path = _params(tmp_path, "data:\n  transactions: ../exports/tx.csv\n  columns: {member_id: 會員編號}\n")
    p = DataParams.from_yaml(path)
    assert p.transactions == str(tmp_path / "exports" / "tx.csv")
    assert p.columns == {"member_id": "會員編號"} and p.currency == "TWD"
    with pytest.raises(
        ValueError, match=r"DataParams: unknown key 'transaction' \(did you mean 'transactions'\?\)"
    ):
        DataParams.from_dict({"transaction": "x.csv"})
    with pytest.raises(
        ValueError, match=r"DataParams.columns keys must be transaction columns .*; got \['amout'\]"
    ):
        DataParams.from_dict({"transactions": "demo", "columns": {"amout": "金額"}})


def test_validate_cli_ok(demo, tmp_path, capsys):
    exports = tmp_path / "exports"
    exports.mkdir()
    _taiwan_export(demo.transactions).to_csv(exports / "tx.csv", index=False, encoding="cp950")
    cols = "{" + ", ".join(f"{k}: {v}" for k, v in TAIWAN_COLUMNS.items()) + "}"
    path = _params(
        tmp_path,
        f"data:\n  transactions: ../exports/tx.csv\n  columns: {cols}\n  date_format: roc\n"
        "  currency: TWD\n  timezone: Asia/Taipei\nclv:\n  model: bgnbd\n",
    )
    assert cli_main(["validate", "--params", str(path)]) == 0
    out = capsys.readouterr().out
    tx = demo.transactions
    assert f"rows              {len(tx):,}" in out
    assert f"members           {tx['member_id'].nunique():,}" in out
    assert "date range        2023-11" in out
    assert f"returns           {int(tx['is_return'].sum()):,} rows" in out
    assert "problems          none" in out and out.rstrip().endswith("OK")


def test_validate_cli_reports_problems(tmp_path, capsys):
    write(tmp_path / "bad.csv", "member_id,ordered_at,amount\n0001,2024-01-01,abc\n0002,yesterday,5\n")
    path = _params(tmp_path, "data:\n  transactions: ../bad.csv\n")
    assert cli_main(["validate", "--params", str(path)]) == 1
    out = capsys.readouterr().out
    assert "problems          2" in out
    assert "column 'ordered_at': 1 row with dates that cannot be parsed (row 2: 'yesterday')" in out
    assert "column 'amount': 1 row with amounts that cannot be parsed (row 1: 'abc')" in out
    assert out.rstrip().endswith("FAILED")


def test_validate_cli_bad_params(tmp_path, capsys):
    path = _params(tmp_path, "nodata: 1\n")
    assert cli_main(["validate", "--params", str(path)]) == 1
    assert "expected a top-level 'data:' mapping" in capsys.readouterr().err


def test_iso_fast_path_keeps_missing_and_rejects_impossible_dates():
    out, bad, missing = parse_dates(pd.Series(["2024-01-01 10:00:00.5", "", "2024-01-02"], dtype="str"))
    assert list(missing) == [False, True, False] and not bad.any()
    assert out[0] == np.datetime64("2024-01-01T10:00:00.5", "us") and np.isnat(out[1])
    out, bad, _ = parse_dates(pd.Series(["2024-01-01", "2023-02-29"], dtype="str"))
    assert list(bad) == [False, True] and out[0] == np.datetime64("2024-01-01", "us")


def test_database_url_sqlite(small_csv, tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "shop.db") as con:
        con.execute("CREATE TABLE sales (member_id TEXT, ordered_at TEXT, amount REAL, order_id TEXT)")
        con.executemany(
            "INSERT INTO sales VALUES (?, ?, ?, ?)",
            [
                ("0001", "2024-03-05 10:00:00", 100, "A1"),
                ("0002", "2024-03-06", 250.5, "A2"),
                ("0001", "2024-03-07", -40, "A3"),
            ],
        )
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    pd.testing.assert_frame_equal(load_transactions(url, table="sales"), load_transactions(small_csv))
    with pytest.raises(ValueError, match=r"needs table= or query="):
        load_transactions(url)


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


def test_canonical_parquet_is_still_validated(tmp_path):
    """Canonical dtypes are no pass: untrimmed text is trimmed, and every check runs (missing values, stripped
    leading zeros, order conflicts, infinite discounts as before)."""
    frame = pd.DataFrame(
        {
            "member_id": pd.array([" 00012", "00345\u3000", "00012"], dtype="str"),
            "ordered_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).astype("datetime64[us]"),
            "amount": [1.0, 2.0, -1.0],
            "order_id": pd.array(["A1", "B2 ", "C3"], dtype="str"),
            "discount": [0.0, np.nan, np.inf],
        }
    )
    frame.to_parquet(tmp_path / "ok.parquet", index=False)
    tx = load_transactions(tmp_path / "ok.parquet")
    assert list(tx["member_id"]) == ["00012", "00345", "00012"]
    assert list(tx["order_id"]) == ["A1", "B2", "C3"]
    assert list(tx["discount"]) == [0.0, 0.0, np.finfo("float64").max]
    bad = frame.assign(
        member_id=pd.array(["00012", "12", None], dtype="str"),
        amount=[1.0, np.nan, 2.0],
        order_id=pd.array(["A1", "A1", "C3"], dtype="str"),
    )
    bad.loc[2, "ordered_at"] = pd.NaT
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(DataValidationError) as e:
        load_transactions(tmp_path / "bad.parquet")
    assert sorted(p.kind for p in e.value.problems) == [
        "member_id_zeros",
        "missing_amount",
        "missing_date",
        "missing_member_id",
        "order_conflict",  # A1 has two members
        "order_conflict",  # and two days
    ]
    assert "rows disagree on member_id (row 1: 'A1' member '00012'" in str(e.value)


@pytest.mark.parametrize("kind", ["string", "large_string"])
def test_trim_check_agrees_with_the_trim_kernel(rng, kind):
    """``_may_need_trim`` (edge bytes read from the Arrow buffers) never says False when trimming changes
    something; checked on random text with whitespace at random places, sliced and chunked."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from workbench.data.validation import _may_need_trim

    alphabet = np.array(["0", "7", "a", "é", " ", "\t", "\u3000", "\xa0", "\x1f", "-"])
    for _ in range(200):
        n = int(rng.integers(0, 6))
        values = ["".join(rng.choice(alphabet, int(rng.integers(0, 4)))) for _ in range(n)]
        if n and rng.random() < 0.2:
            values[int(rng.integers(n))] = None
        arr = pa.array(values, type=getattr(pa, kind)())
        arr = arr.slice(int(rng.integers(0, 2)))
        for candidate in (arr, pa.chunked_array([arr, arr], type=arr.type)):
            trimmed = pc.utf8_trim_whitespace(candidate)
            changes = len(candidate) and not pc.all(pc.fill_null(pc.equal(trimmed, candidate), True)).as_py()
            if changes:
                assert _may_need_trim(candidate), values
    clean = pa.array(["0012", "", None, "A-1"], type=getattr(pa, kind)())
    assert not _may_need_trim(clean) and not _may_need_trim(clean.slice(1))
    assert _may_need_trim(pa.array(["0012", " 3"], type=getattr(pa, kind)()))
