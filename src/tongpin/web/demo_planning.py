"""Demo cooperation and planning: agreements with measurable commitments, liaison records, a publicity
request, key dates, a campaign with topics and assignments (one double booking on purpose) and a joint event.
Everything goes through the services, so the demo obeys the same rules as real input."""

import datetime as dt

from django.utils import timezone

from tongpin.core.audit import Actor
from tongpin.partners import services as partner_service
from tongpin.partners.models import AgreementStatus, MeetingKind
from tongpin.planning import requests as request_service
from tongpin.planning import services as plan_service
from tongpin.planning.models import AssignmentRole, EventState, KeyDate, TopicState

KEY_DATES = [
    # name, month, day, end month, end day, lead days, partner, tags
    ("全国防灾减灾日", 5, 12, None, None, 30, None, ["防灾减灾"]),
    ("安全生产月", 6, 1, 6, 30, 30, None, ["安全生产"]),
    ("全国消防日", 11, 9, None, None, 21, None, ["消防"]),
    ("汛期", 4, 1, 9, 30, 20, "jx-yjgl", ["防汛"]),
    ("森林防火紧要期", 10, 1, 4, 30, 14, "jx-yjgl", ["森林防火"]),
]


def load_planning(users: dict, partners: dict) -> bool:
    if KeyDate.objects.exists():
        return False
    today = timezone.localdate()
    chief = Actor(user=users["chief"], via="demo")
    desk = Actor(user=users["desk"], via="demo")
    key_dates = {}
    for name, month, day, end_month, end_day, lead, partner, tags in KEY_DATES:
        key_dates[name] = plan_service.save_key_date(
            chief,
            {"name": name, "kind": KeyDate.Kind.RECURRING, "month": month, "day": day, "end_month": end_month,
             "end_day": end_day, "lead_days": lead, "partner": partners.get(partner), "tags": tags},
        )  # fmt: skip
    expo_start = today + dt.timedelta(days=40)
    key_dates["expo"] = plan_service.save_key_date(
        chief,
        {"name": "清远高新区产业博览会", "kind": KeyDate.Kind.ONE_OFF, "starts_on": expo_start,
         "ends_on": expo_start + dt.timedelta(days=2), "lead_days": 30, "partner": partners["qy-gxq"]},
    )  # fmt: skip

    em, zone = partners["jx-yjgl"], partners["qy-gxq"]
    em.owners.set([users["desk"], users["editor"]])
    zone.owners.set([users["qy_reporter"]])
    partner_service.save_contact(chief, em, {"name": "刘洋", "title": "宣教处副处长", "phone": "0791-8888 0000",
                                             "is_primary": True})  # fmt: skip
    em_agreement = partner_service.save_agreement(
        chief,
        em,
        {"title": "省应急管理厅与江西广播电视台战略合作框架协议", "number": "JXYJ-2026-01",
         "signed_on": today - dt.timedelta(days=60), "starts_on": today - dt.timedelta(days=60),
         "ends_on": today - dt.timedelta(days=61) + dt.timedelta(days=3 * 365),
         "status": AgreementStatus.IN_FORCE, "areas": ["安全生产", "防汛抗旱", "森林防火", "防灾减灾"],
         "principles": "优势互补、资源共享、长期合作、共同发展。"},
    )  # fmt: skip
    breadth = partner_service.save_commitment(
        chief, em_agreement,
        {"title": "每季度刊发应急宣传稿件不少于 12 篇，覆盖至少 3 个渠道", "measure": "stories", "target": 12,
         "period": "quarter", "min_channels": 3},
    )  # fmt: skip
    partner_service.save_commitment(
        chief, em_agreement,
        {"title": "汛期每月防汛报道不少于 2 篇", "measure": "stories", "target": 2, "period": "month",
         "tags": ["防汛"], "active_months": [4, 5, 6, 7, 8, 9]},
    )  # fmt: skip
    partner_service.save_commitment(
        chief, em_agreement,
        {"title": "每年编印《应急管理通讯》4 期", "measure": "journal_issues", "target": 4, "period": "year"},
    )  # fmt: skip
    zone_agreement = partner_service.save_agreement(
        chief,
        zone,
        {"title": "清远高新区宣传合作协议", "starts_on": today - dt.timedelta(days=30),
         "ends_on": today + dt.timedelta(days=700), "status": AgreementStatus.IN_FORCE,
         "areas": ["党建", "招商引资", "产业发展", "文化建设"]},
    )  # fmt: skip
    expo_commitment = partner_service.save_commitment(
        chief, zone_agreement,
        {"title": "联合举办高新区产业博览会", "measure": "events", "target": 1, "period": "term"},
    )  # fmt: skip

    meeting = partner_service.save_meeting(
        desk, em,
        {"kind": MeetingKind.VISIT, "title": "应急管理厅来台调研座谈",
         "held_at": timezone.now() - dt.timedelta(days=60), "place": "江西台融媒体中心",
         "participants": "应急管理厅宣教处、江西台新闻中心",
         "minutes": "参观融媒体演播室和广播播控中心，交流应急宣传与预警发布工作。",
         "decisions": "建立常态化联络机制；汛期前制定宣传方案。"},
    )  # fmt: skip
    partner_service.save_action(
        desk, em, {"title": "制定汛期宣传方案初稿", "owner": users["desk"], "due_on": today + dt.timedelta(days=10),
                   "meeting": meeting},
    )  # fmt: skip

    request_service.submit_request(
        Actor(user=users["liaison_em"], via="demo"),
        {"title": "冬季森林防火“十不准”系列短视频",
         "description": "围绕野外用火“十不准”制作系列短视频和海报，在电视、抖音和微信推出。",
         "purpose": "减少人为火源引发的森林火灾。", "wanted_by": today + dt.timedelta(days=30),
         "channels": ["tv", "douyin", "wechat"]},
    )  # fmt: skip

    campaign = plan_service.save_campaign(
        chief,
        {"title": "冬春森林防火宣传", "partner": em, "key_date": key_dates["森林防火紧要期"], "commitment": breadth,
         "starts_on": today - dt.timedelta(days=7), "ends_on": today + dt.timedelta(days=60),
         "description": "围绕野外用火管控、火情报告和扑救安全，电视、广播、新媒体同步推进。"},
    )  # fmt: skip
    approved = plan_service.propose_topic(
        Actor(user=users["reporter"], via="demo"),
        {"title": "跟拍护林员巡山的一天", "campaign": campaign, "due_on": today + dt.timedelta(days=5),
         "channels": ["tv", "wechat"]},
    )  # fmt: skip
    approved = plan_service.move_topic(desk, approved, TopicState.APPROVED, "同意，注意安全。")
    plan_service.propose_topic(
        Actor(user=users["reporter"], via="demo"),
        {"title": "无人机火情监测新技术", "campaign": campaign, "due_on": today + dt.timedelta(days=12)},
    )  # fmt: skip
    live = plan_service.propose_topic(
        desk, {"title": "森林防火直播访谈", "campaign": campaign, "due_on": today + dt.timedelta(days=8)}
    )
    live = plan_service.move_topic(desk, live, TopicState.APPROVED)
    shoot = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    plan_service.save_assignment(
        desk, {"topic": approved, "assignee": users["reporter"], "role": AssignmentRole.REPORTER,
               "due_at": shoot + dt.timedelta(days=1), "starts_at": shoot, "ends_at": shoot + dt.timedelta(hours=8),
               "channels": ["tv", "wechat"], "brief": "随护林员巡山，拍摄防火检查和宣传。"},
    )  # fmt: skip
    for topic in (approved, live):  # the anchor is booked twice on the same afternoon: the calendar shows it
        plan_service.save_assignment(
            desk, {"topic": topic, "assignee": users["anchor"], "role": AssignmentRole.ANCHOR,
                   "due_at": shoot + dt.timedelta(days=2), "starts_at": shoot + dt.timedelta(hours=5),
                   "ends_at": shoot + dt.timedelta(hours=7)},
        )  # fmt: skip

    expo = plan_service.save_event(
        chief,
        {"title": "清远高新区产业博览会", "partner": zone, "starts_on": expo_start,
         "ends_on": expo_start + dt.timedelta(days=2), "place": "清远高新区会展中心", "state": EventState.PREPARING,
         "description": f"协议约定的联合活动（{expo_commitment.title}）。"},
    )  # fmt: skip
    for title, days, milestone in [("确定参展企业名单", 10, True), ("直播带货主播排班", 25, False),
                                   ("开幕式直播彩排", 38, True)]:  # fmt: skip
        plan_service.save_task(
            chief, expo, {"title": title, "owner": users["qy_reporter"], "due_on": today + dt.timedelta(days=days),
                          "is_milestone": milestone},
        )  # fmt: skip
    return True
