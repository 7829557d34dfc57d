from django.urls import path

from . import publish_views, views

urlpatterns = [
    path("stories/", views.story_list, name="story-list"),
    path("stories/new/", views.story_new, name="story-new"),
    path("stories/export.csv", views.story_export, name="story-export"),
    path("maintenance/", views.maintenance, name="maintenance"),
    path("stories/<int:story_id>/", views.story_detail, name="story-detail"),
    path("stories/<int:story_id>/edit/", views.story_edit, name="story-edit"),
    path("stories/<int:story_id>/publish/", publish_views.story_publish, name="story-publish"),
    path("stories/<int:story_id>/history/", views.story_history, name="story-history"),
    path("stories/<int:story_id>/diff/", views.revision_diff, name="story-diff"),
    path("stories/<int:story_id>/revisions/<int:number>/", views.revision_detail, name="revision-detail"),
    path(
        "stories/<int:story_id>/revisions/<int:number>/restore/",
        views.revision_restore,
        name="revision-restore",
    ),
    path("stories/<int:story_id>/assets/", views.asset_upload, name="asset-upload"),
    path("assets/<str:key>/", views.asset_download, name="asset-download"),
    path("assets/<str:key>/thumbnail/", views.asset_thumbnail, name="asset-thumbnail"),
    path("assets/<str:key>/delete/", views.asset_delete, name="asset-delete"),
]
