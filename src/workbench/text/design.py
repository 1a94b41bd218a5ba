"""The campaign design brief in words, tables and HTML (``notebooks/campaign_design.ipynb``).

Everything here formats a ``workbench.experiments.PlannedCampaign`` and its ``SendLists``: counts and money
only (the assignments themselves are member-level and never reach these functions' output). Every text from
params or data (offers, store names in a rule, arm names) is escaped in the HTML pieces.
"""

from __future__ import annotations

import pandas as pd

from workbench.i18n import catalog, date_label, join_list, money, number, pct, t
from workbench.text.experiments import points
from workbench.text.html import escape, paragraph_html


def attribute_label(name: str, lang: str) -> str:
    """Display name of a member attribute.

    Parameters
    ----------
    name, lang : str
        An attribute of ``workbench.audience.ATTRIBUTES``; ``zh-TW`` or ``en``.

    Returns
    -------
    str
        ``design.attr.<name>`` of the catalog, else the name.
    """
    key = f"design.attr.{name}"
    return t(key, lang) if key in catalog() else str(name)


def _words(lang: str) -> dict[str, str]:
    ops = ("all", "any", "not", "in", "not_in", "between", "top_share")
    return {op: t(f"design.op.{op}", lang) for op in ops}


MONEY_ATTRIBUTES = ("spend_", "aov_", "max_order_", "discount_365d", "returns_", "to_next_tier", "clv_12m")
SHARE_ATTRIBUTES = ("online_share_365d", "discount_share_365d", "p_alive")


def value_label(value, attr: str, lang: str, currency: str = "TWD") -> str:
    """A value of a rule as shown: member types and NES groups by name, money and shares formatted.

    Parameters
    ----------
    value : object
        The rule's value.
    attr : str
        The attribute it is compared with (decides the format).
    lang, currency : str
        Language and the brand's currency.

    Returns
    -------
    str
    """
    for prefix in ("overview.segment", "overview.nes"):
        key = f"{prefix}.{value}"
        if (
            attr in ("member_type", "nes")
            and key in catalog()
            and (attr == "nes") == (prefix == "overview.nes")
        ):
            return t(key, lang)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if attr.startswith(MONEY_ATTRIBUTES):
        return money(value, currency)
    if attr in SHARE_ATTRIBUTES:
        return pct(value, 0)
    return number(value) if float(value).is_integer() else number(value, 2)


def rule_text(rule, lang: str, currency: str = "TWD") -> str:
    """An ``AudienceRule`` in words of ``lang`` (attribute labels, translated operators, formatted values).

    Parameters
    ----------
    rule : workbench.audience.AudienceRule
        The rule (or one of its steps).
    lang, currency : str
        Language and the brand's currency.

    Returns
    -------
    str
        Plain text (escape it for HTML: values may come from params or data).
    """
    return rule.describe(
        label=lambda a: attribute_label(a, lang),
        words=_words(lang),
        fmt=lambda v, a: value_label(v, a, lang, currency),
    )


def arm_name(arm: str, lang: str) -> str:
    """Display name of a designed arm.

    Parameters
    ----------
    arm, lang : str
        The arm's name in the design; ``zh-TW`` or ``en``.

    Returns
    -------
    str
        ``design.arm.<name>`` when the catalog has it, else the name.
    """
    key = f"design.arm.{arm}"
    return t(key, lang) if key in catalog() else str(arm)


def intro_html(planned, lang: str, currency: str = "TWD") -> str:
    """Who is eligible, how they are split, the window; and the rule in words.

    Parameters
    ----------
    planned : workbench.experiments.PlannedCampaign
        The design: who is eligible, the arms' split and the campaign window.
    lang, currency : str
        The report language; amounts in the brand's currency.

    Returns
    -------
    str
        Escaped HTML.
    """
    plan = planned.plan
    strata = attribute_label(plan.strata, lang) if plan.strata else t("design.no_strata", lang)
    intro = t(
        "design.intro",
        lang,
        as_of=date_label(planned.as_of, lang),
        members=number(planned.members),
        eligible=number(planned.eligible),
        share=pct(planned.eligible / planned.members if planned.members else float("nan")),
        arms=len(plan.arms),
        strata=strata,
        start=date_label(plan.start, lang),
        end=date_label(plan.end, lang),
        days=plan.days,
    )
    rule = t("design.rule_label", lang, rule=rule_text(plan.rule, lang, currency))
    return paragraph_html(intro) + paragraph_html(rule)


