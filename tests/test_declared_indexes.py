"""Every index a model declares exists in the database under its name, and no index on Accord's
tables is made behind the models' back: besides the declared ones, only Django's own (for
foreign keys and db_index fields) exist. Both databases."""

import re

import pytest
from django.apps import apps
from django.db import connection

APPS = ("alignment", "leads", "reviews", "insights", "outbox")
# Django names the indexes of foreign keys and db_index fields after the table and columns, with a
# hash (and PostgreSQL's pattern-matching twin "…_like").
DJANGOS_OWN = re.compile(r"_[0-9a-f]{8}(_like)?$")


@pytest.mark.django_db
def test_the_database_holds_exactly_the_indexes_the_models_declare():
    with connection.cursor() as cursor:
        for label in APPS:
            for model in apps.get_app_config(label).get_models():
                table = model._meta.db_table
                constraints = connection.introspection.get_constraints(cursor, table)
                declared = {index.name for index in model._meta.indexes}
                missing = declared - set(constraints)
                assert not missing, f"{model.__name__}: declared but not in the database: {sorted(missing)}"
                by_hand = {
                    name
                    for name, info in constraints.items()
                    if info["index"]
                    and not info["primary_key"]
                    and not info["unique"]
                    and name not in declared
                    and not DJANGOS_OWN.search(name)
                }
                assert not by_hand, f"{model.__name__}: indexes no model declares: {sorted(by_hand)}"
