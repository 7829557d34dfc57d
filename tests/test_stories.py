import pytest
from django.db import connection

from tongpin.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tongpin.core.models import AuditEvent
from tongpin.newsroom import stories as story_service
from tongpin.newsroom.models import Revision, Story, StoryStatus
from tongpin.newsroom.stories import StoryInput

from .conftest import actor, codes, new_story

pytestmark = pytest.mark.django_db



def test_create_makes_revision_one_and_audit(users, partners):
    story = new_story(
        users["reporter"],
        title="汛期防御要点",
        partner="em",
        tags=["防汛", "#科普", "防汛"],
        channel_intentions=["wechat", "radio"],
    )
    assert story.version == 1 and story.status == StoryStatus.DRAFT
    assert list(story.authors.all()) == [users["reporter"]]
    assert sorted(t.name for t in story.tags.all()) == ["科普", "防汛"]
    revision = story.revisions.get()
    assert revision.number == 1 and revision.title == "汛期防御要点"
    event = AuditEvent.objects.get(action="story.create")
    assert event.actor == users["reporter"] and event.ip == "127.0.0.1" and event.object_id == str(story.pk)


def test_update_makes_new_revision_and_records_changes(users, partners):
    story = new_story(users["reporter"])
    updated = story_service.update_story(actor(users["reporter"]), story.pk, StoryInput.of(title="新标题"), 1)
    assert updated.version == 2
    assert [r.number for r in updated.revisions.all()] == [2, 1]
    event = AuditEvent.objects.get(action="story.update")
    assert event.changes["fields"]["title"] == ["测试稿件", "新标题"]
    assert event.changes["version"] == [1, 2]


def test_update_without_changes_makes_no_revision(users):
    story = new_story(users["reporter"])
    story_service.update_story(actor(users["reporter"]), story.pk, StoryInput.of(title="测试稿件"), 1)
    assert Revision.objects.filter(story=story).count() == 1


def test_stale_version_is_refused_with_who_changed(users):
    story = new_story(users["reporter"])
    story_service.update_story(actor(users["editor"]), story.pk, StoryInput.of(title="编辑改过"), 1)
    with pytest.raises(Conflict) as error:
        story_service.update_story(actor(users["reporter"]), story.pk, StoryInput.of(title="记者改的"), 1)
    assert codes(error) == {"edit_conflict"}
    assert "editor" in str(error.value.errors[0].message)
    story.refresh_from_db()
    assert story.title == "编辑改过" and story.version == 2


def test_missing_version_is_refused(users):
    story = new_story(users["reporter"])
    with pytest.raises(ValidationFailed):
        story_service.update_story(actor(users["reporter"]), story.pk, StoryInput.of(title="x"), None)


def test_validation_collects_all_errors(users, partners):
    with pytest.raises(ValidationFailed) as error:
        new_story(
            users["reporter"],
            title=" ",
            partner="nope",
            channel_intentions=["fax"],
            tags=[f"t{i}" for i in range(25)],
        )
    assert codes(error) == {"required", "unknown_partner", "unknown_channel", "too_many_tags"}
    assert Story.objects.count() == 0


def test_title_too_long(users):
    with pytest.raises(ValidationFailed) as error:
        new_story(users["reporter"], title="长" * 201)
    assert codes(error) == {"too_long"}


def test_body_is_sanitised_and_plain_text_derived(users):
    story = new_story(users["reporter"], body_html="<p>安全<script>x</script></p><p>生产</p>")
    assert "script" not in story.body_html
    assert story.body_text == "安全\n生产"


def test_reporter_cannot_edit_someone_elses_story(users):
    story = new_story(users["reporter"])
    with pytest.raises(Forbidden):
        story_service.update_story(actor(users["reporter2"]), story.pk, StoryInput.of(title="x"), 1)


def test_co_author_can_edit(users):
    story = new_story(users["reporter"], author_ids=[users["reporter"].pk, users["reporter2"].pk])
    story_service.update_story(actor(users["reporter2"]), story.pk, StoryInput.of(title="合写"), 1)


def test_liaison_and_duty_officer_cannot_create(users):
    for name in ("liaison_em", "duty"):
        with pytest.raises(Forbidden):
            new_story(users[name])


def test_published_story_is_not_editable(users):
    story = new_story(users["reporter"])
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.PUBLISHED)
    with pytest.raises(Conflict) as error:
        story_service.update_story(actor(users["editor"]), story.pk, StoryInput.of(title="x"), 1)
    assert codes(error) == {"not_editable"}


def test_restore_brings_back_old_content_as_new_revision(users, partners):
    story = new_story(users["reporter"], title="原题", tags=["甲"], partner="em")
    story_service.update_story(
        actor(users["reporter"]), story.pk, StoryInput.of(title="改题", tags=["乙"], partner=""), 1
    )
    restored = story_service.restore_revision(actor(users["reporter"]), story.pk, 1, 2)
    assert restored.version == 3 and restored.title == "原题" and restored.partner == partners["em"]
    assert [t.name for t in restored.tags.all()] == ["甲"]
    assert restored.revisions.get(number=3).note.endswith("1 版")
    assert AuditEvent.objects.filter(action="story.restore").count() == 1


def test_liaison_sees_only_finished_stories_of_own_partner(users, partners):
    own = new_story(users["reporter"], partner="em")
    other = new_story(users["reporter"], partner="zone")
    draft = new_story(users["reporter"], partner="em")
    Story.objects.filter(pk__in=[own.pk, other.pk]).update(status=StoryStatus.PUBLISHED)
    visible = set(story_service.visible_stories(users["liaison_em"]).values_list("pk", flat=True))
    assert visible == {own.pk}
    for hidden in (other, draft):
        with pytest.raises(NotFound):
            story_service.get_story(users["liaison_em"], hidden.pk)


def test_liaison_without_partner_sees_nothing(users):
    story = new_story(users["reporter"])
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.PUBLISHED)
    assert not story_service.visible_stories(users["orphan_liaison"]).exists()


def test_failure_inside_save_leaves_nothing_half_written(users, monkeypatch):
    def broken(story):
        raise RuntimeError("index down")

    monkeypatch.setattr(story_service, "index_story", broken)
    with pytest.raises(RuntimeError):
        new_story(users["reporter"])
    assert Story.objects.count() == 0 and Revision.objects.count() == 0
    assert not AuditEvent.objects.filter(action="story.create").exists()


def test_search_index_row_written_with_story(users):
    story = new_story(users["reporter"], title="森林防火")
    table = "newsroom_story_fts" if connection.vendor == "sqlite" else "newsroom_story_search"
    key = "rowid" if connection.vendor == "sqlite" else "story_id"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {key} = %s", [story.pk])
        assert cursor.fetchone()[0] == 1
