"""The console's coupon template and promotion forms: what was typed, and the API's body
made from it (``POST`` or ``PATCH /admin/coupons`` and ``/admin/promotions``).

Amounts are typed in yuan and sent in fen; percentages are what the buyer pays (80 = 8折);
times are typed as UTC (``datetime-local``); a scope is a kind and a list (category or
product ids, brand names). A mistake found here is reported per field like the API's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from shop_web.admin.product_form import CURRENCY, fen, yuan
from shop_web.i18n import t, texts
from shop_web.marketing_texts import LEVEL_CODES

TIER_ROWS = 4
_LIST = re.compile(r"[,，;；\s]+")

texts({
    "admin.form.whole_number": ("请输入整数", "Type a whole number"),
    "admin.form.percent": ("请输入 1 到 99 之间的整数（80 = 8折）",
                           "Type 1 to 99 (what the buyer pays: 80 = 20% off)"),
    "admin.form.time": ("请输入时间，如 2026-12-31 23:59", "Type a time such as 2026-12-31 23:59"),
    "admin.form.ids": ("请输入以逗号分隔的数字编号", "Type numbers separated by commas"),
    "admin.form.one_tier": ("至少填写一档满减", "Fill in at least one tier"),
    "admin.form.tier_pair": ("门槛和减免金额都要填写",
                             "Give both the threshold and the amount off"),
})


def _datetime_text(value: Any) -> str:
    """An API time as a ``datetime-local`` value in UTC."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _instant(text: str, name: str, mistakes: dict[str, str]) -> str | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        mistakes[name] = t("admin.form.time")
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC).isoformat()


def _money(text: str, name: str, mistakes: dict[str, str]) -> dict[str, Any] | None:
    if not text:
        return None
    return {"amount": fen(text, name, mistakes), "currency": CURRENCY}


def _integer(text: str, name: str, mistakes: dict[str, str], *, low: int | None = None,
             high: int | None = None, message: str = "admin.form.whole_number") -> int | None:
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        mistakes[name] = t(message)
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        mistakes[name] = t(message)
    return value


def _percent(text: str, name: str, mistakes: dict[str, str]) -> int | None:
    return _integer(text, name, mistakes, low=1, high=99, message="admin.form.percent")


def _money_text(value: Any) -> str:
    return yuan(int(value["amount"])) if isinstance(value, dict) else ""


@dataclass
class ScopeFields:
    scope_kind: str = "all"
    scope: str = ""  # ids or brand names, separated by commas

    def scope_body(self, mistakes: dict[str, str]) -> dict[str, Any]:
        items = [item for item in _LIST.split(self.scope) if item]
        if self.scope_kind == "brands":
            return {"kind": "brands", "names": items}
        if self.scope_kind in ("categories", "products"):
            if not all(item.isdigit() for item in items):
                mistakes["scope"] = t("admin.form.ids")
                return {"kind": self.scope_kind, "ids": []}
            if not items:
                mistakes["scope"] = t("admin.form.required")
            return {"kind": self.scope_kind, "ids": [int(item) for item in items]}
        return {"kind": "all"}

    @staticmethod
    def text_of(scope: dict[str, Any] | None) -> dict[str, str]:
        scope = scope or {"kind": "all"}
        items = scope.get("names") if scope.get("kind") == "brands" else scope.get("ids")
        return {"scope_kind": str(scope.get("kind") or "all"),
                "scope": ", ".join(str(item) for item in items or [])}


def _typed(cls: type, form: MultiDict) -> dict[str, Any]:
    return {f.name: form.get(f.name, "").strip() for f in fields(cls)
            if f.type in ("str", str)}


