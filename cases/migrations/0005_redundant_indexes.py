"""Two indexes every case write paid for and no read needed (docs/performance.md): one on
origin beside the foreign key's own, and the foreign key's index on office, which the
(office, status) index serves as well."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_event_corrections'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='cases_case_origin__9fe47b_idx',
        ),
        migrations.AlterField(
            model_name='case',
            name='office',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='cases.office', verbose_name='registering office'),
        ),
    ]
