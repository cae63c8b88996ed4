"""The e-mail channel: an inbox that is a mailbox. Mail is read over IMAP (`reader`, `imap`;
`parse` and `quotes` make a stored message of it) and agents' replies leave over SMTP
(`replies`), threaded in the customer's mail client; `adapter` is the channel adapter, and
`settings` what an admin connects it with. The account's own notification mail (offline
answers, transcripts) goes through the account's SMTP settings (`api.py`, `outbound.py`)."""
