"""End to end, as a new brand would run it: the real CDNOW log as a Big5 POS export (Chinese headers, ROC
dates, ``NT$`` text amounts, full-width digits, store and channel labels), and a params folder outside the
project that is a copy of the project's ``params/`` with only the ``data:`` block (and in it the currency)
changed and ``notebooks_dir`` set. ``workbench report`` publishes every report, exit 0, and the tier page
says why the project's thresholds (a department store's NT$10,000 / NT$30,000 a year) do not fit a brand
of small baskets and proposes the thresholds its target shares need, computed here again with pandas."""

from __future__ import annotations

import html
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from kit import CDNOW_COLUMNS, cdnow_pos_export, notebook_text
from report_kit import REPO, read_run, run_report

from workbench.i18n import money, number, pct, t

MONTH = "1998-06"  # the latest complete month of the CDNOW log


def brand_params(folder, export) -> dict:
    """``folder/params``: the project's params, with the brand's ``data:`` block and notebooks_dir."""
    params = folder / "params"
    shutil.copytree(REPO / "params", params)
    common = yaml.safe_load((params / "common.yaml").read_text(encoding="utf-8"))
    common["data"] = {
        "transactions": f"../{export.name}",
        "columns": CDNOW_COLUMNS,
        "date_format": "roc",
        "currency": "TWD",
        "timezone": "Asia/Taipei",
    }
    (params / "common.yaml").write_text(yaml.safe_dump(common, allow_unicode=True), encoding="utf-8")
    report = yaml.safe_load((params / "report.yaml").read_text(encoding="utf-8"))
    report["notebooks_dir"] = str(REPO / "notebooks")
    (params / "report.yaml").write_text(yaml.safe_dump(report, allow_unicode=True), encoding="utf-8")
    return common


def _shown(path) -> str:
    """The text an executed notebook shows, entities (``&#36;`` for ``$``) decoded."""
    import nbformat

    return html.unescape(notebook_text(nbformat.read(path, as_version=4)))


def _changed(folder) -> dict[str, set]:
    """Top-level keys of each params file that differ from the project's."""
    out = {}
    for path in sorted((REPO / "params").glob("*.yaml")):
        mine = yaml.safe_load((folder / "params" / path.name).read_text(encoding="utf-8"))
        theirs = yaml.safe_load(path.read_text(encoding="utf-8"))
        keys = {k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
        if keys:
            out[path.name] = keys
    return out


@pytest.mark.slow  # the whole monthly run on 69,659 real transactions (~2-4 minutes on 2 cores)
def test_a_big5_pos_export_of_the_cdnow_log_publishes_every_report(tmp_path, cdnow):
    rng = np.random.default_rng(20261201)
    export = tmp_path / "銷售明細.csv"
    cdnow_pos_export(cdnow, rng).to_csv(export, index=False, encoding="cp950")
    with pytest.raises(UnicodeDecodeError):
        export.read_bytes().decode("utf-8")  # really Big5
    common = brand_params(tmp_path, export)
    assert _changed(tmp_path) == {"common.yaml": {"data"}, "report.yaml": {"notebooks_dir"}}
    assert common["data"]["currency"] == "TWD" and common["language"] == "zh-TW"

    done = run_report(tmp_path / "params", tmp_path / "reports")
    assert done.returncode == 0, done.stdout + done.stderr
    month_dir = tmp_path / "reports" / MONTH
    run = read_run(month_dir)
    names = [
        item["name"]
        for item in yaml.safe_load((REPO / "params" / "report.yaml").read_text())["notebooks"]
        if item.get("default", True)  # campaign_design (default: false) runs only with --only
    ]
    assert run["status"] == "ok"
    assert {r["name"]: r["status"] for r in run["reports"]} == dict.fromkeys(names, "ok")
    for name in names:
        assert (month_dir / f"{name}.html").is_file() and not (month_dir / f"{name}.error.txt").exists()

    # the tier page says why the thresholds do not fit, with figures from plain pandas
    lang = "zh-TW"
    year = cdnow[(cdnow["ordered_at"] > "1997-06-30") & (cdnow["ordered_at"] <= "1998-06-30 23:59:59")]
    spend = year.groupby("member_id")["amount"].sum().reindex(cdnow["member_id"].unique(), fill_value=0.0)
    positive = spend[spend > 0]
    assert positive.max() < 10_000  # nobody reaches 銀卡 (Silver)
    ranked = np.sort(spend.to_numpy())[::-1]
    gold, silver = ranked[round(0.05 * len(spend)) - 1], ranked[round(0.20 * len(spend)) - 1]
    tiers = _shown(month_dir / "tier_simulation.ipynb")
    reason = t(
        "tiers.fit.unreached",
        lang,
        tiers="銀卡（NT$10,000）和金卡（NT$30,000）",  # join_list: no spaces between CJK names
        quantile="95%",
        buyers=number(len(positive)),
        under=money(np.quantile(positive, 0.95)),
        highest=money(positive.max()),
    )
    assert reason in tiers
    assert f"門檻應為 銀卡 {money(silver)} 和 金卡 {money(gold)}" in tiers
    page = html.unescape((month_dir / "tier_simulation.html").read_text(encoding="utf-8"))
    assert "沒有任何會員達到 銀卡" in page and money(gold) in page
    # the proposal is simulated: its table shows the target shares reached
    assert pct((spend >= gold).mean()) in tiers and pct(((spend >= silver) & (spend < gold)).mean()) in tiers
    assert "目前制度（銀卡 NT$10,000 和 金卡 NT$30,000）不在此範圍內，因此未標示" in tiers  # no edge cross

    # the other pages publish on the brand's own data
    overview = _shown(month_dir / "member_overview.ipynb")
    in_month = cdnow[cdnow["ordered_at"].dt.to_period("M") == pd.Period(MONTH, freq="M")]
    assert money(in_month["amount"].sum()) in overview
    clv = _shown(month_dir / "clv.ipynb")
    assert number(cdnow["member_id"].nunique()) in clv
    campaign = _shown(month_dir / "campaign_ab.ipynb")
    assert t("experiments.no_campaign", lang) in campaign
    index = (month_dir / "index.html").read_text(encoding="utf-8")
    assert all(f"{name}.html" in index for name in names)
