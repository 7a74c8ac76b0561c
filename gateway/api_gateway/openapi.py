"""One OpenAPI document for the whole public surface, merged from the services'."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import requests

PUBLIC_PREFIX = "/api/v1/"


def merged_document(session: requests.Session, upstreams: dict[str, str],
                    timeout: float) -> dict:
    """Merge each service's ``/openapi.json``; a service that does not answer is listed.

    Component names get the service's name as a prefix (``order.Order``), so two
    services' ``Money`` schemas or ``DEFAULT_ERROR`` responses never overwrite each other.
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
        "info": {"title": "Shop platform API", "version": "v1"},
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
            if path.startswith(PUBLIC_PREFIX):
                merged["paths"][path] = operations
        for kind, components in document.get("components", {}).items():
            target = merged["components"].setdefault(kind, {})
            for component_name, component in components.items():
                target[f"{name}.{component_name}"] = component
        merged["tags"].extend(document.get("tags", []))
    return merged


def prefix_component_refs(document: dict, prefix: str) -> dict:
    text = re.sub(r'"#/components/(\w+)/', rf'"#/components/\1/{prefix}.', json.dumps(document))
    return json.loads(text)
