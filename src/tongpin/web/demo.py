"""Demo data drawn from the facts of the two source articles (new text, written for Tongpin).

A provincial station (江西广播电视台) cooperates with the provincial emergency management department;
a city station (清远广播电视台) with the high-tech zone administration. `load_demo()` may run any number of
times: it creates what is missing and changes nothing that exists.
"""

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tongpin.alerts.models import Coverage, DutyContact, DutyShift, ReleasePolicy, SenderIdentity
from tongpin.alerts.renditions import ALERT_KINDS
from tongpin.core.audit import Actor, record
from tongpin.core.models import Station, User
from tongpin.core.roles import Role
from tongpin.newsroom import stories as story_service
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.newsroom.publish import publish_story
from tongpin.partners.models import Liaison, Partner
from tongpin.publishing import queue
from tongpin.publishing.channels_admin import ChannelInput, create_channel
from tongpin.publishing.dispatcher import parcel_for, transmit
from tongpin.publishing.models import Channel, Delivery, DeliveryState, Publication
from tongpin.review import workflow
from tongpin.review.models import ProofRuleChange, RosterEntry

from .demo_analytics import load_analytics
from .demo_live import load_live
from .demo_planning import load_planning

DEMO_PASSWORD = "tongpin-demo"  # noqa: S105  (printed on purpose: demo only)

# Demo channels deliver to folders under TONGPIN_OUTBOX (no outside service needed); a station swaps the
# transmitter for the real one (WeChat API, webhook, SMTP) on the channel's page.
CHANNELS = [
    ("website", "台网站（RSS/Atom 订阅源）", "web", "feed", {}, None),
    (
        "wechat",
        "微信公众号（演示：文件投递）",
        "wechat",
        "file_drop",
        {"folder": "wechat", "default_author": "融媒体中心", "default_cover_media_id": "DEMO-COVER"},
        None,
    ),
    ("weibo", "官方微博（演示：文件投递）", "weibo", "file_drop", {"folder": "weibo"}, None),
    ("douyin", "抖音号（演示：文件投递）", "douyin", "file_drop", {"folder": "douyin"}, None),
    ("tv-news", "电视新闻口播", "tv", "file_drop", {"folder": "tv", "chars_per_minute": 240, "slot_seconds": 90}, None),
    (
        "radio-news",
        "广播新闻",
        "radio",
        "file_drop",
        {"folder": "radio", "chars_per_minute": 240, "slot_seconds": 60},
        None,
    ),
    ("app-push", "客户端推送", "app", "file_drop", {"folder": "app"}, None),
    (
        "sms",
        "手机报短信",
        "sms",
        "file_drop",
        {"folder": "sms", "signature": "江西广播电视台", "max_segments": 2},
        None,
    ),
    ("em-journal", "《应急管理通讯》", "print", "journal", {}, "jx-yjgl"),
]

STATIONS = [
    ("jxgdtv", "江西广播电视台", "江西台"),
    ("qytv", "清远广播电视台", "清远台"),
]
PARTNERS = [
    (
        "jx-yjgl",
        "江西省应急管理厅",
        "省应急管理厅",
        Partner.Kind.GOVERNMENT,
        "全省应急管理工作的主管部门，与江西台签订战略合作框架协议，在防灾减灾、安全生产、应急科普和应急广播预警方面长期合作。",
    ),
    (
        "qy-gxq",
        "清远高新技术产业开发区管理委员会",
        "清远高新区",
        Partner.Kind.ZONE,
        "高新区管委会与清远台开展宣传合作，涵盖党建、招商引资、产业发展与文化建设，并借助主播矩阵开展直播带货。",
    ),
]
# username, role, display name, station slug, partner slug (liaisons only). A person's display name is the name alone:
# pages put the part someone plays beside it (an assignment's 分工, a role column), which a role in the name doubled.
DEMO_USERS = [
    ("admin", Role.ADMIN, "钱明", "jxgdtv", None),
    # 三员分立 (docs/security.md): the security and the audit administrator are other people's accounts.
    ("secadmin", Role.SECURITY_ADMIN, "吴铮", "jxgdtv", None),
    ("auditor", Role.AUDIT_ADMIN, "郑洁", "jxgdtv", None),
    ("reporter", Role.REPORTER, "李晓", "jxgdtv", None),
    ("editor", Role.EDITOR, "王敏", "jxgdtv", None),
    ("editor2", Role.EDITOR, "孙悦", "jxgdtv", None),
    ("desk", Role.DESK_CHIEF, "赵强", "jxgdtv", None),
    ("chief", Role.CHIEF_EDITOR, "陈岚", "jxgdtv", None),
    ("duty", Role.DUTY_OFFICER, "周航", "jxgdtv", None),
    ("qy_reporter", Role.REPORTER, "黄思远", "qytv", None),
    ("anchor", Role.ANCHOR, "林悦", "qytv", None),
    ("liaison_em", Role.PARTNER_LIAISON, "刘洋", None, "jx-yjgl"),
    ("liaison_zone", Role.PARTNER_LIAISON, "何静", None, "qy-gxq"),
    ("jxqx", Role.ALERT_SENDER, "省气象台预警接口", None, None),
]

