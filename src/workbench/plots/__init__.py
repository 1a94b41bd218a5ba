"""Plot functions, one module per report area. Each takes data (and ``ax=None``), draws with seaborn /
matplotlib, and returns the Figure or Axes; none loads data or saves files."""
