"""The run's validated Parquet copy: recognised by its mark, handed on as a path (DataParams.log_input)."""

from __future__ import annotations

import pandas as pd

from workbench import files
from workbench.data import VALIDATED_METADATA, DataParams, is_validated_parquet, parquet_source_sql


def test_only_a_marked_parquet_file_counts(tmp_path, demo):
    tx = demo.transactions.head(500)
    marked = files.write_parquet(tmp_path / "marked.parquet", tx, metadata=VALIDATED_METADATA)
    plain = files.write_parquet(tmp_path / "plain.parquet", tx)
    (tmp_path / "fake.parquet").write_text("not parquet", encoding="utf-8")
    files.write_csv(tmp_path / "tx.csv", tx)
    assert is_validated_parquet(marked) and is_validated_parquet(str(marked))
    assert not is_validated_parquet(plain)
    assert not is_validated_parquet(tmp_path / "fake.parquet")
    assert not is_validated_parquet(tmp_path / "tx.csv")
    assert not is_validated_parquet(tmp_path / "missing.parquet")
    assert not is_validated_parquet(tx)
    pd.testing.assert_frame_equal(pd.read_parquet(marked), tx)  # the mark changes nothing else


def test_log_input_is_the_path_of_a_validated_copy_else_the_loaded_frame(tmp_path, demo):
    tx = demo.transactions.head(500)
    marked = files.write_parquet(tmp_path / "marked.parquet", tx, metadata=VALIDATED_METADATA)
    plain = files.write_parquet(tmp_path / "plain.parquet", tx)
    assert DataParams(transactions=str(marked)).log_input() == str(marked)
    loaded = DataParams(transactions=str(plain)).log_input()
    assert isinstance(loaded, pd.DataFrame)
    pd.testing.assert_frame_equal(loaded, tx, check_categorical=False)


def test_parquet_source_sql_quotes_the_path():
    assert parquet_source_sql("/data/o'brien/tx.parquet") == "read_parquet('/data/o''brien/tx.parquet')"
