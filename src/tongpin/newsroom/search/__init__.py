"""Full-text search over stories: Chinese segmentation feeding SQLite FTS5 or PostgreSQL text search."""
