"""workbench.notebook: ``setup`` sets display options and warning filters local to the kernel."""

from __future__ import annotations


def test_notebook_setup_sets_display_options_and_local_warning_filters():
    import warnings

    import matplotlib as mpl
    import pandas as pd

    from workbench.notebook import setup

    saved = {k: pd.get_option(k) for k in ("display.max_rows", "display.width", "display.precision")}
    with (
        warnings.catch_warnings(),
        mpl.rc_context(),  # setup() styles matplotlib: keep that out of the other tests
        pd.option_context("display.max_columns", 5, *[x for kv in saved.items() for x in kv]),
    ):
        setup(language="en")
        assert pd.get_option("display.max_columns") == 40
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")  # what a fresh kernel does
            setup(language="en")
            warnings.warn_explicit(
                "old API", FutureWarning, "lifetimes/utils.py", 1, module="lifetimes.utils"
            )
            warnings.warn_explicit(
                "real problem", UserWarning, "lifetimes/utils.py", 1, module="lifetimes.utils"
            )
            warnings.warn_explicit("ours", FutureWarning, "workbench/x.py", 1, module="workbench.x")
        assert sorted(str(w.message) for w in caught) == ["ours", "real problem"]
