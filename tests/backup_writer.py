"""Keeps a Tongpin home busy for tests/test_backup.py: saves stories, uploads files and sends deliveries in a
loop until a stop file appears. Usage: python tests/backup_writer.py STOP_FILE (TONGPIN_HOME etc. from the env).

Prints "ready" once the users, channels and the story searched for after the restore are in, then a count per round."""

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongpin.settings")

import django  # noqa: E402

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tongpin.core.audit import Actor  # noqa: E402
from tongpin.core.models import User  # noqa: E402
from tongpin.core.roles import Role  # noqa: E402
from tongpin.newsroom import stories  # noqa: E402
from tongpin.newsroom.models import Story, StoryStatus  # noqa: E402
from tongpin.newsroom.publish import publish_story  # noqa: E402
from tongpin.publishing.channels_admin import ChannelInput, create_channel  # noqa: E402
from tongpin.publishing.dispatcher import Dispatcher  # noqa: E402

BEFORE_TITLE = "备份之前保存的稿件"
BEFORE_BODY = "<p>鹭鸶洲水库开闸泄洪，下游群众提前转移。</p>"


def main(stop_file: Path) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    reporter = Actor(user=User.objects.create(username="reporter", role=Role.REPORTER), via="test")
    chief = Actor(user=User.objects.create(username="chief", role=Role.CHIEF_EDITOR), via="test")
    admin = Actor(user=User.objects.create(username="admin", role=Role.ADMIN), via="test")
    channels = [
        create_channel(admin, ChannelInput(name=kind, slug=kind, kind=kind, transmitter="file_drop",
                                           settings={"folder": kind}, partner=None)).pk  # fmt: skip
        for kind in ("weibo", "app")
    ]
    stories.create_story(reporter, stories.StoryInput.of(title=BEFORE_TITLE, body_html=BEFORE_BODY))
    default_storage.save("writer/before.bin", ContentFile(os.urandom(50_000)))
    Dispatcher(threads=2, poll=0.01).run(once=True)
    print("ready", flush=True)
    rounds = 0
    while not stop_file.exists():
        written = stories.StoryInput.of(title=f"写入中的稿件 {rounds}", body_html=f"<p>第{rounds}条，写于备份时。</p>")
        story = stories.create_story(reporter, written)
        Story.objects.filter(pk=story.pk).update(status=StoryStatus.APPROVED)
        publish_story(chief, story.pk, channels)
        default_storage.save(f"writer/{rounds}.bin", ContentFile(os.urandom(20_000)))
        Dispatcher(threads=2, poll=0.01).run(once=True)
        rounds += 1
        print(rounds, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
