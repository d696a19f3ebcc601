"""Timing with ``timeit``: auto-numbered measurements, median of repeats.

Each measurement calls ``fn(*args)`` ``number`` times in timeit's own loop (garbage
collection off, as timeit does), with ``number`` chosen so that one measurement takes
at least ``min_time`` seconds. :func:`measure_interleaved` takes the repeats of several
implementations in rounds (A B C, A B C, ...) so slow drift of the machine hits them
alike, and returns each one's times per call in seconds (the caller takes the median).
"""
from __future__ import annotations

import statistics
import timeit
from typing import Callable, Dict, List, Optional, Sequence, Tuple


def make_timer(fn: Callable, args: Sequence) -> timeit.Timer:
    return timeit.Timer("fn(*args)", globals={"fn": fn, "args": tuple(args)})


def calibrate(timer: timeit.Timer, min_time: float) -> Tuple[int, float]:
    """The smallest loop count (1, 2, 5, 10, 20, 50, ... like timeit.autorange, but
    jumping straight to the estimate) whose measurement takes ``min_time`` seconds;
    returns it and that measurement's time per call."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= min_time:
            return number, elapsed / number
        per_call = max(elapsed / number, 1e-9)
        estimate = int(min_time / per_call * 1.1) + 1
        number = max(number * 2, min(estimate, number * 1000))


def measure(fn: Callable, args: Sequence, min_time: float = 0.05, repeat: int = 7) -> float:
    """Median seconds per call of ``fn(*args)``."""
    return statistics.median(measure_interleaved({"_": (fn, args)}, min_time, repeat)["_"])


def measure_interleaved(impls: Dict[str, Tuple[Callable, Sequence]], min_time: float = 0.05,
                        repeat: int = 7, budget: Optional[float] = None) -> Dict[str, List[float]]:
    """Seconds per call of each ``fn(*args)`` in ``impls``, one value per measurement. With ``budget`` (seconds),
    an implementation so slow that ``repeat`` measurements would take longer than that gets
    fewer of them, but never fewer than 3 (or ``repeat``, if smaller)."""
    timers, numbers, samples, repeats = {}, {}, {}, {}
    for name, (fn, args) in impls.items():
        timers[name] = make_timer(fn, args)
        numbers[name], first = calibrate(timers[name], min_time)
        samples[name] = [first]
        repeats[name] = repeat
        if budget is not None:
            affordable = int(budget / (first * numbers[name]))
            repeats[name] = max(min(repeat, 3), min(repeat, affordable))
    for round_ in range(1, repeat):
        for name, timer in timers.items():
            if round_ < repeats[name]:
                samples[name].append(timer.timeit(numbers[name]) / numbers[name])
    return samples
