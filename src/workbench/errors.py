"""The base of every error the workbench raises on purpose.

``WorkbenchError`` marks an error whose message is meant for the user (a bad file, a bad setting, a model
that could not be fitted, a missing font), as opposed to a bug. Each family subclasses it together with the
built-in exception it has always been (``ValueError`` for bad input and settings, ``RuntimeError`` for a
fit or a font), so ``except ValueError`` keeps working::

    WorkbenchError
    ├── SettingsError (ValueError)        a settings mapping or params file: workbench.settings
    │   ├── ParamsError                   report params: workbench.report
    │   ├── TierProgramError              a tier programme: workbench.tiers
    │   └── ...
    ├── DataValidationError (ValueError)  input data: workbench.data
    ├── ArgumentError (ValueError)        a function called with a bad argument
    ├── ColumnsError (ValueError)         a frame passed between modules lacks columns: workbench.schema
    ├── CLVFitError (RuntimeError)        a model that did not converge: workbench.clv
    ├── EngineError (RuntimeError)        an engine that cannot run (no pyspark, no Java): workbench.summary
    └── FontSetupError (RuntimeError)     no CJK font for the plots: workbench.i18n
"""

from __future__ import annotations

__all__ = ["ArgumentError", "WorkbenchError"]


class WorkbenchError(Exception):
    """An error the workbench raises on purpose; its message names the owner, the field and the bad value."""


class ArgumentError(WorkbenchError, ValueError):
    """A function of the workbench was called with an argument outside what it accepts (the message names the function, the argument, the allowed values and the bad value)."""
