"""Plain helpers and constants that test files of more than one room (or several files of one room) share.

Fixtures live in the conftest.py files (``tests/conftest.py`` for those of several rooms, ``tests/<room>/``
for one room's); the report run helpers are in ``report_kit.py``. Importable as ``kit`` because pyproject
sets ``pythonpath = ["tests"]``.

* ``write_text_file``: a text file in a given encoding (the data loader, ``workbench validate``);
* ``taiwan_export`` / ``TAIWAN_COLUMNS``: the demo log as a Taiwanese POS/Excel export;
* ``params_file``: a params file with a ``data:`` block (``DataParams``, ``workbench validate``);
* ``uci_style_export`` / ``UCI_PARAMS``: a line-level export with guests and two date formats, and its params;
* ``small_kpi_log``: the three-member log of the KPI tests (``workbench.kpis``, ``workbench.text.overview``);
* ``lifetimes_quietly``, ``CDNOW_CAL_END``, ``CDNOW_END``: the CLV tests' reference library and CDNOW split;
* ``tier_program``: the Member / Silver / Gold programme of the tier tests, with changes;
* ``HILLSTROM_*`` / ``hillstrom_row``: the Hillstrom e-mail experiment's arms, metrics and result rows;
* ``run_notebook`` / ``notebook_outputs`` / ``notebook_text``: a report notebook executed by papermill, and
  what it shows (the notebook tests);
* ``cdnow_pos_export``: the real CDNOW log as a Taiwanese Big5 POS export (the end-to-end report test).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------------- data


def write_text_file(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def taiwan_export(tx: pd.DataFrame) -> pd.DataFrame:
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


def params_file(tmp_path, data: str, name: str = "common.yaml"):
    """``tmp_path/params/<name>``: month, language and the YAML text ``data`` (a ``data:`` block)."""
    folder = tmp_path / "params"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("month: '2026-10'\nlanguage: zh-TW\n" + data, encoding="utf-8")
    return path


TAIWAN_COLUMNS = {
    "member_id": "會員編號",
    "ordered_at": "交易日期",
    "amount": "金額",
    "order_id": "訂單編號",
    "discount": "折扣",
    "channel": "通路",
    "store": "門市",
}


def uci_style_export(rng, n_lines: int = 3000) -> pd.DataFrame:
    """A line-level export in the UCI Online Retail shape: invoices of several lines, quantity and unit price
    (decimal comma), cancellations (``C`` invoices, negative quantities), guest lines (no CustomerID), and
    dates in two formats (``12/06/2010 10:08`` and ``2/20/11 11:39``, as after an edit in Excel)."""
    members = [f"{c:05d}" for c in rng.choice(np.arange(12346, 18288), 300, replace=False)]
    rows = []
    line = 0
    invoice = 536365
    while line < n_lines:
        invoice += 1
        when = pd.Timestamp("2010-12-01 08:26") + pd.Timedelta(minutes=int(rng.integers(0, 365 * 24 * 60)))
        stamp = f"{when:%m/%d/%Y %H:%M}" if rng.random() < 0.5 else f"{when.month}/{when.day}/{when:%y %H:%M}"
        customer = "" if rng.random() < 0.15 else str(rng.choice(members))
        cancel = rng.random() < 0.05
        for _ in range(int(rng.integers(1, 6))):
            qty = int(rng.integers(1, 24)) * (-1 if cancel else 1)
            price = round(float(rng.choice([0.42, 0.85, 1.25, 2.55, 3.39, 4.95, 7.65, 12.75])), 2)
            rows.append(
                {
                    "InvoiceNo": ("C" if cancel else "") + str(invoice),
                    "StockCode": str(int(rng.integers(10000, 99999))),
                    "Description": "WHITE HANGING HEART T-LIGHT HOLDER",
                    "Quantity": str(qty),
                    "InvoiceDate": stamp,
                    "UnitPrice": f"{price:.2f}".replace(".", ","),
                    "CustomerID": customer,
                    "Country": "United Kingdom",
                }
            )
            line += 1
    return pd.DataFrame(rows)


UCI_PARAMS = {
    "columns": {
        "member_id": "CustomerID",
        "ordered_at": "InvoiceDate",
        "quantity": "Quantity",
        "unit_price": "UnitPrice",
        "order_id": "InvoiceNo",
    },
    "date_format": ["%m/%d/%Y %H:%M", "%m/%d/%y %H:%M"],
    "currency": "USD",
    "observation_end": "2011-12-31",
}


# --------------------------------------------------------------------------------------------- KPIs


def small_kpi_log() -> pd.DataFrame:
    """Three members over three months, with an order of two lines, a return and a cross-month order."""
    from workbench.schema import finalize_transactions

    rows = [
        # member A: first purchase in January (order of two lines), again in February, return in March
        ("A", "2026-01-05 10:00", 100.0, "o1", "store", 0.0),
        ("A", "2026-01-05 10:00", 50.0, "o1", "store", 10.0),
        ("A", "2026-02-10 12:00", 200.0, "o2", "online", 0.0),
        ("A", "2026-03-01 09:00", -50.0, "o1-R", "store", 0.0),
        # member B: first purchase in February, again in March (two orders)
        ("B", "2026-02-20 15:00", 300.0, "o3", "online", 30.0),
        ("B", "2026-03-03 11:00", 80.0, "o4", "store", 0.0),
        ("B", "2026-03-25 18:00", 120.0, "o5", "online", 0.0),
        # member C: only in March
        ("C", "2026-03-30 20:00", 400.0, "o6", "store", 0.0),
        # after the report month: ignored
        ("A", "2026-04-01 00:00", 999.0, "o7", "store", 0.0),
    ]
    frame = pd.DataFrame(
        rows, columns=["member_id", "ordered_at", "amount", "order_id", "channel", "discount"]
    )
    return finalize_transactions(frame)


# --------------------------------------------------------------------------------------------- CLV

CDNOW_CAL_END, CDNOW_END = "1997-09-30", "1998-06-30"


def lifetimes_quietly():
    """The ``lifetimes`` package (the reference implementation), imported with its warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
        import lifetimes.utils
    return lifetimes


