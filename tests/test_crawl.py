"""Real use, page by page: every demo user follows every same-site link the UI shows them, from the dashboard
(GET only), and every one of them opens; the pages they reach speak Chinese (no English enum values, raw codes or
`app.model #id` labels).

The crawl runs in process with Django's test client on the demo data (loaded once per module, as `tongpin serve
--demo` loads it, plus two warnings and the demo deliveries sent): ~2,500 pages in well under a minute, where a
browser would need minutes. Links written by JavaScript are not seen; the browser tests cover those pages.
"""

import collections
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, override_settings
from lxml import html as lxml_html

from tongpin.alerts import intake
from tongpin.core.audit import Actor
from tongpin.core.models import AuditEvent, User
from tongpin.publishing import dispatcher, queue
from tongpin.web.demo import load_demo

from .test_alerts_cap import cap

# Each test runs in its own transaction inside the module's (the demo data): what a crawl does is undone after it.
pytestmark = pytest.mark.django_db

# Every role that uses the web once (the desk chief's rights are within the chief editor's; qy_reporter is a
# reporter like anchor, at the same station) and both liaisons (different partners). The weather office's account
# (jxqx) sends warnings through the API only.
ROLES = ["admin", "secadmin", "auditor", "editor", "chief", "reporter", "anchor", "duty", "liaison_em", "liaison_zone"]
MAX_PAGES = 400  # per user
# a crawl that stops short found a broken start; the security and audit administrators have few pages (三员分立)
FEWEST_PAGES = {"liaison_em": 20, "liaison_zone": 20, "secadmin": 2, "auditor": 5}
PER_PATTERN = 12  # distinct addresses per address pattern (ids and dates collapsed)
# Followed, but never these: signing out, switching language (POST forms anyway), and the two pages that are
# someone else's UI (Django's admin, the OpenAPI viewer): their own links are not ours to crawl.
NEVER = ("/logout/", "/i18n/")
OPAQUE = ("/admin/", "/api/")
# GETs that may leave a trace in the audit log (reading is audited there); anything else a crawl records is a
# link that changed state.
READ_ACTIONS = {"auth.login", "story.export", "download"}  # downloads of files and exports are audited reads


def pattern(address: str) -> str:
    """The address with ids, dates and other numbers collapsed: `/stories/N/?page=N`."""
    parts = urlsplit(address)
    path = re.sub(r"/\d+(?=/|$|\.)", "/N", parts.path)
    query = sorted((k, "N" if re.search(r"\d", v) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True))
    return path + ("?" + urlencode(query) if query else "")


@dataclass
class Crawl:
    pages: dict[str, bytes] = field(default_factory=dict)  # address -> HTML of every page that opened
    broken: dict[str, int] = field(default_factory=dict)  # address -> status
    shown_on: dict[str, list[str]] = field(default_factory=lambda: collections.defaultdict(list))
    actions: set[str] = field(default_factory=set)  # audit actions the crawl caused

    def report(self) -> list[str]:
        return [f"{status} {address}  ← shown on {', '.join(self.shown_on[address][:3])}"
                for address, status in sorted(self.broken.items())]  # fmt: skip


def _same_site(address: str, hrefs: list[str]) -> list[str]:
    """The links to follow among `hrefs` found on `address`, as path?query."""
    found = []
    for href in hrefs:
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        target = urlsplit(urljoin(f"http://testserver{address}", href))
        if target.scheme in ("http", "https") and target.netloc == "testserver" and not target.path.startswith(NEVER):
            found.append(target.path + ("?" + target.query if target.query else ""))
    return found


def _links(address: str, content: bytes) -> list[str]:
    return _same_site(address, [(a.get("href") or "").strip() for a in lxml_html.fromstring(content).iter("a")])


def crawl(username: str) -> Crawl:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username=username))
    first_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = Crawl()
    waiting = collections.deque(["/"])
    queued, per_pattern = {"/"}, collections.Counter()
    fetched = 0
    while waiting and fetched < MAX_PAGES:
        address = waiting.popleft()
        fetched += 1
        response = client.get(address)
        if response.status_code >= 400:
            result.broken[address] = response.status_code
            continue
        found = []
        if response.status_code in (301, 302, 303, 307, 308):
            found = _same_site(address, [response["Location"]])
        elif "text/html" in response.get("Content-Type", "") and not address.startswith(OPAQUE):
            result.pages[address] = response.content
            found = _links(address, response.content)
        for link in found:
            if address not in result.shown_on[link]:
                result.shown_on[link].append(address)
            if link in queued or per_pattern[pattern(link)] >= PER_PATTERN:
                continue
            queued.add(link)
            per_pattern[pattern(link)] += 1
            waiting.append(link)
    result.actions = set(AuditEvent.objects.filter(id__gt=first_event).values_list("action", flat=True))
    return result


def _send_everything() -> None:
    """The demo deliveries, sent as the worker would send them, so attempt notes are on the pages."""
    while claimed := queue.claim("crawl", 100):
        queue.record_results("crawl", [dispatcher.transmit(d, dispatcher.parcel_for(d), "crawl") for d in claimed])


