"""The product form of the console: what was typed, and the API's body made from it.

Prices are typed in yuan (``129.9``) and sent in fen; SKU attributes are typed as
``颜色:白色, 容量:1.7L``. A mistake found here is reported per field like the API's own,
with everything typed kept for the next try.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.datastructures import MultiDict

from shop_web.i18n import t, texts

NEW_SKU_ROWS = 3
CURRENCY = "CNY"
_PAIRS = re.compile(r"[,，;；]")

texts({
    "admin.form.price_invalid": ("请输入金额，如 129.90", "Type an amount such as 129.90"),
    "admin.form.stock_invalid": ("请输入不小于 0 的整数", "Type a whole number, 0 or more"),
    "admin.form.attributes_invalid": ("格式：名称:值，用逗号分隔",
                                      "Write name:value pairs separated by commas"),
    "admin.form.required": ("必填", "Required"),
    "admin.form.one_sku": ("至少填写一个 SKU", "Fill in at least one SKU"),
})


@dataclass
class SkuRow:
    sku: str = ""
    price: str = ""
    stock: str = ""
    attributes: str = ""
    existing: bool = False

    @property
    def blank(self) -> bool:
        return not (self.sku or self.price or self.stock or self.attributes)


@dataclass
class ProductForm:
    """The form as typed (strings), so a refused form comes back exactly as it was."""

    name: str = ""
    brand: str = ""
    category_id: str = ""
    description: str = ""
    skus: list[SkuRow] = field(default_factory=list)

    @classmethod
    def read(cls, form: MultiDict) -> ProductForm:
        rows = []
        for i in range(int(form.get("sku_rows", "0") or 0)):
            rows.append(SkuRow(sku=form.get(f"skus.{i}.sku", "").strip(),
                               price=form.get(f"skus.{i}.price", "").strip(),
                               stock=form.get(f"skus.{i}.stock", "").strip(),
                               attributes=form.get(f"skus.{i}.attributes", "").strip(),
                               existing=form.get(f"skus.{i}.existing") == "1"))
        return cls(name=form.get("name", "").strip(), brand=form.get("brand", "").strip(),
                   category_id=form.get("category_id", ""),
                   description=form.get("description", "").strip(), skus=rows[:50])

    @classmethod
    def blank(cls) -> ProductForm:
        return cls(skus=[SkuRow() for _ in range(NEW_SKU_ROWS)])

    @classmethod
    def of_product(cls, product: dict[str, Any]) -> ProductForm:
        """An existing product's form: its SKUs (codes fixed) and one row for a new SKU."""
        rows = [SkuRow(sku=s["sku"], price=yuan(s["price"]["amount"]),
                       attributes=", ".join(f"{k}:{v}" for k, v in s["attributes"].items()),
                       existing=True) for s in product["skus"]]
        return cls(name=product["name"], brand=product["brand"],
                   category_id=str(product["category_id"]),
                   description=product.get("description") or "", skus=[*rows, SkuRow()])

    def new_product(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The body of ``POST /admin/products`` and the mistakes found (field -> message)."""
        mistakes: dict[str, str] = {}
        body: dict[str, Any] = {"name": self.name, "brand": self.brand,
                                "description": self.description,
                                "category_id": self._category(mistakes), "skus": []}
        for name in ("name", "brand"):
            if not body[name]:
                mistakes[name] = t("admin.form.required")
        for i, row in self._filled():
            sku = self._sku(i, row, mistakes)
            sku["stock"] = _count(row.stock or "0", f"skus.{i}.stock", mistakes)
            body["skus"].append(sku)
        if not body["skus"]:
            mistakes["skus.0.sku"] = t("admin.form.one_sku")
        return body, mistakes

    def changes(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The body of ``PATCH /admin/products/{id}``: every field, every filled SKU row
        (a new code adds a SKU; stock is set on its own, ``PUT /admin/skus/{sku}/stock``)."""
        body, mistakes = self.new_product()
        for sku in body["skus"]:
            sku.pop("stock", None)
        return body, mistakes

    def _filled(self) -> list[tuple[int, SkuRow]]:
        return [(i, row) for i, row in enumerate(self.skus) if not row.blank]

    def _category(self, mistakes: dict[str, str]) -> int | None:
        if self.category_id.isdigit():
            return int(self.category_id)
        mistakes["category_id"] = t("admin.form.required")
        return None

    @staticmethod
    def _sku(i: int, row: SkuRow, mistakes: dict[str, str]) -> dict[str, Any]:
        if not row.sku:
            mistakes[f"skus.{i}.sku"] = t("admin.form.required")
        return {"sku": row.sku, "price": {"amount": fen(row.price, f"skus.{i}.price", mistakes),
                                          "currency": CURRENCY},
                "attributes": attributes(row.attributes, f"skus.{i}.attributes", mistakes)}


def yuan(amount: int) -> str:
    """Fen as the yuan a person types: ``12990`` -> ``129.90``."""
    return f"{Decimal(amount) / 100:.2f}"


def fen(text: str, name: str, mistakes: dict[str, str]) -> int:
    try:
        value = Decimal(text.replace(",", "").replace("¥", ""))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        mistakes[name] = t("admin.form.price_invalid")
        return 0
    return int(value * 100)


def _count(text: str, name: str, mistakes: dict[str, str]) -> int:
    if text.isdigit():
        return int(text)
    mistakes[name] = t("admin.form.stock_invalid")
    return 0


def attributes(text: str, name: str, mistakes: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in _PAIRS.split(text))):
        key, colon, value = pair.replace("：", ":").partition(":")
        if not colon or not key.strip():
            mistakes[name] = t("admin.form.attributes_invalid")
            return {}
        found[key.strip()] = value.strip()
    return found
