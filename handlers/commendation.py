"""A commendation announcement drafted in one tap from a commended nomination, for the
officer to edit and send through `/thongbao`'s form."""

from __future__ import annotations

from typing import Any

from content.areas import load_areas
from content.i18n import N_
from handlers.announce import commune_officer, composer
from handlers.engine import Journey
from handlers.officer import audit, covers, require_officer
from handlers.types import Reply, Turn
from storage.lifecycle import COMMENDED
from storage.models import Nomination, NominationReview
from storage.nominations import nomination_by_code, normalise_code, photos_of

KIND_WORDS = {
    "village": N_("thôn, bản, ấp kiểu mẫu"),
    "initiative": N_("sáng kiến, mô hình hay"),
    "exemplary": N_("điển hình tiên tiến"),
}


def commendation_text(
    turn: Turn, nomination: Nomination, review: NominationReview, named: bool
) -> str:
    """Who (when they agreed to be named), what, the award and the deciding body."""
    _ = turn._
    commune = load_areas().get(nomination.commune_code)
    place = commune.name if commune else nomination.commune_code
    who = (
        f"{nomination.nominee} ({place})"
        if named
        else _("Một {kind} ở {place}").format(
            kind=_(KIND_WORDS.get(nomination.kind, "")), place=place
        )
    )
    decided = review.decision_date.strftime("%d/%m/%Y") if review.decision_date else ""
    return _(
        "🏅 Biểu dương: {who} được {award} theo Quyết định số {number} ngày "
        "{date} của {body}. Xin chúc mừng và cảm ơn vì đã chung sức xây dựng nông thôn mới!"
    ).format(
        who=who,
        award=review.award or "",
        number=review.decision_number or "",
        date=decided,
        body=review.decided_by_body or "",
    )


async def draft_commendation(turn: Turn) -> list[Reply]:
    """One tap from a commended nomination: an announcement to its commune, ready to
    edit and send. Without the nominee's consent it names nobody and shows no photo."""
    _ = turn._
    require_officer(turn)
    code = normalise_code(turn.args)
    nomination = await nomination_by_code(turn.session, code) if code else None
    review = await turn.session.get(NominationReview, nomination.id) if nomination else None
    if (
        nomination is None
        or review is None
        or nomination.status != COMMENDED
        or not covers(turn.contact.area, nomination.province, nomination.commune_code)
    ):
        audit(turn, "commendation.refused", target=code or turn.args)
        return turn.menu_reply(
            _("Chỉ soạn được tin biểu dương cho hồ sơ đã khen thưởng ở địa bàn bạn.")
        )
    named = nomination.nominee_consent == "yes"
    photos = [m.token for m in await photos_of(turn.session, nomination.id)][:1] if named else []
    audience = "mycommune" if commune_officer(turn) else "commune"
    values: dict[str, Any] = {
        "text": commendation_text(turn, nomination, review, named),
        "photo": {"tokens": photos, "done": True},
        "audience": audience,
        "_kind": "commendation",
        "_nomination": nomination.id,
    }
    if audience == "commune":
        values["commune"] = {"code": nomination.commune_code, "former": None, "typed": ""}
    audit(turn, "commendation.drafted", target=nomination.code, named=named)
    return await composer.start_with(turn, values)


journey = Journey(
    name="commend",
    buttons={"draft": draft_commendation},
    entry_actions=frozenset({"draft"}),
    officer_only=True,
)
