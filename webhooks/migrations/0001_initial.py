import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import webhooks.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("leads", "0022_notification_kind_webhook"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DispatchState",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=40, unique=True)),
                ("watermark", models.BigIntegerField(default=0)),
                ("gaps", models.JSONField(blank=True, default=list)),
                ("dispatched_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="Subscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=120)),
                (
                    "url",
                    models.URLField(
                        help_text="http or https only.",
                        max_length=500,
                        validators=[django.core.validators.URLValidator(schemes=["http", "https"])],
                        verbose_name="URL",
                    ),
                ),
                ("secret", models.CharField(editable=False, max_length=80)),
                ("events", models.JSONField(default=list, validators=[webhooks.models.validate_event_types])),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "Active"), ("paused", "Paused")], default="active", max_length=10
                    ),
                ),
                ("paused_reason", models.CharField(blank=True, max_length=200)),
                ("consecutive_failures", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("campaigns", models.ManyToManyField(blank=True, related_name="+", to="leads.campaign")),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                ("sources", models.ManyToManyField(blank=True, related_name="+", to="leads.source")),
            ],
            options={
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="Delivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.CharField(max_length=80)),
                ("seq", models.BigIntegerField()),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("lead.created", "Lead created"),
                            ("lead.sales_ready", "Lead became sales-ready"),
                            ("handoff.created", "Hand-off created"),
                            ("handoff.accepted", "Hand-off accepted"),
                            ("handoff.rejected", "Hand-off rejected"),
                            ("handoff.expired", "Hand-off expired"),
                            ("lead.recycled", "Lead recycled to nurture"),
                            ("lead.won", "Lead won"),
                            ("lead.lost", "Lead lost"),
                            ("lead.disqualified", "Lead disqualified"),
                        ],
                        max_length=30,
                    ),
                ),
                ("lead_id", models.BigIntegerField()),
                ("payload", models.JSONField()),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Failed")],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("first_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("next_attempt_at", models.DateTimeField()),
                ("claim", models.CharField(blank=True, editable=False, max_length=32)),
                ("claimed_until", models.DateTimeField(blank=True, editable=False, null=True)),
                ("last_status", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField()),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                (
                    "subscription",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="webhooks.subscription",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "deliveries",
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="DeliveryAttempt",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("attempt", "Attempt"), ("requeued", "Sent again by hand")],
                        default="attempt",
                        max_length=10,
                    ),
                ),
                ("at", models.DateTimeField()),
                ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("duration_ms", models.PositiveIntegerField(blank=True, null=True)),
                ("error", models.TextField(blank=True)),
                ("response_excerpt", models.TextField(blank=True)),
                (
                    "by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "delivery",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="log", to="webhooks.delivery"
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-id"],
                "indexes": [models.Index(fields=["delivery", "-at"], name="webhook_attempt_log")],
            },
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["next_attempt_at"], name="webhook_delivery_due"
            ),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["subscription", "lead_id", "seq"],
                name="webhook_delivery_order",
            ),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("claim", ""), _negated=True), fields=["claim"], name="webhook_delivery_claim"
            ),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                fields=("subscription", "event_id"), name="webhook_one_delivery_per_event"
            ),
        ),
    ]
