"""CLV deciles (decile 1 = the 10% of members with the highest value) and the audience file of chosen deciles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench import files
from workbench.errors import ArgumentError


# --------------------------------------------------------------------------------------------------
# value concentration and audiences
# --------------------------------------------------------------------------------------------------
def clv_deciles(clv: pd.Series) -> pd.DataFrame:
    """Members in ten equal groups by CLV (decile 1 = the highest), with each decile's share of the total."""
    values = pd.Series(clv, dtype=float).dropna()
    if len(values) < 10:
        raise ArgumentError(f"clv_deciles: needs at least 10 members, got {len(values)}")
    rank = values.rank(method="first", ascending=False).to_numpy()
    decile = np.minimum(((rank - 1) * 10 // len(values)).astype(int) + 1, 10)
    table = (
        pd.DataFrame({"decile": decile, "clv": values.to_numpy()})
        .groupby("decile")["clv"]
        .agg(members="size", total="sum", mean="mean", min="min", max="max")
        .reset_index()
    )
    table["share"] = table["total"] / table["total"].sum()
    table["cumulative_share"] = table["share"].cumsum()
    return table


def assign_deciles(clv: pd.Series) -> pd.Series:
    """The CLV decile (1 = highest) of each member, aligned with ``clv``."""
    rank = clv.rank(method="first", ascending=False)
    return pd.Series(
        np.minimum(((rank - 1) * 10 // rank.notna().sum()) + 1, 10), index=clv.index, name="clv_decile"
    )


def top_decile_share(clv: pd.Series) -> float:
    """Share of the total projected value held by the 10% of members with the highest CLV."""
    return float(clv_deciles(clv)["share"].iloc[0])


def export_audience(
    predictions: pd.DataFrame, directory: str | Path, *, deciles=(1,), name: str = "clv_audience.csv"
) -> Path | None:
    """Write the member ids of the given CLV deciles (with decile, CLV and P(alive)) to ``directory/name``.

    Returns ``None`` and writes nothing when ``directory`` is empty: audiences leave the workbench only
    when a parameter asks for them.
    """
    if not directory:
        return None
    if "clv" not in predictions.columns:
        raise ArgumentError("export_audience: predictions need a 'clv' column (CLVModel.predict output)")
    decile = assign_deciles(predictions["clv"])
    chosen = predictions.loc[decile.isin(list(deciles))]
    out = pd.DataFrame(
        {
            "member_id": chosen.index.astype(str),
            "clv_decile": decile.loc[chosen.index].astype(int).to_numpy(),
            "clv": chosen["clv"].round(2).to_numpy(),
            "prob_alive": chosen["prob_alive"].round(4).to_numpy(),
        }
    ).sort_values("clv", ascending=False)
    return files.write_audience(out, directory, name.removesuffix(".csv"))
