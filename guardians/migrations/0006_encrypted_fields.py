# Birth dates and guardians' ethnicity become ciphertext columns (text); 0007 encrypts the
# values already stored.

import privacy.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("guardians", "0005_child_removed_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="child",
            name="birth_date",
            field=privacy.fields.EncryptedDateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="joinrequest",
            name="child_birth_date",
            field=privacy.fields.EncryptedDateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="guardianprofile",
            name="ethnicity",
            field=privacy.fields.EncryptedCharField(blank=True, default="", max_length=100),
        ),
        migrations.AddField(
            model_name="child",
            name="birth_date_hash",
            field=privacy.fields.KeyedHashField(source="birth_date"),
        ),
        migrations.AddField(
            model_name="child",
            name="is_disadvantaged",
            field=privacy.fields.EncryptedBooleanField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="child",
            name="is_disadvantaged_hash",
            field=privacy.fields.KeyedHashField(source="is_disadvantaged"),
        ),
        migrations.AddIndex(
            model_name="child",
            index=models.Index(
                fields=["district", "birth_date_hash"], name="guardians_c_distric_6ff25b_idx"
            ),
        ),
    ]
