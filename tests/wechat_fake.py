"""A local stand-in for the WeChat official account API, answering as WeChat's documentation describes:
errors as HTTP 200 with {"errcode", "errmsg"}, tokens that expire, asynchronous publishing polled by id."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeWeChat:
    def __init__(self, app_id: str = "wx-test", app_secret: str = "secret-1", publishing_polls: int = 1):
        self.app_id, self.app_secret = app_id, app_secret
        self.tokens: set[str] = set()
        self.calls: list[str] = []
        self.drafts: dict[str, dict] = {}
        self.materials: dict[str, bytes] = {}
        self.publishes: dict[str, dict] = {}
        self.deleted: list[str] = []
        self.publishing_polls = publishing_polls  # how many polls answer "still publishing" first
        self.fail_next: list[int] = []  # errcodes to answer with, in turn, before normal answers
        self.article_stats: dict[str, list[dict]] = {}  # ref_date -> getarticletotal "list" items
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, data: dict) -> None:
                body = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                self._reply(fake.handle(url.path, query, b"", self.headers.get("Content-Type", "")))

            def do_POST(self):  # noqa: N802
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._reply(fake.handle(url.path, query, body, self.headers.get("Content-Type", "")))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeWeChat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def handle(self, path: str, query: dict, body: bytes, content_type: str) -> dict:
        with self.lock:
            self.calls.append(path)
            if path == "/cgi-bin/token":
                if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
                    return {"errcode": 40013, "errmsg": "invalid appid"}
                token = f"TOKEN{len(self.calls)}"
                self.tokens.add(token)
                return {"access_token": token, "expires_in": 7200}
            if query.get("access_token") not in self.tokens:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if self.fail_next:
                code = self.fail_next.pop(0)
                return {"errcode": code, "errmsg": "simulated"}
            if path == "/cgi-bin/material/add_material":
                if query.get("type") != "image" or b'name="media"' not in body:
                    return {"errcode": 40004, "errmsg": "invalid media type"}
                media_id = f"MEDIA{len(self.materials) + 1}"
                self.materials[media_id] = body
                return {"media_id": media_id, "url": f"http://mmbiz.qpic.cn/{media_id}"}
            data = json.loads(body or b"{}")
            if path == "/cgi-bin/draft/add":
                article = data["articles"][0]
                if article.get("thumb_media_id") not in self.materials and article.get("thumb_media_id") != "DEFAULT":
                    return {"errcode": 40007, "errmsg": "invalid media_id"}
                media_id = f"DRAFT{len(self.drafts) + 1}"
                self.drafts[media_id] = article
                return {"media_id": media_id}
            if path == "/cgi-bin/freepublish/submit":
                if data.get("media_id") not in self.drafts:
                    return {"errcode": 40007, "errmsg": "invalid media_id"}
                publish_id = str(2247483000 + len(self.publishes))
                self.publishes[publish_id] = {"media_id": data["media_id"], "polls": 0}
                return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": 2247483001}
            if path == "/cgi-bin/freepublish/get":
                entry = self.publishes.get(str(data.get("publish_id")))
                if entry is None:
                    return {"errcode": 40007, "errmsg": "invalid publish_id"}
                entry["polls"] += 1
                if entry["polls"] <= self.publishing_polls:
                    return {"publish_id": data["publish_id"], "publish_status": 1}
                article_id = f"ARTICLE-{data['publish_id']}"
                return {
                    "publish_id": data["publish_id"],
                    "publish_status": 0,
                    "article_id": article_id,
                    "article_detail": {
                        "count": 1,
                        "item": [{"idx": 1, "article_url": f"https://mp.weixin.qq.com/s/{article_id}"}],
                    },
                    "fail_idx": [],
                }
            if path == "/datacube/getarticletotal":
                begin, end = data.get("begin_date"), data.get("end_date")
                if not begin or begin != end:
                    return {"errcode": 61501, "errmsg": "date range error"}  # the API takes one day at a time
                return {"list": self.article_stats.get(begin, [])}
            if path == "/cgi-bin/freepublish/delete":
                self.deleted.append(data.get("article_id"))
                return {"errcode": 0, "errmsg": "ok"}
            return {"errcode": 40066, "errmsg": "invalid url"}
