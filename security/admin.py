from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.shortcuts import redirect
from django.urls import reverse

from security.accounts import deletion_refusal

User = get_user_model()


class AccordUserAdmin(UserAdmin):
    """Django's user admin, refusing to delete anyone who took part in history."""

    actions = ["delete_selected"]

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, unquote(object_id))
        refusal = deletion_refusal(user) if user is not None and self.has_delete_permission(request, user) else None
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return redirect(reverse("admin:auth_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)

    @admin.action(permissions=["delete"], description="Delete selected users (only those without history)")
    def delete_selected(self, request, queryset):
        refusals = [refusal for refusal in map(deletion_refusal, queryset) if refusal]
        if refusals:
            for refusal in refusals:
                self.message_user(request, refusal, messages.ERROR)
            return None
        return django_delete_selected(self, request, queryset)


admin.site.unregister(User)
admin.site.register(User, AccordUserAdmin)
