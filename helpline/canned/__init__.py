"""Canned responses: saved replies, personal or shared, with placeholders."""
