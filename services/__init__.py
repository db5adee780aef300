"""Use cases: one function per thing a reader or operator does, over plain values.

Handlers (Telegram) and the CLI call these; they take ids and strings, return frozen values,
and are the only callers of storage (`db/`). Every write goes through `Services.write()`.
"""