# --------------------------------------------------------------------------------------------- tiers

TIER_BASE = {
    "tiers": [
        {"name": "Member", "upgrade": 0},
        {
            "name": "Silver",
            "upgrade": 10000,
            "renewal": 8000,
            "benefits": {"birthday_voucher": 200, "member_day_multiplier": 2, "discount": 0.03},
        },
        {
            "name": "Gold",
            "upgrade": 30000,
            "renewal": 24000,
            "benefits": {"birthday_voucher": 500, "member_day_multiplier": 3, "gift": 300, "discount": 0.05},
        },
    ],
    "costs": {"voucher_redemption": 0.5, "point_value": 0.01, "member_day_share": 0.2},
}


def tier_program(**changes):
    """``TierProgram.from_dict`` of ``TIER_BASE`` with top-level ``changes`` and per-tier ``tier_changes``."""
    from workbench.tiers import TierProgram

    spec = {**TIER_BASE, "tiers": [dict(t) for t in TIER_BASE["tiers"]]}
    tier_changes = changes.pop("tier_changes", {})
    for t in spec["tiers"]:
        t.update(tier_changes.get(t["name"], {}))
    spec.update(changes)
    return TierProgram.from_dict(spec)


# --------------------------------------------------------------------------------------------- experiments

HILLSTROM_CONTROL = "No E-Mail"
HILLSTROM_ARMS = ("Mens E-Mail", "Womens E-Mail")
HILLSTROM_METRICS = {"visit": "binary", "conversion": "binary", "spend": "continuous"}


def hillstrom_row(result, arm, metric):
    """The one row of an ``analyze`` result for ``arm`` and ``metric``."""
    r = result[(result["arm"] == arm) & (result["metric"] == metric)]
    assert len(r) == 1
    return r.iloc[0]


# --------------------------------------------------------------------------------------------- notebooks

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_notebook(name: str, out_dir, **parameters) -> dict:
    """``notebooks/<name>.ipynb`` executed by papermill (kernel ``python3``, cwd ``notebooks/``) with
    ``parameters``; the executed notebook as a dict (``out_dir/<name>.ipynb``)."""
    import json

    import papermill

    out = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        log_output=False,
    )
    return json.loads(out.read_text(encoding="utf-8"))


def notebook_outputs(nb: dict) -> list[dict]:
    """Every output of the notebook's code cells, in order."""
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


