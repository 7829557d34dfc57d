from django.urls import path

from . import views

urlpatterns = [
    path("live/", views.session_list, name="live-sessions"),
    path("live/sessions/new/", views.session_edit, name="live-session-new"),
    path("live/sessions/<int:session_id>/", views.session_detail, name="live-session"),
    path("live/sessions/<int:session_id>/edit/", views.session_edit, name="live-session-edit"),
    path("live/sessions/<int:session_id>/<str:action>", views.session_action, name="live-session-action"),
    path("live/anchors/", views.anchor_list, name="live-anchors"),
    path("live/anchors/new/", views.anchor_edit, name="live-anchor-new"),
    path("live/anchors/<int:anchor_id>/", views.anchor_detail, name="live-anchor"),
    path("live/anchors/<int:anchor_id>/edit/", views.anchor_edit, name="live-anchor-edit"),
    path("live/products/", views.product_list, name="live-products"),
    path("live/products/new/", views.product_edit, name="live-product-new"),
    path("live/products/<int:product_id>/", views.product_detail, name="live-product"),
    path("live/products/<int:product_id>/documents/<int:document_id>/delete/", views.document_delete,
         name="live-document-delete"),
    path("live/products/<int:product_id>/edit/", views.product_edit, name="live-product-edit"),
    path("live/products/<int:product_id>/image", views.product_image, name="live-product-image"),
    path("live/results/", views.results_import, name="live-results"),
    path("live/sales/", views.sales_page, name="live-sales"),
]
