"""Long-running processes keep what they loaded at start out of the garbage collector's full passes.

A full collection walks every object the collector tracks. In a web or worker process that is some 200,000
objects — Django, the API's schemas, the libraries — loaded at start and never garbage, and a full pass over them
stops every thread of the process: 108–199 ms in the delivery worker under the warning bench (docs/benchmarks.md),
the tail of the warning lane. `gc.freeze()` moves them into a permanent generation that collections skip; later
objects are collected as before. In `tongpin serve` the freeze happens in the master before it forks, so the web
processes also keep sharing those pages with it instead of copying them when the collector touches them.
"""

import gc


def freeze_loaded() -> int:
    """Collect once, then exempt every object still alive from later collections. Returns how many."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
