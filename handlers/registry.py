"""Which journeys this bot offers, assembled into an engine."""

from __future__ import annotations

from handlers import language, my_data, officer, province, start, subscription
from handlers.engine import Engine, Journey
from handlers.types import Services


def journeys() -> list[Journey]:
    """Every journey, in no particular order (menus sort by `menu_order`)."""
    return [
        start.journey,
        province.journey,
        language.journey,
        subscription.journey,
        my_data.journey,
        officer.journey,
    ]


def build_engine(services: Services) -> Engine:
    """The engine with every journey and the free-text fallback."""
    return Engine(services, journeys(), fallback=start.not_understood)
