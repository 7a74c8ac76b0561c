"""Every migration of every service says what it does to the release before it (expand or
contract: see service_runtime.compatibility), so /readyz of the running release can tell
whether the next release's migrations leave it a schema it runs on."""

import importlib

import pytest
from alembic.script import ScriptDirectory

from api_gateway.routes import SERVICES  # the services behind the gateway: the platform's
from service_runtime.compatibility import SchemaChange, branches, oldest_compatible
from service_runtime.migrate import alembic_config


@pytest.mark.parametrize("service", SERVICES)
def test_every_migration_declares_whether_it_expands_or_contracts(service):
    definition = importlib.import_module(f"{service}.definition").DEFINITION
    script = ScriptDirectory.from_config(alembic_config(definition, "sqlite://"))
    undeclared = [rev.revision for rev in script.walk_revisions()
                  if getattr(rev.module, "schema_change", None) not in set(SchemaChange)]
    assert undeclared == [], ("set schema_change = SchemaChange.EXPAND (older code keeps "
                              "working) or SchemaChange.CONTRACT in these migrations")
    for branch in branches(script).values():
        oldest_compatible(script, branch)  # a contract's runs_with_code_from is valid
