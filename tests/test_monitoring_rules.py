"""The alert rules (deploy/prometheus/generate.py): both rule files are what the source
generates, every alert has a runbook and a promtool test, every expression reads metrics
the code exports, and promtool checks the rules and passes their tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy/grafana"))
from metric_names import SYNTHETIC, load, platform_metrics, promtool, queried  # noqa: E402

rules = load(ROOT / "deploy/prometheus/generate.py", "prometheus_rules")

PROMTOOL_TESTS = sorted((ROOT / "deploy/prometheus/tests").glob("*.yml"))


def exported_metric_names() -> set[str]:
    return platform_metrics(["service_runtime", "api_gateway", "shop_web", *SERVICES])


def test_the_rule_files_are_what_their_source_generates():
    assert rules.main(["--check"]) == 0, "run: python deploy/prometheus/generate.py"


def test_every_alert_links_a_runbook_that_says_what_how_to_check_and_fix():
    for group in rules.groups():
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            url = rule["annotations"]["runbook_url"]
            assert url == f"docs/runbooks/{rule['alert']}.md"
            text = (ROOT / url).read_text()
            for section in ("## What it means", "## How to check", "## How to fix"):
                assert section in text, (url, section)


def test_every_alert_has_a_promtool_test_where_it_fires():
    fired = set()
    for path in PROMTOOL_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            fired |= {test["alertname"] for test in case.get("alert_rule_test", [])
                      if test.get("exp_alerts")}
    assert set(rules.alert_names()) - fired == set()


def test_every_rule_reads_metrics_the_code_exports():
    exported = exported_metric_names() | SYNTHETIC | rules.recorded_names()
    for group in rules.groups():
        for rule in group["rules"]:
            missing = queried(rule["expr"]) - exported
            assert not missing, (rule.get("alert") or rule.get("record"), missing)


def test_the_prometheus_rule_holds_the_same_groups_as_the_rules_file():
    resource = yaml.safe_load(rules.PROMETHEUS_RULE.read_text())
    assert resource["kind"] == "PrometheusRule"
    assert resource["spec"]["groups"] == yaml.safe_load(rules.RULES_FILE.read_text())["groups"]


def test_promtool_checks_the_rules_and_passes_their_unit_tests():
    tool = promtool()
    checked = subprocess.run([tool, "check", "rules", str(rules.RULES_FILE)],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([tool, "test", "rules", *map(str, PROMTOOL_TESTS)],
                            capture_output=True, text=True, check=False)
    assert tested.returncode == 0, tested.stdout + tested.stderr
