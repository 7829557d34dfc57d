"""WeChat official account (微信公众号) API client and transmitter.

Flow, as WeChat documents it: get an access token (cgi-bin/token, valid 7,200 s, cached here), upload the
cover as permanent material (material/add_material → media_id), add a draft (draft/add → media_id), submit
it for publishing (freepublish/submit → publish_id) and poll freepublish/get until publish_status is 0
(success, with the article URL) or a failure code. Withdraw deletes the article (freepublish/delete).
Errors come as {"errcode": n, "errmsg": …} with HTTP 200: token errors renew the token once, -1 (busy) and
45009 (quota) are retried later, every other code fails the delivery.
"""

import json
import threading
import time
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Reach
from ..plugins import Outcome, Parcel, PermanentError, Setting, TemporaryError, Transmitter, register_transmitter
from .http import request

DEFAULT_API = "https://api.weixin.qq.com"
TOKEN_ERRORS = {40001, 40014, 42001}
TEMPORARY_ERRORS = {-1, 45009, 45011}
PUBLISH_STATES = {
    2: "原创声明失败",
    3: "常规失败",
    4: "平台审核不通过",
    5: "成功后用户删除所有文章",
    6: "成功后系统封禁所有文章",
}
_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_token_lock = threading.Lock()


class WeChatError(Exception):
    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatClient:
    def __init__(self, app_id: str, app_secret: str, api_base: str = DEFAULT_API, timeout: float = 15):
        self.app_id = app_id
        self.app_secret = app_secret
        self.api_base = (api_base or DEFAULT_API).rstrip("/")
        self.timeout = timeout

    # --- transport ---
    def _call(self, method: str, path: str, *, params=None, body=None, files=None, with_token=True) -> dict:
        for renewal in (False, True):
            query = dict(params or {})
            if with_token:
                query["access_token"] = self.access_token(renew=renewal)
            url = self.api_base + path
            if files is not None:
                reply = request("POST", url, params=query, fields=files, timeout=self.timeout)
            elif method == "GET":
                reply = request("GET", url, params=query, timeout=self.timeout)
            else:
                payload = json.dumps(body or {}, ensure_ascii=False).encode()  # WeChat wants raw UTF-8
                headers = {"Content-Type": "application/json; charset=utf-8"}
                reply = request("POST", url, params=query, body=payload, headers=headers, timeout=self.timeout)
            if reply.status >= 500:
                raise TemporaryError(_("微信接口返回 HTTP %(s)d") % {"s": reply.status}, "http_5xx")
            try:
                data = json.loads(reply.data)
            except ValueError as error:
                raise TemporaryError(_("微信接口返回了无法解析的内容。"), "bad_response") from error
            errcode = int(data.get("errcode", 0) or 0)
            if errcode in TOKEN_ERRORS and with_token and not renewal:
                continue
            if errcode:
                raise WeChatError(errcode, str(data.get("errmsg", "")))
            return data
        raise WeChatError(40001, "access token rejected twice")

    def access_token(self, renew: bool = False) -> str:
        key = (self.api_base, self.app_id)
        with _token_lock:
            cached = _tokens.get(key)
            if cached and not renew and cached[1] > time.time():
                return cached[0]
        data = self._call(
            "GET",
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret},
            with_token=False,
        )
        token = data["access_token"]
        expires = time.time() + max(60, int(data.get("expires_in", 7200)) - 300)  # renew five minutes early
        with _token_lock:
            _tokens[key] = (token, expires)
        return token

    # --- API ---
    def post(self, path: str, body: dict) -> dict:
        """Any JSON API call (other apps use it for the data APIs, e.g. /datacube/…)."""
        return self._call("POST", path, body=body)

    def upload_image(self, path: str, name: str, mime: str) -> str:
        files = {"media": (name, Path(path).read_bytes(), mime)}  # cover images are small (asset limits)
        data = self._call("POST", "/cgi-bin/material/add_material", params={"type": "image"}, files=files)
        return data["media_id"]

    def add_draft(self, article: dict) -> str:
        return self._call("POST", "/cgi-bin/draft/add", body={"articles": [article]})["media_id"]

    def submit(self, media_id: str) -> str:
        return str(self._call("POST", "/cgi-bin/freepublish/submit", body={"media_id": media_id})["publish_id"])

    def publish_status(self, publish_id: str) -> dict:
        return self._call("POST", "/cgi-bin/freepublish/get", body={"publish_id": publish_id})

    def delete(self, article_id: str) -> None:
        self._call("POST", "/cgi-bin/freepublish/delete", body={"article_id": article_id, "index": 0})


