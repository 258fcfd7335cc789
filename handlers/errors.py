"""Domain errors a journey may raise; the engine turns each into a polite message."""

from __future__ import annotations

from content.i18n import N_


class DomainError(Exception):
    """An expected refusal. `message` is a catalog msgid shown to the person."""

    message = N_("Xin lỗi, mình chưa làm được việc này.")


class NotAuthorized(DomainError):
    message = N_(
        "Lệnh này chỉ dành cho cán bộ phụ trách. Nếu bạn là cán bộ, hãy gõ /canbo kèm mã mời."
    )


class NotFound(DomainError):
    message = N_("Không tìm thấy nội dung bạn cần.")


class Invalid(DomainError):
    message = N_("Thông tin chưa hợp lệ, bạn kiểm tra lại giúp mình nhé.")
