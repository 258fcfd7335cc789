"""Which journeys this bot offers, assembled into an engine."""

from __future__ import annotations

from handlers import (
    announce,
    ask,
    browse,
    commendation,
    decide,
    digest,
    inbox,
    info_requests,
    language,
    my_data,
    news,
    nominate,
    officer,
    province,
    review,
    start,
    submissions,
    subscription,
    supports,
    web_login,
    yearly_report,
)
from handlers.engine import Engine, Journey
from handlers.locks import KeyedLocks
from handlers.types import Services


def journeys() -> list[Journey]:
    """Every journey, in no particular order (menus sort by `menu_order`)."""
    return [
        start.journey,
        ask.journey,
        browse.journey,
        province.journey,
        language.journey,
        subscription.journey,
        subscription.commune_journey,
        my_data.journey,
        officer.journey,
        inbox.journey,
        nominate.journey,
        submissions.journey,
        announce.journey,
        news.journey,
        commendation.journey,
        digest.journey,
        review.journey,
        decide.journey,
        info_requests.journey,
        supports.journey,
        yearly_report.journey,
        web_login.journey,
    ]


def build_engine(
    services: Services,
    numbered_channels: frozenset[str] = frozenset(),
    locks: KeyedLocks | None = None,
    deferred_channels: frozenset[str] = frozenset(),
) -> Engine:
    """The engine with every journey; free text outside a flow is a question."""
    return Engine(services, journeys(), ask.free_text, numbered_channels, locks, deferred_channels)
