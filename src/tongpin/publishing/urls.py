from django.urls import path

from . import views

urlpatterns = [
    path("channels/", views.channel_list, name="channel-list"),
    path("channels/new/", views.channel_new, name="channel-new"),
    path("channels/<int:channel_id>/", views.channel_detail, name="channel-detail"),
    path("channels/<int:channel_id>/pause/", views.channel_pause, name="channel-pause"),
    path("channels/<int:channel_id>/issues/", views.journal_issues, name="journal-issues"),
    path("issues/<int:issue_id>/", views.journal_issue, name="journal-issue"),
    path("issues/<int:issue_id>/pdf", views.journal_pdf, name="journal-pdf"),
    path("publications/<int:publication_id>/", views.publication_detail, name="publication-detail"),
    path("publications/<int:publication_id>/release/", views.publication_release, name="publication-release"),
    path("publications/<int:publication_id>/discard/", views.publication_discard, name="publication-discard"),
    path("publications/<int:publication_id>/withdraw/", views.publication_withdraw, name="publication-withdraw"),
    path("renditions/<int:rendition_id>/edit/", views.rendition_edit, name="rendition-edit"),
    path("deliveries/", views.delivery_log, name="delivery-log"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_action, {"action": "retry"}, name="delivery-retry"),
    path("deliveries/<int:delivery_id>/cancel/", views.delivery_action, {"action": "cancel"}, name="delivery-cancel"),
    path("feeds/<slug:slug>/rss.xml", views.feed_rss, name="feed-rss"),
    path("feeds/<slug:slug>/atom.xml", views.feed_atom, name="feed-atom"),
    path("feeds/<slug:slug>/items/<int:rendition_id>.json", views.feed_item, name="feed-item"),
    path("feeds/<slug:slug>/items/<int:rendition_id>/", views.feed_item_page, name="feed-item-page"),
]
