from django.urls import path

from . import views

urlpatterns = [
    path("review/", views.queue, name="review-queue"),
    path("review/stories/<int:story_id>/", views.story_review, name="review-story"),
    path("review/stories/<int:story_id>/submit/", views.submit, name="review-submit"),
    path("review/stories/<int:story_id>/decide/", views.decide, name="review-decide"),
    path("review/stories/<int:story_id>/claim/", views.claim, name="review-claim"),
    path("review/stories/<int:story_id>/comment/", views.comment, name="review-comment"),
    path("review/stories/<int:story_id>/override/", views.override, name="review-override"),
    path("review/stories/<int:story_id>/fix/", views.accept_fix, name="review-fix"),
    path("review/stories/<int:story_id>/proofread/", views.rerun, name="review-rerun"),
    path("review/stories/<int:story_id>/flag/", views.flag, name="review-flag"),
    path("review/flags/<int:flag_id>/resolve/", views.resolve_flag, name="review-resolve-flag"),
    path("review/rules/", views.rules, name="review-rules"),
    path("review/rules/save/", views.rule_save, name="review-rule-save"),
    path("review/rules/<int:rule_id>/delete/", views.rule_delete, name="review-rule-delete"),
    path("review/rules/export.csv", views.rules_export, name="review-rules-export"),
    path("review/rules/import/", views.rules_import, name="review-rules-import"),
    path("review/roster/import/", views.roster_import, name="review-roster-import"),
]
