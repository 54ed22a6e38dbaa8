"""A tenant on disk and in memory: worlds, sessions, the tenant folder's files."""
