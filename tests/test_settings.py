"""workbench.settings: ``build`` on the report's own params."""

from __future__ import annotations

import pytest

from workbench.report.params import CommonParams, ParamsError
from workbench.settings import build


def test_build_rejects_unknown_nested_keys():
    with pytest.raises(ParamsError, match=r"x\.data: unknown key 'colums' \(did you mean 'columns'\?\)"):
        build(CommonParams, {"data": {"transactions": "demo", "colums": {}}}, "x")
    common = build(
        CommonParams, {"data": {"transactions": "demo", "encoding": None, "member_id_width": 5}}, "x"
    )
    assert common.data.member_id_width == 5 and common.data.encoding is None
    with pytest.raises(ParamsError, match=r"x\.data\.member_id_width must be an integer; got '5'"):
        build(CommonParams, {"data": {"transactions": "demo", "member_id_width": "5"}}, "x")
