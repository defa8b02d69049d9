"""gunicorn's settings for the web process (REQ NFR-6, LOG-2): `gunicorn -c gunicorn.conf.py
config.wsgi`. Every value can be changed from the environment; README, Deploy."""

import os


def _cpus() -> int:
    # The CPUs this process may run on (a container's or a cgroup's share), not the machine's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


wsgi_app = "config.wsgi:application"
# Behind the proxy on the private network: e.g. GUNICORN_BIND=10.0.0.11:8000.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: two per CPU and one more, as gunicorn's documentation suggests.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cpus() + 1))
# A request still running after this many seconds is killed with its worker; the proxy's own
# timeout should be a little longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# On SIGTERM (systemd stop, a restart) requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# Idle keep-alive with the proxy, shorter than the proxy's own upstream keep-alive.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Each worker is replaced after about this many requests (a leak can't grow for ever), never
# all at once (the jitter). Not much sooner: a new worker starts with an empty grid cache.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 10000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 1000))
# The proxies whose X-Forwarded-Proto gunicorn believes: the proxy's address on the private
# network, e.g. FORWARDED_ALLOW_IPS=10.0.0.10 (client addresses are the app's business:
# TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# To stdout/stderr: journald (or the platform) keeps them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The path without its query string (%(U)s, never %(r)s or %(q)s) and no Referer: a search or
# a form's GET could carry a name or a phone number (REQ LOG-2). The request id is the one the
# application's log lines carry (core/request_id.py).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