def design_findings(planned, lists, lang: str, currency: str = "TWD") -> list[str]:
    """Three to five sentences for management, the most important first.

    A send-list warning (when a list is under the minimum), eligible members and the split, the budget, the
    detectable effect, the files.

    Parameters
    ----------
    planned : workbench.experiments.PlannedCampaign
        The design whose size, budget and power the findings judge.
    lists : workbench.experiments.SendLists
        What the send lists hold.
    lang, currency : str
        Language and the brand's currency.

    Returns
    -------
    list of str
    """
    arms = planned.arms
    sizes = join_list([number(n) for n in arms["members"]], lang)
    out = [
        t(
            "design.finding.eligible",
            lang,
            eligible=number(planned.eligible),
            members=number(planned.members),
            share=pct(planned.eligible / planned.members if planned.members else float("nan")),
            arms=len(arms),
            sizes=sizes,
        )
    ]
    paid = arms[arms["budget"] > 0]
    parts = [
        t(
            "design.finding.budget_part",
            lang,
            arm=arm_name(r.arm, lang),
            budget=money(r.budget, currency),
            per=money(r.budget_per_member, currency),
        )
        for r in paid.itertuples(index=False)
    ]
    out.append(
        t(
            "design.finding.budget",
            lang,
            total=money(planned.budget, currency),
            parts=join_list(parts, lang) or "–",
        )
    )
    power = planned.power
    revenue = power[power["metric"] == "revenue"]
    if len(revenue):
        r = revenue.iloc[0]
        text = t(
            "design.finding.mde",
            lang,
            mde=money(r["mde"], currency),
            rel=pct(r["mde_relative"], 1),
            base=money(r["baseline"], currency),
        )
        conv = power[power["metric"] == "converted"]
        if len(conv):
            c = conv.iloc[0]
            text += " " + t(
                "design.finding.mde_conversion", lang, mde=points(c["mde"], lang), base=pct(c["baseline"], 1)
            )
        out.append(text)
    else:
        out.append(t("design.finding.no_power", lang))
    small = lists.small
    if len(lists.lists):
        if len(small):
            out.insert(
                0,
                t(
                    "design.finding.lists_small",
                    lang,
                    count=len(small),
                    total=len(lists.lists),
                    min=number(lists.min_size),
                ),
            )
        else:
            out.append(t("design.finding.lists_ok", lang, min=number(lists.min_size)))
    if lists.written:
        out.append(t("design.finding.files", lang, lists=len(lists.lists)))
    else:
        out.append(t("design.finding.no_files", lang))
    return out[:5]


def design_headlines(planned, lang: str, currency: str = "TWD") -> dict[str, str]:
    """Headline figures for the month's index.

    Parameters
    ----------
    planned : workbench.experiments.PlannedCampaign
        The design (eligible members, budget, detectable revenue change).
    lang, currency : str
        ``zh-TW`` or ``en``, and the currency of the amounts.

    Returns
    -------
    dict of str to str
        Eligible members, expected budget and (when computable) the detectable revenue change per member.
    """
    out = {
        t("design.headline.eligible", lang): number(planned.eligible),
        t("design.headline.budget", lang): money(planned.budget, currency),
    }
    revenue = planned.power[planned.power["metric"] == "revenue"]
    if len(revenue):
        out[t("design.headline.mde", lang)] = money(revenue["mde"].iloc[0], currency)
    return out


def _shown(frame: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, dict]:
    """``(frame, table() options)`` with the design's column headers in ``lang``."""
    return frame, {"headers": {c: t(f"design.col.{c}", lang) for c in frame.columns}}


def funnel_display(planned, lang: str, currency: str = "TWD"):
    """The funnel as display strings and ``table()`` options.

    Parameters
    ----------
    planned : workbench.experiments.PlannedCampaign
        The design (its ``funnel``: members left after each step of the rule).
    lang, currency : str
        Language and the brand's currency.

    Returns
    -------
    tuple of (DataFrame, dict)
        The display strings and the ``table()`` options (headers in ``lang``).
    """
    f = planned.funnel
    steps = f.attrs["rule"].steps()
    conditions = [t("design.step.all", lang)] + [rule_text(s, lang, currency) for s in steps]
    frame = pd.DataFrame(
        {
            "condition": conditions,
            "members": [number(v) for v in f["members"]],
            "removed": ["–"] + [number(v) for v in f["removed"].iloc[1:]],
            "share": [pct(v) for v in f["share"]],
        }
    )
    return _shown(frame, lang)


def arms_display(planned, lang: str, currency: str = "TWD"):
    """Arms with offers, sizes and expected budget as display strings and ``table()`` options.

    Parameters
    ----------
    planned : workbench.experiments.PlannedCampaign
        The design (its ``arms``); ``lang`` and ``currency`` as for ``funnel_display``.
    lang, currency : str

    Returns
    -------
    tuple of (DataFrame, dict)
        As ``funnel_display``: one row per arm.
    """
    a = planned.arms
    frame = pd.DataFrame(
        {
            "arm": [arm_name(x, lang) for x in a["arm"]],
            "offer": [o or t("design.no_offer", lang) for o in a["offer"]],
            "arm_share": [pct(v, 0) for v in a["share"]],
            "members": [number(v) for v in a["members"]],
            "expected_revenue": [money(v, currency) for v in a["expected_revenue"]],
            "budget": [money(v, currency) for v in a["budget"]],
            "budget_per_member": [money(v, currency) for v in a["budget_per_member"]],
        }
    )
    return _shown(frame, lang)


