"""A service's tests test that service: another service is stubbed at its HTTP boundary
(``service_runtime.testing.contracts``), never imported, and no production package ships
test support. Only tests/integration and tests/e2e cross services, on purpose."""

import ast
from pathlib import Path

import pytest

SERVICES_ROOT = Path(__file__).resolve().parents[1] / "services"
SERVICES = sorted(path.parent.name for path in SERVICES_ROOT.glob("*/pyproject.toml"))


def imported_packages(source: Path) -> set[str]:
    """The top-level packages a module imports (at module level or inside functions)."""
    packages = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            packages.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant)):
            packages.add(str(node.args[0].value).split(".")[0])
    return packages


def test_there_are_services_to_check():
    assert {"user", "cart", "order"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_a_services_tests_import_no_other_service(service):
    others = set(SERVICES) - {service}
    crossing = {str(path.relative_to(SERVICES_ROOT)): sorted(imported_packages(path) & others)
                for path in (SERVICES_ROOT / service / "tests").rglob("*.py")}
    assert {path: found for path, found in crossing.items() if found} == {}


@pytest.mark.parametrize("service", SERVICES)
def test_a_production_package_ships_no_test_support(service):
    package = SERVICES_ROOT / service / service
    shipped = [str(path.relative_to(SERVICES_ROOT)) for pattern in (
        "**/testing.py", "**/testing/", "**/conftest.py", "**/test_*.py", "**/fixtures.py")
        for path in package.glob(pattern)]
    assert shipped == []
