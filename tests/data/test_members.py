"""workbench.data.members: the members table and the assignment list, read and validated like the log."""

from __future__ import annotations

import pandas as pd
import pytest
from kit import write_text_file

from workbench.data import DataValidationError, read_assignments, read_members


def test_members_table_without_and_with_contacts(demo, tmp_path):
    demo.write(tmp_path)
    plain = read_members(tmp_path / "members.parquet")
    assert list(plain.columns) == ["member_id", "joined_at", "birth_month", "home_channel", "home_store"]
    assert plain["member_id"].tolist() == demo.members["member_id"].tolist()
    assert str(plain["joined_at"].dtype) == "datetime64[us]" and str(plain["birth_month"].dtype) == "Int64"
    full = read_members(tmp_path / "members.parquet", contacts=True)
    assert list(full.columns)[-3:] == ["phone", "email", "line_id"]
    assert full["email"].dropna().eq(full["email"].dropna().str.strip()).all()  # trimmed
    demo.members.to_csv(tmp_path / "members.csv", index=False)
    csv = read_members(tmp_path / "members.csv", contacts=True)
    assert (
        csv["member_id"].iloc[0] == "0000001" and csv["birth_month"].tolist() == plain["birth_month"].tolist()
    )
    assert read_members("") is None and read_members(None) is None


def test_bad_members_tables_are_named_with_rows(tmp_path):
    path = write_text_file(
        tmp_path / "members.csv",
        "member_id,joined_at,birth_month\n00012,2024-01-05,3\n12,2024-01-05,13\n00012,someday,1\n",
    )
    with pytest.raises(DataValidationError) as err:
        read_members(path)
    text = str(err.value)
    assert "members.csv: 4 problems found in the members table" in text
    assert (
        "1 row with digit-only member ids shorter than the zero-padded width 5" in text
        and "row 2: '12'" in text
    )
    assert "repeating a member id listed on an earlier row (row 3: '00012')" in text
    assert "column 'joined_at': 1 row with dates that cannot be parsed (row 3: 'someday')" in text
    assert "column 'birth_month': 1 row with a birth month outside 1..12 (row 2: '13')" in text
    with pytest.raises(DataValidationError, match="required column 'member_id' missing"):
        read_members(pd.DataFrame({"id": ["1"]}))


def test_assignment_lists(tmp_path):
    path = write_text_file(
        tmp_path / "list.csv",
        "member_id,arm,stratum,assigned_at,sent\n007,vip,Q1,2026-09-01,true\n010,control,Q2,2026-09-01,false\n",
    )
    a = read_assignments(path)
    assert a["member_id"].tolist() == ["007", "010"] and a["arm"].tolist() == ["vip", "control"]
    assert a["assigned_at"].dt.day.tolist() == [1, 1] and a["sent"].tolist() == [True, False]
    bad = write_text_file(tmp_path / "bad.csv", "member_id,arm,revenue\n001,vip,10\n002,,x\n")
    with pytest.raises(DataValidationError) as err:
        read_assignments(bad)
    assert "bad.csv: 1 problem found in the campaign assignment list" in str(err.value)
    assert "column 'arm': 1 row without a value (arm is required) (row 2: <empty>)" in str(err.value)
    with pytest.raises(DataValidationError, match=r"required column 'arm' missing \(headers: 'member_id'\)"):
        read_assignments(write_text_file(tmp_path / "no_arm.csv", "member_id\n1\n"))
    recorded = read_assignments(
        write_text_file(tmp_path / "rec.csv", "member_id,arm,revenue\n1,a,10.5\n2,b,0\n")
    )
    assert recorded["revenue"].tolist() == [10.5, 0.0]  # numbers of a CSV are numbers


@pytest.mark.parametrize(
    ("reader", "what", "param"),
    [
        (read_members, "the members table", "members"),
        (read_assignments, "the campaign assignment list", "campaign"),
    ],
)
def test_a_missing_file_is_named_as_its_table_and_param(tmp_path, reader, what, param):
    with pytest.raises(DataValidationError) as e:
        reader(tmp_path / "nowhere.csv")
    assert str(e.value).startswith(f"{tmp_path / 'nowhere.csv'}: 1 problem found in {what}:")
    assert f"no such file: check data.{param} " in str(e.value) and "transactions" not in str(e.value)
