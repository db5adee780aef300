"""Test doubles that speak real protocols over loopback: a fake Telegram Bot API and a feed server."""
