"""Warning latency: POST a CAP alert to a running Tongpin → the last of six channel deliveries received.

    python bench/alert_latency.py --alerts 300 --json [--rate 50] [--clients 4] [--database sqlite|postgresql]

Runs Tongpin as `tongpin serve` runs it (gunicorn + one worker, embedded SQLite in a fresh home, or a fresh
PostgreSQL database on 127.0.0.1:5432 that is dropped afterwards), with six
channels (TV crawl, SMS, app push, WeChat, Weibo, web banner) whose webhook transmitters post to a
local sink, and a release policy that auto-releases. `--with-radio` swaps the web banner for a radio channel, so
every alert also gets synthesised speech (espeak-ng) before it is published. It POSTs N orange, immediate
alerts at `--rate` per second from `--clients` threads and prints p50/p99 of POST sent → sixth delivery
received, the sustained
alerts_per_s, and floor_p99_ms: in the same run, the same round trips against a trivial endpoint (/healthz)
and the sink (six posts), the physical floor of this machine.

`--emergency-broadcast` (issue 16) makes every alert red and adds an emergency-broadcast channel (transmitter
eb_platform) whose fake platform on 127.0.0.1, in this process, checks each package's SM2 signature with the
station's public key and answers 播发完成 in a package signed with its own key: `eb_p99_ms` is red alert POST →
signed package received (speech synthesis and signing included), `eb_verified` the packages whose signature and
resource digests checked. Then it pages: `--pages` alerts from a second sender whose release policy asks for a duty
officer, with a duty shift and an SMS paging route to a fake gateway here: `page_p99_ms` is POST → page received.
"""

import argparse
import http.client
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from publish import Sink, child_env, drop, percentile, tree_cpu  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["tv", "sms", "app", "wechat", "weibo", "web"]


class AlertSink(Sink):
    """Receipts per alert id: the time the last of its six deliveries arrived."""

    def __init__(self):
        self.receipts: dict[int, list[float]] = {}
        super().__init__()

    def received(self, body: bytes, now: float) -> None:
        try:
            source = json.loads(body).get("source", {})
            self.receipts.setdefault(int(source.get("id", 0)), []).append(now)
        except ValueError:
            pass


class FakePlatform:
    """An emergency-broadcast platform on 127.0.0.1: receipt time per CAP identifier, the SM2 signature checked
    (after the time is taken), answered with 播发完成 signed by the platform's key."""

    def __init__(self, station_public_key: str, platform_key: str):
        from tongpin.publishing import ebpackage

        self.received: dict[str, float] = {}
        self.verified: set[str] = set()
        self.problems: list[str] = []
        platform = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                try:
                    checked = ebpackage.check(body, station_public_key)
                except ebpackage.PackageError as error:
                    platform.problems.append(str(error))
                    self._answer(400, b"bad package")
                    return
                root = ebpackage.parse_xml(checked.instruction)
                identifier = root.findtext(".//CapIdentifier") or ""
                ebm_id = root.findtext(".//EBMID") or "X"
                if root.findtext("EBDType") == "EBM" and identifier:
                    platform.received.setdefault(identifier, now)
                    if checked.valid:
                        platform.verified.add(identifier)
                    else:
                        platform.problems.append(";".join(checked.problems))
                feedback = (
                    f"<EBD><EBDID>R{ebm_id}</EBDID><EBDType>EBMStateResponse</EBDType><EBMStateResponse>"
                    f"<RptTime>2026-06-01 08:00:03</RptTime><EBMID>{ebm_id}</EBMID><BrdStateCode>3</BrdStateCode>"
                    "<BrdStateDesc>done</BrdStateDesc></EBMStateResponse></EBD>"
                ).encode()
                self._answer(200, ebpackage.pack(f"R{ebm_id}"[:64], feedback, {}, platform_key, "PLATFORM"))

            def _answer(self, status: int, reply: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-tar")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/eb"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class PageGateway:
    """An SMS gateway on 127.0.0.1 that keeps the time each page arrived, by the PAGE-n mark in its text."""

    def __init__(self):
        self.received: dict[str, float] = {}
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                text = json.loads(body).get("text", "")
                words = text.replace("（", " ").replace("）", " ").split()
                mark = next((w for w in words if w.startswith("PAGE-")), "")
                if mark:
                    gateway.received.setdefault(mark, now)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


EB_SETUP = """
import datetime as dt
from django.utils import timezone
from tongpin.alerts.models import DutyContact, DutyShift, PagingRoute
channel = create_channel(Actor(user=admin), ChannelInput(name="eb", slug="bench-eb", kind="emergency",
    transmitter="eb_platform", settings={{"url": {eb_url!r}, "signer_code": "STATION", "private_key": {station!r},
    "platform_public_key": {platform_public!r}, "poll_seconds": 0}}))
Coverage.objects.create(channel=channel, area_codes=["360000"], min_level="blue")
SenderIdentity.objects.create(user=sender, sender="bench-page@tongpin")
ReleasePolicy.objects.create(name="confirm", sender="bench-page@tongpin", min_level="blue", action="confirm",
    escalate_after=3600, position=0)
ReleasePolicy.objects.filter(name="auto").update(position=1)
officer = User.objects.create(username="bench-officer", role="duty_officer")
DutyContact.objects.create(user=officer, mobile="13800000000")
now = timezone.now()
DutyShift.objects.create(starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=6), officer=officer)
PagingRoute.objects.create(name="sms", kind="sms", url={page_url!r})
"""

SETUP = """
from tongpin.alerts.models import Coverage, ReleasePolicy, SenderIdentity
from tongpin.core.audit import Actor
from tongpin.core.models import ApiToken, User
from tongpin.publishing.channels_admin import ChannelInput, create_channel
admin = User.objects.create(username="bench-admin", role="admin")
sender = User.objects.create(username="bench-sender", role="alert_sender")
SenderIdentity.objects.create(user=sender, sender="bench@tongpin")  # the <sender> of cap() below
for kind in {kinds!r}:
    extra = {{"default_cover_media_id": "COVER"}} if kind == "wechat" else {{}}
    channel = create_channel(Actor(user=admin), ChannelInput(name=kind, slug="bench-" + kind, kind=kind,
        transmitter="webhook", settings={{"url": {url!r}, "secret": "k", **extra}}))
    Coverage.objects.create(channel=channel, area_codes=["360000"], min_level="blue")
ReleasePolicy.objects.create(name="auto", sender="*", min_level="blue", action="auto")
print("TOKEN", ApiToken.issue(sender, "bench")[1])
"""


def cap(number: int, severity: str = "Severe", sender: str = "bench@tongpin", identifier: str = "",
        mark: str = "") -> bytes:
    sent = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.localtime())
    colour = "红色" if severity == "Extreme" else "橙色"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>{identifier or uuid.uuid4().hex}</identifier>
