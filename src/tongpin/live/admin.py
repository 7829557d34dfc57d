from django.contrib import admin

from tongpin.core.admin_audit import AuditedModelAdmin

from .models import Anchor, AnchorAccount, Product, ProductDocument, Studio


@admin.register(Studio)
class StudioAdmin(AuditedModelAdmin):
    list_display = ("name", "place")


class AnchorAccountInline(admin.TabularInline):
    model = AnchorAccount
    extra = 1


@admin.register(Anchor)
class AnchorAdmin(AuditedModelAdmin):
    list_display = ("name", "birth_date", "guardian_consent", "is_active")
    inlines = [AnchorAccountInline]


class DocumentInline(admin.TabularInline):
    model = ProductDocument
    extra = 0


@admin.register(Product)
class ProductAdmin(AuditedModelAdmin):
    list_display = ("name", "partner", "price", "needs", "is_active")
    inlines = [DocumentInline]
