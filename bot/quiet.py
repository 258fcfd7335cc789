"""Quiet hours: announcements wait from 21:00 to 06:30 local time unless urgent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class QuietHours:
    """The nightly pause of bulk sends, in Vietnam's time."""

    start: time = time(21, 0)
    end: time = time(6, 30)

    def is_quiet(self, moment: datetime) -> bool:
        local = moment.astimezone(LOCAL).time()
        return local >= self.start or local < self.end

    def allows_bulk(self, moment: datetime) -> bool:
        return not self.is_quiet(moment)

    def next_morning(self, moment: datetime) -> datetime:
        """When bulk may go again, from `moment` inside quiet hours."""
        local = moment.astimezone(LOCAL)
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, LOCAL)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether quiet hours fell anywhere between `start` and `end`."""
        if self.is_quiet(start) or self.is_quiet(end):
            return True
        local = start.astimezone(LOCAL)
        evening = datetime.combine(local.date(), self.start, LOCAL)
        return start < evening < end
