"""A recording stand-in for a channel: sends what a person would and keeps the replies."""

from __future__ import annotations

from handlers.engine import Engine
from handlers.types import Incoming, Reply


class Chat:
    """One person talking to the engine, as any channel would deliver them."""

    def __init__(self, engine: Engine, channel: str, external_id: str, name: str = "Lan") -> None:
        self.engine = engine
        self.channel = channel
        self.external_id = external_id
        self.name = name
        self.replies: list[Reply] = []

    async def say(self, text: str, language: str | None = None) -> list[Reply]:
        incoming = Incoming(
            self.channel, self.external_id, text=text, name=self.name, language_hint=language
        )
        return await self._send(incoming)

    async def press(self, button_id: str) -> list[Reply]:
        return await self._send(Incoming(self.channel, self.external_id, button=button_id))

    async def press_label(self, label: str) -> list[Reply]:
        """Press the button with this label in the last reply, as a person would."""
        for button in self.last.buttons:
            if button.label == label:
                return await self.press(button.id)
        raise AssertionError(f"no button {label!r} in {[b.label for b in self.last.buttons]}")

    async def _send(self, incoming: Incoming) -> list[Reply]:
        replies = await self.engine.handle(incoming)
        assert replies, "every message gets an answer"
        self.replies.extend(replies)
        return replies

    @property
    def last(self) -> Reply:
        return self.replies[-1]

    @property
    def text(self) -> str:
        return self.last.text

    def button_ids(self) -> list[str]:
        return [b.id for b in self.last.buttons]

    def labels(self) -> list[str]:
        return [b.label for b in self.last.buttons]
