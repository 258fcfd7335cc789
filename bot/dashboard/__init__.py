"""The officer dashboard: server-rendered pages under `/dashboard/` on the service's own
aiohttp application, Vietnamese first and English through the same catalogs.

How a page module plugs in
==========================

A page module is a module of this package named in `PAGE_MODULES`; the ones that
exist are imported by `Dashboard.add_routes` (a name whose module is not there yet is
skipped). It exposes:

- `routes(dashboard: Dashboard) -> list[web.RouteDef]`: its routes, every path under
  `/dashboard/` (e.g. `web.get("/dashboard/figures", figures_page)`).
- optionally `NAV: tuple[NavItem, ...]`: its entries in the top menu (path, a msgid
  marked with `N_`, an order: review 10, figures 20, announcements 30, questions 40,
  reports 50, admins 90; `admin=True` shows an entry to admins only).

Every handler is wrapped in `@guarded("page.name")` (or `@guarded(..., admin=True)`)
from `bot.dashboard.auth`, and has the signature
`async def handler(request: web.Request, signed: SignedIn) -> web.StreamResponse`.
The guard has already checked, on the server, a live session (8 hours idle at most),
the officer or admin role (ADMINS, or `contacts.role`, re-read at every request, so a
revoked officer is out at once), the CSRF token of every non-GET request (the `csrf`
form field or the `X-CSRF-Token` header), and audited each refusal. `SignedIn` gives:
`contact` (detached `Contact`), `is_admin`, `scope` (`storage.review.Scope`: use
`scope.nominations()` / `scope.questions()` in SQL, `scope.covers(...)` for a loaded
row), `officer` (`handlers.review_actions.Officer`), `translator` and `_` (gettext in
the officer's language), `csrf`, `now` (the service clock), `actor`, and
`audit(session, action, target=None, **details)`.

The guard's own unit of work is closed before the handler runs (SQLite has one
connection): a handler opens its own, `async with dashboard.sessions.begin() as
session:`, reading the Dashboard from `signed.dashboard`. Inside it:

- Check the area of what is asked for (a nomination, a question, a broadcast) and, when
  it is not the officer's, call `signed.audit(session, "dashboard.refused", target,
  page=..., reason="not_found")` and answer with `dashboard.not_found(request, signed)`
  (raise it after the unit of work commits, so the audit entry is kept).
- Audit every action: `signed.audit(session, "announcement.created", target, ...)`, or
  call a core that audits itself (`handlers.review_actions`).
- Messages to other people go through the outbox in the same unit of work:
  `woken = await dashboard.queue_notices(session, notices)` with notices
  `[(contact_id, [Reply, ...])]`; after the commit, `dashboard.wake(woken)`.

Rendering: `dashboard.render(request, signed, "figures.html", {...})` returns the
page. Templates live in `bot/dashboard/templates/`, extend `base.html` and fill
`{% block title %}` and `{% block content %}` (`{% block head %}` for a page's own
`<style>`; no external assets, no script library). The context always holds `_`
(gettext: `{{ _("Số liệu") }}`, placeholders with `.format()`: `{{ _("Có {n} hồ sơ")
.format(n=fmt.number(total)) }}`, never `{% trans %}` with `%(x)s`), `ngettext`,
`fmt` (the translator: `fmt.date(d)`, `fmt.datetime(t)`, `fmt.number(n)`), `signed`,
`csrf` and the macro-free `csrf_field` (`{{ csrf_field }}` writes the hidden input), `nav`,
`path` and `lang`. Forms post with `{{ csrf_field }}` inside; a script posting with
`fetch` sends the header `X-CSRF-Token: {{ csrf }}`. CSS classes of `static/dashboard.css`
to reuse: `.card`, `.table` (wrap wide tables in `<div class="scroll">`), `.filters`,
`.button`, `.button.primary`, `.button.danger`, `.badge`, `.notice`, `.muted`, `.grid`,
`.pager`. Template strings are extracted by `scripts/i18n` (babel.cfg has a jinja2
section for `bot/dashboard/templates/**.html`).

Routes of this part: `/dashboard/` (to the queue), `/dashboard/login` (GET shows the
confirm button for a link's token, POST spends it), `/dashboard/logout` (POST),
`/dashboard/static/dashboard.css`, the review pages (`/dashboard/review…`,
`/dashboard/photos/{token}[/thumb]`), `/dashboard/reports…` and `/dashboard/admin…`.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot.dashboard.auth import CSRF_FIELD, DASHBOARD, SignedIn
from bot.media import MediaStore
from content.i18n import N_, Catalogs, Translator
from handlers.review_actions import policy_of
from handlers.types import Reply, Services
from handlers.units import reply_dicts
from storage.db import Sessions
from storage.deliveries import queue_notices

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
PREFIX = "/dashboard"
JINJA: web.AppKey[jinja2.Environment] = web.AppKey("chungsuc_dashboard_jinja")
# Page modules of this package, in the order their routes are added; a module that does
# not exist (yet) is skipped.
PAGE_MODULES = (
    "login",
    "review",
    "photos",
    "figures",
    "announcements",
    "questions",
    "reports",
    "admins",
)
SECURITY_HEADERS = {
    # The login page's URL holds a token: it must not travel in a Referer header.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"
    ),
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class NavItem:
    """One entry of the dashboard's top menu."""

    path: str
    label: str
    order: int
    admin: bool = False


