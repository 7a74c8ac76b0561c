"""The Kubernetes manifests keep up with the code: every topic the platform uses is declared."""

import importlib
from pathlib import Path

import yaml

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's
from event_contracts.integration import integration_topics
from event_contracts.topics import dead_letter_topic, event_topics

ROOT = Path(__file__).resolve().parent.parent
# Every service whose worker consumes events has a consumer group of its name.
CONSUMER_GROUPS = [
    name for name in SERVICES
    if importlib.import_module(f"{name}.definition").DEFINITION.handlers is not None
]


def declared_topics() -> set[str]:
    documents = yaml.safe_load_all((ROOT / "deploy/k8s/kafka/topics.yaml").read_text())
    return {doc["spec"]["topicName"] for doc in documents if doc and doc["kind"] == "KafkaTopic"}


def test_every_event_topic_and_dead_letter_topic_is_declared():
    wanted = set(event_topics()) | {dead_letter_topic(group) for group in CONSUMER_GROUPS}
    assert wanted - declared_topics() == set()


def test_every_integration_feed_topic_and_inbound_dead_letter_topic_is_declared():
    inbound = {dead_letter_topic(consumer.group(name)) for name in SERVICES
               for consumer in importlib.import_module(f"{name}.definition").DEFINITION.inbound}
    assert inbound, "the user service reads the middle platform's member permissions"
    assert (set(integration_topics()) | inbound) - declared_topics() == set()


def test_every_consumer_group_has_a_worker_process_locally():
    assert CONSUMER_GROUPS, "the services with event handlers were found"
    procfile = (ROOT / "Procfile").read_text()
    for group in CONSUMER_GROUPS:
        assert f"python -m {group} worker" in procfile


def test_the_generated_manifests_are_up_to_date():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "deploy/k8s/generate.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
