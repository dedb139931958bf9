"""One item's update or outcome, through the services that take a page of them at once."""

from reviews import services


def item_update(*, item, by, update: services.RepUpdate, now=None):
    services.review_items_update(meeting=item.meeting, by=by, updates={item.pk: update}, now=now)
    item.refresh_from_db()
    return item


def item_record(*, item, by, outcome: services.ItemOutcome, now=None):
    services.review_items_record(meeting=item.meeting, by=by, outcomes={item.pk: outcome}, now=now)
    item.refresh_from_db()
    return item
