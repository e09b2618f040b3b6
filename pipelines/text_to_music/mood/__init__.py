"""Text (English or Korean) → one of the five moods, with a probability for each."""
