"""Where a partner webhook may point: by default https to public addresses only, checked
when an endpoint is created or edited and again before every delivery (a name may come
to resolve to an internal address after it was accepted). The app here runs with the
default policy; name resolution is faked so that no test depends on real DNS."""

from __future__ import annotations

import pytest
from test_integration_feed import FEED
from test_integration_webhooks import DEAD, HOOKS, run_passes, sender

from analytics import webhook_urls
from analytics.webhook_urls import UrlPolicy, UrlRefused, check_url

PUBLIC = "93.184.215.14"
STRICT = UrlPolicy()


@pytest.fixture(autouse=True)
def default_policy(monkeypatch):  # type: ignore[no-untyped-def]
    """Whatever the shell has set, the app under test runs with the default policy."""
    monkeypatch.delenv("ANALYTICS_WEBHOOK_ALLOWED_NETWORKS", raising=False)
    monkeypatch.delenv("ANALYTICS_WEBHOOK_ALLOW_HTTP", raising=False)


@pytest.fixture
def dns(monkeypatch):  # type: ignore[no-untyped-def]
    """A fake resolver: names map to what the test puts in the dict."""
    names: dict[str, list[str]] = {}

    def resolve(host: str) -> list[str]:
        if host not in names:
            raise OSError(f"unknown host {host}")
        return names[host]

    monkeypatch.setattr(webhook_urls, "resolve", resolve)
    return names


@pytest.mark.parametrize("url", [
    f"http://{PUBLIC}/hook",  # not https
    "https://127.0.0.1/hook", "https://10.1.2.3/", "https://172.16.0.1/",
    "https://192.168.1.1/", "https://169.254.169.254/latest/meta-data",  # cloud metadata
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://0.0.0.0/", "https://224.0.0.1/", "https://255.255.255.255/",
    "https://[::1]/", "https://[fe80::1]/", "https://[fc00::1]/",
    "https://[::ffff:10.0.0.1]/",  # an IPv4 address written as IPv6
    f"https://user:pw@{PUBLIC}/",
    "https://internal.test/", "https://mixed.test/", "https://nowhere.test/",
])
def test_the_default_policy_refuses(url, dns):  # type: ignore[no-untyped-def]
    dns["internal.test"] = ["10.0.0.5"]
    dns["mixed.test"] = [PUBLIC, "192.168.0.9"]  # any internal address refuses it
    with pytest.raises(UrlRefused):
        check_url(url, STRICT)


@pytest.mark.parametrize("url", [
    f"https://{PUBLIC}/hook", "https://[2606:4700:4700::1111]:8443/x",
    "https://partner.test/hook?x=1",
])
def test_the_default_policy_allows_public_https(url, dns):  # type: ignore[no-untyped-def]
    dns["partner.test"] = [PUBLIC, "2606:4700:4700::1111"]
    check_url(url, STRICT)


def test_allowed_networks_and_http_are_opt_in():
    local = UrlPolicy.of(["127.0.0.0/8", "10.9.0.0/16"], allow_http=True)
    check_url("http://127.0.0.1:8080/hook", local)
    check_url("https://10.9.3.4/hook", local)
    with pytest.raises(UrlRefused):
        check_url("https://10.8.0.1/hook", local)  # outside the allowed networks
    with pytest.raises(UrlRefused):
        check_url("http://127.0.0.1:8080/hook", UrlPolicy.of(["127.0.0.0/8"], False))


def test_the_api_refuses_internal_urls_with_a_problem(client, admin, dns):
    dns["partner.test"] = [PUBLIC]
    dns["sneaky.test"] = ["169.254.169.254"]
    for url, words in (("https://169.254.169.254/latest", "169.254.169.254"),
                       ("https://sneaky.test/hook", "169.254.169.254"),
                       (f"http://{PUBLIC}/hook", "https")):
        answer = client.post(HOOKS, headers=admin, json={
            "name": "p", "url": url, "entity_types": ["order"]})
        assert answer.status_code == 422, answer.json
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json["type"] == "urn:shop:problem:webhook-url-refused"
        assert words in answer.json["detail"]
    assert client.get(HOOKS, headers=admin).json["items"] == []
    created = client.post(HOOKS, headers=admin, json={
        "name": "p", "url": "https://partner.test/hook", "entity_types": ["order"]})
    assert created.status_code == 201, created.json
    edited = client.patch(f"{HOOKS}/{created.json['id']}", headers=admin,
                          json={"url": "https://sneaky.test/hook"})
    assert edited.status_code == 422
    assert edited.json["type"] == "urn:shop:problem:webhook-url-refused"
    assert client.get(f"{HOOKS}/{created.json['id']}", headers=admin).json["url"] == \
        "https://partner.test/hook"


def test_a_name_that_comes_to_resolve_internally_is_not_delivered_to(
        client, admin, db, consumer, example_event, dns):
    dns["partner.test"] = [PUBLIC]
    created = client.post(HOOKS, headers=admin, json={
        "name": "p", "url": "https://partner.test/hook", "entity_types": ["member"]})
    assert created.status_code == 201, created.json
    dns["partner.test"] = ["127.0.0.1"]  # rebound after it was accepted
    for event_type, data in FEED[:2]:
        consumer.apply(example_event(event_type, **data))
    run_passes(db, sender(1, STRICT), 2)
    parked = client.get(DEAD, headers=admin).json["items"]
    assert [d["sequence"] for d in parked] == [1, 2]
    assert all(d["last_error"].startswith("URL refused:") and "127.0.0.1" in d["last_error"]
               for d in parked)
