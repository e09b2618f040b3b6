"""Latent Lab: DCGAN generators and the operations on their latent space."""
