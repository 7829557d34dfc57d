from django.urls import path

from . import views

urlpatterns = [
    path("analytics/", views.dashboard, name="analytics-dashboard"),
    path("analytics/rankings/", views.rankings, name="analytics-rankings"),
    path("analytics/accounts/", views.account_list, name="analytics-accounts"),
    path("analytics/accounts/new/", views.account_edit, name="analytics-account-new"),
    path("analytics/accounts/<int:account_id>/edit/", views.account_edit, name="analytics-account-edit"),
    path("analytics/accounts/<int:account_id>/", views.account_articles, name="analytics-articles"),
    path("analytics/groups/new/", views.group_new, name="analytics-group-new"),
    path("analytics/articles/<int:article_id>/figures/", views.article_figures, name="analytics-figures"),
    path("analytics/imports/", views.import_page, name="analytics-imports"),
    path("analytics/imports/<int:import_id>/", views.import_detail, name="analytics-import"),
    path("analytics/imports/<int:import_id>/rest", views.import_rest, name="analytics-import-rest"),
    path("analytics/templates/<str:name>.<str:fmt>", views.import_template, name="analytics-template"),
    path("reports/", views.report_list, name="analytics-reports"),
    path("reports/<int:report_id>/", views.report_detail, name="analytics-report"),
    path("reports/<int:report_id>/pdf", views.report_pdf, name="analytics-report-pdf"),
]
