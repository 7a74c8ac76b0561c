"""gunicorn settings for every service API: ``gunicorn -c python:service_runtime.gunicorn_conf``.

Prometheus needs a shared directory when several worker processes serve one
``/metrics``; it is created here, before any worker imports prometheus_client.
"""

import gc
import glob
import os
import shutil
import tempfile

from service_runtime.config import HttpSettings

# ``python -m <service> api`` checked these and set PORT before starting gunicorn.
_settings = HttpSettings.from_env()
bind = _settings.bind or f"{_settings.host}:{_settings.port}"
workers = _settings.workers
# gthread, writing the answers gunicorn gives by itself (414, 431, 400) as problem+json.
worker_class = "service_runtime.gunicorn_worker.ProblemThreadWorker"
threads = _settings.threads
# With several workers the app is imported once, in the master, and every worker shares
# its pages (copy-on-write; see pre_fork) instead of importing its own copy: about 55 MB
# less per extra worker of a service API. One worker has nobody to share with, so its
# master stays a small supervisor.
preload_app = workers > 1
timeout = _settings.timeout_s
graceful_timeout = _settings.graceful_timeout_s
# Callers (the gateway, services, the storefront) keep connections in pools and send on
# one that idled: a server closing it as idle just as a request goes out loses that
# request, and a POST is not sent again (service_runtime.http_client). So an idle
# connection is kept longer than callers usually leave one idle, as a load balancer's
# upstreams are told to (an e2e sign-up got "user is not reachable" with 5 s).
keepalive = 75
accesslog = None
errorlog = "-"
# gunicorn >= 25 opens a control socket at one fixed path per user: several services
# on one machine would fight over it, and pods have a read-only home.
control_socket_disable = True

# One worker keeps its metrics in its own memory and serves them itself; several share a
# directory, each writing its values to files that /metrics adds up.
_created_metrics_dir = None
if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _created_metrics_dir = tempfile.mkdtemp(prefix="prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_metrics_dir


def on_starting(server):  # type: ignore[no-untyped-def]
    # Values left by the processes of an earlier run must not add to this run's.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    for stale in glob.glob(os.path.join(directory, "*.db")):
        os.remove(stale)


def on_exit(server):  # type: ignore[no-untyped-def]
    if _created_metrics_dir:
        shutil.rmtree(_created_metrics_dir, ignore_errors=True)


def pre_fork(server, worker):  # type: ignore[no-untyped-def]
    # The objects the master holds (the app, when preloaded) are left out of the workers'
    # garbage collections, which would otherwise write to (and so copy) every page
    # holding one.
    gc.freeze()


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    # Each worker keeps its own list of ended sign-ins: fetch it from the start, so a worker
    # that has served nothing yet does not accept a revoked token on its first request.
    from service_runtime.auth import start_revocation_feed

    start_revocation_feed(worker.wsgi)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
