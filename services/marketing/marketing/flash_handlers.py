"""The marketing worker's flash-sale handlers (registered on ``marketing.handlers``).

The gate's Redis copy (if configured) gets units back after each handler's transaction
commits; ``bind(settings)`` names it when the worker starts.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from event_contracts.vocabulary import CampaignKind
from marketing import flash_attempts
from marketing.flash_attempts import GiveBack
from marketing.flash_gate import RedisGate, gate_for
from marketing.settings import MarketingSettings
from service_runtime.handlers import Event, Handlers

_give_back: list[GiveBack | None] = [None]


def bind(settings: MarketingSettings) -> None:
    gate = gate_for(settings)
    _give_back[0] = gate.give_back if isinstance(gate, RedisGate) else None


def is_flash(data: dict) -> bool:
    return (data.get("campaign") or {}).get("kind") == CampaignKind.FLASH_SALE


def order_placed(session: Session, data: dict) -> None:
    if is_flash(data):
        flash_attempts.order_placed(session, data, _give_back[0])


def order_cancelled(session: Session, data: dict) -> None:
    flash_attempts.order_cancelled(session, data, _give_back[0])


def register(handlers: Handlers) -> None:
    @handlers.on("FlashStockHeld")
    def flash_stock_held(session: Session, event: Event) -> None:
        flash_attempts.stock_held(session, event.data)

    @handlers.on("FlashOrderRejected")
    def flash_order_rejected(session: Session, event: Event) -> None:
        flash_attempts.order_rejected(session, event.data, _give_back[0])
