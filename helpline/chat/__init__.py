"""Operator chat: direct messages between agents and a room per team."""
