"""The members table of a brand (optional): ``member_id`` and ``joined_at``."""

from __future__ import annotations

import pandas as pd


def read_members(path) -> pd.DataFrame | None:
    """``member_id`` and ``joined_at`` of a members table (.parquet or .csv); ``None`` for an empty path.

    Only these two columns are read: the overview needs no names, phones or e-mails.
    """
    if path is None or str(path) == "":
        return None
    path = str(path)
    if path.endswith(".parquet"):
        frame = pd.read_parquet(path, columns=["member_id", "joined_at"])
    else:
        frame = pd.read_csv(path, usecols=["member_id", "joined_at"], dtype={"member_id": "str"})
    frame["member_id"] = frame["member_id"].astype("str")
    frame["joined_at"] = pd.to_datetime(frame["joined_at"]).astype("datetime64[us]")
    return frame
