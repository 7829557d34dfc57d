from django.urls import path

from . import views

urlpatterns = [
    path("partners/", views.partner_list, name="partner-list"),
    path("partners/new/", views.partner_edit, name="partner-new"),
    path("partners/<slug:slug>/", views.partner_detail, name="partner-detail"),
    path("partners/<slug:slug>/edit/", views.partner_edit, name="partner-edit"),
    path("partners/<slug:slug>/archive/", views.partner_archive, name="partner-archive"),
    path("partners/<slug:slug>/contacts/new/", views.contact_new, name="contact-new"),
    path("partners/<slug:slug>/agreements/new/", views.agreement_edit, name="agreement-new"),
    path("partners/<slug:slug>/meetings/new/", views.meeting_new, name="meeting-new"),
    path("partners/<slug:slug>/actions/new/", views.action_new, name="action-new"),
    path("agreements/<int:agreement_id>/edit/", views.agreement_edit, name="agreement-edit"),
    path("agreements/<int:agreement_id>/scan", views.agreement_scan, name="agreement-scan"),
    path("agreements/<int:agreement_id>/renew/", views.agreement_renew, name="agreement-renew"),
    path("agreements/<int:agreement_id>/commitments/new/", views.commitment_edit, name="commitment-new"),
    path("commitments/<int:commitment_id>/", views.commitment_detail, name="commitment-detail"),
    path("commitments/<int:commitment_id>/edit/", views.commitment_edit, name="commitment-edit"),
    path("actions/<int:action_id>/state", views.action_state, name="action-state"),
    path("actions/<int:action_id>/edit/", views.action_edit, name="action-edit"),
    path("meetings/<int:meeting_id>/edit/", views.meeting_edit, name="meeting-edit"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact-edit"),
    path("records/<str:kind>/<int:pk>/delete", views.record_delete, name="record-delete"),
]
