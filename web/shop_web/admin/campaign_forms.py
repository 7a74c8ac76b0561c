"""The console's group-buy (拼团活动) and flash-session (秒杀场次) forms: what was typed, and
the API's body made from it (``POST /admin/group-buys``, ``POST /admin/flash-sales``).

Prices are typed in yuan and sent in fen, times as UTC (``datetime-local``); a mistake
found here is reported per field like the API's own, and nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from werkzeug.datastructures import MultiDict

from shop_web.admin.offer_forms import _instant, _integer, _money
from shop_web.i18n import t, texts

ITEM_ROWS = 3
ITEM_FIELDS = ("sku", "product_id", "flash_price", "quantity", "per_user_limit")

texts({
    "admin.form.group_size": ("请输入 2 到 10 之间的整数", "Type a whole number from 2 to 10"),
    "admin.form.one_item": ("至少填写一个秒杀商品", "Fill in at least one item"),
    "admin.form.item_needs": ("SKU、秒杀价和数量都要填写",
                              "Give the SKU, the flash price and the quantity"),
})


def _typed(cls: type, form: MultiDict) -> dict[str, Any]:
    return {f.name: form.get(f.name, "").strip() for f in fields(cls) if f.type in ("str", str)}


def _required(form: Any, names: tuple[str, ...], mistakes: dict[str, str]) -> None:
    for name in names:
        if not getattr(form, name):
            mistakes[name] = t("admin.form.required")


@dataclass
class GroupBuyForm:
    name: str = ""
    sku: str = ""
    product_id: str = ""
    group_price: str = ""
    group_size: str = "3"
    fill_hours: str = "24"
    starts_at: str = ""
    ends_at: str = ""
    per_user_limit: str = "1"

    @classmethod
    def read(cls, form: MultiDict) -> GroupBuyForm:
        return cls(**_typed(cls, form))

    def body(self) -> tuple[dict[str, Any], dict[str, str]]:
        m: dict[str, str] = {}
        _required(self, ("name", "sku", "group_price", "group_size", "fill_hours", "ends_at"),
                  m)
        body = {
            "name": self.name, "sku": self.sku,
            "product_id": _integer(self.product_id, "product_id", m, low=1),
            "group_price": _money(self.group_price, "group_price", m),
            "group_size": _integer(self.group_size, "group_size", m, low=2, high=10,
                                   message="admin.form.group_size"),
            "fill_hours": _integer(self.fill_hours, "fill_hours", m, low=1),
            "starts_at": _instant(self.starts_at, "starts_at", m),
            "ends_at": _instant(self.ends_at, "ends_at", m),
            "per_user_limit": _integer(self.per_user_limit, "per_user_limit", m, low=1) or 1,
        }
        if body["starts_at"] is None:
            body.pop("starts_at")  # the API starts it now
        return body, m


@dataclass
class FlashSessionForm:
    name: str = ""
    starts_at: str = ""
    ends_at: str = ""
    payment_minutes: str = "5"
    items: list[dict[str, str]] = field(
        default_factory=lambda: [{"per_user_limit": "1"} for _ in range(ITEM_ROWS)])

    @classmethod
    def read(cls, form: MultiDict) -> FlashSessionForm:
        items = [{name: form.get(f"items.{i}.{name}", "").strip() for name in ITEM_FIELDS}
                 for i in range(ITEM_ROWS)]
        return cls(**_typed(cls, form), items=items)

    def body(self) -> tuple[dict[str, Any], dict[str, str]]:
        m: dict[str, str] = {}
        _required(self, ("starts_at", "ends_at"), m)
        body = {
            "name": self.name or None,
            "starts_at": _instant(self.starts_at, "starts_at", m),
            "ends_at": _instant(self.ends_at, "ends_at", m),
            "payment_minutes": _integer(self.payment_minutes, "payment_minutes", m, low=1),
            "items": self._items(m),
        }
        return body, m

    def _items(self, m: dict[str, str]) -> list[dict[str, Any]]:
        items = []
        for i, row in enumerate(self.items):
            if not any(row.get(name) for name in ("sku", "flash_price", "quantity",
                                                   "product_id")):
                continue
            if not (row.get("sku") and row.get("flash_price") and row.get("quantity")):
                m[f"items.{i}"] = t("admin.form.item_needs")
                continue
            at = f"items.{i}."
            items.append({
                "sku": row["sku"],
                "product_id": _integer(row.get("product_id", ""), at + "product_id", m, low=1),
                "flash_price": _money(row["flash_price"], at + "flash_price", m),
                "quantity": _integer(row["quantity"], at + "quantity", m, low=1),
                "per_user_limit": _integer(row.get("per_user_limit", ""),
                                           at + "per_user_limit", m, low=1) or 1,
            })
        if not items and not any(key.startswith("items.") for key in m):
            m["items.0"] = t("admin.form.one_item")
        return items
