"""Which metric names a PromQL expression reads, and which names the code exports.

The dashboards and the alert rules may only query metrics that exist: the tests compare
the names their expressions read (:func:`queried`) with what the code registers
(:func:`registered`, the prometheus_client registry) and what the processes of the e2e
stack expose (:func:`exposed`, their ``/metrics``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

# Series Prometheus makes itself, not any process.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset", "inf", "nan", "atan2"}
# The suffixes each kind of metric exposes its samples with.
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "histogram": (
    "_bucket", "_count", "_sum", "_created"), "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",), "stateset": ("",), "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "unknown": ("",)}

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_IDENTIFIER = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()")
_GRAFANA = re.compile(r"\$\{?\w+\}?")


def queried(expression: str) -> set[str]:
    """The metric (and recording rule) names ``expression`` reads."""
    text = _STRINGS.sub('""', expression)
    text = _GRAFANA.sub("1m", text)  # $__rate_interval, $service: not names
    text = _GROUPING.sub("", _RANGES.sub("", _MATCHERS.sub("", text)))
    text = re.sub(r"\b\d+(\.\d+)?([eE][-+]?\d+)?[smhdwy]?\b", "", text)
    return {name for name in _IDENTIFIER.findall(text) if name not in KEYWORDS}


def _sample_names(name: str, kind: str) -> set[str]:
    base = name.removesuffix("_total") if kind == "counter" else name
    return {base + suffix for suffix in SUFFIXES.get(kind, ("",))}


def registered(registry: CollectorRegistry) -> set[str]:
    """Every sample name the metrics of ``registry`` can expose, observed or not yet."""
    names: set[str] = set()
    # The registry lists its collectors nowhere public.
    for collector in list(registry._collector_to_names):
        describe = getattr(collector, "describe", None) or collector.collect
        for family in describe():
            names |= _sample_names(family.name, family.type)
    return names


def platform_metrics(packages: Iterable[str]) -> set[str]:
    """What the platform's code registers: import every shipped module of ``packages``
    (command lines, gunicorn's config and test helpers aside), then read the registry."""
    from prometheus_client import REGISTRY

    skipped = ("__main__", "service_runtime.gunicorn_conf", "service_runtime.testing")
    for package in packages:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if not any(part in info.name for part in skipped):
                importlib.import_module(info.name)
    return registered(REGISTRY)


def expressions(document: object) -> list[str]:
    """Every ``expr`` of a dashboard's JSON (panels, rows' panels, targets)."""
    if isinstance(document, dict):
        found = [document["expr"]] if isinstance(document.get("expr"), str) else []
        return found + [e for value in document.values() for e in expressions(value)]
    if isinstance(document, list):
        return [e for value in document for e in expressions(value)]
    return []


def exposed(expositions: Iterable[str]) -> set[str]:
    """Every sample name declared (``# TYPE``) or present in these ``/metrics`` answers."""
    names: set[str] = set()
    for text in expositions:
        for family in text_string_to_metric_families(text):
            names |= _sample_names(family.name, family.type)
            names |= {sample.name for sample in family.samples}
    return names


def load(path: Path, name: str) -> ModuleType:
    """A generator script as a module of its own name: every one is a generate.py
    (deploy/k8s, deploy/prometheus, deploy/grafana), so none is imported as ``generate``."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def promtool() -> str:
    """Debian's promtool, for a test. CI installs it (.ci/run): there a missing promtool
    fails the test; elsewhere the test is skipped (``apt-get install prometheus``)."""
    import pytest

    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing: CI installs Debian's prometheus package (.ci/run)")
        pytest.skip("promtool is not installed here (apt-get install prometheus)")
    return found
