"""Message catalogs, one YAML file per report area (see ``workbench.i18n``)."""
