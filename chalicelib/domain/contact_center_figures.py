"""What a contact-center step adds to its queue's figures of the day, and the key
that counts it once. Pure Python.

A step that changes an interaction (an answer, a take-over, a move) counts its
figures after its write has committed, or in that write. Anything may fail between
the two, and the step is then retried: so the figures carry a key naming the change
(``answer_key``: an answer is known by its interaction and its time, kept on the
interaction until the next hand-over), and a retry that finds the key counted adds
nothing (``ContactCenterRepository.add_figures_once``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.contact_center import Interaction, Queue


@dataclass(frozen=True)
class FiguresChange:
    """Increments to one queue's figures of one day; ``once_key`` (when given) is
    marked counted in the same write, so a later ``add_figures_once`` with it adds
    nothing."""

    company_id: str
    queue_id: str
    day: str
    increments: dict[str, float] = field(default_factory=dict)
    once_key: str = ""


def answer_key(interaction: Interaction) -> str:
    """The answer the interaction is in now: an accept, an auto-accepted offer or a
    take-over (each sets ``answered_at``)."""
    return f"answered#{interaction.interaction_id}#{interaction.answered_at:.6f}"


def end_key(interaction: Interaction) -> str:
    """Its end (an interaction ends once)."""
    return f"ended#{interaction.interaction_id}"


def answer_figures(interaction: Interaction, queue: Queue) -> dict[str, float]:
    """An answer's figures: one more answered, its wait (from the start of the current
    wait to the answer), and whether that was within the queue's service level."""
    wait = max(0.0, interaction.answered_at - interaction.waiting_since())
    return {
        "answered": 1,
        "wait_total_s": round(wait, 3),
        "within_service_level": int(wait <= queue.service_level_s),
    }


def handling_figures(interaction: Interaction, now: float, handled: int) -> dict[str, float]:
    """The handling of an answered interaction that ends for its agent at ``now`` (none
    if it was never answered); ``handled`` counts it handled too (0: it goes on with
    another agent, and is counted handled when it ends)."""
    if not interaction.answered_at:
        return {}
    figures: dict[str, float] = {"handle_total_s": round(now - interaction.answered_at, 3)}
    if handled:
        figures["handled"] = handled
    return figures
