"""Failover: `kill -9` one of two delivery workers in the middle of a burst; what is lost, what is sent twice.

    python bench/failover.py --json [--database sqlite|postgresql] [--publications 500] [--channels 6]
                                    [--kill-at 0.3]

Same set-up as bench/publish.py (fresh home or PostgreSQL database, webhook channels posting to a local sink
that counts by idempotency key, publications released through the services, then all made due at once), with two
`tongpin worker --deliveries-only` processes. Once `--kill-at` of the deliveries have arrived, the worker
holding the most in-progress rows is killed with SIGKILL. Figures:
  * `lost`: keys queued and never received; `repeats`: receipts beyond the first per key;
  * `handover_s`: the kill → the first send (stamped `sent_at`) of one of the dead worker's rows by the other;
  * `dead_held`: rows the dead worker held claimed; `dead_sent_unrecorded`: of those, the ones the sink had
    already received (their success was not written: each is sent again, under the same key);
  * `repeat_bound`: the most that docs/publishing.md promises (every row a worker can hold claimed:
    sending threads × 16 + lane threads × 2);
  * `stuck_publications`: publications not final 15 s after the last delivery arrived.
"""

import argparse
import json
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from publish import (  # noqa: E402
    KeySink,
    bring_due,
    drafts,
    outcome,
    run_in_child,
    setup,
    start_workers,
    stop_workers,
    store,
    wait_for,
)


def held_by(pid: int) -> list[str]:
    """Idempotency keys of the rows a worker process holds in progress (its name is host:pid:suffix)."""
    from tongpin.publishing.models import Delivery

    return list(
        Delivery.objects.filter(state="in_progress", claimed_by__contains=f":{pid}:").values_list(
            "idempotency_key", flat=True
        )
    )


def run_failover(args) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from tongpin.publishing.dispatcher import DEPTH

    sink = KeySink()
    channels = setup(sink.url, args.channels)
    burst = drafts(channels, args.publications, 0, at=timezone.now() + timedelta(hours=1))
    workers = start_workers(2)
    total = args.publications * args.channels
    try:
        time.sleep(3.0)
        for offset in range(0, len(burst), 50):
            store(burst[offset : offset + 50])
        bring_due()
        while sink.distinct() < args.kill_at * total:
            time.sleep(0.002)
        victim = max(workers, key=lambda w: len(held_by(w.pid)))
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.time()
        victim.wait()
        dead = held_by(victim.pid)  # nothing changes them until the survivor reclaims them (≥ 3 s later)
        sent_before = sum(1 for key in dead if key in sink.by_key)
        wait_for(sink, total)
        result = outcome(sink)
    finally:
        stop_workers(workers)
    # Sends stamped after the kill are the survivor's (a request the dead worker had written may still arrive).
    after = [t for key in dead for t in sink.sent_at.get(key, []) if t > killed_at]
    threads = settings.TONGPIN_DELIVERY_THREADS
    lane_threads = max(1, threads // 4)
    return {
        "database": args.database,
        "workers": 2,
        "worker_threads": threads,
        "channels": args.channels,
        "publications": args.publications,
        "deliveries": total,
        "killed_after": round(args.kill_at * total),
        **result,
        "dead_held": len(dead),
        "dead_sent_unrecorded": sent_before,
        "handover_s": round(min(after) - killed_at, 2) if after else None,
        "repeat_bound": threads * DEPTH + lane_threads * 2,
        "dead_after_s": settings.TONGPIN_WORKER_DEAD_AFTER,
        "load_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--channels", type=int, default=6)
    parser.add_argument("--publications", type=int, default=500)
    parser.add_argument("--kill-at", type=float, default=0.3, help="share of the deliveries received before the kill")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_failover(args)))
        return
    result = run_in_child(__file__, args.database, [a for a in sys.argv[1:] if a != "--json"])
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else result)


if __name__ == "__main__":
    main()
