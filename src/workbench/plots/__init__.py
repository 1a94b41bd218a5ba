"""Plots of the reports, one module per report area (``overview``, ``clv``, ``tiers``, ``experiments``).

Each function takes data and ``ax=None`` and returns the Axes; none loads data or saves files.
"""

__all__: list[str] = []