# The sender identities each demo sender account may use: the observatory's CAP <sender> and its 12379 code.
SENDER_IDENTITIES = [
    ("jxqx", "jxqx@cma.gov.cn", "省气象台 CAP 发送方"),
    ("jxqx", "36000041600000", "省气象台 12379 发布单位编码"),
]

# Where the demo channels reach (Jiangxi and Qingyuan) and the station's warning policy: TV and radio carry
# orange and red; red and orange warnings needing immediate action go out at once, others wait for the duty officer.
COVERED_AREAS = ["360000", "441800"]
POLICIES = [
    ("橙色及以上、需立即行动：自动发布", "*", "orange", ["Immediate"], "auto", 300),
    ("其他预警：值班员确认（5 分钟未确认则升级）", "*", "blue", [], "confirm", 300),
]

# title, author, partner, status, tags, channels, summary, paragraphs, days ago. A partner story carries the
# cooperation area's own name as a tag (防汛抗旱, not only 防汛): that is what the partner report counts by.
STORIES = [
    (
        "省应急管理厅与江西台签订战略合作框架协议",
        "reporter",
        "jx-yjgl",
        StoryStatus.PUBLISHED,
        ["战略合作", "应急管理"],
        ["wechat", "tv", "web"],
        "双方将在应急宣传、防灾减灾科普和应急广播预警等方面开展长期合作。",
        [
            "9月下旬，省应急管理厅负责同志一行来到江西台调研，参观了融媒体演播室、广播播控中心和融媒体中心，双方随后座谈并签订战略合作框架协议。",
            "根据协议，双方将围绕安全生产、防汛抗旱、森林防火和防灾减灾救灾等重点领域，建立常态化宣传合作机制，把零散的报道转为规范、持续、系统的合作。",
            "座谈中，双方提出要加强事故警示教育，用好全媒体平台传播防灾减灾知识，提升群众自救互救技能，并发挥应急广播在灾害预警中的作用。",
        ],
        60,
    ),
    (
        "汛期将至：山洪地质灾害防御要点请收好",
        "reporter",
        "jx-yjgl",
        StoryStatus.PUBLISHED,
        ["防汛", "防汛抗旱", "科普"],
        ["wechat", "weibo", "radio", "app"],
        "进入汛期，山区群众要留意预警信息，提前熟悉转移路线。",
        [
            "每年四月起全省陆续进入汛期，短时强降雨容易引发山洪、滑坡和泥石流。",
            "专家提醒：收到暴雨和山洪预警后，居住在山脚、河边的群众应及早转移；夜间降雨时尤其要警惕。",
            "村组干部要提前摸清独居老人和行动不便人员的情况，明确转移责任人。",
        ],
        45,
    ),
    (
        "森林防火进入紧要期 野外用火一律禁止",
        "editor",
        "jx-yjgl",
        StoryStatus.APPROVED,
        ["森林防火"],
        ["tv", "radio", "sms"],
        "秋冬季气候干燥，全省森林火险等级持续偏高。",
        [
            "入秋以来降雨偏少，林区可燃物干燥，森林火险等级持续偏高。",
            "应急管理部门提醒：祭祀、烧荒、野炊等野外用火行为一律禁止，违者将依法追究责任。",
            "发现火情请立即拨打报警电话，不要盲目扑救。",
        ],
        20,
    ),
    (
        "安全生产月：企业负责人走上直播间讲安全",
        "reporter",
        "jx-yjgl",
        StoryStatus.IN_REVIEW,
        ["安全生产", "直播"],
        ["douyin", "wechat"],
        "“安全生产月”期间，多家企业负责人走进演播室讲述一线安全管理经验。",
        [
            "六月是全国“安全生产月”。今年，江西台联合省应急管理厅推出系列直播，邀请企业负责人讲述一线安全管理的做法。",
            "直播中，嘉宾结合真实案例讲解隐患排查、应急演练和员工培训，网友在评论区踊跃提问。",
        ],
        10,
    ),
    (
        "防灾减灾日：社区里的应急演练",
        "reporter",
        "jx-yjgl",
        StoryStatus.DRAFT,
        ["防灾减灾", "应急演练"],
        ["web"],
        "",
        [
            "5月12日是全国防灾减灾日。一早，社区广场上响起警报声，居民在网格员引导下有序撤离到避难场所。",
            "消防员现场演示灭火器和应急包的使用方法，孩子们也学会了地震时“伏地、遮挡、手抓牢”。",
        ],
        3,
    ),
    (
        "應急廣播進山村 預警信息直達農戶",
        "editor",
        "jx-yjgl",
        StoryStatus.PUBLISHED,
        ["应急广播", "预警", "防灾减灾"],
        ["radio", "emergency"],
        "偏远山村的应急广播终端让预警信息第一时间传到每家每户。",
        [
            "在贛南山區，不少村莊的應急廣播終端已經完成升級，氣象和地質災害預警可以自動播發。",
            "村民說，以前下大雨全靠村幹部挨家挨戶喊，現在廣播一響，大家就知道該往哪裡轉移。",
        ],
        30,
    ),
    (
        "高新区党政主要负责人到清远台交流座谈",
        "qy_reporter",
        "qy-gxq",
        StoryStatus.PUBLISHED,
        ["宣传合作", "党建"],
        ["wechat", "tv", "web"],
        "双方围绕巩固宣传合作、创新宣传模式深入交流。",
        [
            "10月中旬，高新区党工委、管委会负责同志率队到清远台交流，参观了主播矩阵、党员墙和文化客厅。",
            "双方表示，合作已从零散报道逐步转向规范化、持续化、系统化，今后将在党建、经济发展、文化塑造和招商引资等领域加强联动。",
        ],
        40,
    ),
    (
        "“两新”组织党建：五十多个企业党支部凝聚发展合力",
        "qy_reporter",
        "qy-gxq",
        StoryStatus.PUBLISHED,
        ["党建", "两新组织"],
        ["wechat", "print"],
        "高新区把企业党建与机关党建统一管理，打造党建项目路演品牌。",
        [
            "近年来，高新区成立“两新”组织党委，企业党支部已发展到五十多个，党员四百多名。",
            "党群服务中心成为企业党员学习交流的阵地，竞争性扶持的党建项目路演活动也形成了品牌。",
        ],
        35,
    ),
    (
        "制造业当家：高新区重点项目建设跑出加速度",
        "qy_reporter",
        "qy-gxq",
        StoryStatus.APPROVED,
        ["招商引资", "产业发展"],
        ["tv", "web", "wechat"],
        "高新区坚持实体经济为本，抓大产业、大平台、大项目、大企业。",
        [
            "走进高新区的项目工地，塔吊林立、机器轰鸣。今年以来，园区多个重点项目提前开工。",
            "园区负责人介绍，高新区坚持制造业当家，围绕主导产业延链补链，招商引资成效明显。",
        ],
        15,
    ),
    (
        "主播矩阵助力园区企业直播带货",
        "anchor",
        "qy-gxq",
        StoryStatus.DRAFT,
        ["直播电商"],
        ["douyin"],
        "清远台主播走进园区企业，用直播帮助本地产品打开销路。",
        [
            "清远台的主播们走进高新区企业车间，在直播间介绍本地制造的产品。",
            "企业负责人说，借助电视台主播的影响力，新品上线当天就收到了不少订单。",
        ],
        5,
    ),
    (
        "清远文化客厅：在古今对话中读懂一座城",
        "qy_reporter",
        None,
        StoryStatus.PUBLISHED,
        ["文化"],
        ["web", "wechat"],
        "文化客厅展示清远的历史脉络、古代名人和考古发现。",
        [
            "在清远台的文化客厅里，一面墙讲述了这座城市的历史脉络，另一面墙陈列着考古发现的复制品。",
            "来访者可以在这里了解清远的古代名人和民间传说，感受城市文化的厚重。",
        ],
        25,
    ),
    (
        "汛期值班安排（校对示例）",
        "reporter",
        "jx-yjgl",
        StoryStatus.DRAFT,
        ["防汛", "防汛抗旱", "值班"],
        ["web"],
        "",
        [
            "进入主汛期,全省应急系统实行24小时值班。副厅长李文华、厅长张明远到省防汛指挥中心检查值班值守工作。",
            "会议要求各地再接再励，做好防讯各项准备，确保信息报送及时准确。。",
        ],
        2,
    ),
    (
        "台内通知：融媒体中心演播室设备检修安排",
        "editor",
        None,
        StoryStatus.DRAFT,
        ["内部"],
        [],
        "",
        ["本周六凌晨两点至六点，融媒体演播室进行设备检修，期间暂停使用。"],
        1,
    ),
]


