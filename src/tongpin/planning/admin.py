from django.contrib import admin

from .models import Campaign, Topic

admin.site.register(Campaign)
admin.site.register(Topic)
