"""The application: settings, composition root, scheduler jobs, delivery and the CLI."""
