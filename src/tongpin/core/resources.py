"""Declared API resources: what a resource is (model, input schema, scoped lookup, the capability each verb needs)
is written once, and the standard operations (list, create, get, change, delete) are made from it.

    keydates = Resource(
        "key_date", KeyDate, input=KeyDateIn, output=KeyDateOut,
        lookup=services.get_key_date,             # the scoped lookup: 404 for what the caller may not see
        needs={"list": roles.PLAN_VIEW, "delete": roles.PLAN_MANAGE},   # verbs checked here: 403
        save=services.save_key_date, values=key_date_values,
    )
    keydates.routes(router, "/key-dates", "key_date_id")

Output schemas read the objects themselves (ninja resolves `Field(alias="partner.slug")` and `resolve_<field>`
methods), so no resource hand-writes a dict. A `Patch` schema is the input schema with every field optional
(`patch_of`); a resource changed by PUT takes its whole input schema instead (`routes(..., replace=True)`).
Operations a resource does not fit (a service with another signature, a nested path) are written
as ordinary handlers next to it and still use its `one()`, `values()` and `patch`.

The rule for 403 or 404 lives in docs/architecture.md ("403 or 404"): the lookup hides (404), the verb refuses
(403); services check the capability again (`roles.require`), so a handler can never be the only guard.
"""

from __future__ import annotations

import copy
import inspect
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import ninja
from django.db.models import Model, QuerySet
from django.utils.translation import gettext
from ninja import Schema
from ninja.responses import Status
from pydantic import create_model

from . import records, roles
from .audit import actor_from_request
from .errors import FieldError, ValidationFailed
from .models import User
from .schemas import ERRORS


def patch_of(schema: type[Schema], name: str = "", exclude: Iterable[str] = ()) -> type[Schema]:
    """`schema` for PATCH: the same fields and constraints, each optional (None when not sent); `exclude` names
    fields that cannot change after creation. Named `<Thing>Patch` for `<Thing>In` (OpenAPI names stay unique)."""
    fields: dict[str, Any] = {}
    for field_name, info in schema.model_fields.items():
        if field_name in exclude:
            continue
        optional = copy.copy(info)
        optional.default, optional.default_factory = None, None
        fields[field_name] = (info.annotation | None, optional)
    name = name or schema.__name__.removesuffix("In") + "Patch"
    caller = sys._getframe(1).f_globals.get("__name__", __name__)
    return create_model(name, __base__=Schema, __module__=caller, **fields)


def payload_values(payload: Schema, **convert: Callable[[Any], tuple[str, Any]]) -> dict[str, Any]:
    """The fields a client sent (`exclude_unset`), with some converted: `convert[field](value)` answers the
    model's (name, value) — e.g. `owner_id=lambda pk: ("owner", one_user(pk, "owner_id"))`."""
    values = payload.dict(exclude_unset=True)
    for name, change in convert.items():
        if name in values:
            new_name, new_value = change(values.pop(name))
            values[new_name] = new_value
    return values


def whole_payload(request, payload: Schema) -> dict[str, Any]:
    """Every field of the payload, defaults included: the `values` of a resource whose service wants them all."""
    return payload.dict()


VERBS = ("list", "create", "get", "change", "delete")


