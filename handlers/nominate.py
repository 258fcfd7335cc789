"""Nominating (`/decu`): a model village, an initiative or good model, an exemplary
person, collective or household, or a union member's initiative for their organisation.
Declared as a form; sending it files the nomination and gives a receipt code."""

from __future__ import annotations

from typing import Any

from content.areas import load_areas
from content.i18n import N_
from content.provinces import load_provinces
from handlers.fields import Choice, Consent, Photos, Place, Text, photo_tokens
from handlers.fields import Phone as PhoneField
from handlers.form_journey import FormJourney
from handlers.forms import Form, Values
from handlers.types import Button, Reply, Turn
from storage.consents import grant_subject_consent, withdraw_subject_consent
from storage.lifecycle import NOMINATOR, SUBMITTED, UNDECIDED, record_submitted, transition
from storage.media import attach_media
from storage.models import Nomination
from storage.nominations import new_code, nomination_by_code

FORM = "nominate"
MAX_PHOTOS = 5
# Bumped whenever a consent question below changes, so each consent names what was shown.
WORDING_VERSION = "2026-12"
DATA_PURPOSE = "nomination"
CONTACT_PURPOSE = "nomination_contact"
NOMINEE_PURPOSE = "nominee_public"
PROXY_PURPOSE = "proxy_oral"

VILLAGE_LABELS = {
    "thon": N_("🏡 Thôn, bản kiểu mẫu"),
    "ap": N_("🏡 Ấp kiểu mẫu"),
}
KIND_LABELS = {
    "initiative": N_("💡 Sáng kiến, mô hình hay, cách làm sáng tạo"),
    "exemplary": N_("🌟 Điển hình tiên tiến: cá nhân, tập thể, hộ gia đình"),
}
ON_BEHALF = "member_initiative"


def _is_filer(turn: Turn) -> bool:
    """Members and officers may file for a villager without a phone."""
    return turn.is_officer or turn.contact.role == "member"


def _kinds(turn: Turn, values: Values) -> list[tuple[str, str]]:
    _ = turn._
    province = load_provinces().get(turn.province)
    village = VILLAGE_LABELS[province.village if province else "thon"]
    kinds = [("village", _(village))] + [(k, _(label)) for k, label in KIND_LABELS.items()]
    if turn.contact.role == "member" and turn.contact.organisation:
        kinds.append(
            (
                ON_BEHALF,
                _("🤝 Sáng kiến thay mặt {organisation}").format(
                    organisation=turn.contact.organisation
                ),
            )
        )
    return kinds


def _nominee_prompt(turn: Turn, values: Values) -> str:
    _ = turn._
    kind = values.get("kind")
    if kind == "village":
        return _("Tên thôn, bản hoặc ấp được đề cử là gì? Ví dụ: Thôn Tân Hiệp.")
    if kind in ("initiative", ON_BEHALF):
        return _("Tên sáng kiến hoặc mô hình là gì? Ví dụ: Mô hình nuôi bò nhốt chuồng.")
    return _("Tên cá nhân, tập thể hoặc hộ gia đình được đề cử? Ví dụ: Hộ ông Nguyễn Văn An.")


def _filing_for_someone(turn: Turn, values: Values) -> bool:
    return values.get("filer") == "proxy"


def _own_name(turn: Turn) -> str | None:
    return turn.contact.name


