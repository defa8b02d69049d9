"""The harness's gunicorn settings: gunicorn's defaults, the command line in servers.py sets
the rest. Without this file gunicorn would read the production ../gunicorn.conf.py from the
working directory, and its worker recycling would change the measured figures."""
