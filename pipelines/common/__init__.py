"""Helpers shared by every pipeline: configuration, seeding, loading, images, GPU."""
