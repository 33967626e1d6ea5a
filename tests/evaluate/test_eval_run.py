"""langgap's run path: the collector settings around an eval set."""

from __future__ import annotations

import gc

import pytest

from langgap._gc import long_lived_objects_frozen


def test_objects_alive_before_a_run_are_frozen_during_it_and_released_after() -> None:
    assert gc.get_freeze_count() == 0
    alive = [[i] for i in range(1000)]  # lists are tracked by the collector
    with long_lived_objects_frozen():
        assert gc.get_freeze_count() >= len(alive)
    assert gc.get_freeze_count() == 0


def test_a_program_that_froze_objects_itself_keeps_its_freeze() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with long_lived_objects_frozen():
            pass
        # unchanged: neither unfrozen (0) nor frozen again (more). Frozen objects can still be
        # freed by reference counting meanwhile (pytest-xdist's I/O thread), so a few may go.
        assert frozen * 0.99 <= gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_the_collector_gets_its_objects_back_when_the_run_fails() -> None:
    with pytest.raises(RuntimeError), long_lived_objects_frozen():
        raise RuntimeError("eval failed")
    assert gc.get_freeze_count() == 0
