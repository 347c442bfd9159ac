"""A listing's running totals (its online stock and units sold) move to a narrow table of their
own, `market_listingtotals`, whose pages keep room for a sale's update (ADR 14): copied from the
listing's columns, which are then dropped."""

import django.db.models.deletion
from django.db import migrations, models

# Room on each page for new versions of its rows, so that an update stays on its page (PostgreSQL's
# HOT update: no index entry, no page read elsewhere). A row is about 40 bytes: half a page still
# holds some 90 of them.
FILLFACTOR = 50


def copy_totals(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {quote('market_listingtotals')} SET (fillfactor = {FILLFACTOR})")
        cursor.execute(
            f"INSERT INTO {quote('market_listingtotals')} (listing_id, stock_online, sold_count) "
            f"SELECT id, stock_online, sold_count FROM {quote('market_listing')}"
        )


def copy_back(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote('market_listing')} SET "
            f"stock_online = (SELECT t.stock_online FROM {quote('market_listingtotals')} t "
            f"WHERE t.listing_id = {quote('market_listing')}.id), "
            f"sold_count = (SELECT t.sold_count FROM {quote('market_listingtotals')} t "
            f"WHERE t.listing_id = {quote('market_listing')}.id)"
        )


class Migration(migrations.Migration):
    dependencies = [("market", "0007_order_notices")]

    operations = [
        migrations.CreateModel(
            name="ListingTotals",
            fields=[
                (
                    "listing",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="totals",
                        serialize=False,
                        to="market.listing",
                    ),
                ),
                ("stock_online", models.IntegerField(default=0, verbose_name="stock")),
                ("sold_count", models.PositiveIntegerField(default=0)),
            ],
            options={"verbose_name": "listing totals", "verbose_name_plural": "listing totals"},
        ),
        migrations.RunPython(copy_totals, copy_back),
        migrations.RemoveConstraint(model_name="listing", name="listing_stock_not_negative"),
        migrations.RemoveField(model_name="listing", name="sold_count"),
        migrations.RemoveField(model_name="listing", name="stock_online"),
        migrations.AddConstraint(
            model_name="listingtotals",
            constraint=models.CheckConstraint(
                condition=models.Q(("stock_online__gte", 0)), name="listing_totals_stock_not_negative"
            ),
        ),
    ]
