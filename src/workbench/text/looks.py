"""A campaign seen from a monthly report, in words: which look this is, the decision, the trend table.

Everything here formats a ``workbench.experiments.CampaignLook`` / ``CampaignMonitor`` (and the final
analysis' ``Verdict``); nothing computes a statistic. Catalog: ``locales/experiments.yaml``
(``experiments.look.*``, ``experiments.decision.*``, ``experiments.status.*``, ``experiments.trend.*``).
"""

from __future__ import annotations

import pandas as pd

from workbench.experiments import CampaignLook, CampaignMonitor, Verdict
from workbench.i18n import date_label, money, number, t
from workbench.text.experiments import arm_label, decision_sentence, look_label
from workbench.text.html import paragraph_html


def look_sentence(look: CampaignLook, lang: str) -> str:
    """What kind of analysis the page is, in plain words: a look of a running campaign, or the final one.

    Parameters
    ----------
    look : CampaignLook
        The report month's look.
    lang : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    str
    """
    dates = {
        "start": date_label(look.window_start, lang),
        "end": date_label(look.window_end, lang),
    }
    if look.status == "not_started":
        return t("experiments.look.not_started", lang, **dates)
    if look.status == "ended":
        return t("experiments.look.ended", lang, looks=look.looks, **dates)
    return t(
        "experiments.look.running",
        lang,
        look=look_label(look, lang),
        as_of=date_label(look.as_of, lang),
        **dates,
    )


def look_banner_html(look: CampaignLook, lang: str) -> str:
    """``look_sentence`` as an escaped banner (``wb-look``; amber while running, grey when ended).

    Parameters
    ----------
    look, lang
        As for ``look_sentence``.

    Returns
    -------
    str
        ``<div class="wb-look wb-look-<status>">...</div>``.
    """
    import html

    color, border = {"running": ("#fff8e1", "#f9a825"), "ended": ("#eceff1", "#546e7a")}.get(
        look.status, ("#eceff1", "#90a4ae")
    )
    text = html.escape(look_sentence(look, lang))
    return (
        f'<div class="wb-look wb-look-{look.status}" style="background:{color};border-left:6px solid {border};'
        f'padding:0.8em 1em;font-size:1.05em">{text}</div>'
    )


def campaign_status(
    look: CampaignLook, monitor: CampaignMonitor | None, verdict: Verdict | None, lang: str
) -> str:
    """The campaign's status in a few words, for the month's index: running, look k / decided / unclear.

    A running campaign is *decided* only when the always-valid interval of targeted - blanket excludes zero
    (``monitor.decision``); an ended one by the final, fixed-horizon verdict (``verdict``).

    Parameters
    ----------
    look : CampaignLook
        The report month's look.
    monitor : CampaignMonitor, optional
        ``monitor_campaign`` of a running campaign.
    verdict : Verdict, optional
        The final analysis' verdict (``CampaignEconomics.verdict``) of an ended campaign.
    lang : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    str
    """
    if look.status == "not_started":
        return t("experiments.status.not_started", lang, start=date_label(look.window_start, lang))
    if look.running:
        decision = monitor.decision if monitor is not None else None
        if decision is not None and decision.outcome != "not_yet_decided":
            return t(f"experiments.status.running_{decision.outcome}", lang, look=look_label(look, lang))
        return t("experiments.status.running", lang, look=look_label(look, lang))
    outcome = verdict.outcome if verdict is not None else None
    if outcome in ("targeted_better", "blanket_better"):
        return t(f"experiments.status.ended_{outcome}", lang)
    return t("experiments.status.ended_unclear", lang)


def decision_html(monitor: CampaignMonitor, lang: str, currency: str = "TWD") -> str:
    """``decision_sentence`` as escaped, emphasised HTML (``wb-decision``; arm names are data text).

    Parameters
    ----------
    monitor, lang, currency
        As for ``decision_sentence``.

    Returns
    -------
    str
    """
    import html

    text = html.escape(decision_sentence(monitor, lang, currency))
    return f'<p class="wb-decision"><strong>{text}</strong></p>'


def trend_note_html(monitor: CampaignMonitor, lang: str) -> str:
    """How the trend was made (recomputed from the log at each month-end, or this look only), as a note.

    Parameters
    ----------
    monitor : CampaignMonitor
        The monitor whose ``trend`` is shown.
    lang : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    str
    """
    d = monitor.decision
    key = "experiments.trend.note" if monitor.recomputed else "experiments.trend.note_table"
    text = t(
        key,
        lang,
        targeted=arm_label(d.targeted, lang),
        blanket=arm_label(d.blanket, lang),
        n_star=number(monitor.sequential_tuning),
    )
    if monitor.look.status == "ended":
        text = f"{text} {t('experiments.trend.ended', lang)}"
    return paragraph_html(text, note=True)


def trend_display(monitor: CampaignMonitor, lang: str, currency: str = "TWD"):
    """The trend (one row per month-end look) as display strings and ``table()`` options.

    Parameters
    ----------
    monitor : CampaignMonitor
        Its ``trend`` frame (``TREND_COLUMNS``).
    lang : str
        ``zh-TW`` or ``en``.
    currency : str
        Of the amounts.

    Returns
    -------
    tuple of (DataFrame, dict)
        Columns ``look, as_of, estimate, always_valid, fixed, decision``; the ``table()`` headers.
    """
    fmt = lambda v: money(v, currency)  # noqa: E731
    looks = monitor.look.looks
    rows = [
        {
            "look": t("experiments.look.label", lang, k=int(r.look_number), n=looks),
            "as_of": date_label(r.as_of, lang),
            "estimate": fmt(r.estimate),
            "always_valid": f"{fmt(r.ci_low)} – {fmt(r.ci_high)}",
            "fixed": f"{fmt(r.fixed_ci_low)} – {fmt(r.fixed_ci_high)}",
            "decision": t(f"experiments.trend.outcome.{r.outcome}", lang),
        }
        for r in monitor.trend.itertuples(index=False)
    ]
    columns = ["look", "as_of", "estimate", "always_valid", "fixed", "decision"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame, {"headers": {c: t(f"experiments.trend.col.{c}", lang) for c in columns}}
