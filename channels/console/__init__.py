"""The mediator console: people who log in, take escalated conversations and hand them back.

The database is the contract with the rest of the product: a reply is an outbound `Message`
row that the channel senders pick up, and every mediator action leaves an `AuditEntry`.
Domain logic (queue, replies, transitions, sign-in) is plain Python; `routers.py` only maps
HTTP to it.
"""
