"""Text helpers shared by the parsers of real exports (``workbench.data.dates``, ``workbench.data.amounts``) and the channel labels of POS and e-commerce back offices.

``to_arrow_text`` turns any text column into one pyarrow string array, NFKC-normalised (full-width digits,
``＄``, ``／``, ``：``, ideographic spaces -> ASCII) and trimmed; the parsers then work on whole columns with
pyarrow compute (RE2 regular expressions in C++) and numpy, with no per-row Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def to_arrow_text(values: pd.Series | pa.Array) -> pa.Array:
    """A text column as one pyarrow string array (nulls kept), NFKC-normalised only when non-ASCII occurs."""
    if isinstance(values, pd.Series):
        arr = pa.array(values.array, from_pandas=True) if len(values) else pa.array([], pa.string())
    else:
        arr = values
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.large_string())
    if not pc.all(pc.string_is_ascii(arr)).as_py() and len(arr):
        # full-width digits, ＄, ／, ： and ideographic spaces -> ASCII; U+2212 MINUS SIGN -> '-'
        arr = pc.replace_substring(pc.utf8_normalize(arr, form="NFKC"), "\u2212", "-")
    return pc.utf8_trim_whitespace(arr)


def digits_int(field: pa.Array) -> np.ndarray:
    """Digits (or '' for an unmatched group) -> int64 with -1 for absent."""
    field = pc.if_else(pc.equal(field, ""), pa.scalar(None, field.type), field)
    return pc.fill_null(pc.cast(field, pa.int64()), -1).to_numpy(zero_copy_only=False)


def concat_text(*parts: pa.Array) -> pa.Array:
    """Element-wise concatenation of string arrays (nulls as empty)."""
    parts = [pc.fill_null(p, "") for p in parts]
    return pc.binary_join_element_wise(*parts, pa.scalar("", parts[0].type))


def joined_fields(struct: pa.StructArray, *names: str) -> pa.Array:
    """The named fields of a regex match struct, concatenated (an unmatched group counts as empty)."""
    return concat_text(*(struct.field(n) for n in names))


# Channel labels as POS and e-commerce back offices write them, normalised (lower case; spaces, hyphens,
# dots and underscores removed) -> the canonical channel. Anything else stays as it was written.
CHANNEL_LABELS: dict[str, str] = {
    **dict.fromkeys(
        ["store", "stores", "shop", "offline", "pos", "retail", "instore", "physical", "brickandmortar",
         "門市", "實體", "實體店", "實體門市", "實體通路", "店舖", "店鋪", "門店", "分店", "專櫃", "櫃點",
         "百貨", "百貨專櫃", "線下", "线下", "门店", "门市", "實體店舖", "實體店鋪"],
        "store",
    ),
    **dict.fromkeys(
        ["online", "web", "website", "ecommerce", "ec", "eshop", "webshop", "app", "mobileapp", "internet",
         "網路", "網路商店", "網購", "線上", "线上", "官網", "官方網站", "官方網路商店", "網店", "網站", "電商",
         "电商", "网店", "网络", "網上", "網上商店", "網上商城", "購物網站", "線上商店"],
        "online",
    ),
}  # fmt: skip


def channel_of(label: str) -> str:
    """The canonical channel (``store``/``online``) a label stands for, or the label itself."""
    key = "".join(ch for ch in label.strip().lower() if ch not in " -._\u3000")
    return CHANNEL_LABELS.get(key, label)
