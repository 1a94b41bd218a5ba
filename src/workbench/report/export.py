"""HTML export of the management reports: self-contained, code-free, readable on laptop, phone and paper.

For the report runner (``workbench.report``)::

    from workbench.report.exporter import report_exporter

    exporter = report_exporter(language)          # language = the notebook's "language" param
    body, resources = exporter.from_notebook_node(executed_nb)
    Path(out, f"{name}.html").write_text(body, encoding="utf-8")

``report_exporter(language, *, title=None, subtitle=None, footer=None)`` returns a configured
:class:`ManagementHTMLExporter` (an ``nbconvert.HTMLExporter``) that

* hides all code: no inputs, no ``In [ ]``/``Out[ ]`` prompts (``--no-input``);
* uses the ``report`` template (``report/templates/report/``, based on nbconvert's ``classic`` cell
  markup) with one inline stylesheet: no require.js, jQuery, MathJax, mermaid, widget scripts or any
  CDN link, no ``<script>`` at all; JavaScript/widget outputs are dropped, never run;
* embeds every image as a ``data:`` URI and gives each ``<img>`` an ``alt`` text (the figure's title, set
  by ``workbench.notebook.setup()``; else the nearest heading above it; else "Chart" in the language);
* drops stderr streams (warnings) and stray matplotlib reprs (``<Axes: ...>``) from outputs;
* neutralizes active content as a safety net: an HTML/Markdown output carrying a script, event handler,
  frame or remote image (e.g. an unescaped store name ``<script>alert(1)</script>``) is escaped so it
  shows as text (``ScriptGuardPreprocessor``; notebooks should still escape data text themselves);
* sets ``<html lang>`` from the language (``zh-Hant-TW`` / ``en``) and ``<title>`` from ``title`` or the
  report's first heading;
* prints cleanly to PDF (print CSS: A4, no breaks inside figures and tables, repeated table headers).

:func:`notebook_html` is the one-call form: ``notebook_html(nb, language, **kw) -> str``; :func:`export_html`
writes the management page of an executed notebook file.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Unicode

from workbench import files
from workbench.i18n import HTML_LANG, check_language, t
from workbench.notebook import HEADLINES_MIME

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "report"

IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# a bare object repr left by a cell ending in a plot call: '<Axes: ...>', '<Figure size ...>', '[<...Line2D ...>]'
_OBJECT_REPR = re.compile(
    r"^\s*(<[^<>]*( at 0x[0-9a-fA-F]+|Axes|Figure size|matplotlib)[^<>]*>\s*)+$"
    r"|^\s*(\[)?\s*<(matplotlib\.[\w.]+|Figure|Axes|AxesSubplot|Text|Line2D|BarContainer)\b.*>\s*(\])?\s*$",
    re.S,
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_HTML_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def report_css() -> str:
    """The report stylesheet (the template inlines it into every report)."""
    return (TEMPLATE_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


def _plain(text: str) -> str:
    import html

    return html.unescape(_TAG.sub("", text)).strip()


def _headings(markdown: str = "", outputs=()) -> list[str]:
    """Headings shown by Markdown text and by Markdown/HTML display outputs, in order."""
    found = [m.group(1) for m in _HEADING.finditer(markdown)]
    for out in outputs:
        data = out.get("data", {})
        if "text/markdown" in data:
            found += [m.group(1) for m in _HEADING.finditer(data["text/markdown"])]
        elif "text/html" in data:
            found += [m.group(1) for m in _HTML_HEADING.finditer(data["text/html"])]
    return [h for h in (_plain(x).strip("*_ ") for x in found) if h]


def keep_output(out: dict) -> bool:
    """Whether an output belongs on a management page (no stderr, errors, widget views or bare object reprs).

    Drops the headlines payload and widget views from the output's data as it goes.
    """
    kind = out.get("output_type")
    if kind == "stream":
        return out.get("name") != "stderr"  # warnings, logging, progress bars
    if kind == "error":
        return False
    if kind in ("display_data", "execute_result"):
        data = out.get("data", {})
        data.pop(HEADLINES_MIME, None)
        if (
            data.pop(WIDGET_MIME, None) is not None
        ):  # a widget's text is its repr ("FloatProgress(value=0.0, ...)")
            return False
        if not data:
            return False
        if set(data) == {"text/plain"}:
            text = data["text/plain"]
            return not _OBJECT_REPR.match("".join(text) if isinstance(text, list) else text)
    return True


def clean_for_report(nb) -> None:
    """Drop what management must not see: stderr/warnings, errors, widget views, bare object reprs."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if keep_output(out)]


