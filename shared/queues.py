"""Queue names, defined once. Cron ticks get their own queue so a domain backlog never delays a tick."""

CRON = "cron"
MAINTENANCE = "maintenance"
EXAMPLE = "example"
GAME = "game"
TASKS = "tasks"
CHALLENGES = "challenges"

ALL = (CRON, MAINTENANCE, EXAMPLE, GAME, TASKS, CHALLENGES)
