"""An announcement as a printable A4 notice for the village notice board, laid out like a
Vietnamese administrative notice (thông báo): issuing body and national motto side by
side, place and date, title, body, optional photo, signature block."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from content.i18n import TIMEZONE, normalise_language

_PHOTO = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+")
# The subject line of a notice made from an announcement: its first line, at most this.
TITLE_LENGTH = 120
_MONTHS_EN = (
    "January February March April May June July August September October November December"
).split()


@dataclass(frozen=True)
class _Labels:
    country: str
    motto: str
    superior: str  # the body above the issuer, "{province}" filled in
    notice: str
    on_behalf: str
    signature: str
    recipients_heading: str
    recipients: tuple[str, ...]


_LABELS = {
    "vi": _Labels(
        country="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        motto="Độc lập - Tự do - Hạnh phúc",
        superior="UBND TỈNH {province}",
        notice="THÔNG BÁO",
        on_behalf="TM. {issuer}",
        signature="(Ký, ghi rõ họ tên và đóng dấu)",
        recipients_heading="Nơi nhận:",
        recipients=("- Nhân dân trên địa bàn;", "- Lưu: VT."),
    ),
    "en": _Labels(
        country="SOCIALIST REPUBLIC OF VIET NAM",
        motto="Independence - Freedom - Happiness",
        superior="{province} PROVINCIAL PEOPLE'S COMMITTEE",
        notice="NOTICE",
        on_behalf="ON BEHALF OF {issuer}",
        signature="(Signature, full name and seal)",
        recipients_heading="Recipients:",
        recipients=("- Residents of the area;", "- Filed: Office."),
    ),
}

# Inline, because the page must print the same with no network and no other file.
_STYLE = """
@page { size: A4; margin: 2cm; }
* { box-sizing: border-box; }
html { background: #fff; }
body {
  margin: 0; color: #000;
  font-family: "Times New Roman", "Liberation Serif", "DejaVu Serif", serif;
  font-size: 16pt; line-height: 1.4;
}
.sheet { width: 210mm; min-height: 297mm; margin: 0 auto; padding: 2cm; }
.heading { display: flex; justify-content: space-between; gap: 6pt;
  text-align: center; font-size: 14pt; line-height: 1.3; }
.issuer { flex: 0 0 36%; }
.state { flex: 1 1 auto; }
.country { white-space: nowrap; }
.upper { text-transform: uppercase; }
.bold { font-weight: bold; }
.rule { width: 40%; margin: 3pt auto 0; border-top: 1pt solid #000; }
.motto { display: inline-block; font-weight: bold; border-bottom: 1pt solid #000;
  padding-bottom: 2pt; }
.dateline { margin-top: 10pt; font-style: italic; }
h1 { margin: 24pt 0 0; font-size: 18pt; text-align: center; letter-spacing: 1pt; }
.subject { margin: 4pt 0 0; font-weight: bold; text-align: center; font-size: 16pt; }
.subject + .rule { width: 25%; margin-bottom: 14pt; }
.body p { margin: 0 0 6pt; text-align: justify; text-indent: 1cm; }
figure { margin: 12pt 0; text-align: center; break-inside: avoid; }
figure img { max-width: 100%; max-height: 7cm; }
.closing { display: flex; justify-content: space-between; margin-top: 18pt;
  break-inside: avoid; font-size: 14pt; }
.recipients { width: 45%; }
.recipients p { margin: 0; }
.sign { width: 50%; text-align: center; }
.sign .space { height: 2.2cm; }
.italic { font-style: italic; }
@media print {
  .sheet { width: auto; min-height: 0; padding: 0; }
}
"""


def _local(issued_at: datetime) -> datetime:
    # A naive time is taken as UTC, the way the database stores every moment.
    aware = issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(TIMEZONE))


def date_line(province_name: str, issued_at: datetime, language: str = "vi") -> str:
    """ "Quảng Trị, ngày 30 tháng 11 năm 2026" in Vietnam's time. Days below 10 and the
    months January and February get a leading zero, as administrative documents write
    them ("ngày 05 tháng 02 năm 2026"), so no digit can be added in front by hand."""
    local = _local(issued_at)
    if normalise_language(language) == "en":
        return f"{province_name}, {local.day} {_MONTHS_EN[local.month - 1]} {local.year}"
    month = f"{local.month:02d}" if local.month < 3 else str(local.month)
    return f"{province_name}, ngày {local.day:02d} tháng {month} năm {local.year}"


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def printable_notice(
    *,
    province_name: str,
    issuer: str,
    title: str,
    text: str,
    issued_at: datetime,
    photo_data_uri: str | None = None,
    language: str = "vi",
) -> str:
    """A self-contained HTML page (inline CSS, no external assets) that prints as an A4
    notice. Every given string is escaped; `photo_data_uri` must be a base64 `data:image/…`
    URI (PNG, JPEG, GIF or WebP), anything else raises ValueError."""
    if photo_data_uri is not None and not _PHOTO.fullmatch(photo_data_uri):
        raise ValueError("photo_data_uri must be a base64 data:image/png|jpeg|gif|webp URI")
    lang = normalise_language(language)
    labels = _LABELS[lang]
    esc = html.escape
    superior = labels.superior.format(province=province_name)
    issuer_lines = [f'<div class="bold upper">{esc(issuer)}</div>']
    if issuer.strip().casefold() != superior.casefold():
        issuer_lines.insert(0, f'<div class="upper">{esc(superior)}</div>')
    body = "\n".join(f"<p>{esc(p)}</p>" for p in _paragraphs(text))
    photo = ""
    if photo_data_uri is not None:
        photo = f'<figure><img src="{esc(photo_data_uri.strip())}" alt="{esc(title)}"></figure>'
    recipients = "".join(f"<p>{esc(line)}</p>" for line in labels.recipients)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(labels.notice)}: {esc(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main class="sheet">
<div class="heading">
<div class="issuer">
{"".join(issuer_lines)}
<div class="rule"></div>
</div>
<div class="state">
<div class="bold country">{esc(labels.country)}</div>
<div class="motto">{esc(labels.motto)}</div>
<div class="dateline">{esc(date_line(province_name, issued_at, lang))}</div>
</div>
</div>
<h1>{esc(labels.notice)}</h1>
<p class="subject">{esc(title)}</p>
<div class="rule"></div>
<div class="body">
{body}
</div>
{photo}
<div class="closing">
<div class="recipients">
<p class="bold italic">{esc(labels.recipients_heading)}</p>
{recipients}
</div>
<div class="sign">
<div class="bold upper">{esc(labels.on_behalf.format(issuer=issuer))}</div>
<div class="italic">{esc(labels.signature)}</div>
<div class="space"></div>
</div>
</div>
</main>
</body>
</html>
"""


def announcement_notice(
    text: str,
    *,
    province_name: str,
    issued_at: datetime,
    commune_name: str | None = None,
    language: str = "vi",
) -> str:
    """The printable notice of an announcement: issued by the commune's People's
    Committee when it went to one commune, the province's otherwise; titled by its
    first line."""
    place = commune_name or f"tỉnh {province_name}"
    first_line = next(iter(_paragraphs(text)), "")
    return printable_notice(
        province_name=province_name,
        issuer=f"UBND {place}".upper(),
        title=first_line[:TITLE_LENGTH],
        text=text,
        issued_at=issued_at,
        language=language,
    )
