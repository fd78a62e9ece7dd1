"""The knowledge base: vetted entries, their index, and the search over them.

Plain Python with no Rasa import, shared by the action server, the web app and the CLI.
"""
