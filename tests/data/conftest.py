"""Fixtures of the data room."""

from __future__ import annotations

import pytest
from kit import write_text_file as write


@pytest.fixture
def small_csv(tmp_path):
    return write(
        tmp_path / "tx.csv",
        "member_id,ordered_at,amount,order_id\n"
        "0001,2024-03-05 10:00:00,100,A1\n"
        "0002,2024-03-06,250.5,A2\n"
        "0001,2024-03-07,-40,A3\n",
    )
