"""workbench.report.export: the report copy of a notebook drops noise (stderr, reprs, widgets, errors) but
keeps content. (The exported HTML of real runs: test_run.py, test_safety.py, test_browser.py.)"""

from __future__ import annotations

from workbench.report import clean_for_report


def test_clean_for_report_drops_noise_but_keeps_content():
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: noisy\n"),
        nbformat.v4.new_output("stream", name="stdout", text="kept\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "<Axes: title={'center': 'x'}>"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "42"}),
        nbformat.v4.new_output(
            "display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "a"}}
        ),
        nbformat.v4.new_output("error", ename="E", evalue="v", traceback=["t"]),
    ]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"state": {}}
    clean_for_report(nb)
    assert [o.get("text") or o.get("data", {}).get("text/plain") for o in nb.cells[0].outputs] == [
        "kept\n",
        "42",
    ]
    assert "widgets" not in nb.metadata


def test_a_widget_view_is_dropped_with_its_text_repr():
    """A progress bar shown while long work runs is a widget view whose text/plain is its repr: neither reaches
    the page (seen on the 1M-member tier page: "FloatProgress(value=0.0, layout=...)")."""
    from workbench.report.export import WIDGET_MIME, keep_output

    widget = {
        "output_type": "display_data",
        "data": {
            WIDGET_MIME: {"model_id": "x"},
            "text/plain": "FloatProgress(value=0.0, layout=Layout(width='auto'))",
        },
    }
    assert keep_output(widget) is False
    text = {"output_type": "display_data", "data": {"text/plain": "FloatProgress is a word here"}}
    assert keep_output(text) is True