def _warnings() -> None:
    """Two warnings from the demo's weather office: orange-immediate (released at once by the demo policy) and blue
    (waiting for the duty officer)."""
    sender = Actor(user=User.objects.get(username="jxqx"), via="api")
    intake.receive(sender, cap())
    blue = (
        cap()
        .replace(b"JX-2026-001", b"JX-2026-002")
        .replace("橙色".encode(), "蓝色".encode())
        .replace(b"Immediate", b"Expected")
        .replace(b"Severe", b"Minor")
    )
    intake.receive(sender, blue)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data for the whole module, rolled back at the end (the audit log refuses deletes)."""
    media, outbox = tmp_path_factory.mktemp("crawl-media"), tmp_path_factory.mktemp("crawl-outbox")
    quick = override_settings(
        MEDIA_ROOT=media, TONGPIN_OUTBOX=outbox, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with django_db_blocker.unblock(), quick:
        with transaction.atomic():
            load_demo()
            _warnings()
            _send_everything()
            yield media
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _demo_media(_media, settings, demo):
    settings.MEDIA_ROOT = demo  # conftest gives each test an empty media folder; the demo's files are here


CRAWLS: dict[str, Crawl] = {}


def crawled(username: str) -> Crawl:
    if username not in CRAWLS:
        CRAWLS[username] = crawl(username)
    return CRAWLS[username]


@pytest.mark.parametrize("username", ROLES)
def test_every_link_a_page_shows_opens_for_its_reader(username):
    result = crawled(username)
    assert len(result.pages) >= FEWEST_PAGES.get(username, 60), "the crawl went nowhere"
    assert not result.broken, f"{username}: links that do not open:\n" + "\n".join(result.report())
    assert result.actions <= READ_ACTIONS, f"{username}: following links changed state: {result.actions}"


# What must never be read on a Chinese page. Codes and enum values of the system, Python's own words, file names
# of the docs; CAP's English values (the alert pages show them translated).
CAP_WORDS = (
    "Alert Update Cancel Ack Actual Exercise System Test Draft Public Restricted Private Extreme Severe Moderate "
    "Minor Immediate Expected Future Past Likely Possible Unlikely Observed Unknown Met Geo Safety Security Rescue "
    "Fire Health Env Transport Infra CBRNE Shelter Evacuate Prepare Execute Avoid Monitor Assess AllClear"
).split()
FIXED = [
    ("raw object label", re.compile(r"\b[a-z_]+\.[a-z_]+ #\d+")),
    ("CAP value", re.compile(r"\b(?:" + "|".join(CAP_WORDS) + r")\b")),
    ("delivery code", re.compile(r"\b(?:success|accepted|permanent|pooled|unpooled|listed|unlisted|ok)\b")),
    ("rule log code", re.compile(r"\b(?:system|typo|prohibited|advert|roster)\b")),
    ("Python value", re.compile(r"\b(?:None|True|False)\b")),
    ("docs file", re.compile(r"\b[\w-]+\.md\b")),
]
HIDDEN = ("script", "style", "template")
# Shown as recorded, not UI text: documents in <pre> (a warning's CAP XML) and values marked `data-verbatim`
# (what the audit log recorded).
VERBATIM = ("pre", "*[@data-verbatim]")
SEEN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


def visible_text(content: bytes) -> str:
    """Text and tooltips a reader can see, one line per text piece."""
    body = lxml_html.fromstring(content).find("body")
    if body is None:
        return ""
    for element in body.xpath(" | ".join(f".//{tag}" for tag in (*HIDDEN, *VERBATIM))):
        element.drop_tree()
    pieces = [piece.strip() for piece in body.itertext()]
    for element in body.iter():
        pieces.extend((element.get(name) or "").strip() for name in SEEN_ATTRIBUTES)
    return "\n".join(piece for piece in pieces if piece)


def codes_in_use() -> re.Pattern:
    """Audit action codes and `app.model` names: written down nowhere a reader looks."""
    codes = set(AuditEvent.objects.values_list("action", flat=True).distinct())
    codes |= {f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    alternatives = "|".join(re.escape(code) for code in sorted(codes, key=len, reverse=True))
    return re.compile(rf"(?<![\w./-])(?:{alternatives})(?![\w/-])")


def english_on(text: str, codes: re.Pattern) -> list[str]:
    return [
        f"{name} {match.group(0)!r} in {line[:80]!r}"
        for line in text.splitlines()
        for name, regex in [*FIXED, ("code", codes)]
        for match in regex.finditer(line)
    ]


@pytest.mark.parametrize("username", ["admin", "editor", "reporter", "duty", "liaison_em", "chief"])
def test_pages_in_chinese_show_no_english_codes(username):
    codes = codes_in_use()
    problems = []
    for address, content in crawled(username).pages.items():
        found = english_on(visible_text(content), codes)
        problems.extend(f"{address}: {item}" for item in dict.fromkeys(found))
    assert not problems, f"{username}: English on Chinese pages:\n" + "\n".join(problems[:80])


def test_the_checks_see_what_they_must():
    codes = re.compile(r"(?<![\w./-])(?:story\.publish|core\.user)(?![\w/-])")
    page = (
        "<html><body><p>操作 story.publish</p><p>对象 core.user #1</p><p>#1 success pooled</p>"
        "<p>system · import · typo:再接再励</p><p>紧急程度 Immediate</p><p>见 docs/analytics.md</p>"
        "<p title='None'>提示</p><script>var ok = 'Alert';</script><pre>&lt;status&gt;Actual&lt;/status&gt;</pre>"
        "<p>状态：<span data-verbatim>Exercise</span></p></body></html>"
    ).encode()
    found = " ".join(english_on(visible_text(page), codes))
    for expected in ("story.publish", "core.user #1", "success", "pooled", "system", "typo", "Immediate",
                     "analytics.md", "None"):  # fmt: skip
        assert repr(expected) in found, expected
    assert "'Alert'" not in found and "'ok'" not in found  # scripts are not read
    assert "Actual" not in found and "Exercise" not in found  # nor what is shown as recorded
    assert not english_on(visible_text("<html><body><p>审核通过 · 江西台 WCI 927.89</p></body></html>".encode()), codes)