def _failure(error: WeChatError) -> Exception:
    """The error code for everyone; WeChat's own text (errmsg) only as the admins' detail."""
    message = _("微信接口错误 %(c)d。") % {"c": error.errcode}
    cls = TemporaryError if error.errcode in TEMPORARY_ERRORS else PermanentError
    return cls(message, f"wechat_{error.errcode}", error.errmsg[:200])


@register_transmitter
class WeChatOfficialAccount(Transmitter):
    name = "wechat_api"
    reports = ("received", "reached")  # freepublish/get: publishing (WeChat has it), then published or failed
    label = gettext_lazy("微信公众号接口")
    supports_withdraw = True
    settings = (
        Setting("app_id", gettext_lazy("AppID"), required=True),
        Setting("app_secret", gettext_lazy("AppSecret"), kind="secret", required=True, bound_to=("api_base",),
                help=gettext_lazy("更改接口地址后须重新输入 AppSecret。")),  # fmt: skip
        Setting("api_base", gettext_lazy("接口地址"), kind="url", default=DEFAULT_API),
        Setting("timeout", gettext_lazy("超时（秒）"), kind="int", default=15),
    )

    @staticmethod
    def client_for(parcel: Parcel) -> WeChatClient:
        conf = parcel.settings
        return WeChatClient(
            conf.get("app_id", ""), conf.get("app_secret", ""), conf.get("api_base") or DEFAULT_API,
            float(conf.get("timeout") or 15),
        )  # fmt: skip

    def send(self, parcel: Parcel) -> Outcome:
        api = self.client_for(parcel)
        try:
            publish_id = parcel.remote_ref.removeprefix("publish:") if parcel.remote_ref.startswith("publish:") else ""
            if not publish_id:
                publish_id = api.submit(api.add_draft(self._article(api, parcel)))
            return self._poll(api, publish_id)
        except WeChatError as error:
            raise _failure(error) from error

    def _article(self, api: WeChatClient, parcel: Parcel) -> dict:
        fields = parcel.fields
        if parcel.images:
            image = parcel.images[0]
            thumb = api.upload_image(image.path, image.name, image.mime)
        else:
            thumb = parcel.settings.get("default_cover_media_id") or ""
        if not thumb:
            raise PermanentError(_("没有封面图：微信图文必须有封面。"), "no_cover")
        return {
            "title": fields.get("title", ""),
            "author": fields.get("author", ""),
            "digest": fields.get("digest", ""),
            "content": fields.get("content", ""),
            "content_source_url": fields.get("content_source_url", ""),
            "thumb_media_id": thumb,
            "need_open_comment": 0,
            "only_fans_can_comment": 0,
        }

    @staticmethod
    def _poll(api: WeChatClient, publish_id: str) -> Outcome:
        status = api.publish_status(publish_id)
        state = int(status.get("publish_status", 1))
        if state == 0:
            items = (status.get("article_detail") or {}).get("item") or [{}]
            return Outcome(
                remote_ref=f"article:{status.get('article_id', '')}", remote_url=items[0].get("article_url", ""),
                received=True, reach=Reach.REACHED,
            )  # fmt: skip
        if state == 1:
            return Outcome(done=False, remote_ref=f"publish:{publish_id}", code="publishing", poll_after=10,
                           received=True, reach=Reach.WAITING)  # fmt: skip
        reason = PUBLISH_STATES.get(state, str(state))
        raise PermanentError(_("微信发布失败：%(r)s") % {"r": reason}, f"publish_status_{state}", received=True,
                             reach=Reach.UNREACHED)  # fmt: skip

    def withdraw(self, parcel: Parcel) -> Outcome:
        if not parcel.remote_ref.startswith("article:"):
            raise PermanentError(_("没有已发布的文章可撤回。"), "nothing_to_withdraw")
        try:
            self.client_for(parcel).delete(parcel.remote_ref.removeprefix("article:"))
        except WeChatError as error:
            raise _failure(error) from error
        return Outcome(code="deleted")
