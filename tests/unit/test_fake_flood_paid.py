"""The fake's paid broadcasts: beyond the free 30/s only with allow_paid_broadcast, to 1,000/s."""

from __future__ import annotations

from bench.fakes._telegram_flood import FloodGate, FloodLimits


def _send(gate: FloodGate, chat: int, now: float, *, paid: bool) -> tuple[str, int] | None:
    refusal = gate.refuse(chat, now, paid=paid)
    if refusal is None:
        gate.admit(chat, now, paid=paid)
    return refusal


def test_free_messages_stop_at_30_a_second_and_paid_ones_go_on_to_1000() -> None:
    gate = FloodGate(FloodLimits(paid_per_second=1000, penalize=False))
    assert all(_send(gate, 1 + n, 0.0, paid=False) is None for n in range(30))
    assert _send(gate, 100, 0.01, paid=False) == ("global", 1)
    assert all(_send(gate, 200 + n, 0.02, paid=True) is None for n in range(970))
    assert _send(gate, 5000, 0.03, paid=True) == ("global", 1)


def test_a_paid_message_still_keeps_the_per_chat_limit() -> None:
    gate = FloodGate(FloodLimits(paid_per_second=1000, penalize=False))
    assert [_send(gate, 7, 0.1 * n, paid=True) for n in range(3)] == [None, None, None]
    assert _send(gate, 7, 0.4, paid=True) == ("chat", 3)


def test_without_paid_broadcasts_the_flag_changes_nothing() -> None:
    gate = FloodGate(FloodLimits(penalize=False))
    assert all(_send(gate, 1 + n, 0.0, paid=True) is None for n in range(30))
    assert _send(gate, 100, 0.01, paid=True) == ("global", 1)
