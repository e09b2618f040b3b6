"""Which Face Is Real?: real LFW crops, a generator adapted to them, the quiz and its stats."""
