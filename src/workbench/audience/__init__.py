"""Member attributes and audience rules: who a campaign is for.

* ``member_attributes(transactions, members=None, *, as_of, program=None, clv=None)``: one row per member,
  every attribute of ``ATTRIBUTES`` (spend and orders over trailing windows, recency, channels, stores,
  discounts, returns, RFM, NES, member type, tenure, birthday month, tier, CLV);
* ``AudienceRule.from_dict(mapping)``, ``select(attributes, rule)``, ``funnel(attributes, rule)``: rules
  written in YAML (``all``, ``any``, ``not``, leaves ``{attr: NAME, OP: value}``), the members they select and
  how many are left after each condition.
"""

from workbench.audience.attributes import ATTRIBUTES, WINDOWS, attributes_sql, member_attributes
from workbench.audience.rules import OPERATORS, AudienceRule, AudienceRuleError, funnel, select

__all__ = [
    "ATTRIBUTES",
    "OPERATORS",
    "WINDOWS",
    "AudienceRule",
    "AudienceRuleError",
    "attributes_sql",
    "funnel",
    "member_attributes",
    "select",
]