@dataclass
class Resource:
    """One kind of object in the API. `lookup(user, pk)` answers the object or raises NotFound; `rows(user)` the
    queryset a caller may list (already scoped); `save(actor, values, obj=None)` the service that writes;
    `values(request, payload)` turns a payload into the service's values; `needs` maps a verb (list, create,
    get, change, delete) to the capability it takes (403), checked after the lookup for verbs on one object,
    so that what the caller may not see answers 404 first. `remove(actor, obj)` is the service that deletes; without
    it `delete_record` deletes, checking `needs["delete"]`."""

    name: str
    model: type[Model]
    input: type[Schema]
    output: type[Schema]
    lookup: Callable[[Any, Any], Model]
    needs: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    rows: Callable[[Any], QuerySet | list] | None = None
    save: Callable[..., Model] | None = None
    values: Callable[[Any, Schema], dict] | None = None
    patch_exclude: tuple[str, ...] = ()
    patch: type[Schema] | None = None
    summaries: dict[str, str] = field(default_factory=dict)
    remove: Callable[[Any, Model], None] | None = None

    def __post_init__(self) -> None:
        if self.patch is None:
            module = self.input.__module__
            self.patch = patch_of(self.input, exclude=self.patch_exclude)
            self.patch.__module__ = module

    def check(self, request, verb: str) -> None:
        """Refuse (403) a caller lacking the capability `verb` needs (any of them, for a tuple); verbs not
        declared need none here."""
        needed = self.needs.get(verb)
        if needed:
            roles.require_any(request.auth, *((needed,) if isinstance(needed, str) else needed))

    def one(self, request, pk) -> Model:
        return self.lookup(request.auth, pk)

    def delete(self, request, obj: Model) -> None:
        """Delete `obj` (already looked up) with the resource's service, or audited by `delete_record`."""
        actor = actor_from_request(request, "api")
        if self.remove is None:
            delete_record(actor, obj, self.needs["delete"])
            return
        self.check(request, "delete")
        self.remove(actor, obj)

    def to_values(self, request, payload: Schema) -> dict:
        return self.values(request, payload) if self.values else payload.dict(exclude_unset=True)

    def routes(self, router: Router, path: str, key: str, verbs: Iterable[str] = VERBS, size: int | None = 500,
               replace: bool = False, names: dict[str, str] | None = None) -> None:  # fmt: skip
        """Register the standard operations on `router`: `path` lists and creates, `path/{key}` gets, changes
        and deletes (409 while other records refer to the object). Lists are `rows(user)[:size]` (all: None).
        A change is a PATCH of the fields sent, or with `replace` a PUT of the whole input. Operation names are
        `<last part of path>_<list|create|get|patch|put|delete>` unless `names` gives a verb's own."""
        resource, item, verbs = self, f"{path}/{{{key}}}", set(verbs)
        plural, module = path.rsplit("/", 1)[-1].replace("-", "_"), self.input.__module__
        suffix = {"change": "put" if replace else "patch"}
        names = {verb: f"{plural}_{suffix.get(verb, verb)}" for verb in VERBS} | (names or {})
        noun = self.name.replace("_", " ")
        summary = {
            "list": f"{noun.capitalize()}s the caller may see",
            "create": f"Create a {noun}",
            "get": f"One {noun}",
            "change": f"Change a {noun}",
            "delete": "Delete (409 while referenced)",
        } | self.summaries

        def operation(verb: str, method: Callable, status: int, schema: Any, handler: Callable, **view: Any) -> None:
            where = item if view.get("key") else path
            decorate = method(where, response={status: schema, **ERRORS}, summary=summary[verb])
            decorate(_view(handler, names[verb], module, **view))

        if "list" in verbs:

            def list_(request):
                resource.check(request, "list")
                return list(resource.rows(request.auth)[:size])  # [:None] is all

            operation("list", router.get, 200, list[self.output], list_)
        if "create" in verbs:

            def create(request, payload):
                resource.check(request, "create")
                obj = resource.save(actor_from_request(request, "api"), resource.to_values(request, payload))
                return Status(201, obj)

            operation("create", router.post, 201, self.output, create, payload=self.input)
        if "get" in verbs:

            def get(request, **path_key):
                obj = resource.one(request, path_key[key])
                resource.check(request, "get")
                return obj

            operation("get", router.get, 200, self.output, get, key=key)
        if "change" in verbs:

            def change(request, payload, **path_key):
                obj = resource.one(request, path_key[key])
                resource.check(request, "change")
                return resource.save(actor_from_request(request, "api"), resource.to_values(request, payload), obj)

            method, body = (router.put, self.input) if replace else (router.patch, self.patch)
            operation("change", method, 200, self.output, change, key=key, payload=body)
        if "delete" in verbs:

            def delete(request, **path_key):
                obj = resource.one(request, path_key[key])
                resource.delete(request, obj)
                return Status(204, None)

            operation("delete", router.delete, 204, None, delete, key=key)


def nested(router: Router, parent: Resource, path: str, key: str, output: type[Schema], rows: Callable[[Model], Any],
           summaries: tuple[str, str], input: type[Schema] | None = None, add: Callable[..., Model] | None = None,
           values: Callable[[Any, Schema], dict] | None = None) -> None:  # fmt: skip
    """A collection that belongs to one object of `parent` (`/partners/{slug}/contacts`): GET lists `rows(parent)`,
    POST (when `add` is given) answers `add(actor, parent, values)` with 201. The parent is looked up first, so a
    hidden parent answers 404 to both."""
    plural, module = path.rsplit("/", 1)[-1].replace("-", "_"), output.__module__

    def list_(request, **path_key):
        return list(rows(parent.one(request, path_key[key])))

    router.get(path, response={200: list[output], **ERRORS}, summary=summaries[0])(
        _view(list_, f"{plural}_list", module, key=key)
    )
    if add is None:
        return

    def create(request, payload, **path_key):
        owner = parent.one(request, path_key[key])
        found = values(request, payload) if values else payload.dict()
        return Status(201, add(actor_from_request(request, "api"), owner, found))

    router.post(path, response={201: output, **ERRORS}, summary=summaries[1])(
        _view(create, f"{plural}_create", module, key=key, payload=input)
    )


