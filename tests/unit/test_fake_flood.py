"""The fake Bot API's flood model refuses sends where Telegram would, on fake time."""

from __future__ import annotations

from bench.fakes._telegram_flood import FloodGate, FloodLimits, max_in_window, violations

READER, OTHER_READER, GROUP = 1001, 1002, -4242


def _send(gate: FloodGate, chat: int, now: float) -> tuple[str, int] | None:
    """What the fake does for one sendMessage: refuse, or deliver and count it."""
    refusal = gate.refuse(chat, now)
    if refusal is None:
        gate.admit(chat, now)
    return refusal


def test_a_burst_beyond_the_chat_limit_waits_out_the_window_and_spares_other_chats() -> None:
    gate = FloodGate(FloodLimits(global_per_second=None, per_chat_burst=3, penalize=False))
    assert [_send(gate, READER, 0.1 * n) for n in range(3)] == [None, None, None]
    assert _send(gate, READER, 0.5) == ("chat", 3)  # the first send leaves the window at 3.0 s
    assert _send(gate, OTHER_READER, 0.5) is None
    assert _send(gate, READER, 3.0) is None


def test_a_penalized_429_bans_its_scope_until_retry_after_has_passed() -> None:
    gate = FloodGate(FloodLimits(global_per_second=2, penalize=True))
    assert _send(gate, READER, 0.0) is None
    assert _send(gate, OTHER_READER, 0.0) is None
    assert _send(gate, 3, 0.2) == ("global", 1)
    assert _send(gate, 4, 1.1) == ("global", 1)  # the window is free, the ban is not
    assert _send(gate, 4, 1.3) is None


def test_groups_have_a_per_minute_limit() -> None:
    gate = FloodGate(FloodLimits(global_per_second=None, per_group_per_minute=2))
    assert _send(gate, GROUP, 0.0) is None
    assert _send(gate, GROUP, 1.0) is None
    assert _send(gate, GROUP, 2.0) == ("group", 58)


def test_violations_name_the_chat_and_the_peak() -> None:
    limits = FloodLimits(per_chat_burst=2)
    assert violations(limits, [0.0, 0.5, 0.9], {READER: [0.0, 0.5, 0.9]}) == [
        "chat 1001: 3 messages within 2 s"
    ]
    assert violations(limits, [0.0, 5.0], {READER: [0.0], OTHER_READER: [5.0]}) == []
    assert max_in_window([0.0, 0.5, 1.0, 1.4], 1.0) == 3
