"""workbench.report.failure: a failed notebook's error without values of member rows on the management
pages (index, run.json, the month's error.txt), the whole error for the analyst outside the month.

``redact`` is checked on the loader's own wording (a real ``DataValidationError``); the end-to-end test
makes the fixture notebook fail with a message that names rows, a phone number and an e-mail address,
and then reads every published file, and (marker ``browser``) the pages in Chromium.
"""

from __future__ import annotations

import json

import pytest
from report_kit import PROJECT_MONTH as MONTH
from report_kit import PageCheck, make_project, open_browser, write_counts
from report_kit import run_project as run

from workbench.data import DataValidationError, load_transactions
from workbench.report import redact

PHONE, EMAIL = "0912-345-678", "amy.chen@example.com.tw"
VALUES = (PHONE, EMAIL, "A12345678", "886912345678")


def test_redact_keeps_rows_and_columns_and_drops_the_values(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text(
        f"member_id,ordered_at,amount\n0001,2024-01-01,{PHONE}\n0002,{EMAIL},5\n0003,2024-01-02,A12345678\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as caught:
        load_transactions(path)
    message = str(caught.value)
    assert PHONE in message and EMAIL in message  # the analyst's console gets the values
    shown = redact(message)
    for value in (PHONE, EMAIL, "A12345678"):
        assert value not in shown, shown
    assert "column 'amount'" in shown and "(row 1, row 3)" in shown and "column 'ordered_at'" in shown
    assert "(row 2)" in shown and "members.csv" in shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("KeyError: 'amy.chen@example.com.tw'", "KeyError: '<e-mail>'"),
        ("call 0912 345 678 or +886912345678", "call <number> or <number>"),
        ("rows 3, 5 and 7: 'x,y'", "rows 3, 5 and 7"),
        ('(row 12: <empty>, row 13: "it\'s")', "(row 12, row 13)"),
        ("dates after 2026-10-31 (row 1234567: '2026-11-02')", "dates after 2026-10-31 (row 1234567)"),
        ("postgresql://u:pw@db/x failed", "postgresql://u:***@db/x failed"),
    ],
)
def test_redact(text, shown):
    assert redact(text) == shown


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    """A good run, then one whose counts notebook fails naming rows with a phone number and an e-mail."""
    import numpy as np

    root = make_project(tmp_path_factory.mktemp("failing"), np.random.default_rng(7))
    assert run(root) == 0
    message = f"members.csv: column 'phone': 2 rows bad (row 3: '{PHONE}', row 9: '{EMAIL}'); also A12345678"
    (root / "data" / "bad_rows.txt").write_text(message + " and 886912345678", encoding="utf-8")
    write_counts(root, {"fail_with": "../data/bad_rows.txt"})
    assert run(root) == 1
    return root


def test_published_failure_names_rows_not_values(failed_run):
    out = failed_run / "reports"
    month_dir = out / MONTH
    for path in month_dir.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not [v for v in VALUES if v in text], path.name
    error = (month_dir / "counts.error.txt").read_text(encoding="utf-8")
    assert "ValueError: members.csv: column 'phone': 2 rows bad (row 3, row 9)" in error
    entry = next(
        r for r in json.loads((month_dir / "run.json").read_text())["reports"] if r["name"] == "counts"
    )
    assert entry["error"]["error"].startswith(
        "ValueError: members.csv: column 'phone': 2 rows bad (row 3, row 9)"
    )
    assert entry["last_good"] is not None and (month_dir / "counts.html").is_file()  # the good copy is kept
    # the whole error, values and traceback, is for the analyst, outside the published month
    full = (out / ".logs" / MONTH / "counts.error.txt").read_text(encoding="utf-8")
    assert PHONE in full and EMAIL in full and "Traceback" in full
    assert (out / ".logs" / MONTH / "counts.failed.ipynb").is_file()


@pytest.mark.browser
def test_the_failed_month_shows_no_values_in_a_browser(failed_run):
    month_dir = failed_run / "reports" / MONTH
    with open_browser() as browser:
        for name in ("index.html", "counts.error.txt", "../index.html"):
            check, context, page = PageCheck.open(browser, month_dir / name)
            text = page.inner_text("body")
            context.close()
            assert check.problems == []
            assert not [v for v in VALUES if v in text], name
            if name == "index.html":
                assert "(row 3, row 9)" in text
