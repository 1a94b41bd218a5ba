"""workbench.experiments.sendlists: the files' columns, Meta's hashes against hashlib on the documented
normalisation, national mobile numbers, the under-1,000 flag, and nothing written outside audience_dir."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest

from workbench.data import read_assignments
from workbench.errors import ArgumentError
from workbench.experiments import CHANNELS, CampaignPlan, contact_lists, write_campaign_files
from workbench.experiments.plan import Channel, Country
from workbench.experiments.sendlists import COUNTRIES

MEMBERS = pd.DataFrame(
    {
        "member_id": ["001", "002", "003", "004", "005", "006"],
        "phone": ["0912-345-678", "+886 912 345 679", "00886-912345680", "(02) 2345-6789", None, "912345681"],
        "email": [" Foo.Bar@Example.COM ", "b@example.com", "not-an-email", None, "e@example.com", ""],
        "line_id": ["U1", None, "U3", " ", "U5", "U6"],
    }
)
ASSIGNED = pd.DataFrame(
    {
        "member_id": ["001", "002", "003", "004", "005", "006", "007"],
        "arm": ["gift", "gift", "gift", "gift", "gift", "control", "gift"],
        "stratum": ["Q1"] * 7,
        "assigned_at": pd.Timestamp("2026-11-01"),
    }
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def meta_phone(raw: str, code: str) -> str:
    """Meta's normalisation written out: digits only, no leading zeros, the country code in front."""
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("+") or digits.startswith("00"):
        return digits.lstrip("0")
    return code + digits.lstrip("0")


def test_contacts_are_normalised_as_documented():
    c = contact_lists(ASSIGNED, MEMBERS).set_index("member_id")
    assert (
        c["mobile"].tolist()[:4] == ["0912345678", "0912345679", "0912345680", None]
        or c["mobile"].iloc[3] != c["mobile"].iloc[3]
    )
    assert c.loc["004", "mobile"] != c.loc["004", "mobile"]  # a landline is no SMS number (NaN)
    assert c.loc["006", "mobile"] == "0912345681"  # written without the trunk zero
    assert c.loc["001", "email"] == "foo.bar@example.com"
    assert pd.isna(c.loc["003", "email"]) and pd.isna(c.loc["006", "email"])
    assert pd.isna(c.loc["004", "line_id"]) and c.loc["005", "line_id"] == "U5"
    assert pd.isna(c.loc["007", "mobile"]) and pd.isna(c.loc["007", "email"])  # not in the members table
    for mid, raw in zip(MEMBERS["member_id"], MEMBERS["phone"], strict=True):
        expected = sha(meta_phone(raw, "886")) if isinstance(raw, str) else None
        assert (c.loc[mid, "phone_sha256"] if pd.notna(c.loc[mid, "phone_sha256"]) else None) == expected, mid
    assert c.loc["001", "phone_sha256"] == sha("886912345678")
    assert c.loc["003", "phone_sha256"] == sha("886912345680")
    assert c.loc["001", "email_sha256"] == sha("foo.bar@example.com")
    assert c.loc["002", "email_sha256"] == sha("b@example.com")
    hk = contact_lists(
        pd.DataFrame({"member_id": ["1", "2"], "arm": ["a", "a"]}),
        pd.DataFrame({"member_id": ["1", "2"], "phone": ["+852 9123 4567", "2345 6789"]}),
        country="HK",
    ).set_index("member_id")
    assert hk.loc["1", "mobile"] == "91234567" and hk.loc["1", "phone_sha256"] == sha("85291234567")
    assert pd.isna(hk.loc["2", "mobile"]) and hk.loc["2", "phone_sha256"] == sha("85223456789")


def test_files_have_their_columns_and_stay_in_audience_dir(tmp_path):
    out = tmp_path / "audience"
    lists = write_campaign_files(ASSIGNED, MEMBERS, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["assignments.csv", "edm_gift.csv", "line_gift.csv", "meta_gift.csv", "sms_gift.csv"]
    assert [p for p in tmp_path.iterdir()] == [out]  # nothing beside the audience folder
    read = {n: pd.read_csv(out / n, dtype=str) for n in names}
    assert list(read["assignments.csv"].columns) == ["member_id", "arm", "stratum", "assigned_at"]
    assert list(read["sms_gift.csv"].columns) == ["member_id", "mobile"]
    assert list(read["edm_gift.csv"].columns) == ["member_id", "email"]
    assert list(read["line_gift.csv"].columns) == ["member_id", "line_id"]
    assert list(read["meta_gift.csv"].columns) == ["email", "phone"]  # Meta's template, hashes only
    assert read["sms_gift.csv"]["member_id"].tolist() == ["001", "002", "003"]  # ids keep their zeros
    assert read["sms_gift.csv"]["mobile"].tolist() == ["0912345678", "0912345679", "0912345680"]
    assert read["edm_gift.csv"]["email"].tolist() == ["foo.bar@example.com", "b@example.com", "e@example.com"]
    meta = read["meta_gift.csv"]
    assert len(meta) == 5 and meta.stack().dropna().str.fullmatch(r"[0-9a-f]{64}").all()
    raw = "|".join(v for v in MEMBERS[["phone", "email"]].to_numpy().ravel() if isinstance(v, str))
    text = (out / "meta_gift.csv").read_text(encoding="utf-8")
    assert not any(part.strip() and part.strip().lower() in text for part in raw.split("|"))
    assert "001" not in text  # no member id either
    # the assignment list reads back as the campaign report's input
    back = read_assignments(out / "assignments.csv")
    assert back["member_id"].tolist() == ASSIGNED["member_id"].tolist() and back["arm"].iloc[-1] == "gift"
    # counts per arm and channel; the control gets no list; every list here is under 1,000
    t = lists.lists.set_index("channel")
    assert lists.written and set(lists.lists["arm"]) == {"gift"}
    assert (
        t.loc["sms", "reachable"] == 3 and t.loc["meta", "reachable"] == 5 and t.loc["line", "reachable"] == 3
    )
    assert (t["members"] == 6).all() and t["small"].all() and len(lists.small) == 4


def test_under_1000_flag_and_no_files_without_audience_dir(demo, tmp_path):
    a = demo.assignments
    lists = write_campaign_files(a, demo.members, "", control="control", min_size=1000)
    assert not lists.written and (lists.lists["file"] == "").all()
    by = lists.lists.set_index(["arm", "channel"])
    counts = a["arm"].value_counts()
    for (arm, _channel), row in by.iterrows():
        assert row["members"] == counts[arm]
        assert row["small"] == (row["reachable"] < 1000)
    assert by["small"].any() and not by["small"].all()  # e-mail and LINE lists fall under 1,000 here
    no_line = write_campaign_files(a, demo.members.drop(columns="line_id"), None)
    assert "line" not in set(no_line.lists["channel"]) and "line_id" in no_line.missing["line"]
    assert set(write_campaign_files(a, None, None).missing) == set(CHANNELS)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_are_named():
    with pytest.raises(ArgumentError, match="channels must be among sms, edm, line, meta; got \\['fax'\\]"):
        write_campaign_files(ASSIGNED, MEMBERS, None, channels=("fax",))
    with pytest.raises(ArgumentError, match="country must be one of TW, HK; got 'JP'"):
        contact_lists(ASSIGNED, MEMBERS, country="JP")


def test_plan_choices_agree_with_the_send_lists():
    assert set(Channel.__args__) == set(CHANNELS) and set(Country.__args__) == set(COUNTRIES)
    assert CampaignPlan.__dataclass_fields__["channels"].default == CHANNELS
