"""requirements.lock pins every third-party dependency, and this venv installed those pins.

./platform install and every image (the Dockerfile) install with the lock as constraints;
a dependency missing from it would be resolved afresh, differently in CI and in images.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PYPROJECTS = sorted([ROOT / "contracts/pyproject.toml", ROOT / "runtime/pyproject.toml",
                     ROOT / "gateway/pyproject.toml", ROOT / "web/pyproject.toml",
                     *ROOT.glob("services/*/pyproject.toml")])
# One pin line: `name==version` and an optional `; marker` (uv writes one per environment
# where the version differs, e.g. per Python version).
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)"
                 r"\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$")


def locked() -> dict[str, list[tuple[Version, Marker | None]]]:
    pins: dict[str, list[tuple[Version, Marker | None]]] = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line)
        if match is None:
            continue
        marker = Marker(match["marker"]) if match["marker"] else None
        name = canonicalize_name(match["name"])
        pins.setdefault(name, []).append((Version(match["version"]), marker))
    return pins


def local_distributions() -> set[str]:
    return {canonicalize_name(tomllib.loads(path.read_text())["project"]["name"])
            for path in PYPROJECTS}


def declared() -> dict[str, list[Requirement]]:
    """Every requirement of every pyproject (all extras: ./platform installs them) and of
    requirements-dev.txt, by the file that declares it."""
    requirements: dict[str, list[Requirement]] = {}
    for path in PYPROJECTS:
        project = tomllib.loads(path.read_text())["project"]
        lines = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            lines += extra
        requirements[str(path.relative_to(ROOT))] = [Requirement(line) for line in lines]
    dev_lines = (ROOT / "requirements-dev.txt").read_text().splitlines()
    dev = [line.split("#")[0].strip() for line in dev_lines]
    requirements["requirements-dev.txt"] = [Requirement(line) for line in dev if line]
    return requirements


def test_the_lock_parses_into_pins():
    pins = locked()
    pin_lines = [line for line in LOCK.read_text().splitlines() if "==" in line]
    assert sum(len(entries) for entries in pins.values()) == len(pin_lines)
    assert "flask" in pins and "sqlalchemy" in pins and "pytest" in pins
    assert not local_distributions() & set(pins), "the platform's own packages are not pinned"


def test_every_declared_dependency_is_pinned_within_its_range():
    pins, local = locked(), local_distributions()
    problems = []
    for source, requirements in declared().items():
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            if name in local:
                continue
            if name not in pins:
                problems.append(f"{source}: {requirement} is not in requirements.lock")
                continue
            for version, _marker in pins[name]:
                if not requirement.specifier.contains(version, prereleases=True):
                    problems.append(f"{source}: {requirement} but the lock pins {version}")
    assert problems == [], "run ./platform lock:\n" + "\n".join(problems)


def test_this_venv_runs_the_locked_versions():
    """./platform install honoured the lock (the same versions CI and images get)."""
    mismatches = []
    for name, entries in locked().items():
        for version, marker in entries:
            if marker is not None and not marker.evaluate():
                continue
            try:
                installed = Version(metadata.version(name))
            except metadata.PackageNotFoundError:
                mismatches.append(f"{name}: lock {version}, not installed")
                continue
            if installed != version:
                mismatches.append(f"{name}: lock {version}, installed {installed}")
    assert mismatches == []
