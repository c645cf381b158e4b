"""What a seeded district holds (`ScaleSpec`), and the names that mark it as seeded."""

from dataclasses import dataclass

NAME_PREFIX = "Engage seed"


@dataclass(frozen=True)
class ScaleSpec:
    """How many of each the seeded district holds."""

    schools: int
    classrooms: int
    children: int
    guardians: int
    submissions: int
    activities_per_classroom: int = 0  # 0: enough for the submissions, at least 8

    def __post_init__(self):
        if min(self.schools, self.classrooms, self.children, self.guardians) < 1:
            raise ValueError("Schools, classrooms, children and guardians must be at least 1.")
        if self.classrooms < self.schools:
            raise ValueError("Every school needs a classroom: classrooms >= schools.")
        if not self.children / 3 <= self.guardians <= 2 * self.children:
            raise ValueError("Families have 1-3 children and 1-2 guardians: check the counts.")

    @property
    def activities(self) -> int:
        if self.activities_per_classroom:
            return self.activities_per_classroom
        # Twice the average per child: room for the very active to do far more than the rest.
        return max(8, -(-2 * self.submissions // self.children))


SCALE_SPECS = {
    "tiny": ScaleSpec(schools=2, classrooms=6, children=30, guardians=40, submissions=200),
    "small": ScaleSpec(
        schools=4, classrooms=40, children=1_000, guardians=1_500, submissions=40_000
    ),
    "district": ScaleSpec(
        schools=50, classrooms=2_000, children=50_000, guardians=75_000, submissions=2_000_000
    ),
}


class SeedError(Exception):
    """The seed cannot go ahead; the message says why."""


def seed_label(slug: str, seed: int) -> str:
    return f"{NAME_PREFIX} {slug} (seed {seed})"


def email_domain(slug: str) -> str:
    return f"{slug}.seed.invalid"
