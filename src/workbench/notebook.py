"""What report notebooks call for setup, for every text they show, and for the parts of the page the report runner reads.

Text is always text: ``heading``, ``paragraph``, ``findings``, ``table``, ``kpi_cards`` and ``show_html``
are the ONE way a notebook displays words and tables. Each escapes what it shows (``workbench.text.escape``:
a tier or store name ``[金卡](javascript:alert(1))``, ``**bold**``, ``<script>`` or ``$x$`` shows as written,
never as a link, emphasis, markup or maths) and wraps the output with ``workbench.text.inert_html``, so
that neither JupyterLab (whose MathJax typesets Markdown and HTML outputs) nor the exported page reads
``NT$1,200 – NT$1,500`` as maths. Notebooks never call ``display(Markdown(...))``.

Contract with ``workbench.report``:

* ``headlines({...})`` emits the notebook's headline figures (label -> formatted value) as display data
  of MIME type ``application/vnd.workbench.headlines+json``; the runner lists them in the month's index.
  nbconvert's HTML export ignores that MIME type, so nothing shows in the report itself.
* ``findings([...], lang)`` shows plain-language findings as an escaped HTML list (the first five as the
  management summary, further ones collapsed below).
"""

from __future__ import annotations

from workbench import text as words

HEADLINES_MIME = "application/vnd.workbench.headlines+json"


def headlines(mapping: dict[str, str]) -> None:
    """Display the report's headline figures (label -> shown value) for ``run.json`` and the index."""
    from IPython.display import display

    values = {str(k): str(v) for k, v in mapping.items()}
    # notebooks are saved with sorted JSON keys: keep the author's order of the labels in the metadata
    display({HEADLINES_MIME: values}, metadata={HEADLINES_MIME: {"order": list(values)}}, raw=True)


def findings(
    sentences: list[str],
    lang: str = "zh-TW",
    *,
    title: str | None = None,
    limit: int = words.SUMMARY_FINDINGS,
) -> None:
    """Display :func:`workbench.text.findings_html`: the report's summary for management (call it before the detail).

    Parameters
    ----------
    sentences : list of str
        Plain sentences, most important first.
    lang : str
        ``zh-TW`` or ``en`` (the heading's language).
    title : str, optional
        Heading instead of "Findings".
    limit : int
        How many open the summary; the rest are collapsed below.
    """
    show_html(words.findings_html(sentences, lang, title=title, limit=limit))


def show_html(markup: str) -> None:
    """Display HTML built by ``workbench.text`` (already escaped), wrapped so nothing typesets it as maths.

    Parameters
    ----------
    markup : str
        Escaped HTML (e.g. ``workbench.text.experiments.verdict_html``); never raw data text.
    """
    from IPython.display import HTML, display

    display(HTML(words.inert_html(markup)))


def heading(text: str, level: int = 2) -> None:
    """Display a heading (1: the report's title, 2: a section, 3: a subsection), escaped.

    Parameters
    ----------
    text : str
        The heading, e.g. ``t("clv.title", language)``.
    level : int
        1 to 4.
    """
    show_html(words.heading_html(text, level))


def paragraph(text: str, *, note: bool = False) -> None:
    """Display prose, escaped: never Markdown (links, emphasis, images) and never maths.

    Parameters
    ----------
    text : str
        Plain text (paragraphs separated by a blank line).
    note : bool
        In the muted style of a side note.
    """
    show_html(words.paragraph_html(text, note=note))


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
    """IPython ``image/png`` formatter.

    The figure at twice its dpi (sharp on phones and in print), shown at its nominal width, reduced to a
    256-colour palette (about 4x smaller, no visible change for plots), with the figure's title as ``alt``
    (the report template writes it to ``<img>``).
    """
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
    """Pandas display options for analysts in JupyterLab, and local warnings filters for library noise.

    (The report runner additionally drops every stderr output from the exported HTML.)
    """
    import warnings

    import pandas as pd

    pd.set_option("display.max_columns", 40)
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.width", 160)
    pd.set_option("display.precision", 3)
    for module in QUIET_MODULES:
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.filterwarnings("ignore", category=category, module=module)


def table(frame, lang: str = "zh-TW", **kw) -> None:
    """Display :func:`words.table_html` (escaped, formatted) in the notebook / report.

    Parameters
    ----------
    frame : DataFrame
        An aggregate table (never member rows).
    lang : str
        ``zh-TW`` or ``en``.
    **kw
        ``formats``, ``headers``, ``index``, ``caption`` of ``workbench.text.table_html``.
    """
    show_html(words.table_html(frame, lang, **kw))


def kpi_cards(items) -> None:
    """Display :func:`words.kpi_cards_html` (``(label, value[, change])`` items, escaped).

    Parameters
    ----------
    items : iterable of tuple
        Formatted strings.
    """
    show_html(words.kpi_cards_html(items))
