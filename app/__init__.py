"""Pixtral Desk: a desktop chat application for Mistral's Pixtral vision-language model."""

__version__ = "0.1.0"
