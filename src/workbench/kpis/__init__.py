"""Monthly member KPIs with month-over-month change (the member overview report).

``monthly_kpis(transactions, members=None, month=...)`` returns one row per calendar month (a monthly
``PeriodIndex`` named ``month``) up to and including ``month``. Definitions (all amounts in the
transaction currency, after discounts):

* a *purchase row* has ``amount >= 0``; a *return row* ``amount < 0`` and counts in the month it was
  booked (not the month of the original order);
* an *order* is a distinct ``(member_id, order_id)`` among purchase rows (each purchase row when there is
  no ``order_id`` or it is empty), counted in the month of its first row; amounts count in the month of
  their row;
* ``members``: members who joined up to the end of the month (cumulative). The join date is the members
  table's ``joined_at`` when ``members`` is given (members without one fall back to their first purchase),
  otherwise the first purchase in the log; ``new_members`` joined in the month; ``member_growth_rate`` =
  ``new_members`` / ``members`` at the end of the previous month;
* ``active_members``: members with at least one purchase row in the month;
* ``gross_revenue``: sum of purchase rows; ``returns``: minus the sum of return rows (a positive amount);
  ``net_revenue`` = ``gross_revenue - returns``; ``returns_rate`` = ``returns / gross_revenue``;
* ``aov`` = ``gross_revenue / orders``; ``revenue_per_active`` = ``gross_revenue / active_members``
  (ratios use gross revenue, because this month's returns mostly belong to earlier months' orders);
* ``repurchase_rate``: share of the month's active members who had bought before the month (first
  purchase in the log in an earlier month); ``returning_members`` is their number and
  ``returning_revenue_share`` their share of the month's gross revenue. Only the log is known: in its
  first months, members who bought before it started count as first-time buyers (rates start low);
* ``store_revenue`` / ``online_revenue``: gross revenue by ``channel``; ``online_share`` = online /
  gross revenue.

Every column ``c`` in ``CHANGE_KIND`` has a ``c_mom`` column: the relative change against the previous
month for counts and amounts (``0.05`` = +5%), the difference in shares for rates (``0.01`` = +1 point).

The aggregation is portable SQL (``workbench.kpis.sql``: the log's rows and orders, the member-month table,
the monthly aggregates), run in DuckDB or Spark (``TransactionLog(engine=...)``) or rendered for a warehouse;
``member_month_kpis`` computes the same table from the member-month table alone (an engine's result file).
Tables and findings for the report (``kpi_table``, ``findings``) are in ``workbench.text.overview``.
"""

from workbench.kpis.log import TransactionLog, month_bounds, open_log, use_log
from workbench.kpis.monthly import (
    CHANGE_KIND,
    KPI_COLUMNS,
    combine_kpi_parts,
    first_months_sql,
    member_month_kpis,
    monthly_kpi_parts,
    monthly_kpis,
)
from workbench.kpis.sql import (
    MEMBER_MONTH_COLUMNS,
    kpi_sql,
    member_month_sql,
    orders_query,
    orders_sql,
    rows_sql,
)

__all__ = [
    "CHANGE_KIND",
    "KPI_COLUMNS",
    "MEMBER_MONTH_COLUMNS",
    "TransactionLog",
    "combine_kpi_parts",
    "first_months_sql",
    "kpi_sql",
    "member_month_kpis",
    "member_month_sql",
    "month_bounds",
    "monthly_kpi_parts",
    "monthly_kpis",
    "open_log",
    "orders_query",
    "orders_sql",
    "rows_sql",
    "use_log",
]
