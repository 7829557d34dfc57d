"""What `tongpin`, `tongpin help` and `tongpin --help` print: Tongpin's own commands, a line of help each, in
Simplified Chinese (English when the shell's language is English), instead of Django's list of every command.
"""

from __future__ import annotations

import os
from typing import TextIO

from django.utils import translation
from django.utils.translation import gettext_lazy as _

# (command, what it does) in the order an operator meets them.
COMMANDS = [
    ("serve", _("启动网站（gunicorn）和一个投递工作进程；启动前自动迁移数据库")),
    ("worker", _("投递工作进程：发送稿件和预警、运行后台任务、定时备份和清理")),
    ("migrate", _("创建或升级数据库")),
    ("check", _("自检：配置、数据库、工作进程、字体、语音合成和磁盘空间（--json 输出 JSON）")),
    ("createuser", _("创建用户并指定角色")),
    ("account", _("账号维护：停用长期未登录的账号、重新启用、移除第二重验证")),
    ("token", _("创建、列出或吊销 API 令牌")),
    ("backup", _("备份数据库、上传文件和密钥到一个归档文件")),
    ("restore", _("从备份归档恢复到空的数据目录或数据库")),
    ("reindex", _("重建稿件全文检索索引")),
    ("audit", _("审计日志：校验哈希链、导出和按保留期限清理")),
    ("keys", _("数据加密密钥：查看状态、生成、轮换（重新加密已保存的渠道密钥）")),
    ("lanewatch", _("检查预警通道是否健康，不健康时呼叫值班员（没有工作进程时用定时任务运行）")),
    ("cap", _("校验 CAP 预警消息文件")),
    ("eb", _("验证应急广播消息包的签名")),
    ("proofread", _("校对中文文本并列出问题")),
    ("wci", _("根据文章数据计算微信传播指数（WCI）")),
    ("axes_reset_username", _("解除某个账号的登录锁定")),
    ("axes_reset_ip", _("解除某个地址的登录锁定")),
]


def cli_language() -> str:
    """English when the shell's language says so (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else Simplified Chinese."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip()
        if value:
            return "en" if value.lower().startswith("en") else "zh-hans"
    return "zh-hans"


def print_overview(out: TextIO) -> None:
    from tongpin import __version__

    with translation.override(cli_language()):
        out.write(_("同频 Tongpin %(v)s：融媒体协同平台") % {"v": __version__} + "\n\n")
        out.write(_("用法：tongpin COMMAND [选项]") + "\n\n")
        out.write(_("同频的命令：") + "\n")
        width = max(len(name) for name, _text in COMMANDS)
        for name, text in COMMANDS:
            out.write(f"  {name:<{width}}  {text}\n")
        out.write("\n")
        for usage, text in (
            ("tongpin help COMMAND", _("该命令的选项")),
            ("tongpin --version", _("同频的版本")),
            ("tongpin help --django", _("Django 的全部命令（都可以用 tongpin 运行）")),
        ):
            out.write(f"{usage:<22} {text}\n")
