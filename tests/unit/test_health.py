"""/healthz's verdicts on a fake clock: standby is healthy, a silent poll loop is not."""

from __future__ import annotations

from bot.health import DEAD_AFTER_TICKS, Health


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_standby_instance_is_healthy_and_says_so() -> None:
    health = Health(poll_tick=15.0, role="standby")
    assert health.report() == (200, {"role": "standby", "status": "ok"})


def test_an_instance_still_waiting_for_telegram_is_503_with_the_reason() -> None:
    health = Health(poll_tick=15.0, waiting_for="Telegram at api.telegram.org: timed out")
    status, body = health.report()
    assert status == 503
    assert body["reason"] == "starting: Telegram at api.telegram.org: timed out"


def test_a_poll_loop_that_stopped_ticking_turns_healthz_503() -> None:
    clock = Clock()
    health = Health(poll_tick=15.0, monotonic=clock)
    health.become_active()
    assert health.report()[0] == 200  # just started: not ticked yet is fine
    clock.now += 14
    health.poll_ticked()
    clock.now += DEAD_AFTER_TICKS * 15.0 - 1
    assert health.report()[0] == 200
    clock.now += 2
    status, body = health.report()
    assert status == 503
    assert "the poll loop has not ticked for 76 s" in str(body["reason"])


def test_a_dead_delivery_loop_is_named() -> None:
    health = Health(poll_tick=15.0, delivery_problem=lambda: "the delivery loop ended: boom")
    health.become_active()
    health.poll_ticked()
    assert health.report() == (
        503,
        {
            "role": "active",
            "poll_tick_age_seconds": 0.0,
            "status": "unhealthy",
            "reason": "the delivery loop ended: boom",
        },
    )