def on_one(method: Callable, path: str, lookup: Callable[[Any, Any], Any], output: Any, summary: str,
           status: int = 200) -> Callable:  # fmt: skip
    """An operation on one object that no resource verb fits (`POST /live/sessions/{session_id}/sign-off`), as a
    decorator of `handler(actor, obj[, payload])`: `method` is the router's (`router.post`); the object is looked
    up first (`lookup(user, key)` for the path's last parameter: 404 when hidden), then the handler runs the
    service; the answer is what it returns, or the object itself when it returns None. The handler's name and
    module make the operation id, as for a handler written out; a `payload` parameter is the body schema."""
    key = path.rsplit("{", 1)[1].split("}", 1)[0]

    def decorate(handler: Callable) -> Callable:
        body = inspect.signature(handler, eval_str=True).parameters.get("payload")
        schema = body.annotation if body is not None else None

        def operation(request, payload=None, **path_key):
            obj = lookup(request.auth, path_key[key])
            found = handler(actor_from_request(request, "api"), obj, *(() if schema is None else (payload,)))
            answer = obj if found is None else found
            return answer if status == 200 else Status(status, answer)

        method(path, response={status: output, **ERRORS}, summary=summary)(
            _view(operation, handler.__name__, handler.__module__, key=key, payload=schema)
        )
        return handler

    return decorate


def _view(handler: Callable, name: str, module: str, key: str = "", payload: type[Schema] | None = None) -> Callable:
    """`handler(request, [payload], **{key: value})` as django-ninja reads a view: its signature names `payload`
    (the body schema) and the path parameter `key` (an int for `…_id`, else a string)."""
    parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if payload is not None:
        parameters.append(inspect.Parameter("payload", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=payload))
    if key:
        kind = int if key.endswith("_id") else str
        parameters.append(inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, annotation=kind))

    def view(*args, **kwargs):
        return handler(*args, **kwargs)

    view.__signature__ = inspect.Signature(parameters)
    view.__name__, view.__module__ = name, module  # the operation id, as a handler written out would have
    return view


class Router(ninja.Router):
    """A router of one resource module in an app's `api` package (`planning/api/topics.py`): its operation ids
    read as the app's (`tongpin_planning_api_topics_list`), as they did when the app had one `api.py`."""

    def add_api_operation(self, path: str, methods: list[str], view_func: Callable, **kwargs: Any) -> None:
        if kwargs.get("operation_id") is None:
            module = view_func.__module__
            package = module.rsplit(".", 1)[0] if ".api." in module else module
            kwargs["operation_id"] = f"{package}_{view_func.__name__}".replace(".", "_")
        super().add_api_operation(path, methods, view_func, **kwargs)


def shown(path: str = "") -> staticmethod:
    """A resolver of an output schema's text field: `str()` of `obj.<path>` (dotted; the object itself for ""), None
    where that is None — a person shown by name, `resolve_author = shown("author")`, where `Field(alias=…)` would
    give the object rather than its words."""

    def resolve(obj: Any) -> str | None:
        found = attrgetter(path)(obj) if path else obj
        return None if found is None else str(found)

    return staticmethod(resolve)


def related(obj: Model, name: str, *select: str) -> list:
    """The rows of `obj`'s relation `name` for an output schema's resolver: those a list prefetched
    (`prefetch_related`), else read with `select` joined — one object costs one query, a list none per row."""
    if name in getattr(obj, "_prefetched_objects_cache", {}):
        return list(getattr(obj, name).all())
    return list(getattr(obj, name).select_related(*select))


def users_by_id(ids: list[int] | None, location: str) -> list[User]:
    """Active users by id, or 422 `unknown_user` at `location` when any is missing."""
    found = list(User.objects.filter(pk__in=ids or [], is_active=True))
    if len(found) != len(set(ids or [])):
        raise ValidationFailed(FieldError("unknown_user", gettext("用户不存在。"), location))
    return found


def one_user(user_id: int | None, location: str) -> User | None:
    return users_by_id([user_id], location)[0] if user_id is not None else None


def delete_record(actor, instance: Model, capability: str) -> None:
    """Delete one record (audited as `<model>.delete`; 409 while other records refer to it)."""
    roles.require(actor.user, capability)
    records.delete(actor, instance, f"{instance._meta.model_name}.delete")