class ReportCleanupPreprocessor(Preprocessor):
    """Applies :func:`clean_for_report` and drops code cells left without outputs (an empty block)."""

    def preprocess(self, nb, resources):
        """Clean the notebook for the report and drop code cells without outputs."""
        clean_for_report(nb)
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.outputs]
        return nb, resources


# Markup that can run code or fetch from the network. Data text (store, segment, campaign names) reaching
# an HTML or Markdown output unescaped shows up as one of these.
_DANGEROUS_HTML = (
    r"<\s*/?\s*(script|iframe|object|embed|link|meta|base|form|svg|math|frame|frameset|applet)\b"
    r"|<[a-z][^<>]*\son\w+\s*="  # an event handler inside a tag
    r"|<[a-z][^<>]*\s(?:href|src|action|formaction)\s*=\s*[\"']?\s*javascript:"
    r"|<\s*img\b[^<>]*\ssrc\s*=\s*(?![\"']?data:)"
)
_DANGEROUS = re.compile(_DANGEROUS_HTML + r"|\]\(\s*javascript:", re.I)  # ... or a Markdown link
_DANGEROUS_IN_HTML = re.compile(_DANGEROUS_HTML, re.I)  # in HTML, "[x](javascript:...)" is only text
SAFE_TAGS = frozenset(
    "a abbr b blockquote br caption code col colgroup dd del details div dl dt em figcaption figure h1 h2 h3 "
    "h4 h5 h6 hr i ins kbd li mark ol p pre q s section small span strong style sub summary sup table "
    "tbody td tfoot th thead tr u ul".split()
)
SAFE_ATTRIBUTES = {
    "*": ["class", "id", "title", "lang", "dir"],
    "a": ["href", "title"],
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan", "scope"],
    "table": ["border"],
    "col": ["span"],
    "style": ["scoped"],
}


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    return name in SAFE_ATTRIBUTES.get(tag, ()) or name in SAFE_ATTRIBUTES["*"]


def has_active_content(markup: str, *, markdown: bool = True) -> bool:
    """Whether HTML/Markdown text contains a script, an event handler, a frame, a ``javascript:`` URL or an image fetched from somewhere other than a ``data:`` URI.

    Parameters
    ----------
    markup : str
        HTML or Markdown text.
    markdown : bool
        Also count a Markdown link to ``javascript:`` (``[x](javascript:...)``); False for HTML, where that
        is inert text (e.g. an escaped tier name).

    Returns
    -------
    bool
    """
    return bool((_DANGEROUS if markdown else _DANGEROUS_IN_HTML).search(markup))


def neutralize_html(markup: str) -> str:
    """HTML with every tag outside a harmless allow-list ESCAPED (shown as text, never run), including ``<img>`` (plots come as image outputs, not inside HTML), and attributes outside the list dropped; links only to http(s)/mailto/anchors."""
    import bleach

    return bleach.clean(
        markup,
        tags=SAFE_TAGS,
        attributes=_allowed_attribute,
        protocols=["http", "https", "mailto", "data"],
        strip=False,
        strip_comments=True,
    )


