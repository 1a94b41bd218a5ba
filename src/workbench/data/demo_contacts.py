"""The demo members' contact columns: obviously fake, and written the ways real exports write them.

* e-mail addresses ``member<id>@example.com``: ``example.com`` is reserved for documentation (RFC 2606);
  one in ten as typed, with capitals and spaces around it;
* mobile numbers from the one block ``0900-xxx-xxx`` (member number modulo 1,000,000, so unique up to
  1,000,000 members). No Taiwanese number range is documented as reserved for fiction or tests; the block is
  simply easy to search for. Written three ways: ``0900-123-456``, ``0900123456``, ``+886 900 123 456``;
* LINE user ids ``U`` + 32 hex digits (the member number, zero-padded): the format of a LINE user id.

About 92% of members have a phone, 75% an e-mail address, 55% a LINE id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.validation import as_str

__all__ = ["demo_contacts"]


def demo_contacts(n: int, seed: int) -> dict[str, pd.Series]:
    """Obviously fake ``phone``, ``email`` and ``line_id`` columns of the demo's ``n`` members (see the module docstring); missing for some members.

    Parameters
    ----------
    n : int
        Members (numbered 1..n as the demo's member ids).
    seed : int
        The demo's seed; the contacts are drawn from their own stream ``[seed, 17]``, so the rest of the demo
        is the same with or without them.

    Returns
    -------
    dict of str to Series
        ``phone``, ``email``, ``line_id`` (text, NaN where a member has none).
    """
    rng = np.random.default_rng([seed, 17])
    number = np.arange(1, n + 1)
    local = pa.array(number % 1_000_000).cast(pa.string())
    six = pc.utf8_lpad(local, width=6, padding="0")
    a, b = pc.utf8_slice_codeunits(six, 0, 3), pc.utf8_slice_codeunits(six, 3, 6)
    style = number % 3
    phone = pc.if_else(
        pa.array(style == 0),
        pc.binary_join_element_wise("0900-", a, "-", b, ""),
        pc.if_else(
            pa.array(style == 1),
            pc.binary_join_element_wise("0900", six, ""),
            pc.binary_join_element_wise("+886 900 ", a, " ", b, ""),
        ),
    )
    ids = pc.utf8_lpad(pa.array(number).cast(pa.string()), width=max(7, len(str(n))), padding="0")
    email = pc.binary_join_element_wise("member", ids, "@example.com", "")
    shout = pa.array(number % 10 == 0)  # some addresses as people type them: capitals, spaces around
    email = pc.if_else(shout, pc.binary_join_element_wise(" ", pc.utf8_capitalize(email), " ", ""), email)
    line = pa.array(np.char.add("U", np.char.zfill(np.char.mod("%x", number), 32)))

    def some(values: pa.Array, share: float) -> pd.Series:
        return as_str(values).where(rng.random(n) < share)

    return {"phone": some(phone, 0.92), "email": some(email, 0.75), "line_id": some(line, 0.55)}
