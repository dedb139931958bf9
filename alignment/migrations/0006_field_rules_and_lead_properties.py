"""The richer rule language: fit rules become field rules (any standard field or lead property,
with lists stored as lists, bands, points tables, and a part: fit or engagement), definitions give
a priority range, and lead properties are declared.

Existing rules keep scoring as before: a comma-separated value list becomes a list; a company
size range "at most N" (inclusive) becomes a band "below N + 1" (head counts are whole numbers);
an existing-customer rule becomes a yes/no test. An existing version's priority runs from 0 to
its grade A threshold plus its hot threshold.
"""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("alignment", "0005_qualification_definitions")]

    operations = [
        migrations.RenameModel("FitRule", "FieldRule"),
        migrations.AlterField(
            model_name="fieldrule",
            name="definition",
            field=models.ForeignKey(
                on_delete=models.CASCADE, related_name="field_rules", to="alignment.qualificationdefinition"
            ),
        ),
        migrations.RenameField("fieldrule", "values", "values_text"),
        migrations.AlterField(
            model_name="fieldrule",
            name="field",
            field=models.CharField(
                help_text="A standard field (seniority, industry, source …) or property:<key>.", max_length=60
            ),
        ),
        migrations.AddField(
            model_name="fieldrule",
            name="part",
            field=models.CharField(
                choices=[("fit", "Fit (grade)"), ("engagement", "Engagement (score)")], default="fit", max_length=12
            ),
        ),
        migrations.AddField(
            model_name="fieldrule",
            name="test",
            field=models.CharField(
                choices=[
                    ("one_of", "is one of"),
                    ("empty", "is empty"),
                    ("band", "is a number within a band"),
                    ("yes_no", "is yes / no"),
                    ("keywords", "mentions a keyword"),
                    ("table", "points per value"),
                ],
                default="one_of",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="fieldrule",
            name="values",
            field=models.JSONField(blank=True, default=list, help_text="For 'is one of' and keywords: the values."),
        ),
        migrations.AddField(
            model_name="fieldrule",
            name="table",
            field=models.JSONField(blank=True, default=list, help_text="For points per value: [value, points] pairs."),
        ),
        migrations.AddField(
            model_name="fieldrule",
            name="other_points",
            field=models.IntegerField(default=0, help_text="For points per value: any other value."),
        ),
        migrations.AlterField(
            model_name="fieldrule",
            name="minimum",
            field=models.FloatField(blank=True, help_text="For a band: at least.", null=True),
        ),
        migrations.AlterField(
            model_name="fieldrule",
            name="maximum",
            field=models.FloatField(blank=True, help_text="For a band: below.", null=True),
        ),
        migrations.AlterField(
            model_name="fieldrule",
            name="expected",
            field=models.BooleanField(blank=True, help_text="For yes / no: which one matches.", null=True),
        ),
        migrations.AlterField(model_name="fieldrule", name="points", field=models.IntegerField(default=0)),
        migrations.AddField(
            model_name="qualificationdefinition",
            name="priority_low",
            field=models.IntegerField(
                default=0, help_text="Fit points plus score at priority 0.", verbose_name="priority 0 at"
            ),
        ),
        migrations.AddField(
            model_name="qualificationdefinition",
            name="priority_high",
            field=models.IntegerField(
                default=120, help_text="Fit points plus score at priority 100.", verbose_name="priority 100 at"
            ),
        ),
        migrations.CreateModel(
            name="LeadProperty",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "key",
                    models.CharField(
                        max_length=50,
                        unique=True,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[a-z][a-z0-9_]*$",
                                "A key is lower-case letters, digits and underscores, starting with a letter.",
                            )
                        ],
                    ),
                ),
                ("label", models.CharField(max_length=120)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("number", "Number"),
                            ("choice", "Choice"),
                            ("yes_no", "Yes/no"),
                            ("date", "Date"),
                            ("text", "Text"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "choices",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="For a choice: its values. Imports add the values they meet.",
                    ),
                ),
                ("help_text", models.CharField(blank=True, max_length=300, verbose_name="help")),
                (
                    "part",
                    models.CharField(
                        choices=[("fit", "Who they are (fit)"), ("engagement", "What they did (engagement)")],
                        default="fit",
                        help_text="What suggestions count it towards: the grade (fit) or the score (engagement).",
                        max_length=12,
                    ),
                ),
                (
                    "learn_from",
                    models.BooleanField(
                        default=True,
                        help_text="Suggested definitions may use it. Turn off for what sales records after contact.",
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0)),
            ],
            options={"verbose_name_plural": "lead properties", "ordering": ["position", "label"]},
        ),
    ]
