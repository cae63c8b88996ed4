"""The e-mail channel. So far outgoing mail only: the account's SMTP settings
(`api.py`), and building and sending messages through them, at once or as `email.send`
jobs (`outbound.py`)."""