FIELDS = [
    Choice("kind", N_("Loại đề cử"), N_("Bạn muốn đề cử gì?"), _kinds),
    Choice(
        "filer",
        N_("Người đề cử"),
        N_("Bạn điền đề cử của mình, hay điền giúp một người không dùng điện thoại?"),
        [("self", N_("Đề cử của tôi")), ("proxy", N_("Điền giúp người khác"))],
        when=lambda turn, values: _is_filer(turn),
    ),
    Text(
        "proxy_name",
        N_("Điền giúp cho"),
        N_("Họ tên người nhờ bạn điền giúp?"),
        minimum=2,
        maximum=100,
        when=_filing_for_someone,
    ),
    PhoneField(
        "proxy_phone",
        N_("Số điện thoại người đó"),
        N_("Số điện thoại của người đó (nếu có)? Không có thì bấm Bỏ qua."),
        optional=True,
        when=_filing_for_someone,
    ),
    Consent(
        "proxy_agreed",
        N_("Người đó đã đồng ý"),
        N_("Người đó đã đồng ý (nói trực tiếp với bạn) để bạn gửi đề cử và thông tin của họ chưa?"),
        [("yes", N_("Đã đồng ý")), ("no", N_("Chưa"))],
        required="yes",
        declined=N_(
            "Cần người đó đồng ý trước. Mình đã bỏ bản nháp; khi họ đồng ý, bạn gõ /decu "
            "để điền lại nhé."
        ),
        when=_filing_for_someone,
    ),
    Text("nominee", N_("Tên"), _nominee_prompt, minimum=3, maximum=200),
    Place(
        "commune",
        N_("Xã, phường"),
        N_("Ở xã, phường nào? Gõ tên xã (tên cũ cũng được), ví dụ: xã Cửa Tùng."),
    ),
    Text(
        "village",
        N_("Thôn, bản, ấp"),
        N_("Thuộc thôn, bản hay ấp nào? Không rõ thì bấm Bỏ qua."),
        minimum=2,
        maximum=100,
        optional=True,
        when=lambda turn, values: values.get("kind") != "village",
    ),
    Text(
        "achievements",
        N_("Thành tích"),
        N_(
            "Thành tích, việc làm nổi bật là gì? Viết ít nhất 30 ký tự. Ví dụ: “Thôn có "
            "100% hộ dùng nước sạch, bà con góp công làm 3 km đường bê tông.” Xin đừng "
            "gửi số hay ảnh căn cước, giấy tờ tùy thân."
        ),
        minimum=30,
        maximum=3000,
    ),
    Photos(
        "photos",
        N_("Ảnh minh chứng"),
        N_("Gửi tối đa 5 ảnh minh chứng (bấm 📎 hoặc 📷), hoặc bấm Bỏ qua."),
        maximum=MAX_PHOTOS,
    ),
    Text(
        "nominator_name",
        N_("Họ tên bạn"),
        N_("Họ tên của bạn?"),
        minimum=2,
        maximum=100,
        suggestion=_own_name,
    ),
    PhoneField(
        "nominator_phone",
        N_("Số điện thoại của bạn"),
        N_(
            "Số điện thoại của bạn? Chỉ cán bộ xét đề cử thấy số này. Ví dụ: 0912 345 678. "
            "Trên Telegram có thể bấm nút “Gửi số điện thoại của tôi”."
        ),
    ),
    Consent(
        "consent_data",
        N_("Đồng ý xử lý thông tin"),
        N_(
            "Bạn đồng ý cho cán bộ phong trào lưu và xử lý thông tin của đề cử này (họ tên, "
            "số điện thoại, nội dung, ảnh), chỉ để xét đề cử?"
        ),
        [("yes", N_("✅ Đồng ý")), ("no", N_("Không đồng ý"))],
        required="yes",
        declined=N_(
            "Không sao. Mình đã xóa bản nháp, không giữ thông tin nào của đề cử này. "
            "Khi nào muốn, gõ /decu để đề cử lại."
        ),
    ),
    Consent(
        "consent_contact",
        N_("Cán bộ được liên hệ"),
        N_("Cán bộ có được gọi điện hoặc nhắn tin cho bạn về đề cử này không?"),
        [("yes", N_("Được")), ("no", N_("Không"))],
    ),
    Consent(
        "nominee_consent",
        N_("Người được đề cử đồng ý công khai"),
        N_(
            "Người (hoặc tập thể) được đề cử đã đồng ý để công khai tên và ảnh khi được "
            "biểu dương chưa?"
        ),
        [("yes", N_("Đã đồng ý")), ("no", N_("Không đồng ý")), ("not_asked", N_("Chưa hỏi"))],
    ),
]


def _intro(turn: Turn) -> str:
    return turn._(
        "Cảm ơn bạn! Mình hỏi từng câu ngắn, mỗi câu trả lời được lưu ngay. "
        "Gõ /huy để dừng bất cứ lúc nào."
    )