def power_display(planned, lang: str, currency: str = "TWD"):
    """The detectable effects (``planned.power``: one row per arm and metric) for ``table()``.

    Parameters are those of ``funnel_display``, and so is the result: ``(frame, options)``, the display
    strings and the ``table()`` options with headers in ``lang``.
    """
    rows = []
    for r in planned.power.itertuples(index=False):
        if r.metric == "revenue":
            base, mde = money(r.baseline, currency), money(r.mde, currency)
        else:
            base, mde = pct(r.baseline, 1), points(r.mde, lang)
        rows.append(
            {
                "arm": arm_name(r.arm, lang),
                "metric": t(f"design.metric.{r.metric}", lang),
                "baseline": base,
                "mde": mde,
                "mde_relative": pct(r.mde_relative, 1),
            }
        )
    frame = pd.DataFrame(rows, columns=["arm", "metric", "baseline", "mde", "mde_relative"])
    return _shown(frame, lang)


def lists_display(lists, lang: str):
    """Reachable members per arm and channel as display strings and ``table()`` options.

    Parameters
    ----------
    lists : workbench.experiments.SendLists
        What the send lists hold.
    lang : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    tuple of (DataFrame, dict)
        The display strings and the ``table()`` options (headers in ``lang``).
    """
    frame = pd.DataFrame(
        {
            "arm": [arm_name(a, lang) for a in lists.lists["arm"]],
            "channel": [t(f"design.channel.{c}", lang) for c in lists.lists["channel"]],
            "reachable": [number(v) for v in lists.lists["reachable"]],
            "of_members": [
                pct(r / m if m else float("nan"))
                for r, m in zip(lists.lists["reachable"], lists.lists["members"], strict=True)
            ],
            "small": [t("design.yes" if s else "design.no", lang) for s in lists.lists["small"]],
        }
    )
    headers = {c: t(f"design.col.{c}", lang) for c in frame.columns if c != "small"}
    headers["small"] = t("design.col.small", lang, min=number(lists.min_size))
    return frame, {"headers": headers}


def lists_notes_html(lists, lang: str) -> str:
    """Whether files were written, the under-``min_size`` warning (a red banner) and channels left out.

    Parameters
    ----------
    lists : workbench.experiments.SendLists
        The files written (or not: no ``audience_dir``), the lists under ``lists.min_size`` members, the
        channels without contact columns.
    lang : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    str
        Escaped HTML.
    """
    parts = []
    small = lists.small
    if len(small):
        names = join_list(
            [
                f"{arm_name(r.arm, lang)} – {t(f'design.channel.{r.channel}', lang)}"
                for r in small.itertuples()
            ],
            lang,
        )
        text = t("design.small_banner", lang, count=len(small), min=number(lists.min_size), lists=names)
        parts.append(
            '<div class="wb-warning" style="background:#ffebee;border-left:6px solid #c62828;padding:0.8em 1em;'
            f'font-weight:bold">{escape(text)}</div>'
        )
    for channel, reason in lists.missing.items():
        key = (
            "design.reason.no_line"
            if channel == "line" and "line_id" in reason
            else "design.reason.no_members"
        )
        parts.append(
            paragraph_html(
                t(
                    "design.missing_channel",
                    lang,
                    channel=t(f"design.channel.{channel}", lang),
                    reason=t(key, lang),
                )
            )
        )
    if lists.written:
        parts.append(paragraph_html(t("design.lists_written", lang, files=number(len(lists.lists) + 1))))
    else:
        parts.append(paragraph_html(t("design.lists_not_written", lang)))
    return "".join(parts)


def definitions_html(planned, lang: str) -> str:
    """The conventions and the attributes the rule uses, by their shown names.

    Parameters
    ----------
    planned : workbench.experiments.PlannedCampaign
        The design whose attributes and offers are defined.
    lang : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    str
        Escaped HTML: a definition list (the attributes' meanings in ``lang``).
    """
    used = planned.plan.rule.attributes() + ([planned.plan.strata] if planned.plan.strata else [])
    names = join_list([attribute_label(a, lang) for a in dict.fromkeys(used)], lang)
    return paragraph_html(
        t("design.definitions", lang, as_of=date_label(planned.as_of, lang))
    ) + paragraph_html(t("design.attributes_used", lang, names=names))
