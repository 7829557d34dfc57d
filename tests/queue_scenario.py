"""Set up and inspect a delivery queue in a separate database, for tests that run real worker processes.

    python -m tests.queue_scenario setup COUNT WEBHOOK_URL [CHANNELS]
                                    # migrate, CHANNELS webhook channels (1), COUNT publications on all of them
    python -m tests.queue_scenario enqueue COUNT             # COUNT more, queued from this process
    python -m tests.queue_scenario report                    # JSON: states, attempts, workers

The database comes from the environment (TONGPIN_HOME for SQLite, or TONGPIN_DATABASE_URL), as for `tongpin`.
"""

import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count

    from tongpin.core.audit import SYSTEM
    from tongpin.publishing.models import Channel, Delivery, DeliveryAttempt, Publication
    from tongpin.publishing.plugins import Content
    from tongpin.publishing.services import prepare

    if argv[0] == "setup":
        count, url = int(argv[1]), argv[2]
        channels = int(argv[3]) if len(argv) > 3 else 1
        call_command("migrate", verbosity=0)
        ids = [
            Channel.objects.create(
                name=f"sink{n}" if n else "sink",
                slug=f"sink{n}" if n else "sink",
                kind="app",
                transmitter="webhook",
                settings={"url": url, "secret": "k", "timeout": 5},
            ).pk
            for n in range(channels)
        ]
        for number in range(count):
            content = Content(source_type="bench", source_id=number, version=1, title=f"第{number}条", summary="摘要")
            prepare(SYSTEM, content, ids)
        print(json.dumps({"deliveries": Delivery.objects.count()}))
    elif argv[0] == "enqueue":  # COUNT more on the channel made by setup
        channel = Channel.objects.get(slug="sink")
        for number in range(int(argv[1])):
            content = Content(source_type="bench", source_id=1000 + number, version=1, title="加发", summary="摘要")
            prepare(SYSTEM, content, [channel.pk])
        print(json.dumps({"deliveries": Delivery.objects.count()}))
    elif argv[0] == "report":
        states = dict(Delivery.objects.values_list("state").annotate(n=Count("id")))
        workers = sorted(
            {w.rsplit(":", 1)[0] for w in DeliveryAttempt.objects.values_list("worker", flat=True).distinct()}
        )
        publications = dict(Publication.objects.values_list("state").annotate(n=Count("id")))
        print(json.dumps({
            "states": states, "workers": workers, "attempts": DeliveryAttempt.objects.count(),
            "publications": publications,
        }))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
