from django.contrib import admin

from .models import Liaison, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "slug")
    prepopulated_fields = {"slug": ("short_name",)}


@admin.register(Liaison)
class LiaisonAdmin(admin.ModelAdmin):
    list_display = ("user", "partner", "title")
