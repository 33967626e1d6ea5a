"""Keep long-lived objects out of Python's cyclic collector while a long run allocates a lot."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Freeze the objects alive now (modules, datasets, models) until the block ends.

    Why: a run that allocates heavily (an Inspect eval, kronfluence's fitting) triggers full
    collections every few seconds, and each rescans the hundreds of thousands of objects that were
    alive before it: 0.1-0.2 s pauses that leave an eval's connections idle, or about half the run
    time of a small kronfluence model. Frozen objects are still freed by reference counting, new
    garbage is still collected, and `unfreeze` hands them back afterwards. A program that froze
    objects itself manages its collector: then nothing is changed.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
