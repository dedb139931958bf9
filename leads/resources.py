"""Import and export of marketing's reference data from the admin: sources with their interest,
and campaigns with their costs (imported monthly from the ad platforms, so that cost per accepted
lead stays true). The shared behaviour is alignment.resources.ReferenceResource; every row is
written by leads.services."""

from import_export import fields

from alignment.resources import ChoiceWidget, DayWidget, MoneyWidget, NaturalKeyWidget, ReferenceResource, text_field
from leads import services
from leads.models import Campaign, Source


class SourceResource(ReferenceResource):
    name = text_field("name")
    channel = text_field("channel")
    interest = fields.Field(attribute="interest", column_name="interest", widget=ChoiceWidget(Source.Interest.choices))

    class Meta:
        model = Source
        fields = ("name", "channel", "interest")
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True

    def do_instance_save(self, instance, is_create):
        services.source_save(source=instance)


class CampaignResource(ReferenceResource):
    """A row names its source by name; the cost is the campaign's cost to date and replaces the
    one recorded."""

    name = text_field("name")
    source = fields.Field(attribute="source", column_name="source", widget=NaturalKeyWidget(Source, "name", "source"))
    cost = fields.Field(attribute="cost", column_name="cost", widget=MoneyWidget())
    starts_on = fields.Field(attribute="starts_on", column_name="starts_on", widget=DayWidget())
    ends_on = fields.Field(attribute="ends_on", column_name="ends_on", widget=DayWidget())

    class Meta:
        model = Campaign
        fields = ("name", "source", "cost", "starts_on", "ends_on")
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return Campaign.objects.select_related("source")

    def do_instance_save(self, instance, is_create):
        services.campaign_save(campaign=instance)
