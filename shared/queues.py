"""Queue names, defined once. Cron ticks get their own queue so a domain backlog never delays a tick."""

CRON = "cron"
MAINTENANCE = "maintenance"
EXAMPLE = "example"
GAME = "game"
TASKS = "tasks"
CHALLENGES = "challenges"
# The content platform's queues; their cluster-wide caps are per-queue broker settings
# (DRAMATURG_QUEUE_CONTENT_GENERATION_CONCURRENCY …), documented in the README.
CONTENT_GENERATION = "content-generation"
CONTEXT_SCRAPING = "context-scraping"
ANALYTICS_SYNC = "analytics-sync"
CONTENT_SUPPORT = "content-support"

ALL = (
    CRON,
    MAINTENANCE,
    EXAMPLE,
    GAME,
    TASKS,
    CHALLENGES,
    CONTENT_GENERATION,
    CONTEXT_SCRAPING,
    ANALYTICS_SYNC,
    CONTENT_SUPPORT,
)