async def file_nomination(turn: Turn, values: dict[str, Any]) -> list[Reply]:
    """File the nomination, its first event, photos and consents; answer with the code."""
    _ = turn._
    session = turn.session
    place = values["commune"]
    commune = load_areas().get(str(place["code"]))
    kind = values["kind"]
    proxy = values.get("filer") == "proxy"
    nomination = Nomination(
        code=await new_code(session),
        kind="initiative" if kind == ON_BEHALF else kind,
        status=SUBMITTED,
        province=commune.province if commune else turn.province,
        commune_code=str(place["code"]),
        village=values.get("village") or (values["nominee"] if kind == "village" else None),
        former_place=place.get("former"),
        nominee=values["nominee"],
        achievements=values["achievements"],
        organisation=turn.contact.organisation if kind == ON_BEHALF else None,
        nominator_contact_id=turn.contact.id,
        nominator_name=values["nominator_name"],
        nominator_phone=values["nominator_phone"],
        proxy_for_name=values.get("proxy_name") if proxy else None,
        proxy_for_phone=values.get("proxy_phone") if proxy else None,
        contact_consent=values.get("consent_contact") == "yes",
        nominee_consent=values.get("nominee_consent") or "not_asked",
        created_at=turn.now,
        updated_at=turn.now,
    )
    session.add(nomination)
    await session.flush()
    record_submitted(session, nomination, turn.contact.id, turn.now)
    await attach_media(session, photo_tokens(values.get("photos")), nomination.id)
    consents = [DATA_PURPOSE]
    if nomination.contact_consent:
        consents.append(CONTACT_PURPOSE)
    if nomination.nominee_consent == "yes":
        consents.append(NOMINEE_PURPOSE)
    if proxy:
        consents.append(PROXY_PURPOSE)
    for purpose in consents:
        await grant_subject_consent(
            session, turn.contact.id, purpose, nomination.code, WORDING_VERSION, turn.now
        )
    turn.finish()
    where = commune.name if commune else nomination.commune_code
    lines = [
        _("✅ Đã gửi đề cử! Mã hồ sơ của bạn: {code}").format(code=nomination.code),
        _("Cán bộ phụ trách {place} sẽ xem xét đề cử; có kết quả, mình nhắn bạn tại đây.").format(
            place=where
        ),
        _("Xem tình trạng: gõ mã {code} hoặc /hoso.").format(code=nomination.code),
    ]
    buttons: tuple[Button, ...] = turn.main_menu()
    if commune is not None and not turn.contact.area and not turn.is_officer:
        lines.append(
            _(
                "Bạn có sống ở {place} không? Nếu có, mình ghi nhận để gửi bạn tin của nơi này."
            ).format(place=where)
        )
        buttons = (
            Button(f"track:home:{nomination.code}", _("Đúng, tôi ở đây")),
            Button("track:nothome", _("Không")),
        )
    return [Reply("\n".join(lines), buttons)]


form = Form(
    name=FORM,
    fields=FIELDS,
    title=N_("Xem lại đề cử của bạn:"),
    submit=file_nomination,
    attachments="photos",
    intro=_intro,
)

journey = FormJourney(form).journey(
    command="decu",
    menu_label=N_("🏅 Đề cử"),
    menu_order=30,
    help_text=N_("đề cử thôn kiểu mẫu, sáng kiến, điển hình tiên tiến"),
)


async def withdraw_nomination_consent(turn: Turn, purpose: str, code: str) -> None:
    """Withdraw one consent given for a nomination, and stop what it allowed: without
    consent to process it, an undecided nomination is withdrawn and the nominator's
    name and phone are cleared from it."""
    session = turn.session
    await withdraw_subject_consent(session, turn.contact.id, purpose, code, turn.now)
    nomination = await nomination_by_code(session, code)
    if nomination is None or nomination.nominator_contact_id != turn.contact.id:
        return
    if purpose == DATA_PURPOSE:
        if nomination.status in UNDECIDED:
            await transition(
                session,
                nomination.id,
                "withdraw",
                actor_contact_id=turn.contact.id,
                actor_role=NOMINATOR,
                at=turn.now,
                note="consent withdrawn",
            )
        nomination.nominator_name = None
        nomination.nominator_phone = None
        nomination.proxy_for_phone = None
        nomination.contact_consent = False
    elif purpose == CONTACT_PURPOSE:
        nomination.contact_consent = False
    elif purpose == NOMINEE_PURPOSE:
        nomination.nominee_consent = "no"
