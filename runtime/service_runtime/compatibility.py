"""Which database schemas a release can run on: expand and contract migrations.

A release's migration Job runs while the previous release still serves, so ``/readyz``
cannot demand the database at exactly this code's migration head: the old pods would
leave service the moment the new migrations ran. Instead every migration says what it
does to the code before it, in module attributes::

    # new tables, nullable columns, indexes: older code keeps working
    schema_change = SchemaChange.EXPAND

    # drops, renames, new constraints: code older than runs_with_code_from breaks
    # (the oldest code revision that still runs on it; the migration itself if not set)
    schema_change = SchemaChange.CONTRACT
    runs_with_code_from = "order_0005"

Every migration run records, per Alembic branch, the head it reached and the oldest code
revision that can still run on the schema (``schema_compatibility``, made by
``runtime_0002``). Code whose branch head is H can run on the database when, for each
of its branches, the database is at H, or at a later revision (one this code does not
know) whose recorded oldest compatible revision is H or before it. A database behind the
code is never one it can run on. A migration that declares nothing counts as a
contract: the old code stops being ready rather than running on a schema it may not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, delete, insert, inspect, select, text

from service_runtime.ids import utcnow
from service_runtime.tables import schema_compatibility


class SchemaChange(StrEnum):
    EXPAND = "expand"
    CONTRACT = "contract"


class SchemaNotReady(RuntimeError):
    """The database's schema is not one this code can run on."""


@dataclass(frozen=True)
class Branch:
    """One Alembic branch as a release's code knows it: its revisions, oldest first."""

    label: str
    revisions: tuple[str, ...]

    @property
    def head(self) -> str:
        return self.revisions[-1]


def branches(script: ScriptDirectory) -> dict[str, Branch]:
    """Every branch of the code, by label (``runtime``, ``order``, ...)."""
    found = {}
    for head in script.get_heads():
        revisions = tuple(reversed([s.revision for s in script.iterate_revisions(head, "base")]))
        labels = script.get_revision(revisions[0]).branch_labels
        label = min(labels) if labels else revisions[0]
        found[label] = Branch(label, revisions)
    return found


def schema_change(script: ScriptDirectory, revision: str) -> tuple[SchemaChange, str | None]:
    """What a migration declares: its kind and, for a contract, the oldest code it keeps."""
    module = script.get_revision(revision).module
    change = SchemaChange(getattr(module, "schema_change", SchemaChange.CONTRACT))
    if change is SchemaChange.EXPAND:
        return change, None
    return change, getattr(module, "runs_with_code_from", revision)


def oldest_compatible(script: ScriptDirectory, branch: Branch) -> str:
    """The oldest code revision of the branch that can run on the schema at its head."""
    oldest = 0
    for index, revision in enumerate(branch.revisions):
        change, since = schema_change(script, revision)
        if change is SchemaChange.EXPAND:
            continue
        if since not in branch.revisions[: index + 1]:
            raise ValueError(f"{revision}: runs_with_code_from={since!r} is neither this "
                             "migration nor one before it on its branch")
        oldest = max(oldest, branch.revisions.index(since))
    return branch.revisions[oldest]


def database_heads(connection: Connection) -> set[str]:
    if not inspect(connection).has_table("alembic_version"):
        return set()
    return set(connection.scalars(text("SELECT version_num FROM alembic_version")))


def record(connection: Connection, script: ScriptDirectory) -> None:
    """Write every branch's head and oldest compatible code (after a migration run, in its
    transaction). Before ``runtime_0002`` (a downgrade below it) there is nowhere to."""
    if not inspect(connection).has_table(schema_compatibility.name):
        return
    heads = database_heads(connection)
    rows = [{"branch": branch.label, "head": branch.head,
             "oldest_compatible": oldest_compatible(script, branch), "recorded_at": utcnow()}
            for branch in branches(script).values() if branch.head in heads]
    connection.execute(delete(schema_compatibility))
    if rows:
        connection.execute(insert(schema_compatibility), rows)


def check_runs_on(code: dict[str, Branch], connection: Connection) -> None:
    """Raise :class:`SchemaNotReady` unless the code can run on the connected schema."""
    heads = database_heads(connection)
    recorded = {}
    if inspect(connection).has_table(schema_compatibility.name):
        recorded = {row.branch: row for row in connection.execute(select(schema_compatibility))}
    problems = []
    for branch in code.values():
        if branch.head in heads:
            continue
        behind = sorted(heads & set(branch.revisions))
        entry = recorded.get(branch.label)
        if behind:
            problems.append(f"migrations not applied: {branch.label} at {', '.join(behind)}, "
                            f"this code needs {branch.head}")
        elif entry is None or entry.head not in heads:  # empty, or migrated without a record
            problems.append(f"migrations not applied: {branch.label} is at no revision this "
                            f"code knows or can check, it needs {branch.head}")
        elif entry.oldest_compatible not in branch.revisions:
            problems.append(f"{branch.label} is at {entry.head}, which needs code from "
                            f"{entry.oldest_compatible} on; this code is at {branch.head}")
    if problems:
        raise SchemaNotReady("; ".join(problems))
