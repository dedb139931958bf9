from django import forms

from security.limits import NOTE_MAX_LENGTH


class SignatureForm(forms.Form):
    """A leader's answer to a proposed version: the side they sign for (the service checks it)
    and a comment."""

    side = forms.CharField(required=False, max_length=20)
    comment = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)
