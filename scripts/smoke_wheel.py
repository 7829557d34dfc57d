#!/usr/bin/env python3
"""Smoke test of the package users get: build the wheel, install it (not editable) into a new venv with the locked
dependency set, and use it from a folder outside the checkout, with the per-user data folder, as a person would:

1. `tongpin token create` refuses in one line (no database yet), with no traceback;
2. `tongpin cap validate --json` gives every file of the CAP corpus (../shared/cap-samples) a verdict;
3. `tongpin serve --demo` answers /healthz;
4. a CAP message goes in through POST /api/v1/alerts/cap with a token from `tongpin token create`;
5. a story with a picture goes through review and publishing (API), then a journal issue is assembled on the web
   pages and its PDF downloaded: it must carry the picture.

Standard library only. Every step has a time limit. Usage:
    python3 scripts/smoke_wheel.py [--wheel FILE] [--samples DIR] [--keep]
Exit status 0 when every check passed; the last line says which step failed otherwise.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "tongpin-demo"  # noqa: S105  (the demo's published password)
STEP_TIMEOUT = 300  # seconds for a build or an install
CAP_MESSAGE = (
    '<?xml version="1.0" encoding="UTF-8"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
    "<identifier>SMOKE-{id}</identifier><sender>smoke@tongpin.test</sender><sent>2026-06-01T08:00:00+08:00</sent>"
    "<status>Test</status><msgType>Alert</msgType><scope>Public</scope>"
    "<info><language>zh-CN</language><category>Met</category><event>暴雨</event><urgency>Expected</urgency>"
    "<severity>Moderate</severity><certainty>Likely</certainty><headline>冒烟测试：暴雨蓝色预警</headline>"
    "<description>安装包冒烟测试的消息。</description><area><areaDesc>南昌市</areaDesc>"
    "<geocode><valueName>GB/T 2260</valueName><value>360100</value></geocode></area></info></alert>"
)


class SmokeFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def say(message: str) -> None:
    print(f"smoke: {message}", flush=True)


# --- build and install ---


def build_wheel(into: Path) -> Path:
    """Build from a copy of the sources, so nothing stale in the checkout (build/, egg-info) can slip in."""
    source = into / "source"
    source.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(CHECKOUT / name, source / name)
    shutil.copytree(
        CHECKOUT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    dist = into / "dist"
    quiet([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)])
    [wheel] = dist.glob("tongpin-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    quiet([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    quiet([str(python), "-m", "pip", "install", "-q", "-c", str(CHECKOUT / "constraints.txt"), str(wheel)])
    return venv / "bin" / "tongpin"


def quiet(command: list[str]) -> None:
    """Run a build step; its output is shown only when it fails."""
    done = subprocess.run(command, capture_output=True, timeout=STEP_TIMEOUT)
    if done.returncode != 0:
        sys.stderr.buffer.write(done.stdout + done.stderr)
        raise SmokeFailure(f"{' '.join(command[:4])}… exited {done.returncode}")


# --- the checks ---


class Tongpin:
    """Runs the installed command from a folder outside the checkout, with a private per-user data folder."""

    def __init__(self, command: Path, root: Path):
        self.command = command
        self.cwd = root / "elsewhere"
        self.cwd.mkdir()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TONGPIN_", "DJANGO_", "PYTHON", "VIRTUAL_ENV"))
        }
        self.env |= {"HOME": str(root / "home"), "XDG_DATA_HOME": str(root / "data"), "TONGPIN_ACCESS_LOG": ""}
        self.data = root / "data" / "tongpin"

    def run(self, *args: str, timeout: float = 120, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.command), *args],
            cwd=self.cwd,
            env=self.env,
            input=stdin,
            capture_output=True,
            timeout=timeout,
        )

    def tokens(self, *usernames: str) -> dict[str, str]:
        """`tongpin token create USER` for each user, started side by side (each is a whole Django start-up)."""
        running = {
            name: subprocess.Popen(
                [str(self.command), "token", "create", name, "--name", "smoke"],
                cwd=self.cwd,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for name in usernames
        }
        tokens = {}
        for name, process in running.items():
            out, error = process.communicate(timeout=120)
            check(process.returncode == 0, f"token create {name}: {error.decode()[-500:]}")
            tokens[name] = out.decode().strip()
        return tokens


def check_refusal(tongpin: Tongpin) -> None:
    done = tongpin.run("token", "create", "admin")
    error = done.stderr.decode()
    check(done.returncode == 2, f"token create without a database exited {done.returncode}: {error[-500:]}")
    check("Traceback" not in error and len(error.strip().splitlines()) == 1, f"not one clear line: {error[-500:]}")
    check(str(tongpin.data / "tongpin.sqlite3") in error, f"the refusal does not name the database: {error}")
    check(not tongpin.data.exists() and not any(tongpin.cwd.iterdir()), "a refused command created files")
    say(f"refused without a database: {error.strip()}")


def check_cap_corpus(tongpin: Tongpin, samples: Path | None) -> None:
    if samples is None or not samples.is_dir():
        say(f"CAP corpus not found ({samples}): skipped")
        return
    files = sorted(str(p) for p in samples.rglob("*") if p.is_file() and p.suffix != ".md")
    done = tongpin.run("cap", "validate", "--json", *files, timeout=120)
    output, error = done.stdout.decode(), done.stderr.decode()
    check(done.returncode in (0, 1), f"cap validate exited {done.returncode}: {error[-2000:]}")
    check("Traceback" not in error, f"cap validate printed a traceback: {error[-2000:]}")
    # One JSON document (the CLI convention): {"ok", "files": [{"file", "valid", ...}]}.
    lines = output.strip().splitlines()
    report = json.loads(lines[-1]) if lines else {"files": []}
    verdicts = {item["file"]: "valid" if item["valid"] else "INVALID" for item in report["files"]}
    missing = [f for f in files if f not in verdicts]
    check(not missing, f"no verdict for {missing[:5]}")
    invalid = sum(v == "INVALID" for v in verdicts.values())
    check(invalid < len(files), "every file was invalid: the schema is probably missing")
    say(f"cap validate: {len(files)} files, {len(files) - invalid} valid, {invalid} invalid")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, tongpin: Tongpin, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.log = open(tongpin.cwd / "serve.log", "wb")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [str(tongpin.command), "serve", "--demo", "--port", str(port), "--workers", "1", "--threads", "4"],
            cwd=tongpin.cwd,
            env=tongpin.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            check(self.process.poll() is None, f"serve exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as answer:  # noqa: S310
                    return json.load(answer)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise SmokeFailure(f"/healthz did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()

    def tail(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-3000:]


def api(server: Server, method: str, path: str, token: str, body=None, content_type="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{server.base}/api/v1{path}", data=data, method=method)  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")[:2000]


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, mime) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {mime}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def check_cap_post(server: Server, token: str) -> None:
    message = CAP_MESSAGE.replace("{id}", uuid.uuid4().hex[:12]).encode()
    status, body = api(server, "POST", "/alerts/cap", token, message, "application/xml")
    check(status == 201, f"POST /alerts/cap answered {status}: {body}")
    say(f"CAP through the API: 201, warning {body['id']} ({body['state']})")


def png_picture() -> bytes:
    """A 64×48 red PNG, written by hand (the smoke needs no imaging library)."""
    width, height = 64, 48
    raw = b"".join(b"\x00" + b"\xd0\x20\x20" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def story_with_picture_published_to_the_journal(server: Server, tokens: dict[str, str]) -> tuple[int, int]:
    """Reporter writes and submits, three reviewers approve, the chief publishes to the partner's journal."""
    status, story = api(
        server,
        "POST",
        "/stories",
        tokens["reporter"],
        {"title": "冒烟测试：防汛应急演练", "body_html": "<p>全省开展防汛应急演练。</p>", "partner": "jx-yjgl",
         "channel_intentions": ["print"]},
    )  # fmt: skip
    check(status == 201, f"create story: {status} {story}")
    body, content_type = multipart({"caption": "演练现场"}, {"file": ("演练现场.png", png_picture(), "image/png")})
    status, asset = api(server, "POST", f"/stories/{story['id']}/assets", tokens["reporter"], body, content_type)
    check(status == 201, f"upload picture: {status} {asset}")
    status, answer = api(server, "POST", f"/stories/{story['id']}/submit", tokens["reporter"], {})
    check(status == 201, f"submit: {status} {answer}")
    approve = {"decision": "approve", "comment": "同意"}
    for reviewer in ("editor", "desk", "chief"):
        status, answer = api(server, "POST", f"/stories/{story['id']}/review", tokens[reviewer], approve)
        check(status == 200, f"review by {reviewer}: {status} {answer}")
    status, channels = api(server, "GET", "/channels", tokens["chief"])
    check(status == 200, f"list channels: {status} {channels}")
    journal = next((c for c in channels if c["slug"] == "em-journal"), None)
    check(journal is not None, "the demo journal channel em-journal is missing")
    status, publication = api(
        server, "POST", f"/stories/{story['id']}/publish", tokens["chief"], {"channels": [journal["id"]]}
    )
    check(status == 201, f"publish: {status} {publication}")
    [rendition] = [r for r in publication["renditions"] if r["channel_id"] == journal["id"]]
    check(bool(rendition["fields"].get("images")), f"the journal rendition chose no picture: {rendition['fields']}")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # the worker started by `serve` delivers it
        status, publication = api(server, "GET", f"/publications/{publication['id']}", tokens["chief"])
        states = {d["state"] for d in publication["deliveries"]} if status == 200 else set()
        if states == {"success"}:
            return journal["id"], rendition["id"]
        time.sleep(0.5)
    raise SmokeFailure(f"the journal delivery did not succeed within 90 s: {states}")


