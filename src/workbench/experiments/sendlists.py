"""A designed campaign's member-level files, written only into ``audience_dir``.

The assignment list and one send list per treatment arm and channel.

``write_campaign_files(assignments, members, audience_dir, ...)`` writes

* ``assignments.csv``: ``member_id, arm, stratum, assigned_at`` (every arm, the control included): after the
  campaign it is ``data.campaign`` of the campaign report, which measures the outcomes from the log;
* ``sms_<arm>.csv``: ``member_id, mobile``, the mobile number in national format (Taiwan ``09xxxxxxxx``, Hong
  Kong 8 digits); numbers that are not a mobile number of the brand's country are left out;
* ``edm_<arm>.csv``: ``member_id, email`` (trimmed, lower-cased; addresses that are not ``x@y.z`` left out);
* ``line_<arm>.csv``: ``member_id, line_id``, when the members table has a ``line_id`` column;
* ``meta_<arm>.csv``: a Meta (Facebook) custom-audience customer list with the columns of Meta's template,
  ``email`` and ``phone``, each the SHA-256 hex digest of the value normalised as Meta documents it: e-mail
  trimmed and lower-cased; phone digits only, leading zeros dropped, the country code prefixed (``0912-345-678``
  -> ``886912345678``; a number written with ``+`` or ``00`` already carries its country code). No member id
  and no raw contact data are in that file.

The control arm gets no send list (it is not contacted). A list with fewer than ``min_size`` members (1,000:
Meta's minimum for a customer list, and a useful floor for any send) is flagged ``small``; the result says
so for the design brief. Normalising and hashing run in DuckDB (``sha256``), not row by row in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench import files
from workbench.errors import ArgumentError
from workbench.schema import require_columns, run_sql

__all__ = ["CHANNELS", "COUNTRIES", "MIN_LIST_SIZE", "SendLists", "contact_lists", "write_campaign_files"]

CHANNELS: tuple[str, ...] = ("sms", "edm", "line", "meta")
"""The send-list formats: SMS, e-mail (EDM), LINE, Meta custom audience."""
COUNTRIES: dict[str, tuple[str, str, str]] = {
    "TW": ("886", "'0' || substr(e164, 4)", r"09[0-9]{8}"),
    "HK": ("852", "substr(e164, 4)", r"[4-9][0-9]{7}"),
}
"""Country -> (calling code, SQL for the national number from ``e164``, national mobile pattern)."""
MIN_LIST_SIZE = 1000
"""Fewer members than this in a list is flagged (Meta's minimum for a customer list)."""


def _contacts_sql(country: str, has: set[str]) -> str:
    code, national, mobile = COUNTRIES[country]

    def col(name: str) -> str:
        return f"CAST(m.{name} AS VARCHAR)" if name in has else "CAST(NULL AS VARCHAR)"

    return f"""
WITH c AS (
    SELECT a.order_, a.member_id, a.arm, {col("phone")} AS phone, lower(trim({col("email")})) AS email,
           nullif(trim({col("line_id")}), '') AS line_id
    FROM assignments a LEFT JOIN members m USING (member_id)
),
p AS (
    SELECT *, regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') AS digits FROM c
),
e AS (
    SELECT *,
           CASE WHEN digits = '' THEN NULL
                WHEN ltrim(coalesce(phone, '')) LIKE '+%' THEN ltrim(digits, '0')
                WHEN digits LIKE '00%' THEN ltrim(digits, '0')
                ELSE '{code}' || ltrim(digits, '0') END AS e164
    FROM p
)
SELECT order_, member_id, arm,
       CASE WHEN e164 LIKE '{code}%' AND regexp_full_match({national}, '{mobile}') THEN {national} END AS mobile,
       CASE WHEN regexp_full_match(email, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+') THEN email END AS email,
       line_id,
       CASE WHEN regexp_full_match(email, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+') THEN sha256(email) END AS email_sha256,
       CASE WHEN length(e164) >= 8 THEN sha256(e164) END AS phone_sha256
FROM e ORDER BY order_
"""


def contact_lists(assignments: pd.DataFrame, members: pd.DataFrame, *, country: str = "TW") -> pd.DataFrame:
    """Every assigned member's normalised contacts.

    ``member_id, arm, mobile, email, line_id, email_sha256, phone_sha256`` (missing where the members table
    has none or it is not valid; see the module docstring).

    Parameters
    ----------
    assignments : DataFrame
        ``member_id`` and ``arm``.
    members : DataFrame
        The members table with contact columns (``workbench.data.read_members(..., contacts=True)``).
    country : {"TW", "HK"}
        The brand's country: the calling code prefixed to national numbers and the national mobile format.

    Returns
    -------
    DataFrame
        One row per assigned member, in the assignments' order.
    """
    if country not in COUNTRIES:
        raise ArgumentError(f"contact_lists: country must be one of {', '.join(COUNTRIES)}; got {country!r}")
    require_columns(assignments, ("member_id", "arm"), "contact_lists", what="the assignments")
    require_columns(members, ("member_id",), "contact_lists", what="the members table")
    has = {c for c in ("phone", "email", "line_id") if c in members.columns}
    left = pd.DataFrame(
        {"member_id": assignments["member_id"].astype("str"), "arm": assignments["arm"].astype("str")}
    )
    left["order_"] = range(len(left))
    right = members[["member_id", *sorted(has)]].copy()
    right["member_id"] = right["member_id"].astype("str")
    for c in has:
        right[c] = right[c].astype("str")
    out = run_sql(_contacts_sql(country, has), assignments=left, members=right).to_pandas()
    out = out.drop(columns="order_")
    for c in out.columns:
        out[c] = out[c].astype("str")
    return out


@dataclass(frozen=True)
class SendLists:
    """What ``write_campaign_files`` wrote (or would write without an ``audience_dir``): counts only.

    ``lists``: one row per treatment arm and channel: ``arm, channel, members`` (in the arm), ``reachable``
    (with a usable contact for the channel: the list's rows), ``small`` (``reachable < min_size``), ``file``
    (the file name, "" when nothing was written). ``missing``: channels left out and why (``line``: the
    members table has no ``line_id``).
    """

    lists: pd.DataFrame
    min_size: int
    written: bool
    folder: str
    missing: dict

    @property
    def small(self) -> pd.DataFrame:
        """The lists under ``min_size`` members."""
        return self.lists[self.lists["small"]]


def write_campaign_files(
    assignments: pd.DataFrame,
    members: pd.DataFrame | None,
    audience_dir: str | Path | None,
    *,
    control: str = "control",
    channels: tuple[str, ...] = CHANNELS,
    country: str = "TW",
    min_size: int = MIN_LIST_SIZE,
) -> SendLists:
    """Write ``assignments.csv`` and the send lists into ``audience_dir`` (see the module docstring).

    Parameters
    ----------
    assignments : DataFrame
        ``member_id, arm, stratum, assigned_at`` (``workbench.experiments.plan_campaign``).
    members : DataFrame or None
        The members table with its contact columns; ``None``: no send lists (only the assignment list).
    audience_dir : str, Path or None
        The brand's folder for member-level files; empty or ``None`` = write nothing (the counts are still
        computed for the design brief).
    control : str
        The control arm (no send list).
    channels : tuple of str
        Any of ``CHANNELS``.
    country : {"TW", "HK"}
        The brand's country (phone formats).
    min_size : int
        Lists with fewer members are flagged ``small``.

    Returns
    -------
    SendLists
        Counts per arm and channel (aggregates only: safe for the design brief).
    """
    bad = [c for c in channels if c not in CHANNELS]
    if bad:
        raise ArgumentError(f"write_campaign_files: channels must be among {', '.join(CHANNELS)}; got {bad}")
    require_columns(assignments, ("member_id", "arm"), "write_campaign_files", what="the assignments")
    write = bool(audience_dir)
    if write:
        listing = assignments[[c for c in ("member_id", "arm", "stratum", "assigned_at") if c in assignments]]
        files.write_audience(listing, audience_dir, "assignments")
    missing: dict[str, str] = {}
    rows = []
    if members is None:
        missing = dict.fromkeys(channels, "no members table")
        channels = ()
    elif "line" in channels and "line_id" not in members.columns:
        missing["line"] = "no line_id column in the members table"
        channels = tuple(c for c in channels if c != "line")
    contacts = contact_lists(assignments, members, country=country) if channels else None
    arms = [a for a in dict.fromkeys(assignments["arm"].astype("str")) if a != control]
    for arm in arms:
        mine = contacts[contacts["arm"] == arm] if contacts is not None else None
        n = int((assignments["arm"].astype("str") == arm).sum())
        for channel in channels:
            table = _channel_table(mine, channel)
            name = f"{channel}_{arm}"
            if write:
                files.write_audience(table, audience_dir, name)
            rows.append(
                {
                    "arm": arm,
                    "channel": channel,
                    "members": n,
                    "reachable": len(table),
                    "small": len(table) < min_size,
                    "file": f"{name}.csv" if write else "",
                }
            )
    lists = pd.DataFrame(rows, columns=["arm", "channel", "members", "reachable", "small", "file"])
    return SendLists(lists, int(min_size), write, str(audience_dir or ""), missing)


def _channel_table(contacts: pd.DataFrame, channel: str) -> pd.DataFrame:
    if channel == "sms":
        t = contacts.loc[contacts["mobile"].notna(), ["member_id", "mobile"]]
    elif channel == "edm":
        t = contacts.loc[contacts["email"].notna(), ["member_id", "email"]]
    elif channel == "line":
        t = contacts.loc[contacts["line_id"].notna(), ["member_id", "line_id"]]
    else:  # meta: hashes only, Meta's column names, no member id
        keep = contacts["email_sha256"].notna() | contacts["phone_sha256"].notna()
        t = contacts.loc[keep, ["email_sha256", "phone_sha256"]].rename(
            columns={"email_sha256": "email", "phone_sha256": "phone"}
        )
    return t.reset_index(drop=True)
