"""The content console: editors write, reviewers publish, and the assistant follows at once.

Entries live in the database as numbered versions (`models.py`); the workflow is plain Python
(`service.py`); publishing asks `publisher.py` to rebuild the search index in the background
from the published versions; `routers.py` only maps HTTP to these, behind the mediator
console's sign-in, CSRF guard and permissions.
"""
