"""Local destinations for publishing tests: an HTTP sink that records what it receives."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tongpin.newsroom.models import Story, StoryStatus
from tongpin.publishing import channels_admin
from tongpin.publishing.dispatcher import Dispatcher

from .conftest import actor, new_story


class LocalServer:
    """A POST endpoint on 127.0.0.1 for tests, used as a context manager: each request's body (and headers)
    goes to `answer(body, headers)`, which returns (status, reply); the reply goes out as `content_type`."""

    content_type = "application/json"

    def __init__(self, path: str = "/hook"):
        local = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, reply = local.answer(body, self.headers, self.path)
                self.send_response(status)
                self.send_header("Content-Type", local.content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, body: bytes, headers, path: str) -> tuple[int, bytes]:
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class Sink(LocalServer):
    """A webhook receiver on 127.0.0.1. `answers` is a list of status codes used in turn (then 200);
    `delay` makes it slow. It honours Idempotency-Key: `unique` holds each key once."""

    def __init__(self, answers: list[int] | None = None, delay: float = 0.0, reply: bytes | None = None):
        self.answers = list(answers or [])
        self.delay = delay
        self.reply = reply  # the body to answer with, instead of {"id": …}
        self.received: list[dict] = []
        self.unique: dict[str, dict] = {}
        self.lock = threading.Lock()
        super().__init__("/hook")

    def answer(self, body: bytes, headers, path: str) -> tuple[int, bytes]:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            status = self.answers.pop(0) if self.answers else 200
            entry = {"headers": dict(headers), "body": body, "at": time.time(), "status": status, "path": path}
            self.received.append(entry)
            key = headers.get("Idempotency-Key", "")
            if status < 300 and key:
                self.unique.setdefault(key, entry)
        return status, self.reply or json.dumps({"id": f"remote-{len(self.received)}"}).encode()

    def payloads(self) -> list[dict]:
        return [json.loads(e["body"]) for e in self.received]


def approved_story(user, **fields) -> Story:
    story = new_story(user, **fields)
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.APPROVED)
    story.refresh_from_db()
    return story


def review_again(users: dict, story_id: int) -> None:
    """A hand-edited channel version sends the story back to review: take it through the three steps again."""
    from tongpin.review import workflow

    workflow.submit(actor(users["reporter"]), story_id)
    for name in ("editor", "desk", "chief"):
        workflow.decide(actor(users[name]), story_id, "approve")


def make_channel(admin, kind: str, transmitter: str, slug: str | None = None, **settings):
    data = channels_admin.ChannelInput(
        name=f"{kind}-{transmitter}",
        slug=slug or f"{kind}-{transmitter}".replace("_", "-"),
        kind=kind,
        transmitter=transmitter,
        settings=settings,
        partner=settings.pop("partner", None),
    )
    return channels_admin.create_channel(actor(admin), data)


def drain(threads: int = 4) -> Dispatcher:
    """Run a delivery worker until nothing is due."""
    dispatcher = Dispatcher(threads=threads, poll=0.01)
    dispatcher.run(once=True)
    return dispatcher
