"""One convention for Tongpin's command-line commands (docs/operations.md「命令行约定」).

Exit status: 0 ok; 1 findings or invalid input (a file that fails validation, a broken signature, a failed check);
2 a usage error (an unknown option, a missing argument) or input that cannot be read (missing file, not UTF-8, too
large). Errors go to stderr as one line in the shell's language (Simplified Chinese unless LANG says English).

`--json` (add_json_flag) prints ONE JSON object, last on stdout, instead of the screen; commands that report on
several files put them in a list under "files" with an overall "ok". Help texts are gettext_lazy with Chinese msgids
(English in the catalogue), shown in the shell's language like `tongpin help` (tongpin.commands.cli_language).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from tongpin.commands import cli_language

OK = 0
FINDINGS = 1  # findings, invalid input, a failed check
USAGE = 2  # a usage error or input that cannot be read (also cli.REFUSED)
MAX_INPUT_BYTES = 50 * 1024 * 1024


class Unreadable(CommandError):
    """Input that cannot be read: exit status 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=USAGE)


class Invalid(CommandError):
    """Input that was read but is not valid: exit status 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=FINDINGS)


# argparse's own words come from the stdlib's gettext, which never reaches Tongpin's catalogue: the help's
# headings and the -h line are replaced on each parser (_use_tongpin_parser) and its error messages are matched
# against their English forms and said again from the catalogue (English msgstr = argparse's words).
ARGPARSE_ERRORS = [
    ("argument %(argument)s: %(message)s", gettext_lazy("参数 %(argument)s：%(message)s")),
    ("unrecognized arguments: %(arguments)s", gettext_lazy("无法识别的参数：%(arguments)s")),
    ("the following arguments are required: %(arguments)s", gettext_lazy("缺少必需的参数：%(arguments)s")),
    ("invalid choice: %(value)s (choose from %(choices)s)", gettext_lazy("无效的选择：%(value)s（可选：%(choices)s）")),
    ("invalid %(type)s value: %(value)s", gettext_lazy("无效的 %(type)s 值：%(value)s")),
    ("expected one argument", gettext_lazy("需要一个值")),
    ("expected at most one argument", gettext_lazy("最多需要一个值")),
    ("expected at least one argument", gettext_lazy("至少需要一个值")),
    ("not allowed with argument %(other)s", gettext_lazy("不能与参数 %(other)s 同时使用")),
    ("one of the arguments %(arguments)s is required", gettext_lazy("参数 %(arguments)s 中必须给出一个")),
    ("ambiguous option: %(option)s could match %(matches)s", gettext_lazy("选项 %(option)s 有歧义：%(matches)s")),
]
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(english: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(english)  # text, name, text, name, …, text
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$", re.DOTALL)


_ARGPARSE_PATTERNS = [(_pattern(english), text) for english, text in ARGPARSE_ERRORS]


def reword_argparse_error(message: str) -> str:
    """argparse's English error message in the current language (one it does not know stays as it is)."""
    for pattern, text in _ARGPARSE_PATTERNS:
        found = pattern.match(message)
        if found:
            values = found.groupdict()
            if "message" in values:  # `argument --days: invalid int value: 'x'`: the inner message too
                values["message"] = reword_argparse_error(values["message"])
            return str(text) % values
    return message


class TongpinHelpFormatter(DjangoHelpFormatter):
    """Django's help layout with argparse's "usage: " in the current language."""

    def add_usage(
        self, usage: str | None, actions: Iterable[argparse.Action], groups: Iterable, prefix: str | None = None
    ) -> None:
        super().add_usage(usage, actions, groups, _("用法：") if prefix is None else prefix)


# Django's own options, said in the catalogue (their English msgstr is Django's wording). --version (Django's
# version, not Tongpin's), --settings and --pythonpath (Tongpin is configured by TONGPIN_* variables) are
# accepted but left out of the help: TongpinCommand.suppressed_base_arguments.
BASE_OPTION_HELP = {
    "verbosity": gettext_lazy("输出的详细程度：0 最少，1 正常，2 详细，3 非常详细"),
    "traceback": gettext_lazy("出错时显示完整的调用栈"),
    "no_color": gettext_lazy("输出不加颜色"),
    "force_color": gettext_lazy("输出总是加颜色"),
    "skip_checks": gettext_lazy("跳过系统检查"),
}