class Dashboard:
    """The dashboard's shared parts: database, catalogs, clock, photos, rendering and
    the outbox; page modules add their routes through `add_routes`."""

    def __init__(self, services: Services, media: MediaStore) -> None:
        self.services = services
        self.sessions: Sessions = services.sessions
        self.catalogs: Catalogs = services.catalogs
        self.clock = services.clock
        self.admins = services.admins
        self.policy = policy_of(services)
        self.media = media
        self.public_url = services.public_url
        # Cookies travel only over https when the service is published over https.
        self.secure_cookies = (
            self.public_url is not None and urlsplit(self.public_url).scheme == "https"
        )
        self.nav: list[NavItem] = []
        self.modules: list[str] = []
        # The Telegram bot's username once its channel has connected (invite links); the
        # composition root sets it where Telegram runs.
        self.telegram_username: Callable[[], str | None] = lambda: None

    def add_routes(self, app: web.Application) -> None:
        """Install the templates, the stylesheet and every page module's routes."""
        app[DASHBOARD] = self
        environment = aiohttp_jinja2.setup(
            app,
            app_key=JINJA,
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=jinja2.select_autoescape(("html",), default=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        environment.policies["ext.i18n.trimmed"] = True
        app.router.add_get(PREFIX, self._home)
        app.router.add_get(PREFIX + "/", self._home)
        app.router.add_get(PREFIX + "/static/dashboard.css", self._stylesheet)
        app.on_response_prepare.append(_secure_headers)
        for name in PAGE_MODULES:
            qualified = f"{__name__}.{name}"
            if importlib.util.find_spec(qualified) is None:
                continue
            module = importlib.import_module(qualified)
            app.router.add_routes(module.routes(self))
            self.nav.extend(getattr(module, "NAV", ()))
            self.modules.append(name)
        self.nav.sort(key=lambda item: item.order)

    async def _home(self, _request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther(PREFIX + "/review")

    async def _stylesheet(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            STATIC / "dashboard.css",
            headers={"Content-Type": "text/css; charset=utf-8", "Cache-Control": "max-age=3600"},
        )

    def context(
        self, request: web.Request, translator: Translator, signed: SignedIn | None
    ) -> dict[str, Any]:
        """What every template may use (see the module docstring)."""
        csrf = signed.csrf if signed is not None else ""
        return {
            "_": translator.gettext,
            "gettext": translator.gettext,
            "ngettext": translator.ngettext,
            "fmt": translator,
            "lang": translator.language,
            "signed": signed,
            "csrf": csrf,
            "csrf_field": Markup('<input type="hidden" name="{}" value="{}">').format(
                CSRF_FIELD, escape(csrf)
            ),
            "nav": [item for item in self.nav if not item.admin or (signed and signed.is_admin)],
            "path": request.path,
        }

    def render(
        self,
        request: web.Request,
        signed: SignedIn | None,
        template: str,
        values: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
        translator: Translator | None = None,
    ) -> web.Response:
        """A page: `template` with the common context and `values`."""
        words = translator or (signed.translator if signed else self.catalogs.translator(None))
        context = {**self.context(request, words, signed), **(values or {})}
        return aiohttp_jinja2.render_template(
            template, request, context, app_key=JINJA, status=status
        )

    def refusal(self, request: web.Request, language: str | None, reason: str) -> web.HTTPException:
        """The answer to a refused request: a signed-out browser asking for a page goes
        to the sign-in page; the rest get 403 with a short page."""
        if reason == "signed_out" and request.method in ("GET", "HEAD"):
            return web.HTTPSeeOther(PREFIX + "/login")
        words = self.catalogs.translator(language)
        messages = {
            "signed_out": N_(
                "Bạn chưa đăng nhập hoặc phiên đã hết hạn. Gõ /web trong chat để nhận "
                "đường dẫn mới."
            ),
            "not_officer": N_("Trang này chỉ dành cho cán bộ phụ trách."),
            "not_admin": N_("Trang này chỉ dành cho quản trị viên."),
            "csrf": N_("Biểu mẫu đã cũ hoặc không hợp lệ. Bạn tải lại trang rồi làm lại nhé."),
        }
        page = self.render(
            request,
            None,
            "refused.html",
            {"message": words.gettext(messages.get(reason, messages["not_officer"]))},
            status=403,
            translator=words,
        )
        return web.HTTPForbidden(text=page.text, content_type="text/html")

    def not_found(self, request: web.Request, signed: SignedIn) -> web.HTTPException:
        """404 with a short page: what is not in the officer's area reads as absent."""
        page = self.render(
            request,
            signed,
            "refused.html",
            {"message": signed._("Không tìm thấy nội dung này trong phạm vi bạn phụ trách.")},
            status=404,
        )
        return web.HTTPNotFound(text=page.text, content_type="text/html")

    async def queue_notices(
        self, session: Any, notices: Iterable[tuple[int, Sequence[Reply]]]
    ) -> set[str]:
        """Write messages to other people into the outbox in `session`'s unit of work;
        returns the channels to wake once it commits."""
        now = self.clock()
        return await queue_notices(
            session, [(contact_id, reply_dicts(replies)) for contact_id, replies in notices], now
        )

    def wake(self, channels: Iterable[str]) -> None:
        """Tell the senders of these channels that deliveries are waiting."""
        for channel in channels:
            self.services.outbox.wake(channel)


async def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
