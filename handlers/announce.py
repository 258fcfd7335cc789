"""Composing an announcement (`/thongbao`), for officers and admins."""

from __future__ import annotations

from content.i18n import N_
from handlers.engine import Journey
from handlers.officer import audit, require_officer
from handlers.types import Reply, Turn


async def compose(turn: Turn) -> list[Reply]:
    """`/thongbao`: composing an announcement."""
    require_officer(turn)
    audit(turn, "broadcast.opened")
    return [Reply(turn._("Chức năng soạn thông báo trong chat sắp có."))]


journey = Journey(
    name="announce",
    commands={"thongbao": compose},
    menu_order=110,
    officer_only=True,
    help={"thongbao": N_("soạn thông báo (cán bộ)")},
)
