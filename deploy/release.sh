#!/bin/sh
# The release step, run with the production environment (hellowork-release.service, or the
# Procfile's release line) after new code is installed and before the processes restart.
set -eu
cd "$(dirname "$0")/.."
# The project's virtualenv (systemd install), or the platform's Python (Procfile).
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python; fi
fi
"$PYTHON" manage.py migrate --noinput
"$PYTHON" manage.py createcachetable
"$PYTHON" manage.py compile_translations
"$PYTHON" manage.py collectstatic --noinput
