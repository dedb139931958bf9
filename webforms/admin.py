"""Web-to-lead forms in the admin, for marketing: the fields as checkboxes, the websites one per
line, the snippet to paste and what came in. Saving goes through webforms.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from webforms import selectors, services
from webforms.models import WebForm


class WebFormForm(forms.ModelForm):
    fields = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, choices=())
    thank_you_url = forms.URLField(assume_scheme="https", max_length=500)
    allowed_origins = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One website per line, e.g. https://www.example.com. Posts from other websites are refused.",
    )

    class Meta:
        model = WebForm
        fields = ("name", "fields", "source", "campaign", "thank_you_url", "allowed_origins", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = list(selectors.form_targets().items())
        if self.instance.pk:
            self.initial["allowed_origins"] = "\n".join(self.instance.allowed_origins)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["allowed_origins"] = services.webform_check(
                fields=cleaned["fields"],
                source=cleaned["source"],
                campaign=cleaned.get("campaign"),
                origins=cleaned.get("allowed_origins", "").splitlines(),
            )
        except services.WebFormError as error:
            raise ValidationError(str(error)) from error
        return cleaned


@admin.register(WebForm)
class WebFormAdmin(admin.ModelAdmin):
    form = WebFormForm
    list_display = ("name", "source", "campaign", "is_active", "received", "honeypot_hits", "rate_limited", "refused")
    list_select_related = ("source", "campaign")
    readonly_fields = ("snippet", "received", "honeypot_hits", "rate_limited", "refused", "created_by", "created_at")

    def get_fields(self, request, obj=None):
        fields = ["name", "fields", "source", "campaign", "thank_you_url", "allowed_origins", "is_active"]
        return [*fields, *self.readonly_fields] if obj else fields

    @admin.display(description="Paste this on the website")
    def snippet(self, obj):
        return format_html("<pre>{}</pre>", selectors.webform_snippet(obj))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.webform_save(
            form=obj if change else None,
            by=request.user,
            name=data["name"],
            fields=data["fields"],
            source=data["source"],
            campaign=data.get("campaign"),
            thank_you_url=data["thank_you_url"],
            origins=data["allowed_origins"],
            is_active=data.get("is_active", True),
        )
        vars(obj).update(vars(saved))  # the admin goes on with `obj` (log, redirect)
        if not change:
            self.message_user(request, "Paste the form's snippet, shown on its page, on the website.", messages.INFO)

    def has_delete_permission(self, request, obj=None):
        return False  # switched off, never deleted: its leads' history names it