def notebook_text(nb: dict) -> str:
    """All text the report shows (HTML, Markdown, plain text, streams); images left out."""
    parts = []
    for o in notebook_outputs(nb):
        for mime in ("text/html", "text/markdown", "text/plain"):
            value = o.get("data", {}).get(mime)
            if value:
                parts.append("".join(value) if isinstance(value, list) else value)
        if o["output_type"] == "stream":
            parts.append(o["text"] if isinstance(o["text"], str) else "".join(o["text"]))
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------- CDNOW as a POS export

CDNOW_COLUMNS = {
    "order_id": "交易序號",
    "member_id": "會員編號",
    "ordered_at": "交易日期",
    "amount": "消費金額",
    "store": "門市",
    "channel": "通路",
}
_FULL_WIDTH = str.maketrans("0123456789,$/", "０１２３４５６７８９，＄／")


def cdnow_pos_export(cdnow: pd.DataFrame, rng, *, scale: float = 1.0) -> pd.DataFrame:
    """The real CDNOW log as a Taiwanese POS export (headers ``CDNOW_COLUMNS``): receipt numbers, ROC dates
    (``86/01/01`` and ``民國86年1月1日``), ``NT$`` text amounts with thousands separators (``scale`` x the
    dollars), a tenth of the amounts and dates in full-width digits, four stores (one of them the online shop)
    and their channel labels (門市 / 網路商店)."""
    import numpy as np

    n = len(cdnow)
    when = cdnow["ordered_at"]
    roc_year = (when.dt.year - 1911).astype(str)
    slash = roc_year + when.dt.strftime("/%m/%d")
    long = "民國" + roc_year + "年" + when.dt.month.astype(str) + "月" + when.dt.day.astype(str) + "日"
    dates = np.where(rng.random(n) < 0.5, slash, long)
    money = np.array([f"NT${a:,.2f}" for a in cdnow["amount"].to_numpy() * scale], dtype=object)
    wide = rng.random(n) < 0.1
    money[wide] = [m.translate(_FULL_WIDTH) for m in money[wide]]
    dates = np.where(rng.random(n) < 0.1, pd.Series(dates).str.translate(_FULL_WIDTH), dates)
    stores = np.array(["台北信義店", "台中公益店", "高雄夢時代店", "官方網路商店"])
    store = stores[rng.integers(0, len(stores), n)]
    return pd.DataFrame(
        {
            CDNOW_COLUMNS["order_id"]: [f"R{i:07d}" for i in range(n)],
            CDNOW_COLUMNS["member_id"]: cdnow["member_id"].to_numpy(),
            CDNOW_COLUMNS["ordered_at"]: dates,
            CDNOW_COLUMNS["amount"]: money,
            CDNOW_COLUMNS["store"]: store,
            CDNOW_COLUMNS["channel"]: np.where(store == "官方網路商店", "網路商店", "門市"),
        }
    )


# --------------------------------------------------------------------------------------------- engines
EXACT_SUMMARY_COLUMNS = ("frequency", "recency", "T", "orders", "first_purchase", "last_purchase")
SUM_SUMMARY_COLUMNS = ("monetary_value", "total_spend", "returns_amount", "net_spend")


def assert_same_summary(got, ref) -> None:
    """Two member summaries are the same: members, counts, periods and times exactly; money (sums whose
    order differs between engines) to 1e-12 relative."""
    import numpy as np

    assert list(got.index) == list(ref.index)
    for col in EXACT_SUMMARY_COLUMNS:
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy(), err_msg=col)
    for col in SUM_SUMMARY_COLUMNS:
        np.testing.assert_allclose(
            got[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12, atol=1e-9, err_msg=col
        )


def assert_same_frame(got, ref, *, rtol: float = 1e-12) -> None:
    """Same index and columns; integer, text and time columns equal, float columns to ``rtol`` (NaN = NaN)."""
    import numpy as np
    import pandas as pd

    assert got.index.equals(ref.index)
    assert list(got.columns) == list(ref.columns)
    for col in ref.columns:
        a, b = got[col], ref[col]
        if pd.api.types.is_float_dtype(b.dtype):
            np.testing.assert_allclose(
                a.to_numpy(float), b.to_numpy(float), rtol=rtol, atol=1e-9, err_msg=col
            )
        else:
            pd.testing.assert_series_equal(a, b, check_names=False, obj=col)