@dataclass
class CouponForm(ScopeFields):
    name: str = ""
    description: str = ""
    kind: str = "amount_off"
    amount_off: str = ""
    percent_off: str = ""
    max_discount: str = ""
    min_spend: str = ""
    validity: str = "days"  # "days" after claiming, or "fixed" dates
    valid_from: str = ""
    valid_until: str = ""
    valid_days: str = "30"
    total_quantity: str = "1000"
    per_user_limit: str = "1"
    redeem_code: str = ""
    auto_issue: str = "none"
    exclusion_group: str = ""
    priority: str = "0"
    status: str = "active"
    claimable: bool = True
    stacks_with_promotions: bool = True
    member_levels: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, form: MultiDict) -> CouponForm:
        return cls(**_typed(cls, form), claimable=form.get("claimable") == "1",
                   stacks_with_promotions=form.get("stacks_with_promotions") == "1",
                   member_levels=[lv for lv in form.getlist("member_levels")
                                  if lv in LEVEL_CODES])

    @classmethod
    def of_template(cls, c: dict[str, Any]) -> CouponForm:
        return cls(
            **ScopeFields.text_of(c.get("scope")), name=c.get("name") or "",
            description=c.get("description") or "", kind=c.get("kind") or "amount_off",
            amount_off=_money_text(c.get("amount_off")),
            percent_off=str(c.get("percent_off") or ""),
            max_discount=_money_text(c.get("max_discount")),
            min_spend=_money_text(c.get("min_spend")) if (c.get("min_spend") or {}).get(
                "amount") else "",
            validity="days" if c.get("valid_days") else "fixed",
            valid_from=_datetime_text(c.get("valid_from")),
            valid_until=_datetime_text(c.get("valid_until")),
            valid_days=str(c.get("valid_days") or ""),
            total_quantity=str(c.get("total_quantity") or ""),
            per_user_limit=str(c.get("per_user_limit") or ""),
            redeem_code=c.get("redeem_code") or "", auto_issue=c.get("auto_issue") or "none",
            exclusion_group=c.get("exclusion_group") or "",
            priority=str(c.get("priority") or 0), status=c.get("status") or "active",
            claimable=bool(c.get("claimable")),
            stacks_with_promotions=bool(c.get("stacks_with_promotions", True)),
            member_levels=list(c.get("member_levels") or []))

    def body(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The template's body (every field, so that it serves POST and PATCH alike) and
        the mistakes found (field -> message)."""
        m: dict[str, str] = {}
        if not self.name:
            m["name"] = t("admin.form.required")
        fixed = self.validity == "fixed"
        body: dict[str, Any] = {
            "name": self.name, "description": self.description or None, "kind": self.kind,
            "amount_off": _money(self.amount_off, "amount_off", m)
            if self.kind == "amount_off" else None,
            "percent_off": _percent(self.percent_off, "percent_off", m)
            if self.kind == "percent_off" else None,
            "max_discount": _money(self.max_discount, "max_discount", m)
            if self.kind == "percent_off" else None,
            "min_spend": _money(self.min_spend, "min_spend", m),
            "scope": self.scope_body(m),
            "valid_from": _instant(self.valid_from, "valid_from", m) if fixed else None,
            "valid_until": _instant(self.valid_until, "valid_until", m) if fixed else None,
            "valid_days": None if fixed else _integer(self.valid_days, "valid_days", m, low=1),
            "total_quantity": _integer(self.total_quantity, "total_quantity", m, low=1),
            "per_user_limit": _integer(self.per_user_limit, "per_user_limit", m, low=1),
            "member_levels": self.member_levels or None,
            "claimable": self.claimable, "redeem_code": self.redeem_code or None,
            "auto_issue": self.auto_issue or "none",
            "exclusion_group": self.exclusion_group or None,
            "priority": _integer(self.priority, "priority", m) or 0,
            "stacks_with_promotions": self.stacks_with_promotions, "status": self.status,
        }
        if self.kind == "amount_off" and not self.amount_off:
            m["amount_off"] = t("admin.form.required")
        if self.kind == "percent_off" and not self.percent_off:
            m["percent_off"] = t("admin.form.required")
        if fixed and not self.valid_until:
            m["valid_until"] = t("admin.form.required")
        if not fixed and not self.valid_days:
            m["valid_days"] = t("admin.form.required")
        if not self.total_quantity:
            m["total_quantity"] = t("admin.form.required")
        if body["per_user_limit"] is None:
            body.pop("per_user_limit")
        return body, m


@dataclass
class PromotionForm(ScopeFields):
    name: str = ""
    kind: str = "full_reduction"
    percent: str = ""
    starts_at: str = ""
    ends_at: str = ""
    exclusion_group: str = ""
    priority: str = "0"
    status: str = "active"
    tiers: list[tuple[str, str]] = field(default_factory=lambda: [("", "")] * TIER_ROWS)
    member_percents: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: MultiDict) -> PromotionForm:
        tiers = [(form.get(f"tiers.{i}.threshold", "").strip(),
                  form.get(f"tiers.{i}.off", "").strip()) for i in range(TIER_ROWS)]
        members = {lv: form.get(f"member_percents.{lv}", "").strip() for lv in LEVEL_CODES}
        return cls(**_typed(cls, form), tiers=tiers, member_percents=members)

    @classmethod
    def of_promotion(cls, p: dict[str, Any]) -> PromotionForm:
        tiers = [(_money_text(tier.get("threshold")), _money_text(tier.get("off")))
                 for tier in p.get("tiers") or []][:TIER_ROWS]
        tiers += [("", "")] * (TIER_ROWS - len(tiers))
        return cls(**ScopeFields.text_of(p.get("scope")), name=p.get("name") or "",
                   kind=p.get("kind") or "full_reduction", percent=str(p.get("percent") or ""),
                   starts_at=_datetime_text(p.get("starts_at")),
                   ends_at=_datetime_text(p.get("ends_at")),
                   exclusion_group=p.get("exclusion_group") or "",
                   priority=str(p.get("priority") or 0), status=p.get("status") or "active",
                   tiers=tiers, member_percents={lv: str(v) for lv, v in
                                                 (p.get("member_percents") or {}).items()})

    def body(self) -> tuple[dict[str, Any], dict[str, str]]:
        m: dict[str, str] = {}
        for name in ("name", "starts_at", "ends_at"):
            if not getattr(self, name):
                m[name] = t("admin.form.required")
        body: dict[str, Any] = {
            "name": self.name, "kind": self.kind, "scope": self.scope_body(m),
            "tiers": self._tiers(m) if self.kind == "full_reduction" else None,
            "percent": _percent(self.percent, "percent", m)
            if self.kind == "timed_discount" else None,
            "member_percents": self._members(m) if self.kind == "member_price" else None,
            "starts_at": _instant(self.starts_at, "starts_at", m),
            "ends_at": _instant(self.ends_at, "ends_at", m),
            "exclusion_group": self.exclusion_group or None,
            "priority": _integer(self.priority, "priority", m) or 0, "status": self.status,
        }
        if self.kind == "timed_discount" and not self.percent:
            m["percent"] = t("admin.form.required")
        return body, m

    def _tiers(self, m: dict[str, str]) -> list[dict[str, Any]]:
        tiers = []
        for i, (threshold, off) in enumerate(self.tiers):
            if not threshold and not off:
                continue
            if not (threshold and off):
                m[f"tiers.{i}"] = t("admin.form.tier_pair")
                continue
            tiers.append({"threshold": _money(threshold, f"tiers.{i}.threshold", m),
                          "off": _money(off, f"tiers.{i}.off", m)})
        if not tiers and not any(key.startswith("tiers.") for key in m):
            m["tiers.0"] = t("admin.form.one_tier")
        return tiers

    def _members(self, m: dict[str, str]) -> dict[str, int]:
        found = {lv: _percent(text, f"member_percents.{lv}", m)
                 for lv, text in self.member_percents.items() if text}
        if not found:
            m["member_percents"] = t("admin.form.required")
        return {lv: value for lv, value in found.items() if value is not None}


def user_ids(text: str) -> list[str]:
    """The user ids typed for issuing, one a line or separated by commas, each once."""
    return list(dict.fromkeys(item for item in _LIST.split(text) if item))
