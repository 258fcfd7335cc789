"""The monthly results of a commune, for the subscribers who asked for them; officers
preview it with `/bantin`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from content.areas import load_areas
from content.i18n import N_, Translator
from handlers.fields import VIETNAM, Place
from handlers.form_journey import FormJourney
from handlers.forms import Form
from handlers.officer import audit, require_officer
from handlers.types import Reply, Turn
from storage.figures import CommuneFigures, commune_figures


def month_before(moment: datetime) -> tuple[datetime, datetime]:
    """The calendar month (Vietnam time) before the one `moment` falls in."""
    local = moment.astimezone(VIETNAM)
    this_month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    return last_month, this_month


def digest_text(words: Translator, place: str, start: datetime, figures: CommuneFigures) -> str:
    """A short message a villager reads in a few seconds."""
    _ = words.gettext
    number = words.number
    return "\n".join(
        [
            _("📊 Kết quả tháng {month}/{year} ở {place}:").format(
                month=start.month, year=start.year, place=place
            ),
            _("• Đề cử nhận được: {n}").format(n=number(figures.received)),
            _("• Được công nhận: {n}").format(n=number(figures.accepted)),
            _("• Được khen thưởng: {n}").format(n=number(figures.commended)),
            _("• Câu hỏi được trả lời: {n} (cán bộ trả lời {m})").format(
                n=number(figures.answered_by_bot + figures.answered_by_officers),
                m=number(figures.answered_by_officers),
            ),
            _("Cảm ơn bà con đã chung sức xây dựng nông thôn mới!"),
        ]
    )


async def preview_for(turn: Turn, commune_code: str) -> list[Reply]:
    commune = load_areas().get(commune_code)
    name = commune.name if commune else commune_code
    start, end = month_before(turn.now)
    figures = await commune_figures(turn.session, commune_code, start, end)
    audit(turn, "digest.previewed", target=commune_code)
    intro = turn._("Bản tin tháng sẽ gửi cho người chọn nhận kết quả của xã:")
    return [Reply(intro), Reply(digest_text(turn.translator, name, start, figures))]


async def chosen_commune(turn: Turn, values: dict[str, Any]) -> list[Reply]:
    turn.finish()
    return await preview_for(turn, str(values["commune"]["code"]))


def _allowed(turn: Turn) -> None:
    require_officer(turn)


form = Form(
    name="digest",
    fields=[
        Place(
            "commune",
            N_("Xã, phường"),
            N_("Xem bản tin tháng của xã, phường nào? Gõ tên xã."),
            # A commune officer's own commune needs no asking.
            when=lambda turn, values: load_areas().get(turn.contact.area or "") is None,
        )
    ],
    title=N_("Bản tin tháng:"),
    submit=chosen_commune,
    allowed=_allowed,
    confirm=False,
)
_runner = FormJourney(form)


async def open_preview(turn: Turn) -> list[Reply]:
    """`/bantin`: the monthly digest of the officer's commune, or of one they name."""
    require_officer(turn)
    if load_areas().get(turn.contact.area or "") is not None:
        return await preview_for(turn, str(turn.contact.area))
    return await _runner.restart(turn)


journey = _runner.journey(
    command=None,
    menu_label=None,
    menu_order=115,
    more_commands={"bantin": open_preview},
    more_help={"bantin": N_("xem trước bản tin tháng của xã (cán bộ)")},
    officer_only=True,
)
