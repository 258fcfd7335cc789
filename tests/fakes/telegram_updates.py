"""The update side of the fake Bot API: the pending queue, getUpdates long polls, webhook POSTs."""

import asyncio
import itertools
import time
from dataclasses import dataclass, field

import aiohttp

from tests.fakes.telegram_objects import JSONDict
from tests.fakes.telegram_wire import ApiError, bad_request

# Update types Telegram leaves out unless allowed_updates asks for them explicitly.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Telegram backs off for much longer after a failed webhook delivery; tests want it soon.
_WEBHOOK_RETRY_SECONDS = 0.2


@dataclass
class _Poll:
    """One waiting getUpdates call; a newer call supersedes it, as on Telegram."""

    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    superseded: bool = False


class UpdateFeed:
    """Updates waiting for the bot, handed out by getUpdates or POSTed to a webhook.

    As on Telegram, an update stays pending until confirmed: by a later getUpdates whose
    offset is above its id, or by a 2xx answer from the webhook.
    """

    def __init__(self) -> None:
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self._pending: list[JSONDict] = []
        self._ids = itertools.count(1)
        self._allowed: frozenset[str] | None = None
        self._poll: _Poll | None = None
        self._added = asyncio.Event()
        self._closing = asyncio.Event()
        self._webhook_info: JSONDict = {}
        self._webhook_task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> list[JSONDict]:
        """Updates not yet confirmed by the bot, oldest first."""
        return list(self._pending)

    def push(self, kind: str, payload: JSONDict) -> JSONDict:
        """Add an update of type ``kind`` (e.g. "message") and return it.

        Types the bot did not ask for in ``allowed_updates`` are dropped, as Telegram drops them.
        """
        update = {"update_id": next(self._ids), kind: payload}
        wanted = kind in self._allowed if self._allowed is not None else kind not in _OPT_IN_UPDATES
        if wanted:
            self._pending.append(update)
            self._added.set()
            if self._poll is not None:
                self._poll.wakeup.set()
        return update

    async def get_updates(self, params: JSONDict) -> list[JSONDict]:
        """Answer getUpdates: confirm by ``offset``, then wait up to ``timeout`` for updates."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        self._remember_allowed(params)
        offset = params.get("offset", 0)
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            # A negative offset keeps only the last -offset updates and forgets the rest.
            self._pending = self._pending[offset:]
        limit = min(max(params.get("limit", 100), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(params.get("timeout", 0), 0)

        if self._poll is not None:
            self._poll.superseded = True
            self._poll.wakeup.set()
        poll = self._poll = _Poll()
        try:
            while not poll.superseded:
                remaining = deadline - loop.time()
                if self._pending or remaining <= 0 or self._closing.is_set():
                    return self._pending[:limit]
                poll.wakeup.clear()
                await _wait(poll.wakeup, remaining)
        finally:
            if self._poll is poll:
                self._poll = None
        raise ApiError(
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running",
        )

    async def set_webhook(self, params: JSONDict) -> None:
        """Switch to webhook mode and start POSTing pending updates to ``params["url"]``.

        Plain ``http://`` is accepted, unlike on Telegram, because the bot under test listens
        on localhost without TLS.
        """
        url = params["url"]
        if not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: HTTPS url must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _is_valid_secret(secret):
            raise bad_request("secret token contains unallowed characters")
        await self._stop_delivery()
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._remember_allowed(params)
        self.webhook_url, self.webhook_secret = url, secret
        self._webhook_info = {"max_connections": params.get("max_connections", 40)}
        self._webhook_task = asyncio.create_task(self._deliver(url, secret))

    async def delete_webhook(self, params: JSONDict) -> None:
        """Back to getUpdates mode, optionally dropping pending updates."""
        await self._stop_delivery()
        self.webhook_url, self.webhook_secret, self._webhook_info = "", None, {}
        if params.get("drop_pending_updates"):
            self._pending.clear()

    def webhook_info(self) -> JSONDict:
        """The ``WebhookInfo`` object."""
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        return {**info, **self._webhook_info} if self.webhook_url else info

    async def close(self) -> None:
        """End waiting long polls (they answer with what they have) and stop webhook delivery."""
        self._closing.set()
        if self._poll is not None:
            self._poll.wakeup.set()
        await self._stop_delivery()

    def _remember_allowed(self, params: JSONDict) -> None:
        # Telegram keeps the last allowed_updates until a call passes it again.
        if "allowed_updates" in params:
            self._allowed = frozenset(params["allowed_updates"]) or None

    async def _stop_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _deliver(self, url: str, secret: str | None) -> None:
        """POST pending updates one at a time, oldest first, retrying until the bot takes them."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while True:
                if not self._pending:
                    self._added.clear()
                    await self._added.wait()
                    continue
                update = self._pending[0]
                try:
                    async with session.post(url, json=update, headers=headers) as response:
                        status, reason = response.status, response.reason
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status, reason = 0, f"Connection failed: {type(exc).__name__}"
                if 200 <= status < 300:
                    if self._pending and self._pending[0] is update:
                        self._pending.pop(0)
                    continue
                self._webhook_info["last_error_date"] = int(time.time())
                self._webhook_info["last_error_message"] = (
                    f"Wrong response from the webhook: {status} {reason}" if status else reason
                )
                await asyncio.sleep(_WEBHOOK_RETRY_SECONDS)


def _is_valid_secret(secret: str) -> bool:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    return 1 <= len(secret) <= 256 and set(secret) <= allowed


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Wait for ``event`` at most ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        pass
