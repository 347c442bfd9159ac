"""Full-text search: the vocabulary for suggestions (a model), and the vendor-specific index over
the listings' stemmed text — PostgreSQL a stored generated tsvector with GIN indexes, SQLite an
FTS5 external-content table kept by triggers (see kopdes/market/search.py)."""

from django.db import migrations, models


def forward(apps, schema_editor):
    from kopdes.market.search import search_schema_ensure

    search_schema_ensure(schema_editor.connection)


def backward(apps, schema_editor):
    from kopdes.market.search import search_schema_drop

    search_schema_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("market", "0001_marketplace")]

    operations = [
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("term", models.CharField(max_length=40, unique=True)),
                ("head", models.CharField(max_length=2)),
                ("tail", models.CharField(max_length=2)),
                ("length", models.PositiveSmallIntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["head", "length"], name="search_term_head_idx"),
                    models.Index(fields=["tail", "length"], name="search_term_tail_idx"),
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
