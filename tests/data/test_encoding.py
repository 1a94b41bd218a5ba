"""workbench.data.encoding: UTF-8 or Big5/CP950 decided for the whole file, an encoding switch reported with
its first line, nothing else guessed, a Big5 file whose first 64 KiB are ASCII read, .csv.gz read."""

from __future__ import annotations

import gzip

import pytest

from workbench.data import DataValidationError, load_transactions

HEADER = "會員編號,交易日期,金額,門市\n"
COLS = {"member_id": "會員編號", "ordered_at": "交易日期", "amount": "金額", "store": "門市"}
ASCII_ROWS = "".join(f"{i:05d},2024/03/05,100,A{i % 7}\n" for i in range(8000))  # ~190 KiB of ASCII


def test_utf8_then_big5_is_an_encoding_switch(tmp_path):
    """Was decoded as Thai (charset-normalizer's guess) with garbage store names, and validated OK."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        (HEADER + "00001,2024/03/05,1,台北信義店\n").encode("utf-8")
        + ASCII_ROWS.encode()
        + "00002,2024/03/06,2,高雄夢時代店\n".encode("cp950")
    )
    with pytest.raises(
        DataValidationError,
        match=r"mixed\.csv: 1 problem.*\n  - the file changes encoding: lines 1-8002 are UTF-8 text, but line 8003 is "
        r"not UTF-8 \(it reads as Big5/CP950\): re-export the whole file in one encoding",
    ):
        load_transactions(path, COLS)


def test_big5_then_utf8_is_an_encoding_switch(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        (HEADER + "00001,2024/03/05,1,台北信義店\n").encode("cp950")
        + "00002,2024/03/06,2,高雄夢時代店\n".encode()
    )
    with pytest.raises(
        DataValidationError,
        match=r"the file changes encoding: lines 1-2 are Big5/CP950 text, but line 3 is not Big5/CP950 "
        r"\(it reads as UTF-8\)",
    ):
        load_transactions(path, COLS)


def test_big5_after_64_kib_of_ascii_loads(tmp_path):
    """Failed with "CSV conversion error to string: invalid UTF8 data" (no line, no hint)."""
    path = tmp_path / "late.csv"
    text = "member_id,ordered_at,amount,store\n" + ASCII_ROWS + "00012,2024/03/05,NT$1,台北信義店\n"
    path.write_bytes(text.encode("cp950"))
    assert len(path.read_bytes().split("台北".encode("cp950"))[0]) > 1 << 16
    tx = load_transactions(path)
    assert len(tx) == 8001 and tx["store"].iloc[-1] == "台北信義店"
    assert list(load_transactions(path, encoding="cp950")["store"]) == list(tx["store"])


def test_neither_utf8_nor_big5_says_to_set_the_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("member_id,ordered_at,amount,store\n00012,2024/03/05,1,Café Zoë\xff\n".encode("latin-1"))
    with pytest.raises(
        DataValidationError,
        match=r"line 2 is neither UTF-8 nor Big5/CP950 text \(byte 0x.. at offset \d+\): set the encoding "
        r"\(params data\.encoding / encoding=\)",
    ):
        load_transactions(path)
    assert load_transactions(path, encoding="latin-1")["store"].iloc[0] == "Café Zoë\xff"
    with pytest.raises(
        DataValidationError, match=r"line 2 is not valid utf-8 text \(byte 0xE9 at offset 56\)"
    ):
        load_transactions(path, encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"encoding 'klingon' is not a known codec"):
        load_transactions(path, encoding="klingon")


@pytest.mark.parametrize("encoding", ["utf-8", "cp950"])
def test_gzipped_csv_is_read(tmp_path, encoding):
    """``.csv.gz`` was "suffix '.gz' is not one of ..."."""
    text = HEADER + "00012,2024/03/05,NT$1,台北信義店\n00013,2024/03/06,980,高雄夢時代店\n"
    (tmp_path / "tx.csv").write_bytes(text.encode(encoding))
    (tmp_path / "tx.csv.gz").write_bytes(gzip.compress(text.encode(encoding)))
    import pandas as pd

    pd.testing.assert_frame_equal(
        load_transactions(tmp_path / "tx.csv.gz", COLS), load_transactions(tmp_path / "tx.csv", COLS)
    )
    (tmp_path / "broken.csv.gz").write_bytes(gzip.compress(text.encode(encoding))[:40])
    with pytest.raises(
        DataValidationError, match=r"broken\.csv\.gz: 1 problem.*\n  - (cannot be read|not a readable CSV)"
    ):
        load_transactions(tmp_path / "broken.csv.gz", COLS)
