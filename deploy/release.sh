#!/bin/sh
# The release step, run with the production environment (hellowork-release.service, or the
# Procfile's release line) after new code is installed and before the processes restart.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
"$PYTHON" manage.py migrate --noinput
"$PYTHON" manage.py createcachetable
"$PYTHON" manage.py compile_translations
"$PYTHON" manage.py collectstatic --noinput
