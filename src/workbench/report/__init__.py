"""The monthly report run.

Params and plan, the data validated once, papermill execution, code-free HTML export, the indexes, publishing
a month in one step.

* ``load_plan(params_dir, month=None, only=None)``: every params file validated before anything runs;
* ``validate_inputs(plan)``: the data read and validated once, the month chosen (``RunInputs``);
* ``run_report(plan, out)``: execute, export and publish the month; ``report_cli`` is ``workbench report``;
* ``MonthBuild`` / ``output_lock`` / ``remove_stale``: staging, the atomic switch, one run per folder;
* ``redact``: error texts without values of member rows, for management pages;
* ``export_html`` / ``report_exporter``: management HTML (no code, no scripts, images embedded).
"""

from workbench.report.cells import notebook_parameters
from workbench.report.export import (
    clean_for_report,
    export_html,
    has_active_content,
    neutralize_html,
    notebook_html,
    report_css,
    report_exporter,
)
from workbench.report.failure import redact
from workbench.report.fingerprint import fingerprint_inputs, frame_sha256
from workbench.report.index import month_page
from workbench.report.inputs import InputError, RunInputs, latest_complete_month, validate_inputs
from workbench.report.params import (
    CONTRACT_PARAMETERS,
    CommonParams,
    NotebookSpec,
    ParamsError,
    ReportConfig,
    RunPlan,
    load_plan,
)
from workbench.report.publish import MonthBuild, OutputBusyError, output_lock, remove_stale
from workbench.report.run import NotebookResult, ReportResult, headlines_of, report_cli, run_report

__all__ = [
    "CONTRACT_PARAMETERS",
    "CommonParams",
    "InputError",
    "MonthBuild",
    "NotebookResult",
    "NotebookSpec",
    "OutputBusyError",
    "ParamsError",
    "ReportConfig",
    "ReportResult",
    "RunInputs",
    "RunPlan",
    "clean_for_report",
    "export_html",
    "fingerprint_inputs",
    "frame_sha256",
    "has_active_content",
    "headlines_of",
    "latest_complete_month",
    "load_plan",
    "month_page",
    "neutralize_html",
    "notebook_html",
    "notebook_parameters",
    "output_lock",
    "redact",
    "remove_stale",
    "report_cli",
    "report_css",
    "report_exporter",
    "run_report",
    "validate_inputs",
]