class Browser:
    """Cookies and CSRF like a browser's form posts."""

    def __init__(self, server: Server):
        self.server = server
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def _csrf(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def get(self, path: str):
        return self.opener.open(f"{self.server.base}{path}", timeout=60)

    def post(self, path: str, fields: list[tuple[str, str]]):
        data = urllib.parse.urlencode([("csrfmiddlewaretoken", self._csrf()), *fields]).encode()
        request = urllib.request.Request(f"{self.server.base}{path}", data=data, method="POST")  # noqa: S310
        request.add_header("Referer", f"{self.server.base}{path}")
        return self.opener.open(request, timeout=120)

    def sign_in(self, username: str) -> None:
        self.get("/login/").read()
        answer = self.post("/login/", [("username", username), ("password", DEMO_PASSWORD)])
        check("/login/" not in answer.url, f"sign-in as {username} failed")


def pictures_in(pdf: bytes) -> int:
    """Image objects in a PDF, also inside compressed object streams."""
    found = len(re.findall(rb"/Subtype\s*/Image", pdf))
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            found += len(re.findall(rb"/Subtype\s*/Image", zlib.decompress(stream[1])))
        except zlib.error:
            continue
    return found


def check_journal_pdf(server: Server, tongpin: Tongpin, tokens: dict[str, str]) -> None:
    channel_id, rendition_id = story_with_picture_published_to_the_journal(server, tokens)
    desk = Browser(server)
    desk.sign_in("desk")
    page = desk.get(f"/channels/{channel_id}/issues/").read().decode()
    check(f'value="{rendition_id}"' in page, "the published story is not offered for the journal")
    answer = desk.post(
        f"/channels/{channel_id}/issues/",
        [("title", "应急管理通讯"), ("number", f"冒烟-{uuid.uuid4().hex[:6]}"), ("issue_date", "2026-12-01"),
         ("renditions", str(rendition_id))],
    )  # fmt: skip
    match = re.search(r"/issues/(\d+)/$", answer.url)
    check(match is not None, f"assembling the issue did not lead to the issue page: {answer.url}")
    pdf = desk.get(f"/issues/{match[1]}/pdf")
    data = pdf.read()
    check(pdf.headers.get_content_type() == "application/pdf" and data.startswith(b"%PDF"), "no PDF")
    (tongpin.cwd.parent / "journal.pdf").write_bytes(data)  # for a look with --keep
    check(pictures_in(data) >= 1, "the journal PDF has no picture")
    say(f"journal PDF with the story's picture: {len(data)} bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="test this wheel instead of building one")
    parser.add_argument("--samples", type=Path, default=CHECKOUT.parent / "shared" / "cap-samples")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (venv, data, server log)")
    args = parser.parse_args()
    # `timeout` (in .ci/run) ends us with SIGTERM: leave through `finally`, which stops the server.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="tongpin-smoke-"))
    server = None
    step = "build"
    try:
        wheel = args.wheel.resolve() if args.wheel else build_wheel(root / "build")
        say(f"wheel {wheel.name} ({time.monotonic() - started:.0f} s)")
        step = "install"
        command = install(wheel, root / "venv")
        say(f"installed into a new venv with constraints.txt ({time.monotonic() - started:.0f} s)")
        tongpin = Tongpin(command, root)
        step = "refusal"
        check_refusal(tongpin)
        step = "cap validate"
        check_cap_corpus(tongpin, args.samples)
        say(f"({time.monotonic() - started:.0f} s)")
        step = "serve"
        server = Server(tongpin, free_port())
        health = server.wait_healthy(timeout=240)
        check(health.get("database", {}).get("ok") is True, f"/healthz: {health}")
        check((tongpin.data / "tongpin.sqlite3").is_file(), "the per-user data folder was not used")
        say(f"serve --demo answers /healthz ({time.monotonic() - started:.0f} s)")
        step = "token create"
        tokens = tongpin.tokens("duty", "reporter", "editor", "desk", "chief")
        say(f"tokens from `tongpin token create` ({time.monotonic() - started:.0f} s)")
        step = "CAP POST"
        check_cap_post(server, tokens["duty"])
        step = "journal PDF"
        check_journal_pdf(server, tongpin, tokens)
    except (SmokeFailure, subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as failure:
        if server is not None:
            print(server.tail(), file=sys.stderr)
        print(f"smoke: FAILED at {step}: {failure}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # cleaning up already; bounded by stop()'s waits
        if server is not None:
            server.stop()
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    say(f"all checks passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
