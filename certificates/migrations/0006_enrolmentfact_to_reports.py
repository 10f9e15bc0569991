# The dashboard's read-model moved to the reports app: the model leaves this app's state only;
# its table (certificates_enrolmentfact) and rows stay where they are and reports takes them over.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0005_pending_issue"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="EnrolmentFact")],
            database_operations=[],
        ),
    ]
