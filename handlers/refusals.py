"""Refusals written to the audit log in one place, so that no journey can forget one.

A journey refuses an officer or admin action by raising `NotAuthorized`; the engine rolls
the turn back and, in the unit of work that apologises, calls `audit_refusal`. Buttons of
officer journeys pressed without having been offered are refused by the engine itself
and audited the same way. What is written names the command or button, never the text
the person typed.
"""

from __future__ import annotations

import re

from handlers.typed_text import COMMAND
from handlers.types import Turn
from storage.audit import actor_label, record_audit

# A button argument is an id or a code; anything else (a forged button carrying text) is
# not copied into the log.
_ARGUMENT = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def button_target(button_id: str) -> str:
    """A button id as the audit log keeps it: `journey:action`, and its argument when
    that is an id or a code."""
    journey, _, rest = button_id.partition(":")
    action, _, argument = rest.partition(":")
    target = f"{journey[:40]}:{action[:40]}"
    if argument:
        target += f":{argument}" if _ARGUMENT.fullmatch(argument) else ":…"
    return target


def audit_refusal(turn: Turn, action: str, target: str, reason: str) -> None:
    """Write one refusal (`command.refused`, `button.refused`, `step.refused`) to the
    turn's unit of work."""
    state = turn.state
    record_audit(
        turn.session,
        actor=actor_label(turn.contact),
        actor_contact_id=turn.contact.id,
        action=action,
        at=turn.now,
        target=target,
        details={
            "reason": reason,
            "role": turn.contact.role,
            "area": turn.contact.area,
            "journey": state.journey,
            "step": state.step,
        },
    )


def audit_refused_message(turn: Turn, text: str | None, typed_button: str | None) -> None:
    """Audit what a message refused with `NotAuthorized` asked for: the button (pressed,
    or `typed_button`, the one its text stands for), the command, or else the step it
    was typed at."""
    button = turn.incoming.button or typed_button
    command = COMMAND.match(text or "")
    if button is not None:
        audit_refusal(turn, "button.refused", button_target(button), "not_authorized")
    elif command:
        name = command.group(1).lower()[:40]
        audit_refusal(turn, "command.refused", f"/{name}", "not_authorized")
    else:
        where = f"{turn.state.journey}:{turn.state.step}"
        audit_refusal(turn, "step.refused", where, "not_authorized")