def neutralize_markdown(text: str) -> str:
    """Markdown whose raw HTML is shown as text: ``<`` and ``>`` become entities (Markdown keeps them)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ScriptGuardPreprocessor(Preprocessor):
    """Safety net for management reports.

    An HTML or Markdown output (or Markdown cell) that carries active content is neutralized, so
    ``<script>alert(1)</script>`` from a store or campaign name shows as text. Notebooks should escape data
    text themselves (``workbench.notebook.table``, ``findings``, ``html.escape``); the count of neutralized
    outputs is kept in ``resources["workbench"]["neutralized"]`` and logged as a warning.
    """

    def preprocess(self, nb, resources):
        """Neutralise Markdown cells with active content (links, HTML, maths) into inert text."""
        count = 0
        for cell in nb.cells:
            if cell.cell_type == "markdown" and has_active_content(cell.source):
                cell.source = neutralize_markdown(cell.source)
                count += 1
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                for mime, neutralize in (
                    ("text/html", neutralize_html),
                    ("text/markdown", neutralize_markdown),
                ):
                    text = data.get(mime)
                    text = "".join(text) if isinstance(text, list) else text
                    if text and has_active_content(text, markdown=mime == "text/markdown"):
                        data[mime] = neutralize(text)
                        count += 1
                data.pop("application/javascript", None)
        resources.setdefault("workbench", {})["neutralized"] = count
        if count:
            self.log.warning("workbench: neutralized active content in %d output(s) of the report", count)
        return nb, resources


class AltTextPreprocessor(Preprocessor):
    """Gives every image output an ``alt`` text.

    Keeps one set by the notebook (output metadata ``{"image/png": {"alt": ...}}``, as
    ``workbench.notebook.setup()`` does from the figure title), else the nearest heading above the image, else
    the localized word for a chart. Also records the report's first heading as
    ``resources["workbench"]["first_heading"]`` (used for ``<title>``).
    """

    language = Unicode("zh-TW").tag(config=True)

    def preprocess(self, nb, resources):
        """Give every figure an alt text (the figure's own, else its section heading) and collect them."""
        fallback = t("common.chart", self.language)
        heading = None
        wb = resources.setdefault("workbench", {})
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                for mime in IMAGE_MIMES:
                    if mime not in data:
                        continue
                    meta = out.setdefault("metadata", {})
                    per_mime = meta.setdefault(mime, {})
                    alt = per_mime.get("alt") or meta.get("alt") or cell.get("metadata", {}).get("alt")
                    per_mime["alt"] = str(alt) if alt else (heading or fallback)
                found = _headings(outputs=[out])
                if found:
                    heading = found[-1]
                    wb.setdefault("first_heading", found[0])
            if cell.cell_type == "markdown":
                found = _headings(cell.source)
                if found:
                    heading = found[-1]
                    wb.setdefault("first_heading", found[0])
        return nb, resources


class ManagementHTMLExporter(HTMLExporter):
    """Code-free, script-free, self-contained HTML for management (see the module docstring)."""

    language = Unicode("zh-TW", help="report language: zh-TW or en").tag(config=True)
    report_title = Unicode("", help="<title>; default: the report's first heading").tag(config=True)
    subtitle = Unicode("", help="small line above the report (e.g. brand and month)").tag(config=True)
    footer = Unicode("", help="footer line (e.g. run time and data fingerprint)").tag(config=True)

    def _preprocess(self, nb, resources):
        nb_copy, resources = super()._preprocess(nb, resources)
        wb = resources.setdefault("workbench", {})
        name = resources.get("metadata", {}).get("name", "")
        wb["title"] = self.report_title or wb.get("first_heading") or nb.metadata.get("title") or name
        wb["subtitle"] = self.subtitle
        wb["footer"] = self.footer
        wb["html_lang"] = HTML_LANG[self.language]
        return nb_copy, resources


def report_exporter(
    language: str, *, title: str = "", subtitle: str = "", footer: str = ""
) -> ManagementHTMLExporter:
    """The exporter for one management report in ``language`` (``zh-TW`` or ``en``)."""
    check_language(language)
    exporter = ManagementHTMLExporter(
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        template_name=TEMPLATE_NAME,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language=language,
        report_title=title,
        subtitle=subtitle,
        footer=footer,
    )
    exporter.register_preprocessor(ReportCleanupPreprocessor(), enabled=True)
    exporter.register_preprocessor(ScriptGuardPreprocessor(), enabled=True)
    exporter.register_preprocessor(AltTextPreprocessor(language=language), enabled=True)
    return exporter


def notebook_html(nb: nbformat.NotebookNode | str | Path, language: str, **kw) -> str:
    """Code-free management HTML of an executed notebook (a node or a path)."""
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    body, _ = report_exporter(language, **kw).from_notebook_node(nb)
    return body


def export_html(
    executed: Path, target: Path, *, language: str, title: str, subtitle: str = "", footer: str = ""
) -> None:
    """Write the management page of an executed notebook file to ``target`` (atomically).

    Parameters
    ----------
    executed : Path
        The executed ``.ipynb``.
    target : Path
        The ``.html`` to write.
    language : str
        ``zh-TW`` or ``en``.
    title, subtitle, footer : str
        Page title, the line above it (the month) and the footer (run and data fingerprint).
    """
    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = title
    exporter = report_exporter(language, title=title, subtitle=subtitle, footer=footer)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    files.write_text(target, body)