def _paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def _review(story: Story, status: str, users: dict) -> None:
    """Take the story through real review as far as its demo status says, so queues and history are true."""
    if status not in (StoryStatus.IN_REVIEW, StoryStatus.APPROVED, StoryStatus.PUBLISHED):
        return
    author = story.authors.first()
    workflow.submit(Actor(user=author, via="demo"), story.pk)
    if status == StoryStatus.IN_REVIEW:
        return
    # Authors never review their own story: the editor's own stories get 初审 from the other editor.
    first = "editor2" if story.authors.filter(pk=users["editor"].pk).exists() else "editor"
    for reviewer in (first, "desk", "chief"):
        workflow.decide(Actor(user=users[reviewer], via="demo"), story.pk, "approve", "同意")


def _delivered_back_then(publication: Publication, at: dt.datetime) -> None:
    """Send a demo publication's deliveries now, as a worker would (claim, transmit, record), but recorded as of
    `at`: the demo's history happened on its own days. A send that fails is left to the worker to retry."""
    worker = "demo"
    queued = Delivery.objects.filter(rendition__publication=publication, state=DeliveryState.PENDING)
    ids = list(queued.values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids).update(
        state=DeliveryState.IN_PROGRESS, claimed_by=worker, lease_until=timezone.now() + dt.timedelta(minutes=5),
        attempts=F("attempts") + 1, created_at=at, due_at=at, started_at=at,
    )  # fmt: skip
    Publication.objects.filter(pk=publication.pk).update(created_at=at, released_at=at)
    results = []
    for delivery in Delivery.objects.filter(pk__in=ids).select_related("channel", "rendition__publication"):
        result = transmit(delivery, parcel_for(delivery), worker)
        result.started_at = result.finished_at = at
        results.append(result)
    queue.record_results(worker, results)


