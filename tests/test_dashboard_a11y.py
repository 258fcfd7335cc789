"""The dashboard's busiest pages checked with axe-core in a real browser, on an office
screen and on a phone: no serious or critical accessibility violation on the queue, a
submission with a photo, the compose page with its preview, and the figures."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.chat import Chat
from tests.conftest import Clock
from tests.dashboard_browser import person, signed_in
from tests.test_dashboard_auth import Desk, running_desk
from tests.test_dashboard_figures import CUA_TUNG, seed
from tests.test_dashboard_review import with_photo
from tests.test_review import nominate

AXE = Path(__file__).resolve().parent.parent / ".cache/axe/node_modules/axe-core/axe.min.js"
INSTALL_AXE = "npm install --no-save --prefix .cache/axe axe-core@4"
SCREENS = {"office": (1366, 768), "phone": (360, 740)}
VIOLATIONS = """async () => {
    // Every decision's form is checked too, not only the summaries that open them.
    document.querySelectorAll("details").forEach(d => { d.open = true; });
    const found = await axe.run(document, {resultTypes: ["violations"]});
    return found.violations.map(v => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map(n => n.target.join(" ")),
    }));
}"""


@pytest.fixture
def axe() -> Path:
    # Asked for before the service starts: a skip must not leave it running.
    if not AXE.is_file():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"axe-core is required ({INSTALL_AXE})")
        pytest.skip(f"axe-core not installed ({INSTALL_AXE})")
    return AXE


@pytest.fixture
async def desk(axe: Path, settings: Settings, clock: Clock) -> AsyncIterator[Desk]:
    async with running_desk(settings, clock) as opened:
        yield opened


async def serious_violations(tab: Any, axe: Path) -> list[str]:
    """The page's serious and critical axe-core violations, one line each, with every
    folded part unfolded."""
    await tab.add_script_tag(path=str(axe))
    found: list[dict[str, Any]] = await tab.evaluate(VIOLATIONS)
    return [
        f"{tab.url} {v['rule']} ({v['impact']}: {v['help']}) at {', '.join(v['targets'])}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("screen", SCREENS)
async def test_the_busiest_pages_have_no_serious_accessibility_violation(
    desk: Desk, clock: Clock, axe: Path, screen: str
) -> None:
    await seed(desk, clock)
    code = await nominate(Chat(desk.app.engine, "web", "v" * 22, name="Lan"))
    await with_photo(desk.app, code)
    officer = await person(desk, "o1", role="officer", area="quang-tri", name="Cán bộ tỉnh")
    tab = await signed_in(desk, officer)
    width, height = SCREENS[screen]
    await tab.set_viewport_size({"width": width, "height": height})
    problems: list[str] = []

    await tab.goto(f"{desk.base}/dashboard/review")
    await tab.get_by_role("link", name=code).wait_for()
    problems += await serious_violations(tab, axe)

    await tab.goto(f"{desk.base}/dashboard/review/{code}")
    await tab.get_by_role("img", name=f"Ảnh 1 của hồ sơ {code}").wait_for()
    problems += await serious_violations(tab, axe)

    await tab.goto(f"{desk.base}/dashboard/announcements/new")
    await tab.get_by_label("Nội dung (tối đa 3.000 ký tự)").fill("Tối nay 19:30 họp thôn.")
    await tab.get_by_label("Một xã, phường").check()
    await tab.get_by_label("Xã, phường", exact=True).select_option(CUA_TUNG)
    await tab.get_by_text("Số người nhận: 2").wait_for()
    await tab.locator("#preview section.telegram", has_text="họp thôn").wait_for()
    problems += await serious_violations(tab, axe)

    await tab.goto(f"{desk.base}/dashboard/figures")
    await tab.get_by_role("heading", name="Số liệu Quảng Trị").wait_for()
    problems += await serious_violations(tab, axe)

    assert not problems, "\n".join(problems)
