"""One OpenAPI document for the whole public surface, merged from the services'."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import requests

from api_gateway.routes import service_for
from service_runtime.openapi import SHARED_KINDS, SHARED_SCHEMAS

PUBLIC_PREFIX = "/api/v1/"
DESCRIPTION = (
    "Every error is an RFC 9457 problem (application/problem+json) with a stable `type` "
    "(urn:shop:problem:<slug>). No text anywhere (path, query, body) may contain U+0000: "
    "such a request is a 400 nul-character problem. Any operation may answer 429 (rate "
    "limits), 503 or 504 (a service down or slow), and 401 to a bearer token that is not "
    "valid, even where no token is needed.")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def merged_document(session: requests.Session, upstreams: dict[str, str],
                    timeout: float) -> dict:
    """Merge each service's ``/openapi.json``; a service that does not answer is listed.

    Component names get the service's name as a prefix (``order.Order``), so two
    services' ``Money`` schemas never overwrite each other; what every service has from the
    shared runtime (the ``Problem`` schema, the error responses, the bearer security
    scheme) is kept once, unprefixed, and every service's operations refer to that copy.
    """

    def fetch(item: tuple[str, str]) -> tuple[str, dict | None]:
        name, url = item
        try:
            response = session.get(f"{url}/openapi.json", timeout=timeout)
            response.raise_for_status()
            return name, response.json()
        except (requests.RequestException, ValueError):
            return name, None

    with ThreadPoolExecutor(max_workers=len(upstreams)) as pool:
        documents = dict(pool.map(fetch, sorted(upstreams.items())))

    merged: dict = {
        "openapi": "3.0.3",
        "info": {"title": "Shop platform API", "version": "v1", "description": DESCRIPTION},
        "paths": {},
        "components": {},
        "tags": [],
    }
    missing = sorted(name for name, doc in documents.items() if doc is None)
    if missing:
        merged["x-unavailable-services"] = missing
    for name, document in documents.items():
        if document is None:
            continue
        document = prefix_component_refs(document, name)
        for path, operations in document.get("paths", {}).items():
            # Only what the gateway routes to this service: a service's internal paths
            # (or a public one the gateway sends elsewhere) are not the gateway's API.
            if path.startswith(PUBLIC_PREFIX) and service_for(path) == name:
                merged["paths"][path] = operations
        for kind, components in document.get("components", {}).items():
            target = merged["components"].setdefault(kind, {})
            for component_name, component in components.items():
                target[component_key(kind, component_name, name)] = component
        merged["tags"].extend(document.get("tags", []))
    make_operation_ids_unique(merged, documents)
    return merged


def is_shared(kind: str, name: str) -> bool:
    return kind in SHARED_KINDS or (kind == "schemas" and name in SHARED_SCHEMAS)


def component_key(kind: str, name: str, service: str) -> str:
    return name if is_shared(kind, name) else f"{service}.{name}"


def prefix_component_refs(document: dict, prefix: str) -> dict:
    def rename(match: re.Match) -> str:
        kind, name = match.group(1), match.group(2)
        return f'"#/components/{kind}/{component_key(kind, name, prefix)}"'

    text = re.sub(r'"#/components/(\w+)/([^"/]+)"', rename, json.dumps(document))
    return json.loads(text)


def operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, operation)
            for path, item in document.get("paths", {}).items()
            for method, operation in item.items() if method in METHODS]


def make_operation_ids_unique(merged: dict, documents: dict[str, dict | None]) -> None:
    """Two services' operations never share an operationId: a clash gets service prefixes
    (each service's document already refuses two equal ones of its own)."""
    owner = {path: name for name, doc in documents.items() if doc
             for path in doc.get("paths", {})}
    by_id: dict[str, list[tuple[str, dict]]] = {}
    for path, _method, operation in operations(merged):
        if "operationId" in operation:
            by_id.setdefault(operation["operationId"], []).append((path, operation))
    for oid, users in by_id.items():
        if len(users) > 1:
            for path, operation in users:
                operation["operationId"] = f"{owner.get(path, 'gateway')}.{oid}"
