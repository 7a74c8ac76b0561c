"""The category tree, and the walks over it that browsing and indexing share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Category
from service_runtime.db import Database


def all_categories(session: Session) -> list[Category]:
    return list(session.scalars(
        select(Category).order_by(Category.level, Category.position, Category.id)
    ))


@dataclass
class CategoryNode:
    id: int
    name: str
    name_en: str
    level: int
    children: list[CategoryNode] = field(default_factory=list)


def category_tree(db: Database) -> list[CategoryNode]:
    with db.read() as session:
        categories = all_categories(session)
    nodes = {c.id: CategoryNode(c.id, c.name, c.name_en, c.level) for c in categories}
    roots: list[CategoryNode] = []
    for c in categories:
        (nodes[c.parent_id].children if c.parent_id in nodes else roots).append(nodes[c.id])
    return roots


def subtree(categories: Iterable[Category], root: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for c in categories:
        children.setdefault(c.parent_id, []).append(c.id)
    found, todo = set(), [root]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def path_from_root(session: Session, category_id: int) -> list[Category]:
    path: list[Category] = []
    current = session.get(Category, category_id)
    while current is not None and len(path) < 10:
        path.insert(0, current)
        current = session.get(Category, current.parent_id) if current.parent_id else None
    return path
