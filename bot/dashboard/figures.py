"""The figures page: nominations by commune, kind and status, with a map; questions
answered by the bot and by officers over the months; subscribers by channel and
commune; announcements and their delivery. Every number is counted in SQL within the
officer's area; charts are drawn on the server with their numbers in tables."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.dashboard import PREFIX, Dashboard, NavItem
from bot.dashboard.auth import SignedIn, guarded
from bot.dashboard.charts import Chart, Series, bar_chart, line_chart, stacked_bars
from bot.dashboard.map import commune_map
from content.areas import Commune, load_areas
from content.i18n import N_
from content.provinces import load_provinces
from handlers.submissions import KIND_WORDS
from storage.dashboard_figures import (
    answers_over_time,
    month_starts,
    nomination_counts,
    recent_broadcast_delivery,
    subscribers_by_commune_and_channel,
)
from storage.lifecycle import (
    ACCEPTED,
    COMMENDED,
    DUPLICATE,
    IN_REVIEW,
    NEEDS_INFO,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
)

PATH = PREFIX + "/figures"
NAV = (NavItem(PATH, N_("Số liệu"), 20),)
MONTHS = (6, 12, 24)
DEFAULT_MONTHS = 12
# Communes drawn in the bar chart; the table beside it has them all.
DRAWN_COMMUNES = 20
RECENT_BROADCASTS = 10
# Statuses grouped as an officer reads them at a glance.
STATUS_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Đang chờ xét"), (SUBMITTED, IN_REVIEW, NEEDS_INFO)),
    (N_("Đã công nhận"), (ACCEPTED,)),
    (N_("Đã khen thưởng"), (COMMENDED,)),
    (N_("Không công nhận, trùng"), (REJECTED, DUPLICATE)),
    (N_("Đã rút"), (WITHDRAWN,)),
)
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "web": N_("Trang web")}


def _grouped(
    rows: Mapping[str, Mapping[str, int]], keys: list[str], _: Callable[[str], str]
) -> list[Series]:
    """One series per status group, a value per key."""
    return [
        Series(_(label), tuple(sum(rows.get(key, {}).get(s, 0) for s in statuses) for key in keys))
        for label, statuses in STATUS_GROUPS
    ]


def _province_of(signed: SignedIn, asked: str | None) -> str:
    """The province whose map and communes are shown: the officer's own, or for
    those who cover everywhere the one asked for (the first served by default)."""
    if signed.scope.province is not None:
        return signed.scope.province
    served = list(signed.dashboard.services.provinces)
    return asked if asked in served else served[0]


async def figures_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    dashboard: Dashboard = signed.dashboard
    _ = signed._
    # A page holds hundreds of numbers, mostly the same few: each formatted once.
    number = functools.cache(signed.translator.number)
    raw_months = request.query.get("months", "")
    months = (
        int(raw_months) if raw_months.isdigit() and int(raw_months) in MONTHS else DEFAULT_MONTHS
    )
    province = _province_of(signed, request.query.get("province"))
    scope = signed.scope
    bounds = month_starts(signed.now, months)
    areas = load_areas()
    communes: list[Commune] = (
        [c for c in [areas.get(scope.commune)] if c is not None]
        if scope.commune is not None
        else areas.communes(province)
    )
    codes = [c.code for c in communes]
    async with dashboard.sessions.begin() as session:
        nominations = await nomination_counts(session, scope, codes)
        answers = await answers_over_time(session, scope, bounds)
        subscribers = await subscribers_by_commune_and_channel(session, scope)
        broadcasts = await recent_broadcast_delivery(
            session, scope, RECENT_BROADCASTS, signed.contact.id
        )
        signed.audit(session, "figures.viewed", area=signed.contact.area, months=months)

    per_commune = nominations.by_commune()
    # The busiest first, so the chart's first rows are the ones worth seeing.
    codes.sort(key=lambda code: -sum(per_commune.get(code, {}).values()))
    names = {c.code: c.name for c in communes}
    charts: dict[str, Chart] = {
        "by_commune": stacked_bars(
            _("Đề cử theo xã, phường và tình trạng"),
            [names[code] for code in codes],
            _grouped(per_commune, codes, _),
            category=_("Xã, phường"),
            total=_("Tổng"),
            number=number,
            most=DRAWN_COMMUNES,
        ),
    }
    kinds = list(KIND_WORDS)
    charts["by_kind"] = stacked_bars(
        _("Đề cử theo loại và tình trạng"),
        [_(KIND_WORDS[kind]).capitalize() for kind in kinds],
        _grouped(nominations.by_kind(), kinds, _),
        category=_("Loại"),
        total=_("Tổng"),
        number=number,
    )
    periods = [f"{start.month}/{start.year}" for start in bounds[:-1]]
    charts["answers"] = line_chart(
        _("Câu hỏi được trả lời theo tháng"),
        periods,
        [
            Series(_("Bot tự trả lời"), tuple(answers.by_bot)),
            Series(_("Cán bộ trả lời"), tuple(answers.by_officers)),
        ],
        category=_("Tháng"),
        number=number,
    )
    channels = list(CHANNEL_NAMES)
    by_channel = [sum(row.get(c, 0) for row in subscribers.values()) for c in channels]
    charts["subscribers_by_channel"] = bar_chart(
        _("Người nhận thông báo theo kênh"),
        [_(CHANNEL_NAMES[c]) for c in channels],
        by_channel,
        category=_("Kênh"),
        value_label=_("Người nhận"),
        number=number,
    )
    sub_codes = [code for code in codes if code in subscribers]
    sub_labels = [names[code] for code in sub_codes]
    if None in subscribers:
        sub_codes_or_none: list[str | None] = [*sub_codes, None]
        sub_labels.append(_("Chưa chọn xã"))
    else:
        sub_codes_or_none = list(sub_codes)
    charts["subscribers_by_commune"] = stacked_bars(
        _("Người nhận thông báo theo xã, phường và kênh"),
        sub_labels,
        [
            Series(
                _(CHANNEL_NAMES[c]),
                tuple(subscribers[code].get(c, 0) for code in sub_codes_or_none),
            )
            for c in channels
        ],
        category=_("Xã, phường"),
        total=_("Tổng"),
        number=number,
        most=DRAWN_COMMUNES,
    )
    delivery_statuses = (
        ("sent", _("Đã nhận")),
        ("failed", _("Lỗi")),
        ("blocked", _("Đã chặn bot")),
        ("cancelled", _("Đã hủy")),
    )
    labels = [f"#{item.broadcast.id}" for item in broadcasts]
    series = [
        Series(label, tuple(item.counts.get(status, 0) for item in broadcasts))
        for status, label in delivery_statuses
    ]
    series.append(Series(_("Còn lại"), tuple(item.remaining for item in broadcasts)))
    charts["delivery"] = stacked_bars(
        _("Thông báo gần đây và kết quả gửi"),
        labels,
        series,
        category=_("Thông báo"),
        total=_("Tổng"),
        number=number,
    )

    counts = nominations.per_commune()

    def describe(commune: Commune, count: int) -> str:
        if scope.commune is not None and commune.code != scope.commune:
            return _("{commune}: ngoài địa bàn của bạn").format(commune=commune.name)
        return _("{commune}: {n} đề cử").format(commune=commune.name, n=number(count))

    drawn = areas.communes(province)
    figure_map = commune_map(
        drawn,
        counts,
        title=_("Bản đồ đề cử theo xã, phường"),
        describe=describe,
        none_label=_("Chưa có"),
        number=number,
    )
    values: dict[str, Any] = {
        "charts": {key: Markup(chart.html()) for key, chart in charts.items()},
        "map": Markup(figure_map),
        "totals": {
            "nominations": nominations.total,
            "subscribers": sum(by_channel),
            "by_bot": sum(answers.by_bot),
            "by_officers": sum(answers.by_officers),
            "waiting": answers.waiting,
        },
        "has_broadcasts": bool(broadcasts),
        "months": months,
        "month_choices": MONTHS,
        "province": province,
        "province_choices": (
            [
                (slug, p.name(signed.translator.language))
                for slug, p in load_provinces().items()
                if slug in dashboard.services.provinces
            ]
            if scope.province is None
            else []
        ),
        "area_name": (
            names.get(scope.commune, scope.commune)
            if scope.commune
            else load_provinces()[province].name(signed.translator.language)
            if province in load_provinces()
            else province
        ),
    }
    return dashboard.render(request, signed, "figures.html", values)


def routes(dashboard: Dashboard) -> list[web.RouteDef]:
    return [web.get(PATH, guarded("figures")(figures_page))]
