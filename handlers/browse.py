"""Browsing the knowledge by topic (`/timhieu`), for people who would rather tap than type."""

from __future__ import annotations

from content.i18n import N_
from content.kb import TOPICS, Entry
from handlers.ask import entry_buttons
from handlers.engine import Journey
from handlers.types import Button, Reply, Turn

PAGE = 6
TOPIC_LABELS = {
    "goals": N_("🎯 Mục tiêu, chỉ tiêu"),
    "timeline": N_("📅 Thời gian, lộ trình"),
    "roles": N_("👥 Ai làm gì"),
    "commendation": N_("🏅 Khen thưởng"),
    "criteria": N_("📋 Bộ tiêu chí"),
    "ocop": N_("⭐ OCOP"),
    "participate": N_("🤝 Cách tham gia"),
    "reform": N_("🗺 Sắp xếp hành chính 2025"),
    "data": N_("🔒 Dữ liệu cá nhân"),
    "bot": N_("💬 Cách dùng chatbot"),
}


def _entries(turn: Turn, topic: str) -> list[Entry]:
    """The topic's entries for the contact's province, provincial ones first."""
    province = turn.province
    found = [
        e
        for e in turn.services.knowledge.index.entries
        if e.topic == topic and e.province in (province, None)
    ]
    return sorted(found, key=lambda e: e.province is None)


async def topics(turn: Turn) -> list[Reply]:
    """`/timhieu`: the topics that have something for this province."""
    present = [t for t in TOPICS if _entries(turn, t)]
    buttons = tuple(Button(f"browse:topic:{t}", turn._(TOPIC_LABELS[t])) for t in present)
    return [Reply(turn._("Bạn muốn tìm hiểu về chủ đề nào?"), buttons)]


async def topic(turn: Turn) -> list[Reply]:
    """One page of a topic's questions; `browse:topic:goals:2` is its second page."""
    name, _, raw_page = turn.args.partition(":")
    if name not in TOPIC_LABELS:
        return await topics(turn)
    page = int(raw_page) if raw_page.isdigit() else 0
    entries = _entries(turn, name)
    shown = entries[page * PAGE : (page + 1) * PAGE]
    buttons = list(entry_buttons(turn, shown))
    if (page + 1) * PAGE < len(entries):
        buttons.append(Button(f"browse:topic:{name}:{page + 1}", turn._("➡ Xem thêm")))
    buttons.append(Button("browse:open", turn._("⬅ Các chủ đề")))
    return [Reply(turn._(TOPIC_LABELS[name]), tuple(buttons))]


journey = Journey(
    name="browse",
    commands={"timhieu": topics},
    buttons={"open": topics, "topic": topic},
    entry_actions=frozenset({"open", "topic"}),
    menu_label=N_("📚 Tìm hiểu theo chủ đề"),
    menu_order=20,
    help={"timhieu": N_("tìm hiểu theo chủ đề")},
)
