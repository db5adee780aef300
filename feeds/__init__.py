"""The news domain: pure values and functions (no Telegram, no SQL, no global state)."""
