"""Events written before they kept the actor's name get the account's current name."""

from django.db import migrations

from alignment.actors import actor_names_backfill


def backfill(apps, schema_editor):
    actor_names_backfill(apps.get_model("reviews", "ReviewEvent"), apps.get_model("auth", "User"))


class Migration(migrations.Migration):
    dependencies = [("reviews", "0003_event_actor_names"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
