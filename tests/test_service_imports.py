"""Every service can be imported by a process that serves metrics from several gunicorn
workers: gunicorn makes PROMETHEUS_MULTIPROC_DIR only after ``python -m <service> api`` has
imported the service, so a metric that writes its file at import time (one without
labels) stops the API from starting."""

import subprocess
import sys

import pytest

SERVICES = ["user", "catalog", "cart", "order", "payment", "logistics", "aftersales"]


@pytest.mark.parametrize("service", SERVICES)
def test_importing_a_service_writes_no_metrics_file(service, tmp_path):
    not_yet_made = tmp_path / "metrics"
    result = subprocess.run(
        [sys.executable, "-c", f"import {service}.definition, {service}.app"],
        env={"PROMETHEUS_MULTIPROC_DIR": str(not_yet_made), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not not_yet_made.exists()
