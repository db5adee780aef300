"""Telegram command and callback handlers: parse arguments, call a service, reply."""
