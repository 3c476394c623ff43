"""Print the permission matrix of access.policy as Markdown (docs/permissions.md embeds it)."""

from django.core.management.base import BaseCommand

from access.models import Role
from access.policy import CASE_FIELDS, MATRIX, SENSITIVE_FIELDS


def matrix_markdown() -> str:
    resources = sorted({resource for grants in MATRIX.values() for resource in grants})
    roles = list(Role.values)
    lines = ["| resource | " + " | ".join(roles) + " |", "|---" * (len(roles) + 1) + "|"]
    for resource in resources:
        cells = [", ".join(sorted(MATRIX[role].get(resource, ()))) or "-" for role in roles]
        lines.append(f"| {resource} | " + " | ".join(cells) + " |")
    lines += ["", "Case fields by role:", ""]
    for role, fields in CASE_FIELDS.items():
        lines.append(f"- {role}: {', '.join(sorted(fields))}")
    lines += ["", "Sensitive fields (removed from every output a role may not see):", ""]
    for model, fields in SENSITIVE_FIELDS.items():
        lines.append(f"- {model}: {', '.join(sorted(fields))}")
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Print the role x resource permission matrix as Markdown."

    def handle(self, *args, **options):
        self.stdout.write(matrix_markdown(), ending="")