class TongpinParser(CommandParser):
    """Help in the shell's language; a usage error is one line on stderr and exit status 2."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._given = list(sys.argv[1:] if args is None else args)  # for misplaced_option, on an error
        return super().parse_known_args(args, namespace)

    @property
    def command(self) -> str:
        """`audit` for the parsers of `tongpin audit` and `tongpin audit purge` (and of call_command's " audit")."""
        words = self.prog.split()
        return words[1] if len(words) > 1 else words[0] if words else ""

    def subcommand_error(self, message: str) -> str | None:
        """argparse names the subcommand by its dest ("action"): say 子命令 and list them instead."""
        subcommands = next((a for a in self._actions if isinstance(a, argparse._SubParsersAction)), None)
        if subcommands is None or subcommands.dest not in message:
            return None
        names = pgettext("list separator", "、").join(subcommands.choices)
        invalid = re.search(r"invalid choice: '?(.*?)'? \(choose from", message)
        if invalid is None:
            return _("缺少子命令（可选：%(names)s）") % {"names": names}
        return _("没有子命令“%(given)s”（可选：%(names)s）") % {"given": invalid.group(1), "names": names}

    def misplaced_option(self) -> str | None:
        """`audit --days 200` without `purge`: name the subcommand an option belongs to (argparse would blame
        the option's value as an unknown subcommand)."""
        subcommands = next((a for a in self._actions if isinstance(a, argparse._SubParsersAction)), None)
        if subcommands is None:
            return None
        for given in getattr(self, "_given", []):
            option = given.split("=", 1)[0]
            if not option.startswith("-") or option in self._option_string_actions:
                continue
            owners = [name for name, sub in subcommands.choices.items() if option in sub._option_string_actions]
            if owners:
                return _("%(option)s 是子命令 %(owners)s 的选项，应写在子命令之后（如 %(example)s）") % {
                    "option": option,
                    "owners": "、".join(owners),
                    "example": f"tongpin {self.command} {owners[0]} {option} …",
                }
        return None

    def format_help(self) -> str:
        with translation.override(cli_language()):
            return super().format_help()

    def format_usage(self) -> str:
        with translation.override(cli_language()):
            return super().format_usage()

    def error(self, message: str) -> NoReturn:
        with translation.override(cli_language()):
            line = _("用法错误：%(message)s（选项见 tongpin help %(command)s）") % {
                "message": self.misplaced_option() or self.subcommand_error(message) or reword_argparse_error(message),
                "command": self.command,
            }
        if self.called_from_command_line:
            self.exit(USAGE, f"{self.prog}: {line}\n")
        raise CommandError(line, returncode=USAGE)


def _use_tongpin_parser(parser: argparse.ArgumentParser) -> None:
    parser.__class__ = TongpinParser
    parser.formatter_class = TongpinHelpFormatter
    # Lazy: formatted in the shell's language when the help is (TongpinParser.format_help).
    parser._positionals.title = gettext_lazy("位置参数")
    parser._optionals.title = gettext_lazy("选项")
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = gettext_lazy("显示此帮助信息并退出")
        elif action.dest in BASE_OPTION_HELP and action.help is not argparse.SUPPRESS:
            action.help = BASE_OPTION_HELP[action.dest]
    for action in parser._actions:  # subcommands (`cap validate`, `token list`) were made before the swap
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _use_tongpin_parser(sub)


class TongpinCommand(BaseCommand):
    """Base of Tongpin's reporting commands: exit statuses, `--json`, input reading and help in the shell's language."""

    suppressed_base_arguments = {"--version", "--settings", "--pythonpath"}  # see BASE_OPTION_HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        with translation.override(cli_language()):
            parser = super().create_parser(prog_name, subcommand, **kwargs)
            if parser.description is not None:
                parser.description = str(parser.description)  # argparse runs a regex over it: no lazy text
        _use_tongpin_parser(parser)
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        with translation.override(cli_language()):
            try:
                return super().execute(*args, **options)
            except CommandError as error:
                if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
                    raise
                first = (str(error).strip().splitlines() or [type(error).__name__])[0]
                self.stderr.write(f"tongpin {self.command_name}: {first}")
                sys.exit(error.returncode)

    @property
    def command_name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]

    # --- subcommands ---

    @staticmethod
    def add_actions(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
        """Subcommands (`token create|list|revoke`): add each with `.add_parser(name)`; `handle` then runs the
        method `_<name>(**options)` (a hyphen in the name read as `_`)."""
        return parser.add_subparsers(dest="action", required=True)

    def handle(self, *args: Any, action: str = "", **options: Any) -> Any:
        if not action:
            raise NotImplementedError("a TongpinCommand without add_actions defines handle()")
        return getattr(self, f"_{action.replace('-', '_')}")(**options)

    # --- output ---

    @staticmethod
    def add_json_flag(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help=gettext_lazy("输出一个 JSON 对象（代替屏幕文字）"))

    def report(self, document: dict, lines: Iterable[str] = (), *, as_json: bool, failed: bool = False) -> None:
        """The screen (lines) or one JSON object; exit status 1 when failed (findings, invalid input)."""
        if as_json:
            self.stdout.write(json.dumps(document, ensure_ascii=False, default=str))
        else:
            for line in lines:
                self.stdout.write(line)
        if failed:
            sys.exit(FINDINGS)

    # --- input ---

    @staticmethod
    def read_bytes(name: str, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
        """A file's bytes (`-` is standard input); missing, unreadable or too large is Unreadable (exit 2)."""
        try:
            if name == "-":
                data = sys.stdin.buffer.read(max_bytes + 1)
            else:
                with open(name, "rb") as handle:
                    data = handle.read(max_bytes + 1)
        except OSError as error:
            raise Unreadable(
                _("无法读取 %(file)s：%(reason)s") % {"file": name, "reason": error.strerror or type(error).__name__}
            ) from error
        if len(data) > max_bytes:
            raise Unreadable(_("%(file)s 超过 %(n)s 字节的上限") % {"file": name, "n": max_bytes})
        return data

    @classmethod
    def read_text(cls, name: str, max_bytes: int = MAX_INPUT_BYTES) -> str:
        """A UTF-8 text file (a byte-order mark is allowed); not UTF-8 is Unreadable (exit 2)."""
        data = cls.read_bytes(name, max_bytes)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise Unreadable(
                _("%(file)s 不是 UTF-8 文本（第 %(byte)d 字节：%(reason)s）")
                % {"file": name, "byte": error.start, "reason": error.reason}
            ) from error
