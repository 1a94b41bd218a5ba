"""What report notebooks call for setup and for the parts of the page the report runner reads.

Contract with ``workbench.report``:

* ``headlines({...})`` emits the notebook's headline figures (label -> formatted value) as display data
  of MIME type ``application/vnd.workbench.headlines+json``; the runner lists them in the month's index.
  nbconvert's HTML export ignores that MIME type, so nothing shows in the report itself.
* ``findings([...], lang)`` shows plain-language findings as an escaped HTML list (the first five as the
  management summary, further ones collapsed below).
"""

from __future__ import annotations

import html
import re

HEADLINES_MIME = "application/vnd.workbench.headlines+json"


def headlines(mapping: dict[str, str]) -> None:
    from IPython.display import display

    values = {str(k): str(v) for k, v in mapping.items()}
    # notebooks are saved with sorted JSON keys: keep the author's order of the labels in the metadata
    display({HEADLINES_MIME: values}, metadata={HEADLINES_MIME: {"order": list(values)}}, raw=True)


SUMMARY_FINDINGS = 5
"""At most this many findings open a report (the management summary: three to five plain sentences)."""


def findings_html(
    sentences: list[str], lang: str = "zh-TW", *, title: str | None = None, limit: int = SUMMARY_FINDINGS
) -> str:
    """The findings as an escaped HTML section: the first ``limit`` (most important first) as the summary,
    any further ones in a collapsed "more findings" list below it (nothing is dropped)."""
    from workbench.i18n import t

    heading = html.escape(title or t("common.findings", lang))
    shown, more = list(sentences[:limit]), list(sentences[limit:])
    items = "".join(f"<li>{html.escape(str(s))}</li>" for s in shown)
    extra = ""
    if more:
        label = html.escape(t("common.more_findings", lang, n=len(more)))
        rest = "".join(f"<li>{html.escape(str(s))}</li>" for s in more)
        extra = f'<details class="wb-more-findings"><summary>{label}</summary><ul>{rest}</ul></details>'
    return f'<section class="wb-findings"><h3>{heading}</h3><ul>{items}</ul>{extra}</section>'


def findings(
    sentences: list[str], lang: str = "zh-TW", *, title: str | None = None, limit: int = SUMMARY_FINDINGS
) -> None:
    """Display :func:`findings_html`: the report's summary for management (call it before the detail)."""
    from IPython.display import HTML, display

    display(HTML(findings_html(sentences, lang, title=title, limit=limit)))


# --------------------------------------------------------------------------------------------------------
# Setup of a report notebook, and escaped building blocks (tables, KPI cards) for management HTML.


def figure_alt(fig) -> str:
    """Alt text of a figure: its suptitle, else its axes' titles, else "y / x" from the axis labels."""
    parts: list[str] = []
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text().strip():
        parts.append(suptitle.get_text().strip())
    else:
        for ax in fig.get_axes():
            title = ax.get_title().strip() or ax.get_title(loc="left").strip()
            if title:
                parts.append(title)
            elif ax.get_ylabel() or ax.get_xlabel():
                parts.append(" / ".join(x for x in (ax.get_ylabel(), ax.get_xlabel()) if x))
    return "; ".join(dict.fromkeys(parts))