# A test channel, so a drill can be run from the duty console (Actual warnings never go to it).
DRILL_CHANNEL = ("drill-sms", "演练用短信（测试渠道，文件投递）", "sms", "file_drop", {"folder": "drill"})


def _warning_desk(users: dict) -> bool:
    """The duty roster for the coming month (the demo's duty officer; the editor-in-chief as 带班领导), a mobile
    number for the officer, and the drill channel: without them the console says nobody is on duty, drills refuse."""
    made = False
    if not DutyShift.objects.exists():
        start = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
        DutyShift.objects.bulk_create(
            DutyShift(starts_at=start + dt.timedelta(days=day), ends_at=start + dt.timedelta(days=day + 1),
                      officer=users["duty"], chief=users["chief"], note="演示排班")  # fmt: skip
            for day in range(31)
        )
        DutyContact.objects.get_or_create(user=users["duty"], defaults={"mobile": "13800000000"})
        made = True
    slug, name, kind, transmitter, settings = DRILL_CHANNEL
    if not Channel.objects.filter(slug=slug).exists():
        data = ChannelInput(name=name, slug=slug, kind=kind, transmitter=transmitter, settings=settings, for_tests=True)
        channel = create_channel(Actor(user=users["admin"], via="demo"), data)
        Coverage.objects.create(channel=channel, area_codes=COVERED_AREAS, min_level="blue")
        made = True
    return made


