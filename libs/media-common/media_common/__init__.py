"""Shared infrastructure for the media-resource services.

Infrastructure only: no service's models or business rules live here.
"""
