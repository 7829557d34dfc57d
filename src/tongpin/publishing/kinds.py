"""Channel kinds (渠道). Stories name the kinds they are meant for; channel plug-ins arrive with publishing."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    WECHAT = "wechat", _("微信公众号")
    WEIBO = "weibo", _("微博")
    DOUYIN = "douyin", _("抖音")
    TV = "tv", _("电视")
    RADIO = "radio", _("广播")
    WEB = "web", _("网站")
    APP = "app", _("客户端推送")
    SMS = "sms", _("短信")
    PRINT = "print", _("合作方刊物")
    EMERGENCY = "emergency", _("应急广播")
    CELL_BROADCAST = "cell_broadcast", _("小区广播/闪信")
    TV_POPUP = "tv_popup", _("电视弹窗")
