from django.urls import path

from . import views

urlpatterns = [
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/<int:request_id>/", views.request_detail, name="request-detail"),
    path("requests/<int:request_id>/<str:decision>", views.request_decide, name="request-decide"),
    path(
        "requests/<int:request_id>/attachments/<int:attachment_id>",
        views.request_attachment,
        name="request-attachment",
    ),
    path("planning/", views.calendar_view, name="planning-calendar"),
    path("planning/week/", views.calendar_view, {"mode": "week"}, name="planning-week"),
    path("planning/topics/", views.topic_board, name="topic-board"),
    path("planning/topics/new/", views.topic_new, name="topic-new"),
    path("planning/topics/<int:topic_id>/", views.topic_detail, name="topic-detail"),
    path("planning/topics/<int:topic_id>/move", views.topic_move, name="topic-move"),
    path("planning/mine/", views.my_assignments, name="my-assignments"),
    path("planning/assignments/<int:assignment_id>/state", views.assignment_state, name="assignment-state"),
    path("planning/campaigns/", views.campaign_list, name="campaign-list"),
    path("planning/campaigns/new/", views.campaign_edit, name="campaign-new"),
    path("planning/campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign-detail"),
    path("planning/campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="campaign-edit"),
    path("planning/keydates/", views.keydate_list, name="keydate-list"),
    path("planning/keydates/new/", views.keydate_edit, name="keydate-new"),
    path("planning/keydates/<int:key_date_id>/edit/", views.keydate_edit, name="keydate-edit"),
    path("planning/events/new/", views.event_edit, name="event-new"),
    path("planning/events/<int:event_id>/", views.event_detail, name="event-detail"),
    path("planning/events/<int:event_id>/edit/", views.event_edit, name="event-edit"),
    path("planning/tasks/<int:task_id>/toggle", views.task_toggle, name="task-toggle"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical-feed"),
    path("planning/feeds/rotate/", views.ical_rotate, name="ical-rotate"),
]
