"""Text → Music: an event vocabulary, a corpus from music21's collections, moods, small GPTs."""