@transaction.atomic
def load_demo() -> bool:
    """Create the demo data that does not exist yet; True when anything was created."""
    created = False
    stations = {}
    for slug, name, short in STATIONS:
        stations[slug], made = Station.objects.get_or_create(slug=slug, defaults={"name": name, "short_name": short})
        created |= made
    partners = {}
    for slug, name, short, kind, description in PARTNERS:
        partners[slug], made = Partner.objects.get_or_create(
            slug=slug, defaults={"name": name, "short_name": short, "kind": kind, "description": description}
        )
        created |= made
    users = {}
    for username, role, name, station, partner in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, display_name=name, station=stations.get(station))
            user.set_password(DEMO_PASSWORD)
            user.save()
            if partner:
                Liaison.objects.create(user=user, partner=partners[partner])
            created = True
        users[username] = user
    for username, sender, note in SENDER_IDENTITIES:
        if not SenderIdentity.objects.filter(user=users[username], sender=sender).exists():
            SenderIdentity.objects.create(user=users[username], sender=sender, note=note)
            created = True
    system = Actor(user=None, via="demo")
    channels_by_slug = {}
    for slug, name, kind, transmitter, settings, partner in CHANNELS:
        channel = Channel.objects.filter(slug=slug).first()
        if channel is None:
            data = ChannelInput(
                name=name, slug=slug, kind=kind, transmitter=transmitter, settings=settings, partner=partner
            )
            channel = create_channel(Actor(user=users["admin"], via="demo"), data)
            created = True
        channels_by_slug[slug] = channel
        if kind in ALERT_KINDS and not Coverage.objects.filter(channel=channel).exists():
            level = "orange" if kind in ("tv", "radio") else "blue"
            Coverage.objects.create(channel=channel, area_codes=COVERED_AREAS, min_level=level)
    created |= _warning_desk(users)
    if not ReleasePolicy.objects.exists():
        for position, (name, sender, level, urgencies, action, escalate) in enumerate(POLICIES):
            ReleasePolicy.objects.create(name=name, sender=sender, min_level=level, urgencies=urgencies,
                                         action=action, escalate_after=escalate, position=position)  # fmt: skip
        created = True
    for title, author, partner, status, tags, channels, summary, lines, days_ago in STORIES:
        if Story.objects.filter(title=title).exists():
            continue
        actor = Actor(user=users[author], via="demo")
        story = story_service.create_story(
            actor,
            story_service.StoryInput.of(
                title=title,
                summary=summary,
                body_html=_paragraphs(lines),
                partner=partner or "",
                tags=tags,
                channel_intentions=channels,
            ),
        )
        if len(lines) > 2:
            # A second revision, so history and diff have something to show.
            story = story_service.update_story(
                Actor(user=users["editor"], via="demo"),
                story.pk,
                story_service.StoryInput.of(body_html=_paragraphs(lines[:-1] + [lines[-1] + "（编辑补充）"])),
                story.version,
            )
        _review(story, status, users)
        when = timezone.now() - dt.timedelta(days=days_ago)
        Story.objects.filter(pk=story.pk).update(created_at=when, updated_at=when)
        if status == StoryStatus.PUBLISHED:
            # Through the real pipeline: queued, sent by the channels' transmitters, and published once delivered —
            # on its day in the demo's past, so the portal, the API and the partner reports date it alike.
            wanted = [
                c.pk
                for c in channels_by_slug.values()
                if c.partner_id in (None, story.partner_id)
                and (c.kind in story.channel_intentions or c.partner_id == story.partner_id)
            ]
            if wanted:
                publication = publish_story(Actor(user=users["chief"], via="demo"), story.pk, wanted)
                _delivered_back_then(publication, min(when + dt.timedelta(hours=2), timezone.now()))
            else:
                Story.objects.filter(pk=story.pk).update(status=status)
        created = True
    if not RosterEntry.objects.exists():
        # A fictional roster, so the leader checks have something to check (real rosters are the station's).
        RosterEntry.objects.bulk_create(
            [
                RosterEntry(name="李文华", title="厅长", rank=1),
                RosterEntry(name="张明远", title="副厅长", rank=2),
                RosterEntry(name="王建国", title="处长", rank=5),
            ]
        )
        ProofRuleChange.objects.create(rule_key="roster", action="import", after={"people": 3})
        created = True
    created |= load_planning(users, partners)
    created |= load_analytics(users, partners, channels_by_slug)
    created |= load_live(users)
    if created:
        record(system, "demo.load")
    return created
