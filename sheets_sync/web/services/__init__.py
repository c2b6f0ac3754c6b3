"""Service functions shared by the HTTP handlers and the CLI.

They take a SQLAlchemy session and the signed-in user's id, never a Flask request, so that the
sidebar API, the command line and (later) the scheduler call the same code. Every lookup
filters by the user: another user's row is reported as not found, exactly like a missing one.
"""
