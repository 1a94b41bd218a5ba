#!/usr/bin/env bash
# Notebook outputs never reach git: configure the `nbstripout` clean filter that .gitattributes names for
# *.ipynb (`make install` runs this). Outputs, execution counts and the metadata a JupyterLab session adds
# (kernel version details, widget state, papermill and execution timings) are stripped when git reads a
# notebook, so after a Lab session `git status` shows the clone clean; the cell ids are kept.
# Usage: scripts/git-filters.sh [PYTHON]   (default .venv/bin/python, relative to the clone's top folder)
set -euo pipefail
python="${1:-.venv/bin/python}"
git rev-parse --git-dir >/dev/null 2>&1 || { echo "git-filters: not in a git clone, nothing configured"; exit 0; }
keys="metadata.language_info.codemirror_mode metadata.language_info.file_extension"
keys+=" metadata.language_info.mimetype metadata.language_info.nbconvert_exporter"
keys+=" metadata.language_info.pygments_lexer metadata.language_info.version metadata.widgets"
keys+=" metadata.papermill cell.metadata.papermill cell.metadata.execution cell.metadata.scrolled"
git config filter.nbstripout.clean "'$python' -m nbstripout --keep-id --extra-keys '$keys'"
git config filter.nbstripout.smudge cat
git config filter.nbstripout.required true
git config diff.ipynb.textconv "'$python' -m nbstripout --keep-id --extra-keys '$keys' -t"