def _png_with_alt(fig):
    """IPython ``image/png`` formatter: the figure at twice its dpi (sharp on phones and in print), shown
    at its nominal width, reduced to a 256-colour palette (about 4x smaller, no visible change for plots),
    with the figure's title as ``alt`` (the report template writes it to ``<img>``)."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.canvas.print_figure(buf, format="png", dpi=2 * fig.dpi, bbox_inches="tight", facecolor="white")
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    small = image.quantize(256, method=Image.Quantize.FASTOCTREE)
    palette = small.getpalette() or []
    rgb = [tuple(palette[i : i + 3]) for i in range(0, len(palette), 3)]
    if rgb:  # the background stays pure white (the octree may map it to 254, a faint box on the page)
        nearest = min(range(len(rgb)), key=lambda i: sum(255 - c for c in rgb[i]))
        if sum(255 - c for c in rgb[nearest]) <= 9:
            palette[3 * nearest : 3 * nearest + 3] = [255, 255, 255]
            small.putpalette(palette)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    metadata = {"width": max(1, image.width // 2)}
    alt = figure_alt(fig)
    if alt:
        metadata["alt"] = alt
    return base64.b64encode(out.getvalue()).decode("ascii"), metadata


def setup(language: str = "zh-TW") -> None:
    """Call once at the top of every report notebook (after the parameters cell).

    Checks the language, sets the plot style, makes matplotlib use an installed CJK font
    (``workbench.i18n.configure_fonts``; a missing font raises ``FontSetupError`` naming the package), and
    makes figures display sharp PNGs carrying their title as alt text. Returns nothing (so that a cell
    ending in ``setup(...)`` shows nothing in the report).
    """
    import importlib

    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.figure import Figure

    from workbench.i18n import check_language, configure_fonts

    check_language(language)
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        shell = None
    if shell is not None:
        # The inline backend registers its PNG formatter (and may apply its own rcParams) when its module is
        # first imported, lazily at the first plot: import it now, before the style, fonts and formatter.
        backend = plt.get_backend()
        if backend.startswith("module://"):
            importlib.import_module(backend.removeprefix("module://"))
    sns.set_theme(style="whitegrid", context="notebook")
    configure_fonts(language)
    plt.rcParams.update(
        {
            "figure.figsize": (8.0, 4.5),
            "figure.dpi": 100,
            "axes.titleweight": "bold",
            # text is text: "NT$100 – NT$200" or a store name with two "$" must not turn into math
            "text.parse_math": False,
        }
    )
    _display_and_warnings()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, _png_with_alt)


#: Third-party modules whose deprecation notices (about their own use of pandas/numpy/scipy) are not
#: actionable for a report reader; filtered in the kernel only, never via PYTHONWARNINGS.
QUIET_MODULES = ("lifetimes", "statsmodels", "seaborn", "autograd", "papermill", "nbformat")


def _display_and_warnings() -> None:
    """pandas display options for analysts in JupyterLab, and local warnings filters for library noise.
    (The report runner additionally drops every stderr output from the exported HTML.)"""
    import warnings

    import pandas as pd

    pd.set_option("display.max_columns", 40)
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.width", 160)
    pd.set_option("display.precision", 3)
    for module in QUIET_MODULES:
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.filterwarnings("ignore", category=category, module=module)


def _cell(value, fmt) -> str:
    import pandas as pd

    if fmt is not None:
        return fmt(value)
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# a figure already formatted as text ("NT$1,234", "-4.5%", "+1.2 個百分點", "1,234.6萬", "–") is right-aligned
_FORMATTED_NUMBER = re.compile(
    r"^\s*[+\-−]?\s*(?:NT\$|HK\$|US\$|[A-Z]{3}\s)?[+\-−]?\d[\d,]*(?:\.\d+)?\s*"
    r"(?:%|萬|億|K|M|B|x|×|\s?個百分點|\s?pp|\s?s)?\s*$|^\s*[–—-]\s*$"
)


def _is_text_column(column) -> bool:
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        return True
    if pd.api.types.is_numeric_dtype(column):
        return False
    values = [v for v in column.tolist() if isinstance(v, str)]
    return not values or not all(_FORMATTED_NUMBER.match(v) for v in values)


def table_html(
    frame,
    lang: str = "zh-TW",
    *,
    formats: dict | None = None,
    headers: dict[str, str] | None = None,
    index: bool = False,
    caption: str | None = None,
) -> str:
    """A frame as an HTML table in which EVERY header and cell is escaped (data such as store or campaign
    names may contain markup). ``formats`` maps column -> callable returning the shown text (e.g.
    ``lambda v: money(v, currency)``); ``headers`` maps column -> shown header (e.g. ``t("clv.x", lang)``).
    Text columns are left-aligned, numbers right-aligned. Never pass member-level frames to a management
    report: tables there are aggregates."""

    from workbench.i18n import check_language

    check_language(lang)
    formats = formats or {}
    headers = headers or {}
    frame = frame.reset_index() if index else frame
    esc = html.escape
    text_cols = {c for c in frame.columns if _is_text_column(frame[c])}
    left = ' class="wb-text"'
    head = "".join(
        f'<th scope="col"{left if c in text_cols else ""}>{esc(str(headers.get(c, c)))}</th>'
        for c in frame.columns
    )
    rows = []
    for values in frame.itertuples(index=False, name=None):
        tds = "".join(
            f"<td{left if c in text_cols else ''}>{esc(_cell(v, formats.get(c)))}</td>"
            for c, v in zip(frame.columns, values, strict=True)
        )
        rows.append(f"<tr>{tds}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<table class="wb-table">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def table(frame, lang: str = "zh-TW", **kw) -> None:
    """Display :func:`table_html` (escaped, formatted) in the notebook / report."""
    from IPython.display import HTML, display

    display(HTML(table_html(frame, lang, **kw)))


def kpi_cards_html(items) -> str:
    """Headline figures as cards: ``items`` = iterable of ``(label, value)`` or ``(label, value, change)``
    (already formatted strings, e.g. from ``money``/``pct``); all text escaped."""
    esc = html.escape
    cards = []
    for item in items:
        label, value, *rest = item
        change = f'<span class="wb-kpi-change">{esc(str(rest[0]))}</span>' if rest and rest[0] else ""
        cards.append(
            f'<li class="wb-kpi"><span class="wb-kpi-label">{esc(str(label))}</span>'
            f'<span class="wb-kpi-value">{esc(str(value))}</span>{change}</li>'
        )
    return f'<ul class="wb-kpis">{"".join(cards)}</ul>'


def kpi_cards(items) -> None:
    """Display :func:`kpi_cards_html`."""
    from IPython.display import HTML, display

    display(HTML(kpi_cards_html(items)))
