"""A new service from templates: ``python -m service_runtime new-service <name> --port N``.

It writes what a service of this platform is (see ``docs/new-service.md``):
``services/<name>/`` with its package (definition, app, api, schemas, domain, models, one
use-case module, handlers, settings, a first migration), its tests and its
``pyproject.toml``; the contract of the event it emits (schema and example) in
``contracts/``; its two processes in the ``Procfile`` and its topics in
``deploy/k8s/kafka/topics.yaml``, its manifest in ``deploy/k8s/base/kustomization.yaml``.
It never overwrites a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "templates"
SERVICE_NAME = re.compile(r"[a-z][a-z0-9]{1,19}")
# Placeholders in template paths, replaced like the ``$`` ones in their text.
PATH_PLACEHOLDERS = {"PACKAGE": "name", "NAME": "name", "EVENT": "event"}

EVENTS_INIT_DOC = ('"""One module per producing service; importing this package registers '
                   'every schema."""')
LINE_LENGTH = 100

KAFKA_TOPIC = """---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata:
  name: {kebab}
  labels:
    strimzi.io/cluster: shop-kafka
    app.kubernetes.io/part-of: shop
spec:
  topicName: {topic}
  partitions: 6
  replicas: 3
  config:
    min.insync.replicas: 2{retention}
"""
DEAD_LETTER_RETENTION = "\n    retention.ms: 2592000000  # 30 days"


class ScaffoldError(Exception):
    """The service cannot be written as asked (a bad name, a taken port, an existing file)."""


@dataclass(frozen=True)
class NewService:
    name: str
    api_port: int
    worker_port: int

    @property
    def event(self) -> str:
        """The event type its first use case emits."""
        return f"{self.name.capitalize()}NoteCreated"

    def values(self) -> dict[str, str]:
        return {"name": self.name, "Name": self.name.capitalize(), "NAME": self.name.upper(),
                "event": self.event, "api_port": str(self.api_port),
                "worker_port": str(self.worker_port), "today": date.today().isoformat()}


def new_service(root: Path, name: str, api_port: int,
                worker_port: int | None = None) -> list[Path]:
    """Write the service ``name`` into the checkout at ``root``; the files written."""
    if not SERVICE_NAME.fullmatch(name):
        raise ScaffoldError(f"{name!r}: a service name is 2-20 lowercase letters and digits")
    service = NewService(name, api_port, worker_port or api_port + 1000)
    taken = ports_in_use(root)
    for port in (service.api_port, service.worker_port):
        if port in taken:
            raise ScaffoldError(f"port {port} is the {taken[port]} service's")
    planned = {destination(root, template, service): template
               for template in sorted(TEMPLATES.rglob("*.tmpl"))}
    existing = [path for path in planned if path.exists()]
    if existing:
        raise ScaffoldError(f"would overwrite {', '.join(map(str, existing))}")
    values = service.values()
    for path, template in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = Template(template.read_text()).substitute(values)
        path.write_text(sort_first_party_imports(text, service.name))
    written = list(planned)
    written += register_contract(root, service) + add_processes(root, service)
    written += add_topics(root, service) + add_manifest(root, service)
    return written


def destination(root: Path, template: Path, service: NewService) -> Path:
    """``service/PACKAGE/api.py.tmpl`` -> ``services/<name>/<name>/api.py``, and so on."""
    values = service.values()
    parts = [_fill(part, values) for part in template.relative_to(TEMPLATES).parts]
    parts[-1] = parts[-1].removesuffix(".tmpl")
    if parts[0] == "service":
        return root.joinpath("services", service.name, *parts[1:])
    return root.joinpath(*parts)


def _fill(part: str, values: dict[str, str]) -> str:
    for placeholder, key in PATH_PLACEHOLDERS.items():
        part = part.replace(placeholder, values[key])
    return part


def sort_first_party_imports(text: str, name: str) -> str:
    """Put each run of the platform's own ``from ... import`` lines in module order, as the
    linter wants: where the service's imports go depends on its name."""
    first_party = (f"from {name} ", f"from {name}.", "from service_runtime",
                   "from event_contracts")
    lines, run = [], []
    for line in [*text.split("\n"), None]:
        if line is not None and line.startswith(first_party):
            run.append(line)
            continue
        lines += sorted(run, key=lambda imported: imported.split()[1])
        run = []
        if line is not None:
            lines.append(line)
    return "\n".join(lines)


def ports_in_use(root: Path) -> dict[int, str]:
    """Port -> service, as the definitions under ``root`` name them."""
    definitions = [*root.glob("services/*/*/definition.py"),
                   *root.glob("gateway/*/definition.py")]
    taken = {}
    for path in definitions:
        for port in re.findall(r"(?:api|worker)_port=(\d+)", path.read_text()):
            taken[int(port)] = path.parent.name
    return taken


def register_contract(root: Path, service: NewService) -> list[Path]:
    """Import the new events module in ``event_contracts.events``, if that file still has
    the shape this writes (else leave it to the newcomer: see the guide)."""
    path = root / "contracts/event_contracts/events/__init__.py"
    if not path.exists():
        return []
    modules = sorted(p.stem for p in path.parent.glob("*.py") if p.stem != "__init__")
    before = [module for module in modules if module != service.name]
    if path.read_text() != _events_init(before):
        return []
    path.write_text(_events_init(modules))
    return [path]


def _events_init(modules: list[str]) -> str:
    """The package's ``__init__``, wrapped as the linter wants once a line grows too long."""
    imports = f"from event_contracts.events import {', '.join(modules)}"
    if len(imports) > LINE_LENGTH:
        imports = "from event_contracts.events import (\n" + "".join(
            f"    {module},\n" for module in modules) + ")"
    names = f"__all__ = [{', '.join(f'{chr(34)}{module}{chr(34)}' for module in modules)}]"
    if len(names) > LINE_LENGTH:
        names = "__all__ = [\n" + "".join(f'    "{module}",\n' for module in modules) + "]"
    return f"{EVENTS_INIT_DOC}\n\n{imports}\n\n{names}\n"


def add_processes(root: Path, service: NewService) -> list[Path]:
    path = root / "Procfile"
    if not path.exists():
        return []
    with path.open("a") as procfile:
        procfile.write(f"{service.name}-api: exec env -u PORT python -m {service.name} api\n"
                       f"{service.name}-worker: exec python -m {service.name} worker\n")
    return [path]


def add_topics(root: Path, service: NewService) -> list[Path]:
    """Its event's topic and its consumer group's dead-letter topic."""
    path = root / "deploy/k8s/kafka/topics.yaml"
    if not path.exists():
        return []
    kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", service.event).lower()
    with path.open("a") as topics:
        topics.write(KAFKA_TOPIC.format(kebab=kebab, topic=service.event, retention=""))
        topics.write(KAFKA_TOPIC.format(kebab=f"{service.name}-dead-letters",
                                        topic=f"{service.name}.dead-letters",
                                        retention=DEAD_LETTER_RETENTION))
    return [path]


def add_manifest(root: Path, service: NewService) -> list[Path]:
    """List its manifest (``deploy/k8s/generate.py`` writes it) in the base's resources."""
    path = root / "deploy/k8s/base/kustomization.yaml"
    if not path.exists() or not path.read_text().rstrip().splitlines()[-1].startswith(
            "  - services/"):
        return []
    with path.open("a") as kustomization:
        kustomization.write(f"  - services/{service.name}.yaml\n")
    return [path]