<sender>{sender}</sender><sent>{sent}</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
<info><language>zh-CN</language><category>Met</category><event>暴雨</event><urgency>Immediate</urgency>
<severity>{severity}</severity><certainty>Likely</certainty><senderName>江西省气象台</senderName>
<headline>江西省气象台发布暴雨{colour}预警（第{number}号）{(" " + mark + " ") if mark else ""}</headline>
<description>预计未来6小时，南昌、九江、景德镇等地降雨量将达50毫米以上，局地可超过100毫米，并伴有雷电和8级以上短时大风。</description>
<instruction>请注意防范强降雨可能引发的山洪、地质灾害和城乡积涝，危险地带人员及时转移。</instruction>
<area><areaDesc>南昌市、九江市</areaDesc><geocode><valueName>GB/T 2260</valueName><value>360100</value></geocode></area>
</info></alert>""".encode()


class Connection:
    """A keep-alive client connection that reconnects once when the server has closed an idle one."""

    def __init__(self, host: str, port: int):
        self.host, self.port, self.connection = host, port, None

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, deadline: float) -> None:
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("tongpin serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0, help="alerts per second offered")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--with-radio", action="store_true", help="radio (spoken audio) instead of the web banner")
    parser.add_argument("--extra-workers", type=int, default=0, help="delivery workers started beside serve's one")
    parser.add_argument("--web-workers", type=int, default=None, help="gunicorn processes (serve's default if unset)")
    parser.add_argument("--web-threads", type=int, default=None, help="threads per gunicorn process (serve's default)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--emergency-broadcast", action="store_true",
                        help="red alerts, plus an emergency-broadcast channel to a signature-checking fake platform,"
                        " then --pages alerts that page the duty officer")  # fmt: skip
    parser.add_argument("--pages", type=int, default=20, help="alerts waiting for confirmation (--emergency-broadcast)")
    parser.add_argument("--page-rate", type=float, default=2.0, help="such alerts per second")
    args = parser.parse_args()
    if args.with_radio:
        KINDS[KINDS.index("web")] = "radio"
    args.eb = None
    if args.emergency_broadcast:
        from tongpin.publishing import ebpackage

        station, platform_key = ebpackage.new_private_key(), ebpackage.new_private_key()
        args.eb = {
            "station": station,
            "platform": FakePlatform(ebpackage.public_key_of(station), platform_key),
            "platform_public": ebpackage.public_key_of(platform_key),
            "gateway": PageGateway(),
        }

    sink = AlertSink()
    home = Path(tempfile.mkdtemp(prefix="tongpin-alert-bench-"))
    env = child_env(args.database, home)  # a clean environment; a new database on PostgreSQL
    try:
        results = measure(args, env, sink)
    finally:
        drop(env)
    print(json.dumps(results, ensure_ascii=False, indent=1) if args.json else results)


def measure(args, env: dict, sink: AlertSink) -> dict:
    python = [sys.executable, "-m", "tongpin"]
    subprocess.run([*python, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    script = SETUP.format(kinds=KINDS, url=sink.url)
    if args.eb:
        eb = args.eb
        script += EB_SETUP.format(eb_url=eb["platform"].url, station=eb["station"],
                                  platform_public=eb["platform_public"], page_url=eb["gateway"].url)  # fmt: skip
    setup = subprocess.run([*python, "shell", "-c", script], env=env, check=True,
                           capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    token = next(line.split()[1] for line in setup.stdout.splitlines() if line.startswith("TOKEN"))
    port = free_port()
    web = ["--workers", str(args.web_workers)] if args.web_workers else []
    web += ["--threads", str(args.web_threads)] if args.web_threads else []
    server = subprocess.Popen([*python, "serve", "--port", str(port), *web], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    extra = [
        subprocess.Popen([*python, "worker", "--deliveries-only"], env=env, cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        for _ in range(args.extra_workers)
    ]
    try:
        wait_until_up(port, time.time() + 60)
        time.sleep(2.0)  # the worker starts beside gunicorn
        speed_before = machine_speed_ms()
        cpu_before, bench_before = tree_cpu(server.pid), time.process_time()
        results, started = run(args, port, token, sink)
        if args.eb:
            results.update(pages(args, port, token))
        cpu_after, bench_after = tree_cpu(server.pid), time.process_time()
        if cpu_before is not None and cpu_after is not None:
            # CPU is what runs out on 2 cores: the server's (web + worker) and this script's, per alert.
            results["server_cpu_ms_per_alert"] = round((cpu_after - cpu_before) / args.alerts * 1000, 2)
        results["bench_cpu_ms_per_alert"] = round((bench_after - bench_before) / args.alerts * 1000, 2)
        results["machine_speed_ms"] = [speed_before, machine_speed_ms()]
    finally:
        for process in [server, *extra]:
            process.terminate()
            process.wait(timeout=30)
    results["stages"] = stages(env, started)
    results["database"] = args.database
    results["load_1min"] = round(os.getloadavg()[0], 2)
    return results


def run(args, port: int, token: str, sink: AlertSink) -> tuple[dict, dict[int, float]]:
    started: dict[int, float] = {}
    by_identifier: dict[str, float] = {}
    floors: list[float] = []
    answered: list[float] = []
    lock = threading.Lock()
    counter = iter(range(args.alerts))
    interval = args.clients / args.rate

    def client(offset: float) -> None:
        tongpin = Connection("127.0.0.1", port)
        trivial = Connection("127.0.0.1", port)
        receiver = Connection("127.0.0.1", sink.port)
        headers = {"Content-Type": "application/xml", "Authorization": f"Bearer {token}"}
        next_at = time.time() + offset  # clients spread over the interval, as independent senders would be
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                return
            time.sleep(max(0.0, next_at - time.time()))
            next_at += interval
            identifier = f"BENCH-{uuid.uuid4().hex}"
            body = cap(number, "Extreme" if args.eb else "Severe", identifier=identifier)
            begin = time.time()
            response, data = tongpin.call("POST", "/api/v1/alerts/cap", body, headers)
            if response.status != 201:
                raise SystemExit(f"POST answered {response.status}: {data[:300]!r}")
            with lock:
                started[json.loads(data)["id"]] = begin
                by_identifier[identifier] = begin
                answered.append(time.time() - begin)
            # The floor: a trivial request to the same server and six posts to the same sink.
            floor_begin = time.time()
            trivial.call("GET", "/healthz")
            for _ in KINDS:
                payload = json.dumps({"source": {"type": "floor", "id": 0}}).encode()
                receiver.call("POST", "/floor", payload, {"Content-Type": "application/json"})
            with lock:
                floors.append(time.time() - floor_begin)

    first = time.time()
    threads = [threading.Thread(target=client, args=(k * interval / args.clients,)) for k in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.time() + 60
    platform = args.eb["platform"] if args.eb else None

    def finished() -> bool:
        if platform is not None and not all(i in platform.received for i in by_identifier):
            return False
        return all(len(sink.receipts.get(i, [])) >= len(KINDS) for i in started)

    while time.time() < deadline and not finished():
        time.sleep(0.02)
    done = [i for i in started if len(sink.receipts.get(i, [])) >= len(KINDS)]
    latencies = [max(sink.receipts[i][: len(KINDS)]) - started[i] for i in done]
    last = max(max(sink.receipts[i]) for i in done)
    extra = {}
    if platform is not None:
        eb = [platform.received[i] - begin for i, begin in by_identifier.items() if i in platform.received]
        extra = {
            "eb_received": len(eb),
            "eb_verified": len(platform.verified & set(by_identifier)),
            "eb_p50_ms": round(statistics.median(eb) * 1000, 1) if eb else None,
            "eb_p99_ms": round(percentile(eb, 0.99) * 1000, 1) if eb else None,
            "eb_max_ms": round(max(eb) * 1000, 1) if eb else None,
            "eb_problems": platform.problems[:5],
        }
    return extra | {
        "kinds": KINDS,
        "extra_workers": args.extra_workers,
        "alerts": args.alerts,
        "completed": len(done),
        "channels": len(KINDS),
        "offered_rate_per_s": args.rate,
        "alerts_per_s": round(len(done) / (last - first), 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "floor_p99_ms": round(percentile(floors, 0.99) * 1000, 1),
        "post_p50_ms": round(statistics.median(answered) * 1000, 1),
        "post_p99_ms": round(percentile(answered, 0.99) * 1000, 1),
    }, started


def pages(args, port: int, token: str) -> dict:
    """Alerts from the sender whose policy waits for a duty officer, one at a time at --page-rate: POST → the page
    received by the fake SMS gateway."""
    gateway = args.eb["gateway"]
    tongpin = Connection("127.0.0.1", port)
    headers = {"Content-Type": "application/xml", "Authorization": f"Bearer {token}"}
    started: dict[str, float] = {}
    for number in range(args.pages):
        mark = f"PAGE-{number}"
        body = cap(number, "Severe", sender="bench-page@tongpin", mark=mark)
        begin = time.time()
        response, data = tongpin.call("POST", "/api/v1/alerts/cap", body, headers)
        if response.status != 201 or json.loads(data)["state"] != "pending":
            raise SystemExit(f"page POST answered {response.status}: {data[:300]!r}")
        started[mark] = begin
        time.sleep(max(0.0, begin + 1 / args.page_rate - time.time()))
    deadline = time.time() + 30
    while time.time() < deadline and not all(m in gateway.received for m in started):
        time.sleep(0.02)
    latencies = [gateway.received[m] - begin for m, begin in started.items() if m in gateway.received]
    return {
        "pages": args.pages,
        "pages_received": len(latencies),
        "page_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "page_p99_ms": round(percentile(latencies, 0.99) * 1000, 1) if latencies else None,
    }


def machine_speed_ms() -> float:
    """A fixed pure-Python loop, timed before and after the run: this machine's speed drifts by half from one
    minute to the next (shared host), so figures are read beside it (lower is faster; ~300 ms when fast)."""
    begin, total = time.perf_counter(), 0
    for number in range(3_000_000):
        total += number * number
    return round((time.perf_counter() - begin) * 1000)


STAGES_SQL = (
    "SELECT a.id, a.released_at, MAX(d.started_at), MAX(d.delivered_at) FROM alerts_alert a "
    "JOIN publishing_rendition r ON r.publication_id = a.publication_id "
    "JOIN publishing_delivery d ON d.rendition_id = r.id GROUP BY a.id"
)


def stage_rows(env: dict) -> list[tuple]:
    """The stage times per alert from whichever database the server used."""
    url = env.get("TONGPIN_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as connection:
            return connection.execute(STAGES_SQL).fetchall()
    import sqlite3

    with sqlite3.connect(Path(env["TONGPIN_HOME"]) / "tongpin.sqlite3") as connection:
        return connection.execute(STAGES_SQL).fetchall()


def stages(env: dict, started: dict[int, float]) -> dict:
    """Where the time went, per alert, from the rows the server wrote: POST sent → stored and released,
    → the last of its deliveries claimed by the worker, → the last one sent (p50 / p99 in ms)."""

    def seconds(value) -> float | None:
        if not value:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)  # SQLite: text in UTC
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()

    rows = stage_rows(env)
    spans: dict[str, list[float]] = {"released": [], "claimed": [], "sent": []}
    for alert_id, released, claimed, sent in rows:
        begin = started.get(alert_id)
        if begin is None or not (released and claimed and sent):
            continue
        released, claimed, sent = seconds(released), seconds(claimed), seconds(sent)
        spans["released"].append(released - begin)
        spans["claimed"].append(claimed - released)
        spans["sent"].append(sent - claimed)
    return {
        name: [round(statistics.median(v) * 1000, 1), round(percentile(v, 0.99) * 1000, 1)]
        for name, v in spans.items()
        if v
    }


if __name__ == "__main__":
    main()
