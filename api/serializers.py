"""What the API reads and answers. Types and sizes are checked here; what makes a lead (identity,
normalisation, matching) is the importer's, in leads_intake."""

from rest_framework import serializers

from alignment.models import ACTIVITY_KINDS, LeadProperty
from leads.imports.cleaning import EXTERNAL_ID_LIMIT
from leads.models import Handoff, Lead
from security.limits import NOTE_MAX_LENGTH

BULK_LIMIT = 1000
ACTIVITIES_LIMIT = 500


# What is read of a text field at most: the lead's own limits (and the message when a value
# passes them) are the importer's, which every lead that arrives goes through.
READ_AT_MOST = 1000


def _text(help_text: str = "") -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=READ_AT_MOST, help_text=help_text or None)


class ExternalIdSerializer(serializers.Serializer):
    system = serializers.RegexField(r"^[A-Za-z0-9_.-]{1,40}$", help_text="e.g. hubspot, marketo, pardot")
    id = serializers.CharField(max_length=EXTERNAL_ID_LIMIT)


class PropertyValueField(serializers.JSONField):
    """A property value: text, a number, true/false, or null (left as it is)."""

    def to_internal_value(self, data):
        if data is not None and not isinstance(data, str | int | float | bool):
            raise serializers.ValidationError("A property value is text, a number, true/false or null.")
        return data


class LeadInSerializer(serializers.Serializer):
    first_name = _text()
    last_name = _text()
    email = _text()
    phone = _text()
    company = _text()
    title = _text()
    country = _text("A country's name or ISO code; phones without a country code are read there.")
    industry = _text()
    employees = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1)
    is_customer = serializers.BooleanField(required=False, allow_null=True, default=None)
    source = _text("An existing source, by name.")
    campaign = _text("An existing campaign, by name.")
    properties = serializers.DictField(
        child=PropertyValueField(), required=False, help_text="Declared lead properties by key."
    )
    external_ids = ExternalIdSerializer(many=True, required=False, max_length=20)

    def validate_properties(self, value: dict) -> dict:
        known = set(LeadProperty.objects.values_list("key", flat=True))
        unknown = sorted(set(value) - known)
        if unknown:
            raise serializers.ValidationError(
                f"Unknown propert{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}. Declare it first."
            )
        return value

    def validate_external_ids(self, value: list) -> list:
        systems = [item["system"].casefold() for item in value]
        if len(systems) != len(set(systems)):
            raise serializers.ValidationError("Give at most one id per system.")
        return value

    def validate(self, attrs):
        # The first characters that are no text Accord stores, found before anything is written.
        for name, text in attrs.items():
            if isinstance(text, str) and "\x00" in text:
                raise serializers.ValidationError({name: "The value holds a NUL character (\\x00)."})
        return attrs


class BulkInSerializer(serializers.Serializer):
    leads = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=BULK_LIMIT)


class ActivityInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ACTIVITY_KINDS)
    occurred_at = serializers.DateTimeField(help_text="When it happened (ISO 8601 with an offset).")
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)


class ActivitiesInSerializer(serializers.Serializer):
    activities = ActivityInSerializer(many=True, min_length=1, max_length=ACTIVITIES_LIMIT)


def _name_of(path: str, help_text: str = "") -> serializers.CharField:
    """A related row's name, or null where there is none."""
    return serializers.CharField(
        source=path, allow_null=True, default=None, read_only=True, help_text=help_text or None
    )


class HandoffBriefSerializer(serializers.ModelSerializer):
    team = _name_of("team.name")
    rep = serializers.CharField(source="assigned_to.username", read_only=True)

    class Meta:
        model = Handoff
        fields = ["id", "status", "team", "rep", "created_at", "accept_due_at"]


class LeadOutSerializer(serializers.ModelSerializer):
    # It reads the rows api.selectors.leads_answered gives, not model instances: each field's
    # source is the column's ORM path (``source__name``). These two the selector sets on each
    # row; they are no columns of the lead.
    ATTACHED = ("answer_external_ids", "open_handoff")

    source = _name_of("source__name")
    campaign = _name_of("campaign__name")
    owner = _name_of("owner__username", "The rep who works the lead, once sales has it.")
    team = _name_of("team__name")
    grade = serializers.CharField(
        read_only=True, allow_blank=True, help_text="A to D; empty until a definition is active."
    )
    bucket = serializers.CharField(
        read_only=True,
        allow_blank=True,
        help_text="hot, warm, cold or unqualified; empty until a definition is active.",
    )
    cycles = serializers.IntegerField(source="cycle_count", help_text="Times the lead went back to nurture.")
    # Both read what the selector attached, so one answer serializer can be built once and serve
    # every request (building one per request cost more than the lead).
    external_ids = ExternalIdSerializer(source="answer_external_ids", many=True, read_only=True)
    handoff = HandoffBriefSerializer(
        source="open_handoff", read_only=True, allow_null=True, help_text="The open hand-off, if there is one."
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "title",
            "country",
            "industry",
            "employees",
            "is_customer",
            "source",
            "campaign",
            "properties",
            "external_ids",
            "stage",
            "cycles",
            "grade",
            "score",
            "bucket",
            "priority",
            "sales_ready",
            "owner",
            "team",
            "created_at",
            "updated_at",
            "handoff",
        ]

    def columns(self) -> list[str]:
        """The lead's columns the answer reads, as ORM paths: what the selector fetches."""
        return [field.source for field in self.fields.values() if field.source not in self.ATTACHED]


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    disposition = serializers.CharField()


class HandoffOutSerializer(serializers.ModelSerializer):
    lead = serializers.IntegerField(source="lead_id", read_only=True)
    lead_stage = serializers.CharField(source="lead.stage", read_only=True)
    team = _name_of("team.name")
    rep = serializers.CharField(source="assigned_to.username", read_only=True)
    reason = ReasonSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "lead",
            "lead_stage",
            "status",
            "team",
            "rep",
            "created_at",
            "accept_due_at",
            "decided_at",
            "reason",
            "decision_note",
            "first_touch_at",
            "closed_at",
            "updated_at",
        ]


class RowResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The lead's place in the request, from 0.")
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"])
    id = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(help_text="Field → what was wrong with it.")


class BulkOutSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = RowResultSerializer(many=True)
