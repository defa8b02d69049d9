from django.db import migrations, models

from accounts.versions import RIGHTS
from core import versioning

# What a person may do (REQ STF-2, REG-8, NFR-4): their groups, their own permissions, their
# groups' permissions, a permission renamed, and their second-factor authenticators raise
# their rights version, under which `accounts.rights` keeps what Django would read again on
# every request.
PEOPLE_WITH_PERMISSION = (
    "SELECT up.user_id FROM {rows} AS p"
    " JOIN accounts_user_user_permissions AS up ON up.permission_id = p.id"
    " UNION SELECT ug.user_id FROM {rows} AS p"
    " JOIN auth_group_permissions AS gp ON gp.permission_id = p.id"
    " JOIN accounts_user_groups AS ug ON ug.group_id = gp.group_id"
)
# Tables whose rows each name one person.
BY_PERSON = ("accounts_user_groups", "accounts_user_user_permissions", "mfa_authenticator")
WATCHED = [
    *(
        versioning.Watched(
            table=table, columns=("user_id",), ids="SELECT user_id FROM {rows}", target=RIGHTS
        )
        for table in BY_PERSON
    ),
    versioning.Watched(
        table="auth_group_permissions",
        columns=("group_id",),
        ids=(
            "SELECT ug.user_id FROM {rows} AS gp"
            " JOIN accounts_user_groups AS ug ON ug.group_id = gp.group_id"
        ),
        target=RIGHTS,
    ),
    versioning.Watched(
        table="auth_permission",
        columns=("id",),
        ids=PEOPLE_WITH_PERMISSION,
        target=RIGHTS,
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0015_office_places_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="rights_version",
            field=models.PositiveBigIntegerField(
                default=0, editable=False, verbose_name="rights version"
            ),
        ),
        versioning.operations(WATCHED, guards=(RIGHTS,)),
    ]
